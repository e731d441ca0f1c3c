-- Terminal and merchant statistics over matured labels (1/7/30-day windows), computed by the label
-- job and published with the reference data (Redis vigil:stats:*, the snapshot's *_stats maps).
CREATE TABLE IF NOT EXISTS fraud_ops.entity_stats (
    kind            TEXT NOT NULL CHECK (kind IN ('terminal_stats', 'merchant_stats')),
    entity_id       TEXT NOT NULL,
    -- core/contracts/entity-stats.ts encoding: what is published, compared as text on publish.
    value           TEXT NOT NULL,
    window_end      TIMESTAMPTZ NOT NULL,
    computed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, entity_id)
);

-- published_reference now also remembers the stats hashes.
ALTER TABLE fraud_ops.published_reference DROP CONSTRAINT IF EXISTS published_reference_kind_check;
ALTER TABLE fraud_ops.published_reference ADD CONSTRAINT published_reference_kind_check
    CHECK (kind IN ('merchant', 'terminal', 'card_tier', 'terminal_stats', 'merchant_stats'));
