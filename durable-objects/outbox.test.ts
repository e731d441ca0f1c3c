import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { eventFingerprint } from "../core/contracts/fingerprint.js";
import { ScoredEventSchema, type ScoredEvent, type VerdictResponse } from "../core/schemas.js";
import { cardHash, score, scoreBatch, STORE, stubFor, testEnv, txn, type ErrorJson } from "../edge/testing/helpers.js";
import type { CardStateObject as CardState } from "./card-state.js";

// The outbox (issue 13, item 1): an event is committed with its envelope, and the envelope leaves
// the object only when the queue accepted it. Every test runs the real worker entry, the real
// CardState object on SQLite storage and the real local queue, whose consumer posts to the
// signature-checking ingest receiver (namespace "worker"): "exactly once" is counted there.

afterEach(() => vi.restoreAllMocks());

const stats = (card: string) => runInDurableObject(stubFor(card), (o: CardState) => o.stats());

/** Wraps the queue's sendBatch: the first `failures` calls throw; records the queue accepted are kept. */
function flakyQueue(failures: number) {
  const q = testEnv.SCORED_EVENTS;
  const real = q.sendBatch.bind(q);
  const accepted: ScoredEvent[] = [];
  let left = failures;
  let failed = 0;
  vi.spyOn(q, "sendBatch").mockImplementation(async (messages, options) => {
    if (left > 0) {
      left--;
      failed++;
      throw new Error("queue unavailable (injected)");
    }
    const r = await real(messages, options);
    accepted.push(...[...messages].map((m) => m.body));
    return r;
  });
  return { accepted, failed: () => failed, down: (n: number) => (left = n) };
}

/** What the aggregator stand-in accepted for these transaction ids, once all of them arrived. */
async function receivedOnce(ids: string[]): Promise<Map<string, number>> {
  const url = `${inject("receiverUrl")}/worker/received`;
  const want = new Set(ids);
  let counts = new Map<string, number>();
  await vi.waitFor(
    async () => {
      const got = (await (await fetch(url)).json()) as { batches: ScoredEvent[][] };
      counts = new Map();
      for (const r of got.batches.flat()) {
        if (want.has(r.event.transaction_id)) counts.set(r.event.transaction_id, (counts.get(r.event.transaction_id) ?? 0) + 1);
      }
      expect(counts.size).toBe(want.size);
    },
    { timeout: 20_000, interval: 200 },
  );
  // Anything still in flight would show up as a second copy: give the consumer a moment more.
  await new Promise((r) => setTimeout(r, 500));
  const got = (await (await fetch(url)).json()) as { batches: ScoredEvent[][] };
  counts = new Map();
  for (const r of got.batches.flat()) {
    if (want.has(r.event.transaction_id)) counts.set(r.event.transaction_id, (counts.get(r.event.transaction_id) ?? 0) + 1);
  }
  return counts;
}

describe("CardState outbox", () => {
  it("a queue send failing after the commit: the envelope waits in the object and the alarm forwards it, exactly once", async () => {
    const card = cardHash();
    const q = flakyQueue(1);
    const t = txn({ card_number_hash: card });
    const res = await score(t);
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(q.failed()).toBe(1));
    // Committed (state and seen key) and still owed to the queue.
    await vi.waitFor(async () => expect(await stats(card)).toMatchObject({ eventCount: 1, seen: 1, outbox: 1 }));
    expect(q.accepted).toHaveLength(0);
    const alarm = await runInDurableObject(stubFor(card), (_o: CardState, state) => state.storage.getAlarm());
    expect(alarm).toBeLessThanOrEqual(Date.now() + 60_000);

    // Survives eviction: the row is in SQLite, not only in memory.
    await evictDurableObject(stubFor(card));
    expect((await stats(card)).outbox).toBe(1);
    expect(await runDurableObjectAlarm(stubFor(card))).toBe(true);
    expect((await stats(card)).outbox).toBe(0);
    expect(q.accepted.map((r) => r.event.transaction_id)).toEqual([t.transaction_id]);
    // The envelope is a valid ScoredEvent and carries the idempotency key the aggregator dedupes by.
    const record = ScoredEventSchema.parse(q.accepted[0]);
    expect(record.idempotency_key).toBe(`tok:gw-online/${t.transaction_id as string}`);
    // It carries what the route computed once: the card's zone and the event's fingerprint (the
    // same digest the aggregator would compute from the event).
    expect(record.zone).toBe("default");
    expect(record.fingerprint).toBe(await eventFingerprint(record.event));

    // A later alarm has nothing more to send.
    await runDurableObjectAlarm(stubFor(card));
    expect(q.accepted).toHaveLength(1);
    expect([...(await receivedOnce([t.transaction_id as string])).values()]).toEqual([1]);
  });

  it("a re-sent duplicate whose event was never forwarded gets it forwarded then", async () => {
    const card = cardHash();
    const q = flakyQueue(1);
    const t = txn({ card_number_hash: card });
    expect((await score(t)).status).toBe(200);
    await vi.waitFor(async () => expect((await stats(card)).outbox).toBe(1));
    const again = await score(t);
    expect(again.status).toBe(200);
    expect(again.headers.get("x-vigil-duplicate")).toBe("true");
    await vi.waitFor(async () => expect((await stats(card)).outbox).toBe(0));
    expect(q.accepted.map((r) => r.event.transaction_id)).toEqual([t.transaction_id]);
    expect((await stats(card)).eventCount).toBe(1);
    expect([...(await receivedOnce([t.transaction_id as string])).values()]).toEqual([1]);
  });

  it("a batch with one failing card (503) and its retry: every event forwarded exactly once", async () => {
    const q = flakyQueue(0);
    const cards = [cardHash(), cardHash(), cardHash()];
    const broken = cards[1] as string;
    const events = cards.flatMap((c, k) => [0, 1].map((i) => txn({ card_number_hash: c, timestamp_utc: new Date(Date.now() - 10_000 + k * 100 + i).toISOString() })));
    const ns = testEnv.CARD_STATE;
    const realGet = ns.get.bind(ns);
    const brokenId = ns.idFromName(broken);
    let failOnce = true;
    vi.spyOn(ns, "get").mockImplementation((id, options) => {
      if (failOnce && id.equals(brokenId)) {
        failOnce = false;
        return { scoreEvents: () => Promise.reject(new Error("object overloaded (injected)")) } as unknown as ReturnType<typeof realGet>;
      }
      return realGet(id, options);
    });

    const first = await scoreBatch(events);
    expect(first.status).toBe(503);
    // The other cards committed; the caller retries the whole batch as it should.
    const retry = await scoreBatch(events);
    expect(retry.status).toBe(200);
    const { results } = await retry.json<{ results: Array<VerdictResponse & { duplicate?: true }> }>();
    expect(results.map((r) => r.duplicate ?? false)).toEqual([true, true, false, false, true, true]);

    const ids = events.map((e) => e.transaction_id as string);
    await vi.waitFor(() => expect(q.accepted).toHaveLength(ids.length));
    expect(q.accepted.map((r) => r.event.transaction_id).sort()).toEqual([...ids].sort());
    const counts = await receivedOnce(ids);
    expect(ids.map((id) => counts.get(id))).toEqual(ids.map(() => 1));
    for (const c of cards) expect(await stats(c)).toMatchObject({ eventCount: 2, outbox: 0 });
  });
});

