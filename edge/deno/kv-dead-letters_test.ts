import assert from "node:assert/strict";
import { scoredRecords } from "../../aggregator/testing/ingest-fixtures.js";
import type { ScoredEvent } from "../../core/schemas.js";
import { verifyBody } from "../../core/signing.js";
import type { Logger } from "../ports.js";
import { createDenoEdge } from "./edge.js";
import { kvDeadLetterStore } from "./kv-dead-letters.js";
import { handleKvMessage, type KvMessage } from "./kv-queue.js";

// Dead letters on Deno (issue 13, item 2): the KV store behind /v1/ops/dead-letters, on a real
// Deno KV, and the whole path through createDenoEdge: a message the aggregator refuses is
// dead-lettered by the shared consumer, listed by an operator, and redriven onto the KV queue,
// whose listener delivers it to a real signature-verifying receiver. Run: deno task test.

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const SECRET = "deno-dlq-test-secret-00001";
const OPS_TOKEN = "deno-dlq-ops-token-7c1d";

async function sha256(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const records = (run: string, n: number): ScoredEvent[] => scoredRecords(0, n, { run, cards: 3 });
const message = (id: string, recs: unknown[]): KvMessage => ({ kind: "vigil.scored-events", id, attempts: 1, first_enqueued_at: new Date().toISOString(), records: recs });

Deno.test("park is idempotent by id; list is oldest first with the total; remove takes exactly the named letters", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let t = Date.UTC(2026, 11, 6, 10);
    const store = kvDeadLetterStore(kv, () => (t += 1000));
    const [a, b, c] = records("park", 3).map((record, i) => ({ id: `m${i}`, reason: "MAX_ATTEMPTS", transaction_id: record.event.transaction_id, letter: { record, reason: "MAX_ATTEMPTS", message_id: `m${i}` } }));
    assert.equal(await store.park([a!, b!]), 2);
    assert.equal(await store.park([b!, c!, c!]), 1, "b already parked, c once");
    const listed = await store.list({ limit: 2 });
    assert.equal(listed.total, 3);
    assert.deepEqual(listed.letters.map((l) => l.id), ["m0", "m1"]);
    assert.equal(listed.letters[0]!.transaction_id, "park-0");
    assert.equal(listed.letters[0]!.reason, "MAX_ATTEMPTS");
    assert.deepEqual((await store.list({ ids: ["m2"] })).letters.map((l) => l.id), ["m2"]);
    assert.equal(await store.remove(["m1", "nope"]), 1);
    assert.deepEqual((await store.list({})).letters.map((l) => l.id), ["m0", "m2"]);
  } finally {
    kv.close();
  }
});

Deno.test("a message Deno KV could not deliver becomes one letter per record, and the raw message is gone", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = kvDeadLetterStore(kv);
    await kv.set(["dlq", "undelivered", "u1"], message("u1", records("und", 2)));
    const listed = await store.list({});
    assert.equal(listed.total, 2);
    assert.deepEqual(listed.letters.map((l) => [l.id, l.reason, l.transaction_id]), [["u1:0", "UNDELIVERED", "und-0"], ["u1:1", "UNDELIVERED", "und-1"]]);
    assert.equal((await kv.get(["dlq", "undelivered", "u1"])).value, null);
    assert.equal((await store.list({})).total, 2, "adopted once");
  } finally {
    kv.close();
  }
});

Deno.test("refused by the aggregator → parked → listed and redriven through /v1/ops/dead-letters → delivered once", async () => {
  let status = 422;
  const posted: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const body = await req.text();
    const v = await verifyBody(SECRET, body, req.headers.get("x-vigil-signature"), req.headers.get("x-vigil-timestamp"), Math.floor(Date.now() / 1000));
    if (!v.ok) return new Response(v.reason, { status: 401 });
    if (status < 300) posted.push(...(JSON.parse(body) as { records: ScoredEvent[] }).records.map((r) => r.event.transaction_id));
    return new Response("{}", { status });
  });
  const kv = await Deno.openKv(":memory:");
  const env = {
    VIGIL_ENV: "local",
    REGION: "test",
    REFERENCE_SOURCE: "none",
    AGGREGATOR_URL: `http://127.0.0.1:${server.addr.port}`,
    AGGREGATOR_SECRET: SECRET,
    EDGE_TOKENS: JSON.stringify([{ id: "t", sha256: await sha256("scoring-token-not-ops"), channels: ["ONLINE"] }]),
    EDGE_OPS_TOKENS: JSON.stringify([{ id: "ops", sha256: await sha256(OPS_TOKEN) }]),
  };
  const edge = createDenoEdge({ env, kv, log: quiet, consume: true });
  const ops = (path: string, init: RequestInit = {}, token = OPS_TOKEN) =>
    edge.fetch(new Request(`http://edge.test${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } }));
  try {
    const sum = await handleKvMessage({ kv, env, log: quiet }, message("refused", records("dlq", 2)));
    assert.equal(sum.deadLettered, 2);

    const denied = await ops("/v1/ops/dead-letters", {}, "scoring-token-not-ops");
    assert.equal(denied.status, 401, await denied.clone().text());
    await denied.body?.cancel();

    const listRes = await ops("/v1/ops/dead-letters?limit=10");
    assert.equal(listRes.status, 200);
    const listed = await listRes.json() as { total: number; letters: { reason: string; transaction_id: string }[] };
    assert.equal(listed.total, 2);
    assert.deepEqual(listed.letters.map((l) => [l.reason, l.transaction_id]).sort(), [["REJECTED_BY_AGGREGATOR", "dlq-0"], ["REJECTED_BY_AGGREGATOR", "dlq-1"]]);

    status = 202; // the aggregator accepts now
    const redriveRes = await ops("/v1/ops/dead-letters/redrive", { method: "POST", body: "{}" });
    assert.equal(redriveRes.status, 200);
    const redriven = await redriveRes.json() as { redriven: string[]; skipped: unknown[]; remaining: number };
    assert.equal(redriven.redriven.length, 2);
    assert.deepEqual(redriven.skipped, []);
    assert.equal(redriven.remaining, 0);

    // The KV queue's listener delivers the redriven records (bounded wait, not a timing assertion).
    const deadline = Date.now() + 20_000;
    while (posted.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([...posted].sort(), ["dlq-0", "dlq-1"]);
    assert.equal((await (await ops("/v1/ops/dead-letters")).json() as { total: number }).total, 0);
  } finally {
    await edge.close();
    await server.shutdown();
  }
});
