import { afterEach, describe, expect, it, vi } from "vitest";
import { call, objectIds, score, scoreBatch, spyQueue, stubFor, txn, type ErrorJson } from "./testing/helpers.js";

// The bad-input corpus: each case asserts the status, the stable code, the named field, and that
// nothing reached a Durable Object or the queue.

afterEach(() => vi.restoreAllMocks());

async function expectRefused(res: Response, status: number, code: string, path?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json<ErrorJson>();
  expect(body.error.code).toBe(code);
  expect(body.error.request_id).toBeTruthy();
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack
  if (path !== undefined) expect(body.error.issues?.map((i) => i.path)).toContain(path);
  return body;
}

async function expectUntouched(cards: string[], q: ReturnType<typeof spyQueue>) {
  const ids = await objectIds();
  for (const c of cards) expect(ids.has(stubFor(c).id.toString())).toBe(false);
  expect(q.calls()).toBe(0);
}

const hour = 3_600_000;

describe("single score: bad input", () => {
  type Mutate = (t: Record<string, unknown>) => Record<string, unknown>;
  const cases: Array<[string, Mutate, string, string]> = [
    ["amount as a string", (t) => ({ ...t, amount_usd: "12.50" }), "VALIDATION_FAILED", "amount_usd"],
    ["amount \"NaN\"", (t) => ({ ...t, amount_usd: "NaN" }), "VALIDATION_FAILED", "amount_usd"],
    ["negative amount", (t) => ({ ...t, amount_usd: -5 }), "VALIDATION_FAILED", "amount_usd"],
    ["huge amount", (t) => ({ ...t, amount_usd: 1e12 }), "VALIDATION_FAILED", "amount_usd"],
    ["missing transaction_id", ({ transaction_id: _drop, ...t }) => t, "VALIDATION_FAILED", "transaction_id"],
    ["missing card hash", ({ card_number_hash: _drop, ...t }) => t, "VALIDATION_FAILED", "card_number_hash"],
    ["unknown channel", (t) => ({ ...t, channel: "FAX" }), "VALIDATION_FAILED", "channel"],
    ["unknown field", (t) => ({ ...t, pan_last4: "1111" }), "VALIDATION_FAILED", "(body)"],
    ["latitude out of range", (t) => ({ ...t, geolocation: { lat: 123, lon: 0 } }), "VALIDATION_FAILED", "geolocation.lat"],
    ["timestamp without zone", (t) => ({ ...t, timestamp_utc: "2026-01-01T10:00:00" }), "VALIDATION_FAILED", "timestamp_utc"],
    ["timestamp far in the future", (t) => ({ ...t, timestamp_utc: new Date(Date.now() + 2 * hour).toISOString() }), "VALIDATION_FAILED", "timestamp_utc"],
    ["timestamp older than the max age", (t) => ({ ...t, timestamp_utc: new Date(Date.now() - 90 * 24 * hour).toISOString() }), "VALIDATION_FAILED", "timestamp_utc"],
    ["year 3000", (t) => ({ ...t, timestamp_utc: "3000-01-01T00:00:00Z" }), "VALIDATION_FAILED", "timestamp_utc"],
    ["card number in merchant_id", (t) => ({ ...t, merchant_id: "4111111111111111" }), "CARD_NUMBER_REFUSED", "merchant_id"],
    ["spaced card number in terminal_id", (t) => ({ ...t, terminal_id: "T 4111 1111 1111 1111" }), "CARD_NUMBER_REFUSED", "terminal_id"],
    ["card number as a JSON number", (t) => ({ ...t, device_fingerprint: 4111111111111111 }), "CARD_NUMBER_REFUSED", "device_fingerprint"],
    ["card number nested in an unknown object", (t) => ({ ...t, extra: { notes: ["ok", "pan=5500-0000-0000-0004"] } }), "CARD_NUMBER_REFUSED", "extra.notes.1"],
    ["card number as a key", (t) => ({ ...t, extra: { "4111111111111111": true } }), "CARD_NUMBER_REFUSED", "extra.[card-number]"],
  ];

  it.each(cases.map(([name, mutate, code, path]) => [name, code, path, mutate] as const))("%s → 400 %s naming %s", async (_name, code, path, mutate) => {
    const q = spyQueue();
    const t = txn();
    const body = await expectRefused(await score(mutate(t)), 400, code, path);
    // The answer must not echo the card number: the full digits are checked (separators removed),
    // since a random request id can hold a short run like "5500" by chance.
    if (code === "CARD_NUMBER_REFUSED") expect(JSON.stringify(body).replace(/[ -]/g, "")).not.toMatch(/4111111111111111|5500000000000004/);
    await expectUntouched([t.card_number_hash as string], q);
  });

  it("1e400 (Infinity after JSON.parse) → 400 naming amount_usd", async () => {
    const q = spyQueue();
    const t = txn();
    const raw = JSON.stringify({ ...t, amount_usd: 1 }).replace('"amount_usd":1', '"amount_usd":1e400');
    await expectRefused(await call("/v1/transactions/score", { raw }), 400, "VALIDATION_FAILED", "amount_usd");
    await expectUntouched([t.card_number_hash as string], q);
  });

  it.each([
    ["truncated JSON", '{"transaction_id": "T1", "amount_usd": '],
    ["empty body", ""],
    ["trailing garbage", '{"a":1} x'],
    ["single quotes", "{'a': 1}"],
  ])("%s → 400 INVALID_JSON", async (_name, raw) => {
    const q = spyQueue();
    await expectRefused(await call("/v1/transactions/score", { raw }), 400, "INVALID_JSON");
    expect(q.calls()).toBe(0);
  });

  it("invalid UTF-8 → 400 INVALID_JSON", async () => {
    const raw = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    await expectRefused(await call("/v1/transactions/score", { raw }), 400, "INVALID_JSON");
  });

  it.each([["an array", []], ["a string", "hello"], ["null", null], ["a number", 7]])("a body that is %s → 400 VALIDATION_FAILED", async (_n, body) => {
    await expectRefused(await score(body), 400, "VALIDATION_FAILED");
  });

  it("hostile nesting → 400, no crash", async () => {
    const raw = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    await expectRefused(await call("/v1/transactions/score", { raw }), 400, "VALIDATION_FAILED");
  });

  it("unsupported media type → 415", async () => {
    const q = spyQueue();
    const t = txn();
    const res = await call("/v1/transactions/score", { raw: JSON.stringify(t), headers: { "content-type": "text/plain" } });
    await expectRefused(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    await expectUntouched([t.card_number_hash as string], q);
  });

  it("oversized body (declared length) → 413", async () => {
    const q = spyQueue();
    const t = txn({ device_fingerprint: "x".repeat(100) });
    const raw = JSON.stringify({ ...t, pad: "y".repeat(70 * 1024) });
    await expectRefused(await call("/v1/transactions/score", { raw }), 413, "PAYLOAD_TOO_LARGE");
    await expectUntouched([t.card_number_hash as string], q);
  });

  it("oversized body (streamed, no length) → 413", async () => {
    const q = spyQueue();
    const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 8) c.enqueue(chunk);
        else c.close();
      },
    });
    await expectRefused(await call("/v1/transactions/score", { raw: stream }), 413, "PAYLOAD_TOO_LARGE");
    expect(q.calls()).toBe(0);
  });
});

