import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig } from "./config.js";

const secret = "s".repeat(32);

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

  it("lists every problem at once, naming each setting", () => {
    let err: unknown;
    try {
      loadConfig({ VIGIL_PROFILE: "cloud", PORT: "99999", KAFKA_BROKERS: "nohost", VIGIL_SINKS: "postgres,redis", S3_FORCE_PATH_STYLE: "maybe" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join("\n");
    for (const key of ["VIGIL_PROFILE", "PORT", "KAFKA_BROKERS", "VIGIL_SINKS", "S3_FORCE_PATH_STYLE", "INGEST_SECRET"]) {
      expect(problems).toContain(key);
    }
    expect((err as ConfigError).problems.length).toBeGreaterThanOrEqual(6);
  });

  it("lets a sink-only worker run without the ingest secret", () => {
    const c = loadConfig({ VIGIL_INGEST: "false", VIGIL_SINKS: "s3", VIGIL_PROFILE: "stack" });
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
