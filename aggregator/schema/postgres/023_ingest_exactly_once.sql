-- Exactly once across aggregator processes (issue 13 item 6). Shared state that an in-memory map
-- in one process cannot give: which events were already published, which signed requests were
-- already accepted, and which log position owns each event in the Parquet archive.
CREATE SCHEMA IF NOT EXISTS fraud_ingest;

-- One row per forwarded event, keyed by its idempotency key (the envelope's idempotency_key, else
-- its transaction_id). 'publishing' is a lease held by one ingest request while it publishes;
-- 'published' means Kafka acknowledged it: a re-sent copy is answered 202 without publishing.
CREATE TABLE IF NOT EXISTS fraud_ingest.accepted_events (
    idempotency_key TEXT PRIMARY KEY,
    state           TEXT NOT NULL CHECK (state IN ('publishing', 'published')),
    owner           TEXT NOT NULL,
    lease_until     TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS accepted_events_by_age ON fraud_ingest.accepted_events (updated_at);

-- Signed ingest requests seen within their validity window (the replay guard), by SHA-256 of the
-- signature. 'pending' while the request is processed (a lease), 'accepted' after.
CREATE TABLE IF NOT EXISTS fraud_ingest.replay_signatures (
    signature_sha256 TEXT PRIMARY KEY,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    expires_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS replay_signatures_by_expiry ON fraud_ingest.replay_signatures (expires_at);

-- The archive's owner of each event per stream (root prefix + topic): the first log position it
-- was seen at. Only that position writes its Parquet row; a duplicate message at a later offset
-- (an edge retry after a slow publish) is skipped, a re-delivery of the same position rewrites it.
CREATE TABLE IF NOT EXISTS fraud_ingest.archive_claims (
    stream          TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    kafka_partition INT NOT NULL,
    kafka_offset    BIGINT NOT NULL,
    claimed_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, idempotency_key)
);
CREATE INDEX IF NOT EXISTS archive_claims_by_age ON fraud_ingest.archive_claims (claimed_at);
