-- Cases per card (issue 15). A case now groups a card's flagged transactions (REVIEW and BLOCKED):
-- at most one undecided (OPEN or CLAIMED) case per card, enforced by a partial unique index, and
-- every flagged transaction in fraud_ops.case_transactions (its case, verdict and the fields an
-- analyst reads). review_cases keeps its columns: transaction_id and the other per-transaction
-- columns describe the transaction that OPENED the case; the aggregates below describe them all.
-- Notes are rows of case_notes, each also audited in case_events (action NOTE).
--
-- Existing per-transaction cases are migrated: each becomes a case with one transaction; a card
-- with several undecided cases keeps one (the earliest claimed, else the oldest) and the others
-- become MERGED into it (merged_into), their transactions moved, a MERGE event on each. Decided
-- cases stay as they were. Written to be re-runnable (the ops tests apply the files twice).
CREATE SCHEMA IF NOT EXISTS fraud_ops;

-- Priority 0..100: 70 points from the highest fraud score of the case (0..100), 30 from the total
-- amount on a log scale (USD 10,000 or more = all 30), so a large flagged spend outranks a small
-- one of the same score, and a BLOCKED score outranks a REVIEW one of the same amount.
CREATE OR REPLACE FUNCTION fraud_ops.case_priority(max_score DOUBLE PRECISION, total_amount DOUBLE PRECISION)
RETURNS INT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT round(0.7 * least(greatest(coalesce(max_score, 0), 0), 100)
             + 30 * least(1, ln(1 + greatest(coalesce(total_amount, 0), 0)) / ln(10001)))::int
$$;

