import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { digitValue } from "../core/pan-guard.js";
import { buildBadInputCorpus, freshHash, namesPath, type BadCase, type Txn } from "./testing/bad-input-corpus.js";
import { BASE, objectIds, ONLINE, score, spyQueue, stubFor, testEnv, txn, type ErrorJson } from "./testing/helpers.js";
import worker from "./workers/entry.js";

// The generated bad-input corpus (issue 13) against the real worker entry in workerd: every
// answer is 400/409/413/415/422 with the case's stable code (and named field), nothing reaches a
// Durable Object or the queue, an existing card's stored state is byte-for-byte unchanged, and no
// card number appears in an answer, a response header or any log line.

const ALLOWED = new Set([400, 409, 413, 415, 422]);

/** Every decimal digit of any script as ASCII, everything else dropped. */
function digitsOf(s: string): string {
  let out = "";
  for (const ch of s) {
    const d = digitValue(ch.codePointAt(0) ?? 0);
    if (d >= 0) out += String(d);
  }
  return out;
}

// Half the corpus' events use one card that already has state, so "no state change" is checked on
// a live object too; the others use fresh cards, whose objects must never be created.
const existingCard = freshHash();
let flip = 0;
const corpusTxn = (over: Txn = {}): Txn => txn({ ...((flip++ & 1) === 0 ? { card_number_hash: existingCard } : {}), ...over });
const corpus: BadCase[] = buildBadInputCorpus(corpusTxn, Date.now());

const logLines: string[] = [];
async function dumpState(card: string): Promise<string> {
  return runInDurableObject(stubFor(card), (_o, state: DurableObjectState) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf%' AND name NOT LIKE 'sqlite%' ORDER BY name")
      .toArray()
      .map((r) => r.name);
    return JSON.stringify(tables.map((t) => [t, state.storage.sql.exec(`SELECT * FROM "${t}"`).toArray()]), (_k, v: unknown) =>
      v instanceof ArrayBuffer ? [...new Uint8Array(v)].join(",") : v,
    );
  });
}

async function send(c: BadCase): Promise<Response> {
  const headers = new Headers(c.headers);
  headers.set("authorization", `Bearer ${ONLINE}`);
  const body = typeof c.body === "function" ? c.body() : c.body;
  const req = new Request(`${BASE}${c.path}`, { method: "POST", headers, body });
  const ctx = createExecutionContext();
  const res = await worker.fetch(req as Request<unknown, IncomingRequestCfProperties>, testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

let before = "";
beforeAll(async () => {
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map(String).join(" "));
    });
  }
  const seeded = await score(txn({ card_number_hash: existingCard }));
  expect(seeded.status).toBe(200);
  before = await dumpState(existingCard);
});
afterAll(() => vi.restoreAllMocks());

describe("generated bad-input corpus (Workers runtime)", () => {
  it("has at least 200 cases over every category", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    const categories = new Set(corpus.map((c) => c.category));
    for (const c of ["malformed JSON", "wrong types", "limits", "card numbers", "headers", "query strings", "paths", "unicode", "oversized", "unknown fields"]) {
      expect(categories).toContain(c);
    }
  });

  it.each(corpus.map((c) => [`${c.category}: ${c.name}`, c] as const))("%s", async (_label, c) => {
    const q = spyQueue();
    const res = await send(c);
    const text = await res.text();
    expect(ALLOWED.has(res.status), text).toBe(true);
    expect(res.status, text).toBe(c.status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = JSON.parse(text) as ErrorJson;
    expect(body.error.code).toBe(c.code);
    expect(body.error.request_id).toBeTruthy();
    expect(body.error.retriable).toBe(false);
    if (c.issuePath !== undefined) expect(namesPath(body.error.issues?.map((i) => i.path) ?? [], c.issuePath), JSON.stringify(body.error.issues)).toBe(true);
    // No card number in the answer or its headers (digits of any script, separators dropped).
    const answer = digitsOf(`${text} ${[...res.headers].map(([k, v]) => `${k}:${v}`).join(" ")}`);
    for (const pan of c.pans) expect(answer).not.toContain(pan);
    // Nothing stored, nothing forwarded.
    expect(q.calls()).toBe(0);
    q.restore();
    const ids = await objectIds();
    for (const card of c.cards.filter((h) => h !== existingCard)) expect(ids.has(stubFor(card).id.toString())).toBe(false);
  });

  it("left the existing card's stored state unchanged and logged no card number", async () => {
    expect(await dumpState(existingCard)).toBe(before);
    expect(logLines.length).toBeGreaterThan(0);
    const pans = [...new Set(corpus.flatMap((c) => c.pans))];
    for (const line of logLines) {
      const digits = digitsOf(line);
      for (const pan of pans) expect(digits, line.slice(0, 200)).not.toContain(pan);
    }
  });
});
