-- What SummaryStore.applyVerdicts needs on top of 001_init.sql (written so it also stands alone:
-- every statement is IF NOT EXISTS, so it works whichever of the two defines a table first).
CREATE SCHEMA IF NOT EXISTS fraud_reporting;

CREATE TABLE IF NOT EXISTS fraud_reporting.daily_fraud_summary (
    report_date         DATE,
    merchant_category   VARCHAR(10),
    total_transactions  BIGINT,
    flagged_count       INT,
    blocked_count       INT,
    false_positive_rate DECIMAL(5,4),
    avg_fraud_score     DECIMAL(6,4),
    total_fraud_amount  DECIMAL(15,2),
    PRIMARY KEY (report_date, merchant_category)
);

-- One row per transaction ever counted: the exactly-once ledger, and the detail from which a
-- day can be recomputed (labels, corrections) without re-reading Kafka.
CREATE TABLE IF NOT EXISTS fraud_reporting.summary_applied (
    transaction_id      TEXT PRIMARY KEY
);
ALTER TABLE fraud_reporting.summary_applied
    ADD COLUMN IF NOT EXISTS report_date       DATE,
    ADD COLUMN IF NOT EXISTS merchant_category VARCHAR(10),
    ADD COLUMN IF NOT EXISTS verdict           TEXT,
    ADD COLUMN IF NOT EXISTS fraud_score       NUMERIC(7,4),
    ADD COLUMN IF NOT EXISTS amount            NUMERIC(15,2),
    ADD COLUMN IF NOT EXISTS applied_at        TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS summary_applied_by_day
    ON fraud_reporting.summary_applied (report_date, merchant_category);

-- The running mean stays exact: sum of scores kept beside the count, the average derived.
ALTER TABLE fraud_reporting.daily_fraud_summary
    ADD COLUMN IF NOT EXISTS fraud_score_sum NUMERIC(20,4) NOT NULL DEFAULT 0;
-- Scores run 0-100: the spec's DECIMAL(6,4) tops out at 99.9999, so a day whose every event
-- scored 100 would overflow. One more digit before the point.
ALTER TABLE fraud_reporting.daily_fraud_summary ALTER COLUMN avg_fraud_score TYPE DECIMAL(7,4);
