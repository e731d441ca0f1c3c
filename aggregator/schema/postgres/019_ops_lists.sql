-- Allow and block lists (core/contracts/lists.ts): one row per (list, value), e.g. ('block-card',
-- '<card hash>'). Expired rows are kept (the API lists them on request) but are neither published
-- to the edge nor acted on there. list_events is the audit trail of every add, change and delete
-- (who, when, from where: api, import, case:<id>; the previous reason and expiry).
-- published_lists remembers what the edge was last sent, so a publish sends only differences.
CREATE SCHEMA IF NOT EXISTS fraud_ops;

CREATE TABLE IF NOT EXISTS fraud_ops.list_entries (
    list        TEXT NOT NULL CHECK (list ~ '^(block|allow)-(card|bin|ip|device|merchant|terminal)$'),
    value       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    author      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ,
    PRIMARY KEY (list, value)
);

CREATE TABLE IF NOT EXISTS fraud_ops.list_events (
    event_id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    list              TEXT NOT NULL,
    value             TEXT NOT NULL,
    action            TEXT NOT NULL CHECK (action IN ('ADD', 'UPDATE', 'DELETE')),
    actor             TEXT NOT NULL,
    at                TIMESTAMPTZ NOT NULL,
    source            TEXT NOT NULL,
    reason            TEXT,
    expires_at        TIMESTAMPTZ,
    previous_reason   TEXT,
    previous_expires_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS list_events_by_entry ON fraud_ops.list_events (list, value, event_id);

CREATE TABLE IF NOT EXISTS fraud_ops.published_lists (
    action      TEXT NOT NULL CHECK (action IN ('block', 'allow')),
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (action, field)
);
