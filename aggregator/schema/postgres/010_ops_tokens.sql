-- Fraud operations: API bearer tokens, stored as SHA-256 hex only (the token itself is shown once
-- by the admin CLI and never stored or logged). Roles are ordered viewer < analyst < admin.
CREATE SCHEMA IF NOT EXISTS fraud_ops;

CREATE TABLE IF NOT EXISTS fraud_ops.api_tokens (
    name        TEXT PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
    sha256      CHAR(64) NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);
