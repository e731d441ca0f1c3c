/// <reference path="./queue-types.d.ts" />
import { z } from "zod";
import type { DeadLetterStore, ParkInput, ParkedLetter } from "../../core/contracts/forwarding.js";
import { letterOf } from "../forwarding/dead-letters.js";

// The Deno DeadLetterStore (issue 13, item 2): the same port the Workers DeadLetterBox implements,
// so /v1/ops/dead-letters and `vigil dlq list|redrive` work on Deno too. Layout in the zone's KV:
//   ["dlq", parked_at, id]  → the letter (the consumer's DeadLetter or a wrapper), oldest first by key
//   ["dlq_id", id]          → parked_at: makes park idempotent by id and finds a letter by id
// Deno KV itself writes a message it could not deliver (the listener kept throwing) under
// ["dlq", "undelivered", message id] (keysIfUndelivered, edge/deno/kv-queue.ts). Such a message
// holds several records; before every read the store adopts it: one letter per record, parked and
// the raw message deleted in one atomic commit, so it can be listed and redriven like the others.

const QUEUE_NAME = "vigil-scored-events";
const UNDELIVERED = "undelivered";
/** Deno KV allows 1,000 mutations per atomic commit; two per letter. */
const PARK_CHUNK = 400;

const UndeliveredSchema = z.looseObject({
  id: z.string(),
  attempts: z.number().int().nonnegative().optional(),
  first_enqueued_at: z.string().optional(),
  records: z.array(z.unknown()),
});

function toParked(key: Deno.KvKey, value: unknown): ParkedLetter {
  const parkedAt = String(key[1]);
  const id = String(key[2]);
  const p = letterOf({ id, body: value, attempts: 0, timestamp: new Date(Date.parse(parkedAt) || 0) }, QUEUE_NAME);
  return { id, parked_at: parkedAt, reason: p.reason, transaction_id: p.transaction_id, letter: p.letter };
}

const isLetterKey = (key: Deno.KvKey) => key.length === 3 && key[1] !== UNDELIVERED;

export function kvDeadLetterStore(kv: Deno.Kv, now: () => number = () => Date.now()): DeadLetterStore {
  /** Parks letters not parked yet; a letter whose id is already indexed is skipped. Answers how many were new. */
  async function parkAll(letters: ParkInput[], also?: { check: Deno.AtomicCheck; remove: Deno.KvKey }): Promise<number> {
    const at = new Date(now()).toISOString();
    const chunks: ParkInput[][] = [];
    for (let i = 0; i < letters.length; i += PARK_CHUNK) chunks.push(letters.slice(i, i + PARK_CHUNK));
    if (chunks.length === 0 && also) chunks.push([]);
    let added = 0;
    for (const [n, chunk] of chunks.entries()) {
      const known = chunk.length > 0 ? await kv.getMany<string[]>(chunk.map((l) => ["dlq_id", l.id])) : [];
      const op = kv.atomic();
      const seen = new Set<string>();
      chunk.forEach((l, j) => {
        if (known[j]?.versionstamp !== null || seen.has(l.id)) return;
        seen.add(l.id);
        // The check makes a concurrent park of the same id fail the commit instead of writing twice.
        op.check({ key: ["dlq_id", l.id], versionstamp: null }).set(["dlq", at, l.id], l.letter).set(["dlq_id", l.id], at);
      });
      // The raw undelivered message goes in the commit of its last letters: never both, never neither.
      if (also && n === chunks.length - 1) op.check(also.check).delete(also.remove);
      const res = await op.commit();
      if (!res.ok) throw new Error("dead letters were not parked (concurrent change); retry");
      added += seen.size;
    }
    return added;
  }

  /** Turns Deno KV's undelivered messages into one letter per record. */
  async function adoptUndelivered(): Promise<void> {
    for await (const e of kv.list({ prefix: ["dlq", UNDELIVERED] })) {
      const msg = UndeliveredSchema.safeParse(e.value);
      const at = new Date(now()).toISOString();
      const letters: ParkInput[] = msg.success
        ? msg.data.records.map((record, i) => {
            const id = `${msg.data.id}:${i}`;
            const tx = (record as { event?: { transaction_id?: unknown } } | null)?.event?.transaction_id;
            return {
              id,
              reason: "UNDELIVERED",
              transaction_id: typeof tx === "string" ? tx.slice(0, 128) : null,
              letter: {
                record, reason: "UNDELIVERED", message_id: id, attempts: msg.data.attempts ?? 0, queue: QUEUE_NAME,
                first_enqueued_at: msg.data.first_enqueued_at ?? at, dead_lettered_at: at,
                error: { code: "KV_UNDELIVERED", detail: "Deno KV could not deliver the message to the queue listener" },
              },
            };
          })
        : [{ id: String(e.key[2]), reason: "UNDELIVERED", transaction_id: null, letter: { record: e.value, reason: "UNDELIVERED", message_id: String(e.key[2]), error: { code: "KV_UNDELIVERED", detail: "unreadable queue message" } } }];
      await parkAll(letters, { check: { key: e.key, versionstamp: e.versionstamp }, remove: e.key });
    }
  }

  return {
    park: (letters) => parkAll(letters),

    async list({ limit, ids }) {
      await adoptUndelivered();
      const letters: ParkedLetter[] = [];
      let total = 0;
      for await (const e of kv.list({ prefix: ["dlq"] })) {
        if (!isLetterKey(e.key)) continue;
        total++;
        if (ids) {
          if (ids.includes(String(e.key[2]))) letters.push(toParked(e.key, e.value));
        } else if (letters.length < (limit ?? 100)) {
          letters.push(toParked(e.key, e.value));
        }
      }
      return { total, letters };
    },

    async remove(ids) {
      let removed = 0;
      for (let i = 0; i < ids.length; i += PARK_CHUNK) {
        const chunk = ids.slice(i, i + PARK_CHUNK);
        const index = await kv.getMany<string[]>(chunk.map((id) => ["dlq_id", id]));
        const op = kv.atomic();
        chunk.forEach((id, j) => {
          const at = index[j]?.value;
          if (typeof at !== "string") return;
          op.check({ key: ["dlq_id", id], versionstamp: index[j]!.versionstamp }).delete(["dlq", at, id]).delete(["dlq_id", id]);
          removed++;
        });
        const res = await op.commit();
        if (!res.ok) throw new Error("dead letters were not removed (concurrent change); retry");
      }
      return removed;
    },
  };
}

/** One DeadLetterStore over several zones' stores (Deno with DENO_KV_PATH_EU): listed together, oldest first. */
export function zonedDeadLetterStore(stores: readonly DeadLetterStore[]): DeadLetterStore {
  if (stores.length === 1) return stores[0]!;
  return {
    park: (letters) => stores[0]!.park(letters),
    async list(opts) {
      const parts = await Promise.all(stores.map((s) => s.list(opts)));
      const letters = parts.flatMap((p) => p.letters).sort((a, b) => (a.parked_at < b.parked_at ? -1 : a.parked_at > b.parked_at ? 1 : 0));
      return { total: parts.reduce((n, p) => n + p.total, 0), letters: opts.ids ? letters : letters.slice(0, opts.limit ?? 100) };
    },
    async remove(ids) {
      let n = 0;
      for (const s of stores) n += await s.remove(ids);
      return n;
    },
  };
}
