import { describe, expect, it } from "vitest";
import type { TransactionEvent } from "../../core/schemas.js";
import { REFERENCE_FIXTURE } from "../../tests/testing/reference-fixture.js";
import type { Logger } from "../ports.js";
import { createCache } from "./cache.js";
import { createSnapshotReferenceData, parseSnapshot } from "./snapshot-adapter.js";
import type { ReferenceSnapshot } from "../../core/contracts/reference.js";

// The snapshot adapter and the cache policy both adapters share: freshness, stale-while-revalidate,
// the hard staleness limit, and what a caller gets when the source is down or hangs.

const SNAPSHOT: ReferenceSnapshot = { version: 3, ...REFERENCE_FIXTURE, model_version: "model-fixture-1", rule_sets: { "rules-fixture-1": { version: "rules-fixture-1" } } };

function event(over: Partial<TransactionEvent> = {}): TransactionEvent {
  return {
    transaction_id: "tx-snap-1",
    card_number_hash: "card-hash-med-0001",
    merchant_id: "m-risky",
    merchant_category_code: "5999",
    amount_usd: 50,
    currency: "EUR",
    timestamp_utc: "2026-11-28T12:00:00Z",
    terminal_id: "t-clean",
    device_fingerprint: undefined,
    ip_address_hash: "ip-hash-blocked-2",
    geolocation: undefined,
    transaction_type: "PURCHASE",
    channel: "MOBILE",
    card_bin: "400000",
    ...over,
  };
}

const quietLog = (): { log: Logger; codes: string[] } => {
  const codes: string[] = [];
  const at = (code: string) => void codes.push(code);
  return { codes, log: { info: at, warn: at, error: at } };
};

/** A source the test switches between serving, failing and hanging; counts calls. */
function source(initial: unknown) {
  const s = { doc: initial, mode: "ok" as "ok" | "fail" | "hang", calls: 0 };
  const fetchSnapshot = () => {
    s.calls++;
    if (s.mode === "fail") return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:1"));
    if (s.mode === "hang") return new Promise<unknown>(() => {});
    return Promise.resolve(structuredClone(s.doc));
  };
  return { s, fetchSnapshot };
}

describe("createSnapshotReferenceData", () => {
  it("maps the snapshot the same way as the Upstash adapter", async () => {
    const { fetchSnapshot } = source(SNAPSHOT);
    const ref = createSnapshotReferenceData({ fetchSnapshot, log: quietLog().log });
    expect(await ref.lookup(event())).toEqual({
      signals: { status: "OK", merchant_risk_score: 0.92, terminal_risk_score: 0.05, ip_blocked: true, bin_blocked: true, card_risk_tier: "MEDIUM" },
      rulesVersion: "rules-fixture-1",
      modelVersion: "model-fixture-1",
    });
    expect(await ref.loadRuleSet("rules-fixture-1")).toEqual({ version: "rules-fixture-1" });
    expect(await ref.loadRuleSet("nope")).toBeUndefined();
  });

  it("maps published terminal/merchant stats onto the event's terminal and merchant only", async () => {
    const st = (tx: number) => ({ tx_1d: 0, fraud_1d: 0, rate_1d: 0.01, tx_7d: tx, fraud_7d: 1, rate_7d: 0.05, tx_30d: tx, fraud_30d: 1, rate_30d: 0.05 });
    const { fetchSnapshot } = source({ ...SNAPSHOT, terminal_stats: { "t-clean": st(11) }, merchant_stats: { "m-risky": st(22), "m-other": st(33) } });
    const ref = createSnapshotReferenceData({ fetchSnapshot, log: quietLog().log });
    const { signals } = await ref.lookup(event());
    expect(signals.terminal_stats).toEqual(st(11));
    expect(signals.merchant_stats).toEqual(st(22));
    const unknown = await ref.lookup(event({ terminal_id: undefined, merchant_id: "m-none" }));
    expect(unknown.signals.terminal_stats).toBeUndefined();
    expect(unknown.signals.merchant_stats).toBeUndefined();
  });

  it("serves stale data through an outage up to maxStaleMs, then answers UNAVAILABLE, then recovers", async () => {
    let t = 0;
    const { s, fetchSnapshot } = source(SNAPSHOT);
    const { log, codes } = quietLog();
    const ref = createSnapshotReferenceData({ fetchSnapshot, clock: () => t, ttlMs: 1_000, maxStaleMs: 10_000, retryAfterMs: 500, log });
    expect((await ref.lookup(event())).signals.status).toBe("OK");
    s.mode = "fail";
    t = 5_000;
    const pending: Promise<unknown>[] = [];
    expect((await ref.lookup(event(), { waitUntil: (p) => void pending.push(p) })).signals.merchant_risk_score).toBe(0.92);
    await Promise.all(pending);
    expect(codes).toContain("REFERENCE_DATA_LOAD_FAILED");
    expect(codes).toContain("REFERENCE_DATA_STALE");
    t = 10_001;
    expect(await ref.lookup(event())).toEqual({ signals: { status: "UNAVAILABLE" } });
    expect(codes).toContain("REFERENCE_DATA_UNAVAILABLE");
    s.mode = "ok";
    t = 10_600;
    expect((await ref.lookup(event())).signals.status).toBe("OK");
  });

  it("refuses an invalid snapshot (UNAVAILABLE, with a code) rather than scoring against half of it", async () => {
    const { fetchSnapshot } = source({ ...SNAPSHOT, merchant_risk: { "m-risky": 7 } });
    const { log, codes } = quietLog();
    const ref = createSnapshotReferenceData({ fetchSnapshot, log });
    expect((await ref.lookup(event())).signals.status).toBe("UNAVAILABLE");
    expect(codes).toEqual(["REFERENCE_DATA_LOAD_FAILED", "REFERENCE_DATA_UNAVAILABLE"]);
    expect(() => parseSnapshot({ ...SNAPSHOT, bins: ["12"] })).toThrow(/bins\.0/);
  });

  it("bounds the wait on a source that hangs, and starts a fresh load once the hung one is abandoned", async () => {
    let t = 0;
    const { s, fetchSnapshot } = source(SNAPSHOT);
    s.mode = "hang";
    const ref = createSnapshotReferenceData({ fetchSnapshot, clock: () => t, loadTimeoutMs: 50, log: quietLog().log });
    expect((await ref.lookup(event())).signals.status).toBe("UNAVAILABLE");
    // Still inside the hung load's window: joined, not restarted.
    t = 60;
    expect((await ref.lookup(event())).signals.status).toBe("UNAVAILABLE");
    expect(s.calls).toBe(1);
    s.mode = "ok";
    t = 200;
    expect((await ref.lookup(event())).signals.status).toBe("OK");
    expect(s.calls).toBe(2);
  });
});

describe("createCache", () => {
  it("coalesces concurrent misses into one load", async () => {
    let loads = 0;
    let release: (v: number) => void = () => {};
    const cache = createCache({
      load: () => {
        loads++;
        return new Promise<number>((r) => (release = r));
      },
      ttlMs: 1_000,
      maxStaleMs: 5_000,
      loadTimeoutMs: 5_000,
      retryAfterMs: 0,
      clock: () => 0,
    });
    const waiting = Promise.all(Array.from({ length: 10 }, () => cache.get()));
    release(42);
    const hits = await waiting;
    expect(loads).toBe(1);
    expect(hits.map((h) => h?.value)).toEqual(Array(10).fill(42));
  });
});