describe("batch: bad input", () => {
  it("one invalid item → 400 naming transactions.3.amount_usd; no item scored", async () => {
    const q = spyQueue();
    const items = [txn(), txn(), txn(), txn({ amount_usd: "NaN" }), txn()];
    await expectRefused(await scoreBatch(items), 400, "VALIDATION_FAILED", "transactions.3.amount_usd");
    await expectUntouched(items.map((i) => i.card_number_hash as string), q);
  });

  it("every invalid item is named", async () => {
    const items = [txn({ channel: "FAX" }), txn(), txn({ amount_usd: -1 })];
    const body = await expectRefused(await scoreBatch(items), 400, "VALIDATION_FAILED");
    expect(body.error.issues?.map((i) => i.path)).toEqual(["transactions.0.channel", "transactions.2.amount_usd"]);
  });

  it("a card number in any item → 400 CARD_NUMBER_REFUSED naming the item's field", async () => {
    const q = spyQueue();
    const items = [txn(), txn(), txn({ ip_address_hash: "378282246310005" })];
    await expectRefused(await scoreBatch(items), 400, "CARD_NUMBER_REFUSED", "transactions.2.ip_address_hash");
    await expectUntouched(items.map((i) => i.card_number_hash as string), q);
  });

  it("over MAX_BATCH (100) → 400 BATCH_TOO_LARGE", async () => {
    const q = spyQueue();
    const items = Array.from({ length: 101 }, () => txn());
    await expectRefused(await scoreBatch(items), 400, "BATCH_TOO_LARGE", "transactions");
    await expectUntouched(items.slice(0, 5).map((i) => i.card_number_hash as string), q);
  });

  it.each([
    ["empty list", { transactions: [] }, "transactions"],
    ["no list", { txns: [] }, "(body)"],
    ["list is not an array", { transactions: {} }, "transactions"],
  ])("%s → 400 VALIDATION_FAILED", async (_n, body, path) => {
    await expectRefused(await call("/v1/transactions/score/batch", { body }), 400, "VALIDATION_FAILED", path);
  });

  it("far-future timestamp in one item → 400 naming it", async () => {
    const items = [txn(), txn({ timestamp_utc: new Date(Date.now() + 3 * hour).toISOString() })];
    await expectRefused(await scoreBatch(items), 400, "VALIDATION_FAILED", "transactions.1.timestamp_utc");
  });
});
