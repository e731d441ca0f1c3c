import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { defaultRuleSet, type RuleSet } from "../../core/index.js";
import type { ScoredEvent, VerdictResponse } from "../../core/schemas.js";
import { createApp } from "../../edge/app.js";
import { loadEdgeConfig } from "../../edge/config.js";
import type { Logger } from "../../edge/ports.js";
import { createUpstashReferenceData } from "../../edge/reference/upstash.js";
import { STORE, testEnv, txn } from "../../edge/testing/helpers.js";
import { durableObjectScorer } from "../../edge/workers/card-scorer.js";
import { fixtureRedis, publishReference } from "../testing/reference-fixture.js";

// Rules by API, end to end: rule sets written, activated, shadowed and rolled back through the
// aggregator's rules API (Node, global setup: real routes, PGlite, the Redis publication target),
// read by the real edge in workerd — the Upstash reference adapter, the engine registry and the
// CardState Durable Object — through the same Redis. The reference cache's TTL here is 1 s: a
// change must be visible on the first request after the TTL and one refresh, with no deploy.

const TTL_MS = 1000;
const RUN = Date.now().toString(36);
const BASE_V = `rules-api-base-${RUN}`;
const BLOCK_V = `rules-api-block-${RUN}`;
const RULE_ID = "api-block-gambling";
const BASE: RuleSet = { ...defaultRuleSet(), version: BASE_V };
const BLOCKING: RuleSet = {
  ...defaultRuleSet(),
  version: BLOCK_V,
  rules: [...defaultRuleSet().rules, { id: RULE_ID, description: "gambling MCC blocked (written by API)", reason_code: "API_GAMBLING", score: 100, action: "BLOCK", when: { attr: "merchant_category_code", in: ["7995"] } }],
};

