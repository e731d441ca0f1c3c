-- Reporting schema: the product spec's daily_fraud_summary, plus the exactly-once ledger the
-- aggregator's SummaryStore writes first (INSERT ... ON CONFLICT DO NOTHING RETURNING) so a
-- redelivered verdict never counts twice. Idempotent (IF NOT EXISTS), so it coexists with later
-- migrations that define the same tables for the embedded profile (006_summary_exactly_once.sql).
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

-- One row per transaction ever counted into the summary.
CREATE TABLE IF NOT EXISTS fraud_reporting.summary_applied (
    transaction_id      TEXT PRIMARY KEY,
    report_date         DATE,
    merchant_category   VARCHAR(10),
    verdict             TEXT,
    fraud_score         NUMERIC(7,4),
    amount              NUMERIC(15,2),
    applied_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS summary_applied_by_day
    ON fraud_reporting.summary_applied (report_date, merchant_category);
