import assert from "node:assert/strict";
import type { ScoredEvent } from "../../core/schemas.js";
import { verifyBody } from "../../core/signing.js";
import type { Logger } from "../ports.js";
import { createKvForwarder, handleKvMessage, MAX_MESSAGE_BYTES, type KvMessage } from "./kv-queue.js";

// KV queue forwarding on a real Deno KV and a real local HTTP receiver (Deno.serve) that verifies
// the signature like the aggregator: 2xx acks, 5xx re-enqueues with attempts+1 and a delay, other
// 4xx and the last attempt dead-letter under ["dlq", …], an unreadable message is dead-lettered.

const SECRET = "deno-queue-test-secret-0001";
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

function record(i: number): ScoredEvent {
  const ts = new Date(Date.UTC(2026, 10, 28, 12, 0, i)).toISOString();
  return {
    schema_version: 1,
    event: {
      transaction_id: `tx-${i}`, card_number_hash: "card-q", merchant_id: "m-1", merchant_category_code: "5411", amount_usd: 10 + i,
      currency: "USD", timestamp_utc: ts, terminal_id: undefined, device_fingerprint: undefined, ip_address_hash: undefined,
      geolocation: undefined, transaction_type: "PURCHASE", channel: "ONLINE",
    },
    verdict: { transaction_id: `tx-${i}`, fraud_score: 5, verdict: "APPROVED", confidence: 1, rule_triggers: [], ml_score: 0.1, reasons: [], model_version: "m", rules_version: "r", latency_ms: 1 },
    features: {
      tx_count_1min: 1, tx_count_5min: 1, tx_count_15min: 1, tx_count_1hr: 1, spend_velocity_1min: 1, spend_velocity_5min: 1, spend_velocity_15min: 1,
      spend_velocity_1hr: 1, unique_merchants_1hr: 1, unique_countries_24hr: 0, time_since_last_txn: 0, avg_txn_amount_30d: 0, txn_amount_deviation: 0,
      amount_usd: 10 + i, geo_velocity_kmh: 0, cross_country_flag: false, new_device_flag: false, card_present_mismatch: false,
      merchant_risk_score: 0, ip_reputation_score: 0, terminal_risk_score: 0,
    },
    region: "test",
    received_at: ts,
  } as ScoredEvent;
}

async function withReceiver(answer: () => number, fn: (url: string, posts: { ids: string[] }[]) => Promise<void>): Promise<void> {
  const posts: { ids: string[] }[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const body = await req.text();
    const v = await verifyBody(SECRET, body, req.headers.get("x-vigil-signature"), req.headers.get("x-vigil-timestamp"), Math.floor(Date.now() / 1000));
    if (!v.ok) return new Response(v.reason, { status: 401 });
    posts.push({ ids: (JSON.parse(body) as { records: ScoredEvent[] }).records.map((r) => r.event.transaction_id) });
    return new Response("{}", { status: answer() });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, posts);
  } finally {
    await server.shutdown();
  }
}

const env = (url: string) => ({ VIGIL_ENV: "local", AGGREGATOR_URL: url, AGGREGATOR_SECRET: SECRET, FORWARD_MAX_ATTEMPTS: "3", FORWARD_BACKOFF_BASE_SECONDS: "2", FORWARD_BACKOFF_MAX_SECONDS: "10" });

