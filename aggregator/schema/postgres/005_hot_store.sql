-- Hot store for the embedded profile (PGlite) and for running the VerdictStore contract suite on
-- PostgreSQL. Mirrors the Cassandra tables of infra/cassandra/: verdicts by transaction, alerts
-- by card (newest first), per-card risk state, and the card_activity log the 24 h counters are
-- derived from. Cassandra expires rows with TTLs; here readers filter on event time instead.
CREATE SCHEMA IF NOT EXISTS fraud_hot;

CREATE TABLE IF NOT EXISTS fraud_hot.verdicts_by_transaction (
    transaction_id      TEXT PRIMARY KEY,
    card_number_hash    TEXT NOT NULL,
    verdict             TEXT NOT NULL,
    fraud_score         DOUBLE PRECISION NOT NULL,
    event_timestamp     TIMESTAMPTZ NOT NULL,
    record              JSONB NOT NULL,
    processed_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS fraud_hot.fraud_alerts (
    card_number_hash    TEXT NOT NULL,
    alert_timestamp     TIMESTAMPTZ NOT NULL,
    transaction_id      TEXT NOT NULL,
    fraud_score         DOUBLE PRECISION NOT NULL,
    fraud_reason        TEXT NOT NULL,
    action_taken        TEXT NOT NULL,
    rule_triggers       JSONB NOT NULL,
    ml_score            DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (card_number_hash, alert_timestamp, transaction_id)
);
CREATE INDEX IF NOT EXISTS fraud_alerts_newest_first
    ON fraud_hot.fraud_alerts (card_number_hash, alert_timestamp DESC, transaction_id);

CREATE TABLE IF NOT EXISTS fraud_hot.card_activity (
    card_number_hash    TEXT NOT NULL,
    event_ts            TIMESTAMPTZ NOT NULL,
    transaction_id      TEXT NOT NULL,
    amount              NUMERIC(15,2) NOT NULL,
    verdict             TEXT NOT NULL,
    device_id           TEXT,
    country             TEXT,
    PRIMARY KEY (card_number_hash, event_ts, transaction_id)
);

CREATE TABLE IF NOT EXISTS fraud_hot.user_risk_state (
    user_id             TEXT PRIMARY KEY,
    risk_tier           TEXT NOT NULL,
    tx_count_24hr       INT NOT NULL,
    spend_total_24hr    NUMERIC(15,2) NOT NULL,
    last_seen_country   TEXT,
    last_device_id      TEXT,
    last_updated        TIMESTAMPTZ NOT NULL,
    -- stateVersion(): later event time wins; same event time, the fuller window wins
    version             BIGINT NOT NULL
);