CREATE TABLE IF NOT EXISTS fraud_ops.case_transactions (
    transaction_id          TEXT PRIMARY KEY,
    case_id                 BIGINT NOT NULL,
    card_number_hash        TEXT NOT NULL,
    verdict                 TEXT NOT NULL CHECK (verdict IN ('REVIEW', 'BLOCKED')),
    merchant_id             TEXT NOT NULL,
    merchant_category_code  TEXT NOT NULL,
    terminal_id             TEXT,
    channel                 TEXT NOT NULL,
    region                  TEXT NOT NULL,
    amount_usd              DOUBLE PRECISION NOT NULL,
    fraud_score             DOUBLE PRECISION NOT NULL,
    ml_score                DOUBLE PRECISION NOT NULL,
    rule_triggers           JSONB NOT NULL DEFAULT '[]',
    reasons                 JSONB NOT NULL DEFAULT '[]',
    event_time              TIMESTAMPTZ NOT NULL,
    added_at                TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS case_transactions_by_case ON fraud_ops.case_transactions (case_id, event_time);

-- Before this migration every case was one REVIEW transaction.
INSERT INTO fraud_ops.case_transactions (transaction_id, case_id, card_number_hash, verdict, merchant_id, merchant_category_code,
    terminal_id, channel, region, amount_usd, fraud_score, ml_score, rule_triggers, reasons, event_time, added_at)
SELECT transaction_id, case_id, card_number_hash, 'REVIEW', merchant_id, merchant_category_code, terminal_id, channel, region,
       amount_usd, fraud_score, ml_score, rule_triggers, reasons, event_time, created_at
  FROM fraud_ops.review_cases
ON CONFLICT (transaction_id) DO NOTHING;

ALTER TABLE fraud_ops.review_cases ADD COLUMN IF NOT EXISTS transaction_count INT NOT NULL DEFAULT 1;
ALTER TABLE fraud_ops.review_cases ADD COLUMN IF NOT EXISTS blocked_count INT NOT NULL DEFAULT 0;
ALTER TABLE fraud_ops.review_cases ADD COLUMN IF NOT EXISTS max_fraud_score DOUBLE PRECISION;
ALTER TABLE fraud_ops.review_cases ADD COLUMN IF NOT EXISTS total_amount_usd DOUBLE PRECISION;
ALTER TABLE fraud_ops.review_cases ADD COLUMN IF NOT EXISTS last_event_time TIMESTAMPTZ;
ALTER TABLE fraud_ops.review_cases ADD COLUMN IF NOT EXISTS merged_into BIGINT;
UPDATE fraud_ops.review_cases SET max_fraud_score = fraud_score, total_amount_usd = amount_usd, last_event_time = event_time
 WHERE max_fraud_score IS NULL;
ALTER TABLE fraud_ops.review_cases ALTER COLUMN max_fraud_score SET NOT NULL;
ALTER TABLE fraud_ops.review_cases ALTER COLUMN total_amount_usd SET NOT NULL;
ALTER TABLE fraud_ops.review_cases ALTER COLUMN last_event_time SET NOT NULL;
ALTER TABLE fraud_ops.review_cases ADD COLUMN IF NOT EXISTS priority INT
    GENERATED ALWAYS AS (fraud_ops.case_priority(max_fraud_score, total_amount_usd)) STORED;

ALTER TABLE fraud_ops.review_cases DROP CONSTRAINT IF EXISTS review_cases_status_check;
ALTER TABLE fraud_ops.review_cases ADD CONSTRAINT review_cases_status_check
    CHECK (status IN ('OPEN', 'CLAIMED', 'DECIDED', 'MERGED'));

ALTER TABLE fraud_ops.case_events DROP CONSTRAINT IF EXISTS case_events_action_check;
ALTER TABLE fraud_ops.case_events ADD CONSTRAINT case_events_action_check
    CHECK (action IN ('CLAIM', 'DECIDE', 'ASSIGN', 'RELEASE', 'NOTE', 'MERGE', 'ADD_TRANSACTION'));
-- ASSIGN: the new assignee; ADD_TRANSACTION: the transaction; NOTE: the note's id (text in `note`).
ALTER TABLE fraud_ops.case_events ADD COLUMN IF NOT EXISTS assignee TEXT;
ALTER TABLE fraud_ops.case_events ADD COLUMN IF NOT EXISTS transaction_id TEXT;
ALTER TABLE fraud_ops.case_events ADD COLUMN IF NOT EXISTS note_id BIGINT;

-- Merge a card's undecided per-transaction cases into one. The three statements rank the same
-- rows the same way (nothing they change is ranked on until the last one marks the merged cases).
WITH ranked AS (
  SELECT case_id, status, claimed_by,
         first_value(case_id) OVER (PARTITION BY card_number_hash ORDER BY (status = 'CLAIMED') DESC, claimed_at NULLS LAST, case_id) AS keeper
    FROM fraud_ops.review_cases WHERE status IN ('OPEN', 'CLAIMED'))
INSERT INTO fraud_ops.case_events (case_id, at, actor, action, from_status, to_status, previous_claimed_by, note)
SELECT case_id, now(), 'migration-020', 'MERGE', status, 'MERGED', claimed_by, 'merged into case ' || keeper || ' (one open case per card)'
  FROM ranked WHERE case_id <> keeper;

WITH ranked AS (
  SELECT case_id,
         first_value(case_id) OVER (PARTITION BY card_number_hash ORDER BY (status = 'CLAIMED') DESC, claimed_at NULLS LAST, case_id) AS keeper
    FROM fraud_ops.review_cases WHERE status IN ('OPEN', 'CLAIMED'))
UPDATE fraud_ops.case_transactions t SET case_id = r.keeper FROM ranked r WHERE t.case_id = r.case_id AND r.case_id <> r.keeper;

WITH ranked AS (
  SELECT case_id,
         first_value(case_id) OVER (PARTITION BY card_number_hash ORDER BY (status = 'CLAIMED') DESC, claimed_at NULLS LAST, case_id) AS keeper
    FROM fraud_ops.review_cases WHERE status IN ('OPEN', 'CLAIMED'))
UPDATE fraud_ops.review_cases c SET status = 'MERGED', merged_into = r.keeper FROM ranked r WHERE c.case_id = r.case_id AND r.case_id <> r.keeper;

-- Aggregates of every case from its transactions (only rows that differ are written).
UPDATE fraud_ops.review_cases c
   SET transaction_count = a.n, blocked_count = a.blocked, max_fraud_score = a.max_score, total_amount_usd = a.total, last_event_time = a.last_at
  FROM (SELECT case_id, count(*)::int AS n, (count(*) FILTER (WHERE verdict = 'BLOCKED'))::int AS blocked, max(fraud_score) AS max_score,
               sum(amount_usd) AS total, max(event_time) AS last_at
          FROM fraud_ops.case_transactions GROUP BY case_id) a
 WHERE a.case_id = c.case_id
   AND (c.transaction_count, c.blocked_count, c.max_fraud_score, c.total_amount_usd, c.last_event_time)
       IS DISTINCT FROM (a.n, a.blocked, a.max_score, a.total, a.last_at);

CREATE UNIQUE INDEX IF NOT EXISTS review_cases_one_open_per_card ON fraud_ops.review_cases (card_number_hash)
    WHERE status IN ('OPEN', 'CLAIMED');
CREATE INDEX IF NOT EXISTS review_cases_by_priority ON fraud_ops.review_cases (status, priority DESC, case_id);
CREATE INDEX IF NOT EXISTS review_cases_by_age ON fraud_ops.review_cases (status, created_at, case_id);
CREATE INDEX IF NOT EXISTS review_cases_by_assignee ON fraud_ops.review_cases (claimed_by, status) WHERE claimed_by IS NOT NULL;

CREATE TABLE IF NOT EXISTS fraud_ops.case_notes (
    note_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     BIGINT NOT NULL,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS case_notes_by_case ON fraud_ops.case_notes (case_id, note_id);

-- The date the source gives for a label (a chargeback's date), kept beside the version; labelled_at
-- stays the time Vigil learnt it, which is what point-in-time training reads.
ALTER TABLE fraud_ops.labels ADD COLUMN IF NOT EXISTS reported_on DATE;
