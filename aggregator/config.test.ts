import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/contracts/config-error.js";
import { describeConfig, ingestKeys, loadConfig } from "./config.js";

const secret = "s".repeat(32);
/** The client that passes the contract suite AND the stop-and-hang fault test (aggregator/config.ts). */
const DEFAULT_CLIENT = "kafkajs";

describe("aggregator config", () => {
  it("defaults to the embedded profile with every sink", () => {
    const c = loadConfig({ INGEST_SECRET: secret });
    expect(c.VIGIL_PROFILE).toBe("embedded");
    expect(c.PORT).toBe(8788);
    expect(c.VIGIL_DATA_DIR).toBe(".data/embedded");
    expect(c.VIGIL_SINKS).toEqual(["cassandra", "postgres", "s3"]);
    expect(c.SINK_GROUP_POSTGRES).toBe("vigil-sink-postgres");
    expect(c.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
  });

  it("picks the Kafka client behind the bus and refuses an unknown one", () => {
    expect(loadConfig({ INGEST_SECRET: secret }).KAFKA_CLIENT).toBe(DEFAULT_CLIENT);
    expect(loadConfig({ INGEST_SECRET: secret, KAFKA_CLIENT: "kafkajs" }).KAFKA_CLIENT).toBe("kafkajs");
    expect(loadConfig({ INGEST_SECRET: secret, KAFKA_CLIENT: "platformatic" }).KAFKA_CLIENT).toBe("platformatic");
    expect(() => loadConfig({ INGEST_SECRET: secret, KAFKA_CLIENT: "rdkafka" })).toThrow(/KAFKA_CLIENT: must be one of kafkajs, platformatic/);
  });

  it("lists every problem at once, naming each setting", () => {
    let err: unknown;
    try {
      loadConfig({ VIGIL_PROFILE: "cloud", PORT: "99999", KAFKA_BROKERS: "nohost", VIGIL_SINKS: "postgres,redis", S3_FORCE_PATH_STYLE: "maybe" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).settings.join("\n");
    for (const key of ["VIGIL_PROFILE", "PORT", "KAFKA_BROKERS", "VIGIL_SINKS", "S3_FORCE_PATH_STYLE", "INGEST_SECRET"]) {
      expect(problems).toContain(key);
    }
    expect((err as ConfigError).problems.length).toBeGreaterThanOrEqual(6);
  });

  it("lets a sink-only worker run without the ingest secret", () => {
    const c = loadConfig({ VIGIL_INGEST: "false", VIGIL_SINKS: "s3", VIGIL_PROFILE: "stack", VIGIL_ENV: "local" });
    expect(c.VIGIL_SINKS).toEqual(["s3"]);
    expect(c.INGEST_SECRET).toBeUndefined();
  });

  it("never prints secrets", () => {
    const c = loadConfig({ INGEST_SECRET: secret, S3_SECRET_ACCESS_KEY: "topsecret-key", DATABASE_URL: "postgres://u:hunter2@db:5432/x" });
    const text = JSON.stringify(describeConfig(c));
    expect(text).not.toContain(secret);
    expect(text).not.toContain("topsecret-key");
    expect(text).not.toContain("hunter2");
    expect(text).toContain("db:5432");
    let msg = "";
    try {
      loadConfig({ INGEST_SECRET: "short-secret-x", PORT: "x" });
    } catch (e) {
      msg = String(e);
    }
    expect(msg).toContain("INGEST_SECRET");
    expect(msg).not.toContain("short-secret-x");
  });

  it("refuses an edge forwarding timeout shorter than the ingest deadline (a slow publish would be re-sent)", () => {
    const base = { INGEST_SECRET: "0123456789abcdef0123" };
    expect(() => loadConfig({ ...base, EDGE_FORWARD_TIMEOUT_MS: "5000" })).toThrow(/EDGE_FORWARD_TIMEOUT_MS: FORWARD_TIMEOUT_MS \(5000\)/);
    expect(loadConfig({ ...base, EDGE_FORWARD_TIMEOUT_MS: "10000" }).INGEST_DEADLINE_MS).toBe(8000);
    expect(() => loadConfig({ ...base, EDGE_FORWARD_TIMEOUT_MS: "10000", INGEST_DEADLINE_MS: "9500" })).toThrow(/INGEST_DEADLINE_MS \(9500\)/);
  });
});

describe("aggregator config: production refuses development defaults (issue 13 item 8)", () => {
  const prod = {
    VIGIL_PROFILE: "stack",
    INGEST_SECRET: secret,
    DATABASE_URL: "postgres://vigil:pw-0123456789@db.internal:5432/vigil",
    S3_ACCESS_KEY_ID: "AKIAREALKEY0000",
    S3_SECRET_ACCESS_KEY: "real-secret-key-0123456789",
  };
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
      return [];
    } catch (e) {
      if (e instanceof ConfigError) return e.problems.map((p) => `${p.setting}: ${p.message}`);
      throw e;
    }
  };

  it("accepts a stack configuration with real credentials", () => {
    expect(problemsOf(prod)).toEqual([]);
  });

  it.each([
    ["the default S3 access key", { S3_ACCESS_KEY_ID: undefined }, "S3_ACCESS_KEY_ID"],
    ["the default S3 secret key", { S3_SECRET_ACCESS_KEY: undefined }, "S3_SECRET_ACCESS_KEY"],
    ["infra/stack.env's S3 key set explicitly", { S3_ACCESS_KEY_ID: "vigil-local", S3_SECRET_ACCESS_KEY: "vigil-local-secret" }, "S3_SECRET_ACCESS_KEY"],
    ["the default database URL (no password)", { DATABASE_URL: undefined }, "DATABASE_URL"],
    ["a password-less database URL", { DATABASE_URL: "postgres://vigil@db.internal:5432/vigil" }, "DATABASE_URL"],
    ["the example aggregator secret", { INGEST_SECRET: "dev-aggregator-secret-change-me" }, "INGEST_SECRET"],
    ["a change-me earlier key", { INGEST_KEYS: JSON.stringify([{ id: "k0", secret: "old-key-change-me-0123" }]) }, "INGEST_KEYS"],
  ])("refuses %s with the stack profile, naming %s", (_name, over, setting) => {
    const env = Object.fromEntries(Object.entries({ ...prod, ...over }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const problems = problemsOf(env);
    expect(problems.some((p) => p.startsWith(`${setting}:`) && p.includes("VIGIL_ENV=local"))).toBe(true);
    expect(problems.join("\n")).not.toMatch(/dev-aggregator-secret|vigil-local-secret|change-me-0123/);
  });

  it("allows them with the embedded profile or VIGIL_ENV=local", () => {
    expect(problemsOf({ INGEST_SECRET: secret })).toEqual([]);
    expect(problemsOf({ VIGIL_PROFILE: "stack", VIGIL_ENV: "local", INGEST_SECRET: secret })).toEqual([]);
  });

  it("does not check what this process does not run", () => {
    expect(problemsOf({ ...prod, VIGIL_SINKS: "cassandra", S3_ACCESS_KEY_ID: "vigil-local" })).toEqual([]);
  });

  it("refuses an unknown VIGIL_ENV", () => {
    expect(problemsOf({ ...prod, VIGIL_ENV: "prod" }).join("\n")).toContain("VIGIL_ENV");
  });
});

describe("aggregator config: ingest key ring", () => {
  it("puts INGEST_SECRET first under INGEST_KEY_ID, then the earlier keys with their not-after", () => {
    const c = loadConfig({
      INGEST_SECRET: secret,
      INGEST_KEY_ID: "k2",
      INGEST_KEYS: JSON.stringify([{ id: "k1", secret: "old-secret-0123456789", not_after: "2026-12-31T00:00:00Z" }]),
    });
    expect(ingestKeys(c)).toEqual([
      { id: "k2", secret },
      { id: "k1", secret: "old-secret-0123456789", notAfterSeconds: Date.parse("2026-12-31T00:00:00Z") / 1000 },
    ]);
    expect(ingestKeys(loadConfig({ INGEST_SECRET: secret }))).toEqual([{ id: "default", secret }]);
    expect(JSON.stringify(describeConfig(c))).not.toContain("old-secret");
  });

  it("refuses malformed keys and a duplicated id, naming INGEST_KEYS and never the secret", () => {
    for (const keys of ["not json", JSON.stringify([{ id: "k 1", secret: "short" }]), JSON.stringify([{ id: "default", secret: "x".repeat(20) }])]) {
      let msg = "";
      try {
        loadConfig({ INGEST_SECRET: secret, INGEST_KEYS: keys });
      } catch (e) {
        msg = String(e);
      }
      expect(msg).toContain("INGEST_KEYS");
      expect(msg).not.toContain("x".repeat(20));
    }
  });
});
