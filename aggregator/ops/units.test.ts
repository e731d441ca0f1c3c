import { describe, expect, it } from "vitest";
import { createTokenAuth, parseBootstrapTokens, sha256Hex } from "../http/auth.js";
import { loadOpsConfig } from "./config.js";
import { DEV_EDGE_TOKEN_SHA256 } from "../../core/contracts/dev-defaults.js";
import { checkHealth, createRateMeter, type HealthSources } from "./health.js";

const base = (over: Partial<HealthSources> = {}): HealthSources => ({
  probes: [],
  lag: async () => [],
  throughputTps: () => 0,
  sinks: () => ({}),
  startedAtMs: 0,
  now: () => 10_000,
  ...over,
});

describe("token auth", () => {
  it("accepts known tokens, refuses unknown, missing and malformed headers", async () => {
    const auth = createTokenAuth({ now: () => 0, bootstrap: [{ name: "a", role: "analyst", sha256: sha256Hex("secret-a") }] });
    expect(await auth.authenticate("Bearer secret-a")).toEqual({ ok: true, principal: { name: "a", role: "analyst" } });
    expect(await auth.authenticate("bearer secret-a")).toMatchObject({ ok: true });
    expect(await auth.authenticate("Bearer secret-b")).toEqual({ ok: false, reason: "UNKNOWN_TOKEN" });
    expect(await auth.authenticate(undefined)).toEqual({ ok: false, reason: "MISSING_TOKEN" });
    expect(await auth.authenticate("Basic secret-a")).toEqual({ ok: false, reason: "MISSING_TOKEN" });
  });

  it("keeps the last token list when the store fails, and refuses all (503) when it never loaded", async () => {
    let fail = false;
    let t = 0;
    const errors: string[] = [];
    const sql = {
      query: async <T>() => {
        if (fail) throw new Error("connection refused");
        return { rows: [{ name: "db", sha256: sha256Hex("db-token"), role: "viewer" }] as T[] };
      },
    };
    const auth = createTokenAuth({ sql, now: () => t, refreshMs: 1000, onError: (c) => errors.push(c) });
    expect(await auth.authenticate("Bearer db-token")).toMatchObject({ ok: true });
    fail = true;
    t = 5000;
    expect(await auth.authenticate("Bearer db-token")).toMatchObject({ ok: true });
    expect(errors).toEqual(["TOKEN_STORE_UNAVAILABLE"]);
    const cold = createTokenAuth({ sql, now: () => 0 });
    expect(await cold.authenticate("Bearer db-token")).toEqual({ ok: false, reason: "TOKEN_STORE_UNAVAILABLE" });
  });

  it("parses OPS_BOOTSTRAP_TOKENS, naming the bad field without echoing values", () => {
    expect(parseBootstrapTokens(undefined)).toEqual([]);
    expect(parseBootstrapTokens(JSON.stringify([{ name: "x", role: "admin", sha256: "A".repeat(64) }]))).toEqual([{ name: "x", role: "admin", sha256: "a".repeat(64) }]);
    expect(() => parseBootstrapTokens("{")).toThrow("not valid JSON");
    expect(() => parseBootstrapTokens(JSON.stringify([{ name: "x", role: "root", sha256: "plain-token" }]))).toThrow(/0\.sha256.*|0\.role/);
    try {
      parseBootstrapTokens(JSON.stringify([{ name: "x", role: "admin", sha256: "my-plain-secret" }]));
    } catch (e) {
      expect((e as Error).message).not.toContain("my-plain-secret");
    }
  });
});

