-- Review queue: one case per REVIEW verdict (idempotent on transaction_id). A case moves
-- OPEN -> CLAIMED (one analyst) -> DECIDED (FRAUD | LEGIT); every decision also writes a label.
CREATE SCHEMA IF NOT EXISTS fraud_ops;

CREATE TABLE IF NOT EXISTS fraud_ops.review_cases (
    case_id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id          TEXT NOT NULL UNIQUE,
    card_number_hash        TEXT NOT NULL,
    merchant_id             TEXT NOT NULL,
    merchant_category_code  TEXT NOT NULL,
    terminal_id             TEXT,
    channel                 TEXT NOT NULL,
    region                  TEXT NOT NULL,
    amount_usd              DOUBLE PRECISION NOT NULL,
    fraud_score             DOUBLE PRECISION NOT NULL,
    ml_score                DOUBLE PRECISION NOT NULL,
    rule_triggers           JSONB NOT NULL DEFAULT '[]',
    reasons                 JSONB NOT NULL DEFAULT '[]',
    event_time              TIMESTAMPTZ NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    status                  TEXT NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLAIMED', 'DECIDED')),
    claimed_by              TEXT,
    claimed_at              TIMESTAMPTZ,
    decision                TEXT CHECK (decision IN ('FRAUD', 'LEGIT')),
    decided_by              TEXT,
    decided_at              TIMESTAMPTZ,
    note                    TEXT
);
-- The queue is worked highest score first; keyset pagination walks (fraud_score DESC, case_id).
CREATE INDEX IF NOT EXISTS review_cases_queue ON fraud_ops.review_cases (status, fraud_score DESC, case_id);
