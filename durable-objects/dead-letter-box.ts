import { DurableObject } from "cloudflare:workers";
import type { ParkInput, ParkedLetter } from "../core/contracts/forwarding.js";

// Where a region's dead letters are parked (issue 13, item 2): the dead-letter queue's consumer
// (edge/forwarding/dead-letters.ts) writes every letter here, one object per region (name
// `dlq:<region>`, the EU region's in the EU jurisdiction), in SQLite, where the ops endpoint and
// `npm run vigil -- dlq list|redrive` inspect them and hand them back to the scored-events queue.
// Nothing leaves the box except by a redrive the queue accepted (or an operator's purge of a letter
// that can never be sent, e.g. an invalid record). Letters hold card hashes, never card numbers.

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS letters (id TEXT PRIMARY KEY, parked_ms INTEGER NOT NULL, reason TEXT NOT NULL, transaction_id TEXT, letter_json TEXT NOT NULL)",
  "CREATE INDEX IF NOT EXISTS letters_parked ON letters (parked_ms)",
].join(";\n");

export class DeadLetterBox extends DurableObject<Record<string, unknown>> {
  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  /** Parks letters; a letter id already parked (a redelivered DLQ message) is kept once. Answers how many were new. */
  park(letters: ParkInput[], nowMs: number = Date.now()): number {
    let added = 0;
    this.ctx.storage.transactionSync(() => {
      for (const l of letters) {
        const c = this.ctx.storage.sql.exec(
          "INSERT INTO letters (id, parked_ms, reason, transaction_id, letter_json) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
          l.id,
          nowMs,
          l.reason,
          l.transaction_id,
          JSON.stringify(l.letter),
        );
        added += c.rowsWritten > 0 ? 1 : 0;
      }
    });
    return added;
  }

  /** Oldest first; `ids` picks letters, else the first `limit`. */
  list(opts: { limit?: number; ids?: string[] } = {}): { total: number; letters: ParkedLetter[] } {
    const sql = this.ctx.storage.sql;
    const total = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM letters").one().n;
    type Row = { id: string; parked_ms: number; reason: string; transaction_id: string | null; letter_json: string };
    const rows: Row[] = [];
    if (opts.ids) {
      for (const id of opts.ids.slice(0, 1000)) {
        const r = sql.exec<Row>("SELECT id, parked_ms, reason, transaction_id, letter_json FROM letters WHERE id = ?", id).toArray()[0];
        if (r) rows.push(r);
      }
    } else {
      const limit = Math.max(1, Math.min(1000, opts.limit ?? 100));
      rows.push(...sql.exec<Row>("SELECT id, parked_ms, reason, transaction_id, letter_json FROM letters ORDER BY parked_ms, rowid LIMIT ?", limit).toArray());
    }
    return {
      total,
      letters: rows.map((r) => ({ id: r.id, parked_at: new Date(r.parked_ms).toISOString(), reason: r.reason, transaction_id: r.transaction_id, letter: JSON.parse(r.letter_json) as unknown })),
    };
  }

  /** Removes letters (after the queue accepted their redrive); answers how many were removed. */
  remove(ids: string[]): number {
    let removed = 0;
    this.ctx.storage.transactionSync(() => {
      for (const id of ids) removed += this.ctx.storage.sql.exec("DELETE FROM letters WHERE id = ?", id).rowsWritten > 0 ? 1 : 0;
    });
    return removed;
  }
}
