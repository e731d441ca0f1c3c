-- Model registry of the learning loop: one row per trained model version and its lifecycle
--   training -> candidate | failed;  candidate -> shadow | champion | retired;
--   shadow -> champion | candidate | retired;  champion -> retired;  retired -> champion | shadow
-- (promoting a retired version is the rollback). At most one champion and one shadow at a time,
-- enforced by the partial unique indexes so two concurrent promotions cannot both win.
-- model_events is the audit trail: who moved which version from which status to which, when.
CREATE SCHEMA IF NOT EXISTS fraud_ops;

CREATE TABLE IF NOT EXISTS fraud_ops.models (
    version           TEXT PRIMARY KEY,
    status            TEXT NOT NULL CHECK (status IN ('training', 'candidate', 'shadow', 'champion', 'retired', 'failed')),
    train_from        TIMESTAMPTZ NOT NULL,
    train_to          TIMESTAMPTZ NOT NULL,
    cutoff            TIMESTAMPTZ NOT NULL,
    label_delay_days  DOUBLE PRECISION NOT NULL,
    feature_layout    TEXT,
    artifact_key      TEXT,
    sha256            TEXT,
    counts            JSONB,
    validation        JSONB,
    thresholds        JSONB,
    error             TEXT,
    created_by        TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS models_one_champion ON fraud_ops.models (status) WHERE status = 'champion';
CREATE UNIQUE INDEX IF NOT EXISTS models_one_shadow ON fraud_ops.models (status) WHERE status = 'shadow';
CREATE INDEX IF NOT EXISTS models_by_created ON fraud_ops.models (created_at DESC);

CREATE TABLE IF NOT EXISTS fraud_ops.model_events (
    event_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version      TEXT NOT NULL REFERENCES fraud_ops.models (version),
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('TRAIN', 'TRAINED', 'FAIL', 'SHADOW', 'PROMOTE', 'RETIRE', 'UNSHADOW')),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT
);
CREATE INDEX IF NOT EXISTS model_events_by_version ON fraud_ops.model_events (version, event_id);
