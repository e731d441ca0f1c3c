import assert from "node:assert/strict";
import { decodeCardState } from "../../core/index.js";
import type { TransactionEvent } from "../../core/schemas.js";
import type { Logger } from "../ports.js";
import type { ScoreItem } from "../../core/contracts/scoring.js";
import { CardStateConflictError, cardKey, createKvCardStore, seenKey } from "./kv-card-store.js";

// The Deno KV CardStateStore on a real (in-memory) Deno KV: the check-and-set alone keeps every
// update (no in-process queueing), exhaustion is a retriable error with nothing half-written, and
// duplicates answer the first verdict without touching the window. Run: deno task test.

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

function item(card: string, id: string, k: number, amount = 20): ScoreItem {
  const event: TransactionEvent = {
    transaction_id: id,
    card_number_hash: card,
    merchant_id: `m-${k % 7}`,
    merchant_category_code: "5411",
    amount_usd: amount,
    currency: "USD",
    timestamp_utc: new Date(T0 + k * 1000).toISOString(),
    terminal_id: undefined,
    device_fingerprint: undefined,
    ip_address_hash: undefined,
    geolocation: undefined,
    transaction_type: "PURCHASE",
    channel: "ONLINE",
  } as TransactionEvent;
  return { event, refs: { status: "OK" } };
}

async function eventCount(kv: Deno.Kv, card: string): Promise<number> {
  const e = await kv.get<string>(cardKey(card));
  return e.value === null ? 0 : decodeCardState(e.value).eventCount;
}

Deno.test("200 concurrent writers on one card, check-and-set only: every event applied once", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // Two stores on one KV stand for two processes; neither queues locally.
    const make = () => createKvCardStore({ kv, env: {}, log: quiet, serializeLocally: false, maxAttempts: 100_000, random: () => 0.5 });
    const [a, b] = [make(), make()];
    const card = "card-cas";
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, k) => (k % 2 === 0 ? a : b).scoreCard(card, [item(card, `tx-${k}`, k)])),
    );
    assert.equal(results.flat().filter((o) => !o.duplicate).length, 200);
    assert.equal(await eventCount(kv, card), 200);
    let seen = 0;
    for await (const _ of kv.list({ prefix: ["card", card, "seen"] })) seen++;
    assert.equal(seen, 200);
  } finally {
    kv.close();
  }
});

Deno.test("conflict exhaustion: CardStateConflictError (retriable), and what succeeded is all there", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createKvCardStore({ kv, env: {}, log: quiet, serializeLocally: false, maxAttempts: 1 });
    const card = "card-exhaust";
    const settled = await Promise.allSettled(Array.from({ length: 30 }, (_, k) => store.scoreCard(card, [item(card, `tx-${k}`, k)])));
    const failed = settled.filter((s) => s.status === "rejected");
    assert.ok(failed.length > 0, "30 racing single-attempt writers: some must lose");
    for (const f of failed) {
      const reason = (f as PromiseRejectedResult).reason;
      assert.ok(reason instanceof CardStateConflictError);
      assert.equal(reason.retriable, true);
    }
    const ok = settled.length - failed.length;
    assert.equal(await eventCount(kv, card), ok);
    // A loser left no seen record: retrying it scores it fresh.
    const loser = settled.findIndex((s) => s.status === "rejected");
    assert.equal((await kv.get(seenKey(card, `tx-${loser}`))).value, null);
  } finally {
    kv.close();
  }
});

Deno.test("duplicates: first verdict returned, window untouched; same id twice in one call", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createKvCardStore({ kv, env: {}, log: quiet });
    const card = "card-dup";
    const [first] = await store.scoreCard(card, [item(card, "tx-1", 0, 25)]);
    const before = (await kv.get<string>(cardKey(card))).versionstamp;
    const [again] = await store.scoreCard(card, [item(card, "tx-1", 0, 9999)]);
    assert.equal(again?.duplicate, true);
    assert.deepEqual(again?.decision, first?.decision);
    assert.equal((await kv.get<string>(cardKey(card))).versionstamp, before, "a duplicate writes nothing");
    const pair = await store.scoreCard(card, [item(card, "tx-2", 1), item(card, "tx-2", 1)]);
    assert.deepEqual(pair.map((o) => o.duplicate), [false, true]);
    assert.equal(await eventCount(kv, card), 2);
  } finally {
    kv.close();
  }
});