describe("idempotency by (caller, transaction id) with a payload fingerprint", () => {
  it("a reused transaction id with another payload → 409 IDEMPOTENCY_CONFLICT, no state change, nothing forwarded", async () => {
    const card = cardHash();
    const q = flakyQueue(0);
    const t = txn({ card_number_hash: card });
    expect((await score(t)).status).toBe(200);
    await vi.waitFor(() => expect(q.accepted).toHaveLength(1));
    const before = await stats(card);

    const changed = await score({ ...t, amount_usd: 9999 });
    expect(changed.status).toBe(409);
    const body = await changed.json<ErrorJson>();
    expect(body.error).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", retriable: false, issues: [{ path: "transaction_id" }] });

    // In a batch: a new event of the same card next to the conflicting one is not applied either.
    const fresh = txn({ card_number_hash: card });
    const batch = await scoreBatch([fresh, { ...t, merchant_id: "MCH-OTHER" }]);
    expect(batch.status).toBe(409);
    expect((await batch.json<ErrorJson>()).error.issues?.map((i) => i.path)).toEqual(["transactions.1.transaction_id"]);

    expect(await stats(card)).toEqual(before);
    // The same payload again is still a plain duplicate (the first verdict).
    const same = await score(t);
    expect(same.status).toBe(200);
    expect(same.headers.get("x-vigil-duplicate")).toBe("true");
    await new Promise((r) => setTimeout(r, 200));
    expect(q.accepted.map((r) => r.event.transaction_id)).toEqual([t.transaction_id]);
  });

  it("the key includes the caller: another token reusing a transaction id is a new event, keyed apart", async () => {
    const card = cardHash();
    const q = flakyQueue(0);
    const t = txn({ card_number_hash: card, channel: "ONLINE" });
    expect((await score(t)).status).toBe(200);
    const other = await score({ ...t, channel: "IN_STORE" }, { token: STORE });
    expect(other.status).toBe(200);
    expect(other.headers.get("x-vigil-duplicate")).toBeNull();
    await vi.waitFor(() => expect(q.accepted).toHaveLength(2));
    expect(q.accepted.map((r) => r.idempotency_key).sort()).toEqual([`tok:gw-online/${t.transaction_id as string}`, `tok:gw-store/${t.transaction_id as string}`]);
    expect((await stats(card)).eventCount).toBe(2);
  });

  it("an object written before keys and fingerprints: its bare transaction ids still answer as duplicates", async () => {
    const card = cardHash();
    const stub = stubFor(card);
    const t = txn({ card_number_hash: card });
    // Score directly (no key: the pre-key behaviour), then put the table back into its old shape.
    await stub.scoreEvents([{ event: { ...t, terminal_id: undefined } as never, refs: { status: "OK" } }]);
    await vi.waitFor(async () => expect((await stats(card)).outbox).toBe(0));
    await runInDurableObject(stub, (_o: CardState, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE outbox");
      sql.exec("CREATE TABLE seen_old (transaction_id TEXT PRIMARY KEY, decision_json TEXT NOT NULL, features_json TEXT NOT NULL, event_ms INTEGER NOT NULL)");
      sql.exec("INSERT INTO seen_old SELECT transaction_id, decision_json, features_json, event_ms FROM seen");
      sql.exec("DROP TABLE seen");
      sql.exec("ALTER TABLE seen_old RENAME TO seen");
    });
    await evictDurableObject(stub);
    const again = await score(t);
    expect(again.status).toBe(200);
    expect(again.headers.get("x-vigil-duplicate")).toBe("true");
    expect(await stats(card)).toMatchObject({ eventCount: 1, outbox: 0 });
    // Migrated in place: new events get keys, fingerprints and outbox rows.
    expect((await score(txn({ card_number_hash: card }))).status).toBe(200);
    expect((await stats(card)).eventCount).toBe(2);
  });
});
