-- Risk computed from labels by recomputeRisk, and what was last published to the edge's
-- reference data (so a publish sends only changes and can be retried after a failure).
CREATE SCHEMA IF NOT EXISTS fraud_ops;

CREATE TABLE IF NOT EXISTS fraud_ops.entity_risk (
    kind            TEXT NOT NULL CHECK (kind IN ('merchant', 'terminal')),
    entity_id       TEXT NOT NULL,
    tx_count        INT NOT NULL,
    fraud_count     INT NOT NULL,
    risk            DOUBLE PRECISION NOT NULL CHECK (risk >= 0 AND risk <= 1),
    window_start    TIMESTAMPTZ NOT NULL,
    window_end      TIMESTAMPTZ NOT NULL,
    computed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, entity_id)
);

CREATE TABLE IF NOT EXISTS fraud_ops.card_risk (
    card_number_hash  TEXT PRIMARY KEY,
    tier              TEXT NOT NULL CHECK (tier IN ('MEDIUM', 'HIGH')),
    fraud_labels      INT NOT NULL,
    open_flags        INT NOT NULL,
    computed_at       TIMESTAMPTZ NOT NULL
);

-- false_positive_rate of the daily summary: flagged (REVIEW/BLOCKED) transactions labelled LEGIT
-- over flagged transactions labelled at all, per event date and merchant category.
CREATE TABLE IF NOT EXISTS fraud_ops.daily_label_stats (
    report_date        DATE NOT NULL,
    merchant_category  TEXT NOT NULL,
    flagged_labelled   INT NOT NULL,
    flagged_legit      INT NOT NULL,
    computed_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, merchant_category)
);

-- Last values handed to the edge, per Redis hash (merchant, terminal, card_tier).
CREATE TABLE IF NOT EXISTS fraud_ops.published_reference (
    kind        TEXT NOT NULL CHECK (kind IN ('merchant', 'terminal', 'card_tier')),
    entity_id   TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (kind, entity_id)
);

-- Snapshot version for the embedded profile (GET /v1/reference/snapshot); Redis keeps its own counter.
CREATE TABLE IF NOT EXISTS fraud_ops.refdata_state (
    id          INT PRIMARY KEY CHECK (id = 1),
    version     BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
INSERT INTO fraud_ops.refdata_state (id, version, updated_at) VALUES (1, 0, now()) ON CONFLICT (id) DO NOTHING;
