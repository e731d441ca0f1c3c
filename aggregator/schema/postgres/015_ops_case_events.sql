-- Audit trail of review-case transitions: who moved a case from which state to which, when, why.
CREATE SCHEMA IF NOT EXISTS fraud_ops;

CREATE TABLE IF NOT EXISTS fraud_ops.case_events (
    event_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id      BIGINT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('CLAIM', 'DECIDE')),
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    previous_claimed_by TEXT,
    decision     TEXT,
    note         TEXT
);
CREATE INDEX IF NOT EXISTS case_events_by_case ON fraud_ops.case_events (case_id, event_id);
