-- Ground-truth labels (chargebacks, analyst decisions, customer reports). `labels` is the audit
-- trail: every change is a new version naming who, when, why and the previous value; the same
-- label sent again adds nothing. `current_labels` is the latest version per transaction.
CREATE SCHEMA IF NOT EXISTS fraud_ops;

CREATE TABLE IF NOT EXISTS fraud_ops.labels (
    transaction_id      TEXT NOT NULL,
    version             INT NOT NULL CHECK (version >= 1),
    is_fraud            BOOLEAN NOT NULL,
    source              TEXT NOT NULL,
    actor               TEXT NOT NULL,
    note                TEXT,
    case_id             BIGINT,
    previous_is_fraud   BOOLEAN,
    previous_source     TEXT,
    labelled_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (transaction_id, version)
);

CREATE TABLE IF NOT EXISTS fraud_ops.current_labels (
    transaction_id  TEXT PRIMARY KEY,
    version         INT NOT NULL,
    is_fraud        BOOLEAN NOT NULL,
    source          TEXT NOT NULL,
    labelled_at     TIMESTAMPTZ NOT NULL
);