const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(`${inject("rulesApiUrl")}${path}`, {
    method,
    headers: { authorization: `Bearer ${inject("rulesAdminToken")}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json<Record<string, unknown>>() };
};

function edge() {
  const log: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const upstash = { url: inject("upstashUrl"), token: inject("upstashToken") };
  // Forwarding is the CardState outbox's: what the queue accepted is what was forwarded.
  const forwarded: ScoredEvent[] = [];
  const q = testEnv.SCORED_EVENTS;
  const send = q.sendBatch.bind(q);
  vi.spyOn(q, "sendBatch").mockImplementation(async (messages, options) => {
    const r = await send(messages, options);
    forwarded.push(...[...messages].map((m) => m.body as ScoredEvent));
    return r;
  });
  let ctx = createExecutionContext();
  const app = createApp({
    config: loadEdgeConfig({ ...testEnv, REFERENCE_SOURCE: "upstash", UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: upstash.token }),
    scorer: durableObjectScorer(testEnv.CARD_STATE),
    reference: createUpstashReferenceData({ ...upstash, ttlMs: TTL_MS, log }),
    now: () => Date.now(),
    waitUntil: (p) => ctx.waitUntil(p),
    log,
  });
  const score = async (over: Record<string, unknown> = {}): Promise<VerdictResponse & { transaction_id: string }> => {
    ctx = createExecutionContext();
    const res = await app.fetch(
      new Request("https://edge.test/v1/transactions/score", {
        method: "POST",
        headers: { authorization: `Bearer ${STORE}`, "content-type": "application/json" },
        body: JSON.stringify(txn({ channel: "IN_STORE", merchant_category_code: "7995", amount_usd: 20, ...over })),
      }),
    );
    // Also waits for a background reference refresh the request started.
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    return res.json<VerdictResponse & { transaction_id: string }>();
  };
  /** The first request after the TTL starts the refresh (stale-while-revalidate); the next one sees it. */
  const afterRefresh = async () => {
    await new Promise((r) => setTimeout(r, TTL_MS + 50));
    await score();
    return score();
  };
  /** The forwarded envelope of a transaction, once the outbox has sent it. */
  const forwardedOf = async (id: string): Promise<ScoredEvent | undefined> => {
    await vi.waitFor(() => expect(forwarded.some((r) => r.event.transaction_id === id)).toBe(true), { timeout: 10_000, interval: 50 });
    return forwarded.find((r) => r.event.transaction_id === id);
  };
  return { score, afterRefresh, forwardedOf };
}

beforeAll(async () => {
  const problem = inject("upstashError");
  if (problem) throw new Error(problem);
  for (const rs of [BASE, BLOCKING]) expect((await api("POST", "/v1/rules", rs)).status).toBe(201);
  expect((await api("POST", "/v1/rules", { ...BLOCKING, rules: [{ ...BLOCKING.rules[0], id: "Not Valid" }] })).status).toBe(400);
  expect((await api("POST", `/v1/rules/${BASE_V}/activate`)).status).toBe(200);
});

afterEach(() => vi.restoreAllMocks());

// Other files score against the fixture's reference data: put it back.
afterAll(async () => {
  await publishReference(fixtureRedis(inject("upstashUrl"), inject("upstashToken")));
});

describe("rules by API at the edge", () => {
  it("a rule activated by API changes the verdict within the refresh interval; rollback restores the old one", async () => {
    const e = edge();
    const before = await e.score();
    expect(before).toMatchObject({ verdict: "APPROVED", rules_version: BASE_V });

    const act = await api("POST", `/v1/rules/${BLOCK_V}/activate`);
    expect(act.json).toMatchObject({ status: "active", previous_version: BASE_V, diff: { added: [RULE_ID], removed: [], changed: [] }, published_to: ["redis"] });
    const blocked = await e.afterRefresh();
    expect(blocked).toMatchObject({ verdict: "BLOCKED", rules_version: BLOCK_V });
    expect(blocked.rule_triggers).toContain("API_GAMBLING");

    // Rollback = activate the older version.
    const back = await api("POST", `/v1/rules/${BASE_V}/activate`);
    expect(back.json).toMatchObject({ previous_version: BLOCK_V, diff: { removed: [RULE_ID] } });
    const restored = await e.afterRefresh();
    expect(restored).toMatchObject({ verdict: "APPROVED", rules_version: BASE_V });
    expect(restored.rule_triggers).not.toContain("API_GAMBLING");
  });

  it("a shadow rule set never changes a verdict; its hits are forwarded beside it", async () => {
    const e = edge();
    await e.score();
    expect((await api("POST", `/v1/rules/${BLOCK_V}/shadow`)).json).toMatchObject({ status: "shadow", published_to: ["redis"] });
    const v = await e.afterRefresh();
    // The shadow would block this event; the active set decides: approved, nothing of the shadow in it.
    expect(v).toMatchObject({ verdict: "APPROVED", rules_version: BASE_V });
    expect(v.rule_triggers).not.toContain("API_GAMBLING");
    const record = await e.forwardedOf(v.transaction_id);
    expect(record?.schema_version).toBe(2);
    const shadow = record?.schema_version === 2 ? record.shadow_rules : undefined;
    expect(shadow).toMatchObject({ rules_version: BLOCK_V, verdict: "BLOCKED" });
    expect(shadow?.fraud_score).toBeGreaterThanOrEqual(80);
    expect(shadow?.hits).toContain(RULE_ID);
    // The verdict forwarded is the one answered: the shadow changed neither.
    expect(record?.verdict.verdict).toBe("APPROVED");

    // Events the shadow's extra rule does not match: shadow and active agree, still forwarded.
    const plain = await e.score({ merchant_category_code: "5411" });
    const p = await e.forwardedOf(plain.transaction_id);
    expect(p?.schema_version === 2 ? p.shadow_rules?.hits : undefined).not.toContain(RULE_ID);

    expect((await api("DELETE", "/v1/rules/shadow")).json).toMatchObject({ previous_version: BLOCK_V });
    const after = await e.afterRefresh();
    const q = await e.forwardedOf(after.transaction_id);
    expect(q?.schema_version === 2 ? q.shadow_rules : "none").toBeUndefined();
  });
});
