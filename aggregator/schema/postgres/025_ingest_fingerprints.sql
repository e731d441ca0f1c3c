-- Idempotency conflicts across cards (issue 13 item 5). The edge answers 409 IDEMPOTENCY_CONFLICT
-- when a caller reuses a transaction id with another payload on the SAME card (the card's object
-- holds the fingerprint). On another card the edge cannot know; the aggregator's ledger keeps the
-- fingerprint of the event first accepted under each key, so a different event under a key already
-- taken is not silently dropped as a duplicate: it goes to fraud-dead-letter as
-- IDEMPOTENCY_CONFLICT, once. NULL for rows accepted before this column existed (never a conflict).
ALTER TABLE fraud_ingest.accepted_events ADD COLUMN IF NOT EXISTS fingerprint TEXT;
