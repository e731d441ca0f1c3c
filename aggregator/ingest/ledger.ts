import { createHash } from "node:crypto";
import type { ReplayCheck, ReplayStore } from "./replay-guard.js";
import type { SqlQueryable } from "../ports/index.js";

// Ingest's shared memory across aggregator processes, in PostgreSQL (PGlite when embedded):
//  - the idempotency ledger: an edge retry after a slow publish re-sends the same events with a
//    new signature, possibly to another process. Each event's key is claimed (a lease) before it
//    is published and marked published after Kafka acknowledged it, so a re-sent copy is not
//    published again; a copy arriving while the first is still publishing is told to retry.
//  - the replay guard: a captured signed request is refused by every process, not only the one
//    that saw it first.
// The ledger narrows duplicates in Kafka to one corner (a process dying between Kafka's ack and
// the mark, after which the lease expires); the sinks are idempotent by the same key for that.

export interface ClaimResult {
  /** Claimed by this request: publish these. */
  mine: string[];
  /** Already published by an earlier request: acknowledge without publishing. */
  published: string[];
  /** Being published by another request right now: the sender should retry shortly. */
  inFlight: string[];
  /** Taken by an event with another fingerprint (the same key reused for another payload). */
  conflicts: string[];
}

/** An event's idempotency key and the fingerprint of its payload (aggregator/ingest/fingerprint.ts). */
export interface LedgerEntry {
  key: string;
  fingerprint: string;
}

export interface IngestLedger {
  claim(entries: LedgerEntry[], owner: string, leaseMs: number): Promise<ClaimResult>;
  markPublished(keys: string[], owner: string): Promise<void>;
  release(keys: string[], owner: string): Promise<void>;
  /** Forgets published keys older than `retentionMs` and expired signatures and archive claims. */
  prune(retentionMs: number): Promise<void>;
}

export function createSqlIngestLedger(sql: SqlQueryable): IngestLedger {
  return {
    async claim(entries, owner, leaseMs) {
      if (entries.length === 0) return { mine: [], published: [], inFlight: [], conflicts: [] };
      // One statement: claim free keys and take over expired leases of the same payload; report the
      // others' state and fingerprint. Rows another transaction inserts meanwhile appear in neither
      // half: counted as in flight.
      const { rows } = await sql.query<{ k: string; s: string; f: string | null }>(
        `WITH input AS (SELECT DISTINCT ON (e->>'key') e->>'key' AS k, e->>'fingerprint' AS f FROM jsonb_array_elements($1::jsonb) AS t(e)),
         ins AS (
           INSERT INTO fraud_ingest.accepted_events AS a (idempotency_key, state, owner, lease_until, updated_at, fingerprint)
           SELECT k, 'publishing', $2, now() + $3::int * interval '1 millisecond', now(), f FROM input
           ON CONFLICT (idempotency_key) DO UPDATE
             SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until, updated_at = now(),
                 fingerprint = COALESCE(a.fingerprint, EXCLUDED.fingerprint)
             WHERE a.state = 'publishing' AND a.lease_until < now()
               AND (a.fingerprint IS NULL OR a.fingerprint = EXCLUDED.fingerprint)
           RETURNING a.idempotency_key)
         SELECT idempotency_key AS k, 'mine' AS s, NULL AS f FROM ins
         UNION ALL
         SELECT a.idempotency_key AS k, a.state AS s, a.fingerprint AS f
           FROM fraud_ingest.accepted_events a JOIN input i ON i.k = a.idempotency_key
          WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.idempotency_key = a.idempotency_key)`,
        // Key and fingerprint only: callers may pass richer objects (the route passes its records).
        [JSON.stringify(entries.map(({ key, fingerprint }) => ({ key, fingerprint }))), owner, Math.round(leaseMs)],
      );
      const state = new Map(rows.map((r) => [r.k, r]));
      const out: ClaimResult = { mine: [], published: [], inFlight: [], conflicts: [] };
      const seen = new Set<string>();
      for (const { key, fingerprint } of entries) {
        if (seen.has(key)) continue;
        seen.add(key);
        const r = state.get(key);
        if (r?.s === "mine") out.mine.push(key);
        else if (r && r.f !== null && r.f !== fingerprint) out.conflicts.push(key);
        else if (r?.s === "published") out.published.push(key);
        else out.inFlight.push(key);
      }
      return out;
    },

    async markPublished(keys, owner) {
      if (keys.length === 0) return;
      await sql.query(
        `UPDATE fraud_ingest.accepted_events SET state = 'published', updated_at = now()
          WHERE owner = $2 AND idempotency_key IN (SELECT jsonb_array_elements_text($1::jsonb))`,
        [JSON.stringify(keys), owner],
      );
    },

    async release(keys, owner) {
      if (keys.length === 0) return;
      await sql.query(
        `DELETE FROM fraud_ingest.accepted_events
          WHERE owner = $2 AND state = 'publishing' AND idempotency_key IN (SELECT jsonb_array_elements_text($1::jsonb))`,
        [JSON.stringify(keys), owner],
      );
    },

    async prune(retentionMs) {
      const ms = Math.round(retentionMs);
      await sql.query(`DELETE FROM fraud_ingest.accepted_events WHERE state = 'published' AND updated_at < now() - $1::bigint * interval '1 millisecond'`, [ms]);
      await sql.query(`DELETE FROM fraud_ingest.archive_claims WHERE claimed_at < now() - $1::bigint * interval '1 millisecond'`, [ms]);
      await sql.query(`DELETE FROM fraud_ingest.replay_signatures WHERE expires_at < now()`);
    },
  };
}

const digest = (signature: string) => createHash("sha256").update(signature).digest("hex");

/**
 * The replay guard on the shared ledger. A pending reservation is a lease (`leaseMs`): a process
 * that died while holding it does not block the sender's retry for longer than that.
 */
export function createSqlReplayStore(sql: SqlQueryable, leaseMs = 60_000): ReplayStore {
  return {
    async reserve(signature, nowMs): Promise<ReplayCheck> {
      const { rows } = await sql.query<{ ok: number }>(
        `INSERT INTO fraud_ingest.replay_signatures AS r (signature_sha256, state, expires_at)
         VALUES ($1, 'pending', to_timestamp($2::float8 / 1000))
         ON CONFLICT (signature_sha256) DO UPDATE SET state = 'pending', expires_at = EXCLUDED.expires_at
           WHERE r.expires_at < now()
         RETURNING 1 AS ok`,
        [digest(signature), nowMs + leaseMs],
      );
      return rows.length > 0 ? "fresh" : "replayed";
    },
    async commit(signature, expiresAtMs) {
      await sql.query(
        `UPDATE fraud_ingest.replay_signatures SET state = 'accepted', expires_at = to_timestamp($2::float8 / 1000) WHERE signature_sha256 = $1`,
        [digest(signature), expiresAtMs],
      );
    },
    async release(signature) {
      await sql.query(`DELETE FROM fraud_ingest.replay_signatures WHERE signature_sha256 = $1 AND state = 'pending'`, [digest(signature)]);
    },
  };
}
