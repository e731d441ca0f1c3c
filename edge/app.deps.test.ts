import { describe, expect, it } from "vitest";
import type { ReferenceSignals, VerdictResponse } from "../core/schemas.js";
import { createApp } from "./app.js";
import { loadEdgeConfig } from "./config.js";
import type { EdgeDeps, LogFields, ReferenceData } from "./ports.js";
import type { CardScorer, ScoreItem } from "../core/contracts/scoring.js";
import { sha256Hex } from "./auth.js";
import { txn, type ErrorJson } from "./testing/helpers.js";

// The runtime-neutral app with fake ports: the degraded paths (scorer down, reference adapter
// misbehaving, a reused idempotency key) each answer or log with a code, never silently. The queue
// is not the app's: the card owner commits and sends the envelope (durable-objects/, edge/deno/).

const TOKEN = "unit-token-0123456789";

async function harness(over: Partial<Pick<EdgeDeps, "scorer" | "reference">> = {}) {
  const config = loadEdgeConfig({
    REGION: "unit",
    REFERENCE_SOURCE: "none",
    EDGE_TOKENS: JSON.stringify([{ id: "unit", sha256: await sha256Hex(TOKEN), channels: ["ONLINE"] }]),
  });
  const logs: Array<{ level: string; code: string; fields?: LogFields }> = [];
  const pending: Promise<unknown>[] = [];
  const seen: ScoreItem[][] = [];
  const scorer: CardScorer = {
    scoreCard: (_card, items) => {
      seen.push(items);
      return Promise.resolve(items.map((i) => ({ decision: decision(i.event.transaction_id), features: {} as never, duplicate: false })));
    },
  };
  const reference: ReferenceData = { lookup: () => Promise.resolve({ signals: { status: "OK" } }) };
  const deps: EdgeDeps = {
    config,
    scorer,
    reference,
    ...over,
    now: () => Date.now(),
    waitUntil: (p) => void pending.push(p),
    log: {
      info: (code, fields) => void logs.push({ level: "info", code, fields }),
      warn: (code, fields) => void logs.push({ level: "warn", code, fields }),
      error: (code, fields) => void logs.push({ level: "error", code, fields }),
    },
  };
  const app = createApp(deps);
  const send = async (path: string, body: unknown) => {
    const res = await app.request(path, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await Promise.allSettled(pending);
    return res;
  };
  const post = (body: unknown) => send("/v1/transactions/score", body);
  const batch = (transactions: unknown[]) => send("/v1/transactions/score/batch", { transactions });
  return { post, batch, logs, seen };
}

const decision = (id: string) => ({ transaction_id: id, fraud_score: 10, verdict: "APPROVED" as const, confidence: 0.9, rule_triggers: [], ml_score: 0.1, reasons: [], model_version: "m", rules_version: "r" });

describe("createApp with fake ports", () => {
  it("scorer failure → 503 SCORING_UNAVAILABLE (retriable), logged", async () => {
    const h = await harness({ scorer: { scoreCard: () => Promise.reject(new Error("object overloaded")) } });
    const res = await h.post(txn());
    expect(res.status).toBe(503);
    const body = await res.json<ErrorJson>();
    expect(body.error).toMatchObject({ code: "SCORING_UNAVAILABLE", retriable: true });
    expect(h.logs.map((l) => l.code)).toContain("SCORING_FAILED");
  });

  it("forwarding is the card owner's: the app hands each item its idempotency key, fingerprint and envelope context", async () => {
    // Before the outbox the app forwarded after the owner's commit and a queue failure lost the
    // event (FORWARD_FAILED, and a retry was a duplicate, never forwarded). Now the owner commits
    // the envelope with the state; the app has no queue to fail.
    const h = await harness();
    const t = txn({ card_region: "EU" });
    expect((await h.post(t)).status).toBe(200);
    const item = h.seen[0]?.[0];
    expect(item?.idempotencyKey).toBe(`tok:unit/${t.transaction_id as string}`);
    expect(item?.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(item?.forward).toMatchObject({ region: "unit", zone: "eu" });
    expect(Date.parse(item?.forward?.receivedAt ?? "")).toBeGreaterThan(0);
    expect(h.logs.map((l) => l.code)).not.toContain("FORWARD_FAILED");
    // The same payload with its keys in another order has the same fingerprint; another amount does not.
    const reordered = Object.fromEntries(Object.entries(t).reverse());
    await h.post(reordered);
    await h.post({ ...t, amount_usd: 1 });
    expect(h.seen[1]?.[0]?.fingerprint).toBe(item?.fingerprint);
    expect(h.seen[2]?.[0]?.fingerprint).not.toBe(item?.fingerprint);
  });

  it("an owner refusing a reused key → 409 IDEMPOTENCY_CONFLICT naming the item, not retriable", async () => {
    const refusing: CardScorer = {
      scoreCard: (_card, items) => Promise.resolve(items.map((_i, k) => ({ refused: "IDEMPOTENCY_CONFLICT" as const, conflict: k === 0, duplicate: true as const }))),
    };
    const h = await harness({ scorer: refusing });
    const single = await h.post(txn());
    expect(single.status).toBe(409);
    expect((await single.json<ErrorJson>()).error).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", retriable: false, issues: [{ path: "transaction_id" }] });
    const res = await h.batch([txn(), txn()]);
    expect(res.status).toBe(409);
    expect((await res.json<ErrorJson>()).error.issues?.map((i) => i.path)).toEqual(["transactions.0.transaction_id", "transactions.1.transaction_id"]);
  });

  it("duplicates are marked in a batch answer as in a single answer", async () => {
    let n = 0;
    const scorer: CardScorer = {
      scoreCard: (_card, items) => Promise.resolve(items.map((i) => ({ decision: decision(i.event.transaction_id), duplicate: (n++ % 2 === 1) as true }))),
    };
    const h = await harness({ scorer });
    const res = await h.batch([txn(), txn(), txn(), txn()]);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-vigil-duplicates")).toBe("2");
    const { results } = await res.json<{ results: Array<VerdictResponse & { duplicate?: boolean }> }>();
    expect(results.map((r) => r.duplicate ?? false)).toEqual([false, true, false, true]);
    expect((await h.post(txn())).headers.get("x-vigil-duplicate")).toBeNull(); // the 5th outcome: new
    expect((await h.post(txn())).headers.get("x-vigil-duplicate")).toBe("true"); // the 6th: a duplicate
  });

  it("a reference adapter that throws anyway → scored with UNAVAILABLE signals, logged", async () => {
    const h = await harness({ reference: { lookup: () => Promise.reject(new Error("bug")) } });
    const res = await h.post(txn());
    expect(res.status).toBe(200);
    expect(h.seen[0]?.[0]?.refs).toEqual({ status: "UNAVAILABLE" } satisfies ReferenceSignals);
    expect(h.logs.map((l) => l.code)).toContain("REFERENCE_LOOKUP_THREW");
  });

  it("passes the active rule/model versions from the reference lookup to the scorer", async () => {
    const h = await harness({
      reference: { lookup: () => Promise.resolve({ signals: { status: "OK", bin_blocked: true }, rulesVersion: "rules-7", modelVersion: "model-3" }) },
    });
    const t = txn();
    const res = await h.post(t);
    expect((await res.json<VerdictResponse>()).transaction_id).toBe(t.transaction_id);
    expect(h.seen[0]?.[0]).toMatchObject({ rulesVersion: "rules-7", modelVersion: "model-3", refs: { bin_blocked: true } });
  });
});