Deno.test("more events for one card than one commit holds: applied in order, slice by slice", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createKvCardStore({ kv, env: {}, log: quiet });
    const card = "card-big";
    const items = Array.from({ length: 250 }, (_, k) => item(card, `tx-${k}`, k));
    const out = await store.scoreCard(card, items);
    assert.equal(out.length, 250);
    assert.equal(await eventCount(kv, card), 250);
    assert.deepEqual(out.map((o) => o.decision?.transaction_id), items.map((i) => i.event.transaction_id));
  } finally {
    kv.close();
  }
});

/** Collects the scored events the KV queue delivers (the envelopes the store enqueued in its commits). */
function collect(kv: Deno.Kv): { ids: () => string[]; until: (n: number) => Promise<void> } {
  const ids: string[] = [];
  void kv.listenQueue((raw: unknown) => {
    for (const r of (raw as { records: { event: { transaction_id: string } }[] }).records) ids.push(r.event.transaction_id);
  });
  return {
    ids: () => ids,
    until: async (n) => {
      for (let i = 0; i < 200 && ids.length < n; i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 200)); // a second copy would show up now
    },
  };
}

Deno.test("outbox: each new event is enqueued in the commit of its state — exactly once, even under check-and-set races", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const q = collect(kv);
    const make = () => createKvCardStore({ kv, env: {}, log: quiet, serializeLocally: false, maxAttempts: 100_000, random: () => 0.5, region: "eu" });
    const [a, b] = [make(), make()];
    const card = "card-outbox";
    // 60 writers on one card: lost check-and-sets commit nothing, so they enqueue nothing either.
    await Promise.all(Array.from({ length: 60 }, (_, k) => (k % 2 === 0 ? a : b).scoreCard(card, [item(card, `tx-${k}`, k)])));
    // Duplicates (same key, same payload) enqueue nothing.
    const again = await a.scoreCard(card, [item(card, "tx-0", 0), item(card, "tx-1", 1)]);
    assert.deepEqual(again.map((o) => o.duplicate), [true, true]);
    await q.until(60);
    assert.equal(q.ids().length, 60);
    assert.equal(new Set(q.ids()).size, 60);
    assert.equal(await eventCount(kv, card), 60);
  } finally {
    kv.close();
  }
});

Deno.test("idempotency: keyed by (caller, transaction id); a reused key with another payload is refused — nothing written, nothing enqueued", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const q = collect(kv);
    const store = createKvCardStore({ kv, env: {}, log: quiet });
    const card = "card-idem";
    const keyed = (it: ScoreItem, caller: string, fp: string): ScoreItem => ({ ...it, idempotencyKey: `tok:${caller}/${it.event.transaction_id}`, fingerprint: fp });
    const first = keyed(item(card, "tx-1", 1), "gw-a", "f1");
    assert.equal((await store.scoreCard(card, [first]))[0]?.duplicate, false);
    // Same caller, other payload, next to a new event of the same card: the whole call is refused.
    const refused = await store.scoreCard(card, [keyed(item(card, "tx-2", 2), "gw-a", "f2"), { ...first, fingerprint: "f1-changed" }]);
    assert.deepEqual(refused.map((o) => o.refused && o.conflict), [false, true]);
    assert.equal(await eventCount(kv, card), 1);
    // Another caller reusing the transaction id is a new event; the same payload again a duplicate.
    assert.equal((await store.scoreCard(card, [keyed(item(card, "tx-1", 3), "gw-b", "f9")]))[0]?.duplicate, false);
    assert.equal((await store.scoreCard(card, [first]))[0]?.duplicate, true);
    await q.until(2);
    assert.deepEqual(q.ids().sort(), ["tx-1", "tx-1"]);
    assert.equal(await eventCount(kv, card), 2);
  } finally {
    kv.close();
  }
});