describe("ops config", () => {
  it("has defaults and refuses bad values by name", () => {
    const c = loadOpsConfig({});
    expect(c).toMatchObject({ riskIntervalMs: 300_000, risk: { windowDays: 30, labelDelayDays: 3, smoothingWeight: 20 } });
    expect(c.redis).toBeUndefined();
    expect(loadOpsConfig({ UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079", UPSTASH_REDIS_REST_TOKEN: "t" }).redis).toEqual({ url: "http://127.0.0.1:8079", token: "t" });
    expect(() => loadOpsConfig({ OPS_RISK_WINDOW_DAYS: "0", OPS_LABEL_DELAY_DAYS: "x" })).toThrow(/OPS_RISK_WINDOW_DAYS.*OPS_LABEL_DELAY_DAYS/);
  });

  it("reads the case SLA in hours (default 24), refusing zero, negatives and junk by name", () => {
    expect(loadOpsConfig({}).cases).toEqual({ slaHours: 24 });
    expect(loadOpsConfig({ OPS_CASE_SLA_HOURS: "4.5" }).cases).toEqual({ slaHours: 4.5 });
    for (const v of ["0", "-1", "soon", "9000"]) expect(() => loadOpsConfig({ OPS_CASE_SLA_HOURS: v })).toThrow(/OPS_CASE_SLA_HOURS/);
  });
});

describe("health", () => {
  it("is healthy when every probe answers and sinks keep up", async () => {
    const h = await checkHealth(base({
      probes: [{ name: "cassandra", hotStore: true, check: async () => ({ ok: true }) }],
      lag: async () => [{ group: "g1", topic: "t", partition: 0, lag: 5 }, { group: "g1", topic: "t", partition: 1, lag: 2 }, { group: "g2", topic: "t", partition: 0, lag: 1 }],
      sinks: () => ({ s3: { state: "running", last_write_at: null, errors: 0 } }),
    }));
    expect(h).toMatchObject({ status: "healthy", kafka_lag: 8, kafka_lag_by_group: { g1: 7, g2: 1 }, uptime_seconds: 10, reasons: [] });
    expect(h.cassandra_latency_ms).not.toBeNull();
  });

  it("is degraded when a dependency or a sink is down, unhealthy when a critical one is", async () => {
    const down = await checkHealth(base({ probes: [{ name: "cassandra", hotStore: true, check: async () => { throw new Error("timeout"); } }] }));
    expect(down).toMatchObject({ status: "degraded", cassandra_latency_ms: null, reasons: ["DEPENDENCY_DOWN:cassandra"], dependencies: { cassandra: { ok: false, detail: "timeout" } } });
    const sink = await checkHealth(base({ sinks: () => ({ s3: { state: "failing", last_write_at: null, errors: 3 } }) }));
    expect(sink).toMatchObject({ status: "degraded", reasons: ["SINK_FAILING:s3"] });
    const crit = await checkHealth(base({ probes: [{ name: "bus", critical: true, check: async () => ({ ok: false, detail: "no broker" }) }] }));
    expect(crit.status).toBe("unhealthy");
    const hung = await checkHealth(base({ timeoutMs: 20, probes: [{ name: "slow", check: () => new Promise(() => undefined) }] }));
    expect(hung).toMatchObject({ status: "degraded", dependencies: { slow: { ok: false } } });
  });

  it("measures throughput from a growing total", () => {
    let t = 0;
    let total = 0;
    const m = createRateMeter(() => total, () => t, 60_000);
    expect(m.rate()).toBe(0);
    t = 10_000;
    total = 500;
    expect(m.rate()).toBe(50);
  });
});

describe("token list trusted for a bounded time while PostgreSQL is down (issue 13 item 9)", () => {
  it("drops the database tokens once the last good read is older than maxStaleMs; bootstrap tokens keep working", async () => {
    let fail = false;
    let t = 0;
    const errors: string[] = [];
    const sql = {
      query: async <T>() => {
        if (fail) throw new Error("connection refused");
        return { rows: [{ name: "db", sha256: sha256Hex("db-token"), role: "viewer" }] as T[] };
      },
    };
    const auth = createTokenAuth({ sql, now: () => t, refreshMs: 1000, maxStaleMs: 60_000, bootstrap: [{ name: "boot", role: "admin", sha256: sha256Hex("boot-token") }], onError: (c) => errors.push(c) });
    expect(await auth.authenticate("Bearer db-token")).toMatchObject({ ok: true });
    fail = true;
    t = 59_000;
    expect(await auth.authenticate("Bearer db-token")).toMatchObject({ ok: true });
    t = 61_000;
    expect(await auth.authenticate("Bearer db-token")).toEqual({ ok: false, reason: "UNKNOWN_TOKEN" });
    expect(await auth.authenticate("Bearer boot-token")).toMatchObject({ ok: true });
    expect(errors).toContain("TOKEN_LIST_EXPIRED");
    fail = false;
    t = 62_000;
    expect(await auth.authenticate("Bearer db-token")).toMatchObject({ ok: true });
  });

  it("without bootstrap tokens answers 503 once the list expired", async () => {
    let fail = false;
    let t = 0;
    const sql = {
      query: async <T>() => {
        if (fail) throw new Error("connection refused");
        return { rows: [{ name: "db", sha256: sha256Hex("db-token"), role: "viewer" }] as T[] };
      },
    };
    const auth = createTokenAuth({ sql, now: () => t, refreshMs: 1000, maxStaleMs: 10_000 });
    expect(await auth.authenticate("Bearer db-token")).toMatchObject({ ok: true });
    fail = true;
    t = 20_000;
    expect(await auth.authenticate("Bearer db-token")).toEqual({ ok: false, reason: "TOKEN_STORE_UNAVAILABLE" });
  });
});

describe("ops config: limits and production refusals (issue 13 items 8, 9)", () => {
  it("has limit defaults and reads overrides", () => {
    expect(loadOpsConfig({})).toMatchObject({ maxBodyBytes: 1024 * 1024, tokenMaxStaleMs: 300_000, alertStreams: { perToken: 4, total: 64 } });
    expect(loadOpsConfig({ OPS_MAX_BODY_BYTES: "2048", OPS_TOKEN_MAX_STALE_SECONDS: "30", OPS_ALERT_STREAMS_PER_TOKEN: "1", OPS_ALERT_STREAMS_TOTAL: "2" })).toMatchObject({ maxBodyBytes: 2048, tokenMaxStaleMs: 30_000, alertStreams: { perToken: 1, total: 2 } });
    expect(() => loadOpsConfig({ OPS_MAX_BODY_BYTES: "10" })).toThrow(/OPS_MAX_BODY_BYTES/);
  });

  it.each([
    ["the .dev.vars.example token hash", { OPS_BOOTSTRAP_TOKENS: JSON.stringify([{ name: "x", role: "admin", sha256: DEV_EDGE_TOKEN_SHA256 }]) }, "OPS_BOOTSTRAP_TOKENS"],
    ["a plain-http Redis REST URL", { UPSTASH_REDIS_REST_URL: "http://redis.internal", UPSTASH_REDIS_REST_TOKEN: "real-token-0123456789" }, "UPSTASH_REDIS_REST_URL"],
    ["the local Upstash bridge token", { UPSTASH_REDIS_REST_URL: "https://redis.internal", UPSTASH_REDIS_REST_TOKEN: "vigil-local-token" }, "UPSTASH_REDIS_REST_TOKEN"],
  ])("refuses %s with the stack profile outside VIGIL_ENV=local", (_n, over, setting) => {
    expect(() => loadOpsConfig({ VIGIL_PROFILE: "stack", ...over })).toThrow(new RegExp(`${setting}: .*VIGIL_ENV=local`));
    expect(() => loadOpsConfig({ VIGIL_PROFILE: "stack", VIGIL_ENV: "local", ...over })).not.toThrow();
    expect(() => loadOpsConfig({ ...over })).not.toThrow();
  });
});
