import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdgeClient } from "./edge-client.js";
import { Tally } from "./traffic.js";
import type { LabelledEvent } from "../core/sim/index.js";

// The tools' figures are only as good as their reading of the edge's answers: a 200 whose body is
// not a verdict must count as an error, never as an APPROVED/REVIEW/BLOCKED outcome.
let server: Server;
let base: string;
const verdict = { transaction_id: "T1", fraud_score: 12.5, verdict: "APPROVED", confidence: 0.9, rule_triggers: [], ml_score: 0.3, reasons: [], model_version: "m", rules_version: "r", latency_ms: 1 };

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/ok/v1/transactions/score") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(verdict));
    if (req.url === "/shapeless/v1/transactions/score") return void res.writeHead(200, { "content-type": "application/json" }).end("{}");
    if (req.url === "/garbled/v1/transactions/score") return void res.writeHead(200, { "content-type": "application/json" }).end("{\"verdict\":");
    res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "SCORING_UNAVAILABLE" } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const item = { event: { card_number_hash: "card-1" }, is_fraud: false, refs: { status: "OK" } } as unknown as LabelledEvent;

describe("edge client", () => {
  it("reads a verdict", async () => {
    const r = await createEdgeClient({ baseUrl: `${base}/ok`, token: "t" }).score({});
    expect(r.ok && r.verdict.verdict).toBe("APPROVED");
  });

  it.each([
    ["shapeless", "UNEXPECTED_RESPONSE"],
    ["garbled", "UNREADABLE_RESPONSE"],
    ["down", "SCORING_UNAVAILABLE"],
  ])("counts a %s answer as an error, not a verdict", async (path, code) => {
    const r = await createEdgeClient({ baseUrl: `${base}/${path}`, token: "t" }).score({});
    expect(r.ok ? "verdict" : r.code).toBe(code);
    const tally = new Tally();
    tally.record(item, r);
    expect(tally.outcomes).toEqual([]);
    expect(tally.errors.get(code)).toBe(1);
    expect(tally.verdicts).toEqual({ APPROVED: 0, REVIEW: 0, BLOCKED: 0 });
  });
});