/** Records what the consumer re-enqueues (delay, attempts) instead of delivering it later. */
function spyKv(kv: Deno.Kv): { kv: Deno.Kv; enqueued: { value: KvMessage; delay: number }[] } {
  const enqueued: { value: KvMessage; delay: number }[] = [];
  const enqueue = (value: unknown, opts?: { delay?: number }) => {
    enqueued.push({ value: value as KvMessage, delay: opts?.delay ?? 0 });
    return Promise.resolve({ ok: true as const, versionstamp: "0" });
  };
  // Everything but enqueue goes to the real KV (bound: Deno.Kv methods use private fields).
  const spy = new Proxy(kv, {
    get(target, prop) {
      if (prop === "enqueue") return enqueue;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { kv: spy, enqueued };
}

async function dlq(kv: Deno.Kv): Promise<{ reason: string; attempts?: number; error?: { status?: number } }[]> {
  const out = [];
  for await (const e of kv.list<{ reason: string }>({ prefix: ["dlq"] })) out.push(e.value);
  return out;
}

Deno.test("forwarder packs records into messages under the KV value limit", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const s = spyKv(kv);
    await createKvForwarder(s.kv).forward(Array.from({ length: 100 }, (_, i) => record(i)));
    assert.ok(s.enqueued.length > 1);
    assert.equal(s.enqueued.flatMap((m) => m.value.records).length, 100);
    for (const m of s.enqueued) assert.ok(JSON.stringify(m.value).length < MAX_MESSAGE_BYTES + 1024);
    assert.ok(s.enqueued.every((m) => m.value.attempts === 1));
  } finally {
    kv.close();
  }
});

Deno.test("2xx: posted once, signed; nothing re-enqueued or dead-lettered", async () => {
  await withReceiver(() => 202, async (url, posts) => {
    const kv = await Deno.openKv(":memory:");
    try {
      const s = spyKv(kv);
      const msg: KvMessage = { kind: "vigil.scored-events", id: "m1", attempts: 1, first_enqueued_at: new Date().toISOString(), records: [record(1), record(2)] };
      const sum = await handleKvMessage({ kv: s.kv, env: env(url), log: quiet }, msg);
      assert.equal(sum.acked, 2);
      assert.deepEqual(posts, [{ ids: ["tx-1", "tx-2"] }]);
      assert.equal(s.enqueued.length, 0);
      assert.equal((await dlq(kv)).length, 0);
    } finally {
      kv.close();
    }
  });
});

Deno.test("5xx: re-enqueued with attempts + 1 and the backoff as delay; at the last attempt dead-lettered", async () => {
  await withReceiver(() => 503, async (url) => {
    const kv = await Deno.openKv(":memory:");
    try {
      const s = spyKv(kv);
      const msg: KvMessage = { kind: "vigil.scored-events", id: "m2", attempts: 1, first_enqueued_at: new Date().toISOString(), records: [record(3)] };
      await handleKvMessage({ kv: s.kv, env: env(url), log: quiet }, msg);
      assert.equal(s.enqueued.length, 1);
      assert.equal(s.enqueued[0]?.value.attempts, 2);
      assert.ok((s.enqueued[0]?.delay ?? 0) >= 1000);
      await handleKvMessage({ kv: s.kv, env: env(url), log: quiet }, { ...msg, attempts: 3 });
      const letters = await dlq(kv);
      assert.equal(letters.length, 1);
      assert.equal(letters[0]?.reason, "MAX_ATTEMPTS");
      assert.equal(letters[0]?.error?.status, 503);
    } finally {
      kv.close();
    }
  });
});

Deno.test("400: dead-lettered at once; a message that is not ours is dead-lettered too", async () => {
  await withReceiver(() => 400, async (url) => {
    const kv = await Deno.openKv(":memory:");
    try {
      const s = spyKv(kv);
      const msg: KvMessage = { kind: "vigil.scored-events", id: "m3", attempts: 1, first_enqueued_at: new Date().toISOString(), records: [record(4)] };
      await handleKvMessage({ kv: s.kv, env: env(url), log: quiet }, msg);
      await handleKvMessage({ kv: s.kv, env: env(url), log: quiet }, { hello: "world" });
      const reasons = (await dlq(kv)).map((l) => l.reason).sort();
      assert.deepEqual(reasons, ["INVALID_RECORD", "REJECTED_BY_AGGREGATOR"]);
      assert.equal(s.enqueued.length, 0);
    } finally {
      kv.close();
    }
  });
});

Deno.test("end to end on the real KV queue: enqueue → listenQueue → receiver", async () => {
  await withReceiver(() => 202, async (url, posts) => {
    const dir = await Deno.makeTempDir();
    const kv = await Deno.openKv(`${dir}/kv.sqlite3`);
    try {
      const { listenForScoredEvents } = await import("./kv-queue.js");
      const listening = listenForScoredEvents({ kv, env: env(url), log: quiet });
      await createKvForwarder(kv).forward([record(7), record(8)]);
      const until = Date.now() + 20_000;
      while (posts.flat().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(posts.flatMap((p) => p.ids), ["tx-7", "tx-8"]);
      kv.close();
      await listening;
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
