import assert from "node:assert/strict";
import { decodeCardState } from "../../core/index.js";
import type { Logger } from "../ports.js";
import { createDenoEdge } from "./edge.js";
import { cardKey } from "./kv-card-store.js";
import type { KvMessage } from "./kv-queue.js";

// Residency on Deno, through the whole Deno edge (createDenoEdge, the same app and the same rules
// as on Workers): an EU-home card's state and queued events live in the EU zone's KV
// (DENO_KV_PATH_EU), every other card's in the default KV, whichever request carries them. Two
// in-memory KVs stand for the two stores. Run: deno task test.

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const TOKEN = "deno-residency-token-5f2e9a";

async function sha256(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function edgeWith(kv: Deno.Kv, kvEu: Deno.Kv | undefined, region: string) {
  const env = {
    REGION: region,
    EDGE_TOKENS: JSON.stringify([{ id: "t", sha256: await sha256(TOKEN), channels: ["ONLINE", "IN_STORE"] }]),
    REFERENCE_SOURCE: "none",
    EU_CARD_BINS: "4975",
  };
  return createDenoEdge({ env, kv, kvEu, log: quiet, consume: false });
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
let seq = 0;
function txn(card: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    transaction_id: `deno-res-${seq++}-${crypto.randomUUID().slice(0, 8)}`,
    card_number_hash: card,
    merchant_id: "MCH-1",
    amount_usd: 40,
    channel: "ONLINE",
    ...extra,
  };
}

async function score(edge: { fetch(r: Request): Response | Promise<Response> }, body: unknown) {
  const res = await edge.fetch(new Request("http://edge.test/v1/transactions/score", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  }));
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json() as Record<string, unknown>;
}

async function events(kv: Deno.Kv, card: string): Promise<number> {
  const e = await kv.get<string>(cardKey(card));
  return e.value === null ? 0 : decodeCardState(e.value).eventCount;
}

/** Collects the KV queue's messages (the edge's own listener is off) until `count` records arrived. */
function collect(kv: Deno.Kv, count: number): Promise<KvMessage[]> {
  const got: KvMessage[] = [];
  return new Promise((resolve) => {
    void kv.listenQueue((m: unknown) => {
      got.push(m as KvMessage);
      if (got.flatMap((x) => x.records).length >= count) resolve(got);
    });
  });
}

Deno.test("an EU card used in two regions: one state in the EU KV, its events on the EU KV's queue", async () => {
  const kv = await Deno.openKv(":memory:");
  const kvEu = await Deno.openKv(":memory:");
  // Two regional edges over the same stores (as two Deno deployments sharing them would be).
  const us = await edgeWith(kv, kvEu, "us");
  const eu = await edgeWith(kv, kvEu, "eu");
  const euQueue = collect(kvEu, 3);
  const card = `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "");
  await score(us, txn(card, { card_region: "EU", geolocation: { lat: 40.71, lon: -74.0 }, timestamp_utc: minutesAgo(40) }));
  const second = await score(eu, txn(card, { card_region: "EU", geolocation: { lat: 48.86, lon: 2.35 }, timestamp_utc: minutesAgo(1) }));
  // The BIN table alone makes a card EU-home, too.
  const binCard = `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "");
  await score(us, txn(binCard, { card_bin: "49751234", channel: "ONLINE" }));

  assert.equal(await events(kvEu, card), 2, "one window holding both events");
  assert.equal(await events(kv, card), 0, "nothing in the default store");
  assert.equal(await events(kvEu, binCard), 1);
  assert.equal(await events(kv, binCard), 0);
  assert.match(JSON.stringify(second), /IMPOSSIBLE_TRAVEL/);

  const records = (await euQueue).flatMap((m) => m.records) as { event: { card_number_hash: string }; region: string }[];
  assert.deepEqual(records.filter((r) => r.event.card_number_hash === card).map((r) => r.region), ["us", "eu"]);
  await us.close();
  await eu.close().catch(() => undefined);
});

Deno.test("a non-EU card lives in the default KV; without an EU KV every card does (single store)", async () => {
  const kv = await Deno.openKv(":memory:");
  const kvEu = await Deno.openKv(":memory:");
  const edge = await edgeWith(kv, kvEu, "us");
  const card = `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "");
  await score(edge, txn(card, { card_region: "US" }));
  assert.equal(await events(kv, card), 1);
  assert.equal(await events(kvEu, card), 0);
  await edge.close();

  const single = await Deno.openKv(":memory:");
  const one = await edgeWith(single, undefined, "eu");
  const euCard = `${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "");
  await score(one, txn(euCard, { card_region: "EU" }));
  assert.equal(await events(single, euCard), 1);
  await one.close();
});
