import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { VerdictResponse } from "../core/schemas.js";
import type { ScoreItem } from "../core/contracts/scoring.js";
import { cardHash, score, scoreBatch, spyQueue, stubFor, testEnv, txn } from "../edge/testing/helpers.js";
import { encodeCardState } from "../core/window/codec.js";
import { decodeCardStateBinary } from "../core/window/binary-codec.js";
import { IDLE_TTL_MS, MAX_SEEN } from "../core/kernel/card-items.js";
import type { CardStateObject as CardState } from "./card-state.js";
import { MODEL_FEATURE_LAYOUT, MODEL_FEATURE_NAMES } from "../core/features/model-features.js";

afterEach(() => vi.restoreAllMocks());

const stats = (card: string) => runInDurableObject(stubFor(card), (o: CardState) => o.stats());
const iso = (ms: number) => new Date(ms).toISOString();

function item(card: string, overrides: Record<string, unknown> = {}): ScoreItem {
  const t = txn({ card_number_hash: card, ...overrides });
  return { event: { ...t, terminal_id: undefined } as unknown as ScoreItem["event"], refs: { status: "OK" } };
}

describe("CardState Durable Object", () => {
  it("200 parallel requests for one card: every event applied once, no lost update", async () => {
    const card = cardHash();
    const q = spyQueue();
    const at = iso(Date.now() - 1000);
    const txns = Array.from({ length: 200 }, () => txn({ card_number_hash: card, timestamp_utc: at }));
    const responses = await Promise.all(txns.map((t) => score(t)));
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200));
    const verdicts = await Promise.all(responses.map((r) => r.json<VerdictResponse>()));
    expect(new Set(verdicts.map((v) => v.transaction_id))).toEqual(new Set(txns.map((t) => t.transaction_id)));

    const s = await stats(card);
    expect(s.eventCount).toBe(200);
    expect(s.seen).toBe(200);

    // Same event time for all: each event saw exactly the ones applied before it, so below the
    // window's saturation point every count appears exactly once.
    const counts = q.records().map((r) => r.features.tx_count_1min).sort((a, b) => a - b);
    expect(counts).toHaveLength(200);
    const top = counts[counts.length - 1] ?? 0;
    for (let k = 1; k < top; k++) expect(counts.filter((c) => c === k)).toHaveLength(1);
    expect(counts.filter((c) => c === top)).toHaveLength(200 - (top - 1));
  });

  it("applies a batch's events for one card in the given order", async () => {
    const card = cardHash();
    const q = spyQueue();
    const base = Date.now() - 30_000;
    const items = Array.from({ length: 6 }, (_, i) => txn({ card_number_hash: card, timestamp_utc: iso(base + i * 1000) }));
    const other = txn(); // another card in the same batch, scored in parallel
    const res = await scoreBatch([items[0], other, ...items.slice(1)]);
    expect(res.status).toBe(200);
    const { results } = await res.json<{ results: VerdictResponse[] }>();
    expect(results.map((r) => r.transaction_id)).toEqual([items[0], other, ...items.slice(1)].map((t) => t?.transaction_id));
    const mine = q.records().filter((r) => r.event.card_number_hash === card);
    expect(mine.map((r) => r.event.transaction_id)).toEqual(items.map((t) => t.transaction_id));
    expect(mine.map((r) => r.features.tx_count_1min)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await stats(card)).eventCount).toBe(6);
  });

  it("same transaction_id twice → the first verdict, counted once, forwarded once", async () => {
    const card = cardHash();
    const q = spyQueue();
    const t = txn({ card_number_hash: card });
    const first = await score(t);
    const again = await score({ ...t }); // a retry of the same request is never rescored
    expect(again.status).toBe(200);
    expect(again.headers.get("x-vigil-duplicate")).toBe("true");
    const { latency_ms: _a, ...v1 } = await first.json<VerdictResponse>();
    const { latency_ms: _b, ...v2 } = await again.json<VerdictResponse>();
    expect(v2).toEqual(v1);
    expect((await stats(card)).eventCount).toBe(1);
    expect(q.records().map((r) => r.event.transaction_id)).toEqual([t.transaction_id]);

    // Within one batch too.
    const u = txn({ card_number_hash: card });
    const res = await scoreBatch([u, u]);
    const { results } = await res.json<{ results: Array<VerdictResponse & { duplicate?: true }> }>();
    expect(results[1]?.fraud_score).toBe(results[0]?.fraud_score);
    expect(results.map((r) => r.duplicate)).toEqual([undefined, true]);
    expect((await stats(card)).eventCount).toBe(2);
  });

  it("state survives eviction: windows continue after the object is torn down", async () => {
    const card = cardHash();
    const stub = stubFor(card);
    const base = Date.now() - 20_000;
    const first = await stub.scoreEvents([0, 1, 2].map((i) => item(card, { timestamp_utc: iso(base + i * 1000) })));
    expect(first.map((o) => o.features?.tx_count_1min)).toEqual([1, 2, 3]);

    await runInDurableObject(stub, (o: CardState) => {
      (o as unknown as { marker?: string }).marker = "old instance";
    });
    await evictDurableObject(stub);
    const fresh = await runInDurableObject(stub, (o: CardState) => (o as unknown as { marker?: string }).marker);
    expect(fresh).toBeUndefined(); // a new instance, state reloaded from SQLite

    // The model vector crosses the RPC boundary in its JSON form.
    const f0 = first[0];
    if (!f0 || f0.duplicate) throw new Error("expected a new outcome");
    expect(f0.modelFeatures?.layout).toBe(MODEL_FEATURE_LAYOUT);
    expect(f0.modelFeatures?.values).toHaveLength(MODEL_FEATURE_NAMES.length);

    const next = await stub.scoreEvents([item(card, { timestamp_utc: iso(base + 3000) })]);
    expect(next[0]?.features?.tx_count_1min).toBe(4);
    expect((await stats(card)).eventCount).toBe(4);

    // The idempotency table survives too.
    const replay = await stub.scoreEvents([{ ...first[0], ...item(card), event: { ...item(card).event, transaction_id: first[0]?.decision?.transaction_id ?? "" } }]);
    expect(replay[0]?.duplicate).toBe(true);
  });

  it("stores the state as a binary blob and still reads a state written as core's JSON text", async () => {
    const card = cardHash();
    const stub = stubFor(card);
    const base = Date.now() - 20_000;
    await stub.scoreEvents([0, 1].map((i) => item(card, { timestamp_utc: iso(base + i * 1000) })));
    const stored = await runInDurableObject(stub, (_o: CardState, state) => {
      const row = state.storage.sql.exec<{ state: string | ArrayBuffer }>("SELECT state FROM card").one();
      const isBlob = row.state instanceof ArrayBuffer;
      // Rewrite it as the JSON text an earlier build stored.
      const text = encodeCardState(decodeCardStateBinary(row.state as ArrayBuffer));
      state.storage.sql.exec("UPDATE card SET state = ?", text);
      return isBlob;
    });
    expect(stored).toBe(true);
    await evictDurableObject(stub);
    const next = await stub.scoreEvents([item(card, { timestamp_utc: iso(base + 2000) })]);
    expect(next[0]?.features?.tx_count_1min).toBe(3);
    const duplicate = await stub.scoreEvents([{ ...item(card), event: { ...item(card).event, transaction_id: next[0]?.decision?.transaction_id ?? "" } }]);
    expect(duplicate[0]).toMatchObject({ duplicate: true, decision: next[0]?.decision });
  });

  it("an object stored before the outbox and fingerprints starts with the missing table and column, and keeps its ids", async () => {
    const card = cardHash();
    const stub = stubFor(card);
    const base = Date.now() - 20_000;
    const [first] = await stub.scoreEvents([item(card, { timestamp_utc: iso(base) })]);
    await vi.waitFor(async () => expect((await stats(card)).outbox).toBe(0));
    // Rewrite the tables as an earlier build left them: seen without fingerprint, no outbox.
    await runInDurableObject(stub, (_o: CardState, state) => {
      const sql = state.storage.sql;
      const rows = [...sql.exec<{ transaction_id: string; decision_json: string; event_ms: number }>("SELECT transaction_id, decision_json, event_ms FROM seen")];
      sql.exec("DROP TABLE outbox");
      sql.exec("DROP TABLE seen");
      sql.exec("CREATE TABLE seen (transaction_id TEXT PRIMARY KEY, decision_json TEXT NOT NULL, features_json TEXT NOT NULL, event_ms INTEGER NOT NULL)");
      for (const r of rows) sql.exec("INSERT INTO seen VALUES (?, ?, '', ?)", r.transaction_id, r.decision_json, r.event_ms);
    });
    await evictDurableObject(stub);
    const again = await stub.scoreEvents([{ ...item(card), event: { ...item(card).event, transaction_id: first?.decision?.transaction_id ?? "" } }]);
    expect(again[0]).toMatchObject({ duplicate: true, decision: first?.decision });
    const next = await stub.scoreEvents([item(card, { timestamp_utc: iso(base + 1000) })]);
    expect(next[0]?.features?.tx_count_1min).toBe(2);
    await vi.waitFor(async () => expect(await stats(card)).toMatchObject({ eventCount: 2, seen: 2, outbox: 0 }));
    const columns = await runInDurableObject(stub, (_o: CardState, state) => state.storage.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('seen')").toArray().map((c) => c.name));
    expect(columns).toContain("fingerprint");
  });

  it("idle alarm: set ~90 days ahead; early wake-up keeps state; after the TTL it deletes everything", async () => {
    const card = cardHash();
    const stub = stubFor(card);
    const before = Date.now();
    await stub.scoreEvents([item(card)]);
    // The event's outbox row brought the alarm within a minute; once it is sent, the alarm moves
    // to the idle deadline.
    const soon = await runInDurableObject(stub, (_o: CardState, state) => state.storage.getAlarm());
    expect(soon).toBeLessThanOrEqual(Date.now() + 60_000);
    await vi.waitFor(async () => expect((await stats(card)).outbox).toBe(0));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const alarm = await runInDurableObject(stub, (_o: CardState, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before + IDLE_TTL_MS - 3_600_000);
    expect(alarm).toBeLessThanOrEqual(Date.now() + IDLE_TTL_MS);

    // Recent activity: the alarm only reschedules itself.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stats(card)).eventCount).toBe(1);

    // Age the card past the TTL (as if 91 days had passed), reload, and run the alarm.
    await runInDurableObject(stub, (_o: CardState, state) => {
      state.storage.sql.exec("UPDATE card SET last_activity_ms = ?", Date.now() - IDLE_TTL_MS - 86_400_000);
    });
    await evictDurableObject(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await runInDurableObject(stub, async (o: CardState, state) => ({
      stats: o.stats(),
      rows: state.storage.sql.exec<{ n: number }>("SELECT (SELECT COUNT(*) FROM card) + (SELECT COUNT(*) FROM seen) AS n").one().n,
      alarm: await state.storage.getAlarm(),
    }));
    expect(after).toEqual({ stats: { eventCount: 0, seen: 0, lastActivityMs: 0, lastEventMs: null, outbox: 0 }, rows: 0, alarm: null });

    // A new event starts a fresh history.
    const next = await stub.scoreEvents([item(card)]);
    expect(next[0]?.features?.tx_count_1min).toBe(1);
  });

  it("the worker reaches one object per card hash (idFromName)", async () => {
    const t = txn();
    await score(t);
    const id = testEnv.CARD_STATE.idFromName(t.card_number_hash as string);
    expect((await runInDurableObject(testEnv.CARD_STATE.get(id), (o: CardState) => o.stats())).eventCount).toBe(1);
  });
});

describe("idempotency memory bounds", () => {
  it("forgets transaction ids older than the retention (event time) and keeps the count exact", async () => {
    const card = cardHash();
    const stub = stubFor(card);
    const now = Date.now();
    const old = item(card, { timestamp_utc: iso(now - 40 * 86_400_000) });
    await stub.scoreEvents([old]);
    await stub.scoreEvents([item(card, { timestamp_utc: iso(now - 1000) })]);
    const { seen, rows } = await runInDurableObject(stub, (o: CardState, state) => ({
      seen: o.stats().seen,
      rows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM seen").one().n,
    }));
    expect(rows).toBe(1); // the 40-day-old id left the table (retention 35 days behind the newest event)
    expect(seen).toBe(rows);
    expect((await stats(card)).eventCount).toBe(2);
  });

  it(`remembers at most MAX_SEEN (${MAX_SEEN}) ids per card, oldest event time forgotten first`, async () => {
    const card = cardHash();
    const stub = stubFor(card);
    const base = Date.now() - 3_600_000;
    const total = MAX_SEEN + 5;
    for (let i = 0; i < total; i += 250) {
      const n = Math.min(250, total - i);
      await stub.scoreEvents(Array.from({ length: n }, (_, k) => item(card, { timestamp_utc: iso(base + (i + k) * 1000) })));
    }
    const { seen, rows } = await runInDurableObject(stub, (o: CardState, state) => ({
      seen: o.stats().seen,
      rows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM seen").one().n,
    }));
    expect(rows).toBe(MAX_SEEN);
    expect(seen).toBe(MAX_SEEN);
  });
});
