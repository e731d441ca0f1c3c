import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { VerdictResponse } from "../../core/schemas.js";
import { durableObjectScorer } from "../../edge/workers/card-scorer.js";
import { createApp } from "../../edge/app.js";
import { loadEdgeConfig } from "../../edge/config.js";
import type { Logger } from "../../edge/ports.js";
import { createUpstashReferenceData } from "../../edge/reference/upstash.js";
import { ONLINE, STORE, testEnv, txn } from "../../edge/testing/helpers.js";

// Redis outage end to end: the real app, the real CardState Durable Object and the real Upstash
// adapter, pointed at a dead port or given a wrong token. Reference data is then UNAVAILABLE and
// the engine applies the channel policy of core's default config: ONLINE and ATM fail closed
// (at least REVIEW), IN_STORE and MOBILE fail open (scored, with the reason code). Never silent.

function appWith(upstash: { url: string; token: string }) {
  const codes: string[] = [];
  const at = (code: string) => void codes.push(code);
  const log: Logger = { info: at, warn: at, error: at };
  const config = loadEdgeConfig({ ...testEnv, REFERENCE_SOURCE: "upstash", UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: upstash.token });
  const reference = createUpstashReferenceData({ ...upstash, log });
  let ctx = createExecutionContext();
  const app = createApp({
    config,
    scorer: durableObjectScorer(testEnv.CARD_STATE),
    reference,
    now: () => Date.now(),
    waitUntil: (p) => ctx.waitUntil(p),
    log,
  });
  const score = async (body: unknown, token: string): Promise<VerdictResponse> => {
    ctx = createExecutionContext();
    const res = await app.fetch(
      new Request("https://edge.test/v1/transactions/score", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    return res.json<VerdictResponse>();
  };
  return { score, codes };
}

const codesOf = (v: VerdictResponse) => v.reasons.map((r) => r.code);

describe.each([
  ["Redis unreachable (dead port)", () => ({ url: inject("deadUrl"), token: inject("upstashToken") })],
  ["token refused by the bridge", () => ({ url: inject("upstashUrl"), token: "wrong-token-for-outage-test" })],
])("%s", (_name, upstash) => {
  it("fails closed on ONLINE: at least REVIEW, with REFERENCE_DATA_UNAVAILABLE_FAIL_CLOSED", async () => {
    const { score, codes } = appWith(upstash());
    const v = await score(txn({ channel: "ONLINE", amount_usd: 15 }), ONLINE);
    expect(v.verdict).not.toBe("APPROVED");
    expect(v.fraud_score).toBeGreaterThanOrEqual(50);
    expect(codesOf(v)).toContain("REFERENCE_DATA_UNAVAILABLE_FAIL_CLOSED");
    expect(codes).toContain("REFERENCE_DATA_UNAVAILABLE");
  });

  it("fails open on IN_STORE: scored on its own merits, with REFERENCE_DATA_UNAVAILABLE", async () => {
    const { score } = appWith(upstash());
    const v = await score(txn({ channel: "IN_STORE", amount_usd: 15 }), STORE);
    expect(v.verdict).toBe("APPROVED");
    expect(codesOf(v)).toContain("REFERENCE_DATA_UNAVAILABLE");
    expect(codesOf(v)).not.toContain("REFERENCE_DATA_UNAVAILABLE_FAIL_CLOSED");
  });

  it("a blocked BIN is not seen while Redis is out (the verdict says why), unlike with Redis up", async () => {
    const { score } = appWith(upstash());
    const v = await score(txn({ channel: "IN_STORE", card_bin: "400000", amount_usd: 12 }), STORE);
    expect(codesOf(v)).not.toContain("BLOCKED_BIN");
    expect(codesOf(v)).toContain("REFERENCE_DATA_UNAVAILABLE");
    const up = appWith({ url: inject("upstashUrl"), token: inject("upstashToken") });
    const w = await up.score(txn({ channel: "IN_STORE", card_bin: "400000", amount_usd: 12 }), STORE);
    expect(w.verdict).toBe("BLOCKED");
    expect(codesOf(w)).not.toContain("REFERENCE_DATA_UNAVAILABLE");
  });
});
