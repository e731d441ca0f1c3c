-- One slim row per scored transaction (from fraud-verdicts): the denominators of merchant and
-- terminal fraud rates, the join target of labels, and the flagged set of the false-positive rate.
-- Card hashes only; rows older than the risk windows are pruned by recomputeRisk.
CREATE SCHEMA IF NOT EXISTS fraud_ops;

CREATE TABLE IF NOT EXISTS fraud_ops.scored_transactions (
    transaction_id          TEXT PRIMARY KEY,
    card_number_hash        TEXT NOT NULL,
    merchant_id             TEXT NOT NULL,
    merchant_category_code  TEXT NOT NULL,
    terminal_id             TEXT,
    channel                 TEXT NOT NULL,
    region                  TEXT NOT NULL,
    verdict                 TEXT NOT NULL CHECK (verdict IN ('APPROVED', 'REVIEW', 'BLOCKED')),
    fraud_score             DOUBLE PRECISION NOT NULL,
    amount_usd              DOUBLE PRECISION NOT NULL,
    event_time              TIMESTAMPTZ NOT NULL,
    stored_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS scored_transactions_event_time ON fraud_ops.scored_transactions (event_time);
CREATE INDEX IF NOT EXISTS scored_transactions_card ON fraud_ops.scored_transactions (card_number_hash, event_time);
