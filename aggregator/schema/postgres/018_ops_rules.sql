-- Tier-1 rule sets written through the ops API (aggregator/rules). A rule set is immutable per
-- version (the edge caches it by version); rule_state names the one active set and the optional
-- shadow set the edge evaluates beside it. rule_events is the audit trail: who created, activated
-- or shadowed which version, when, from which previous version, with the diff of rule ids.
-- rule_evaluations / rule_hits: live traffic from fraud-verdicts, one row per scored transaction
-- and rule set (active, and shadow when one ran), one per rule that fired; idempotent per
-- transaction so a re-delivered batch writes nothing twice. Precision joins current_labels.
CREATE SCHEMA IF NOT EXISTS fraud_ops;

CREATE TABLE IF NOT EXISTS fraud_ops.rule_sets (
    version      TEXT PRIMARY KEY,
    body         JSONB NOT NULL,
    sha256       TEXT NOT NULL,
    rule_count   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS rule_sets_by_created ON fraud_ops.rule_sets (created_at DESC);

CREATE TABLE IF NOT EXISTS fraud_ops.rule_state (
    id              SMALLINT PRIMARY KEY CHECK (id = 1),
    active_version  TEXT REFERENCES fraud_ops.rule_sets (version),
    shadow_version  TEXT REFERENCES fraud_ops.rule_sets (version),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO fraud_ops.rule_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS fraud_ops.rule_events (
    event_id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version           TEXT NOT NULL REFERENCES fraud_ops.rule_sets (version),
    at                TIMESTAMPTZ NOT NULL,
    actor             TEXT NOT NULL,
    action            TEXT NOT NULL CHECK (action IN ('CREATE', 'ACTIVATE', 'SHADOW', 'UNSHADOW')),
    previous_version  TEXT,
    diff              JSONB
);
CREATE INDEX IF NOT EXISTS rule_events_by_version ON fraud_ops.rule_events (version, event_id);

CREATE TABLE IF NOT EXISTS fraud_ops.rule_evaluations (
    transaction_id  TEXT NOT NULL,
    shadow          BOOLEAN NOT NULL,
    rules_version   TEXT NOT NULL,
    verdict         TEXT NOT NULL CHECK (verdict IN ('APPROVED', 'REVIEW', 'BLOCKED')),
    hit             BOOLEAN NOT NULL,
    event_time      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (transaction_id, shadow)
);
CREATE INDEX IF NOT EXISTS rule_evaluations_by_version ON fraud_ops.rule_evaluations (rules_version, shadow, event_time);
CREATE INDEX IF NOT EXISTS rule_evaluations_by_time ON fraud_ops.rule_evaluations (event_time);

CREATE TABLE IF NOT EXISTS fraud_ops.rule_hits (
    transaction_id  TEXT NOT NULL,
    shadow          BOOLEAN NOT NULL,
    rule_id         TEXT NOT NULL,
    rules_version   TEXT NOT NULL,
    decided         BOOLEAN NOT NULL,
    event_time      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (transaction_id, shadow, rule_id)
);
CREATE INDEX IF NOT EXISTS rule_hits_by_version ON fraud_ops.rule_hits (rules_version, shadow, event_time);
CREATE INDEX IF NOT EXISTS rule_hits_by_time ON fraud_ops.rule_hits (event_time);
