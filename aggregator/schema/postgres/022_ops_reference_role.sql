-- A "reference" role for the edge's reference-snapshot token (issue 13 item 9): it may read
-- GET /v1/reference/snapshot and nothing else, where it used to need "viewer" (every verdict,
-- card history and case). Order: reference < viewer < analyst < admin.
ALTER TABLE fraud_ops.api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check;
ALTER TABLE fraud_ops.api_tokens
    ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('reference', 'viewer', 'analyst', 'admin'));
