import { describe, expect, it } from "vitest";
import { DEV_EDGE_TOKEN_SHA256 } from "../core/contracts/dev-defaults.js";
import { ConfigError } from "../core/contracts/config-error.js";
import { loadEdgeConfig, loadReferenceSettings } from "./config.js";
import { loadForwardConfig } from "./forwarding/config.js";

// Issue 13 item 8: outside VIGIL_ENV=local the edge refuses the development defaults it ships,
// naming the setting and never its value.

const REAL_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const tokens = (sha256: string) => JSON.stringify([{ id: "gw", sha256, channels: ["ONLINE"] }]);
const production: Record<string, string> = {
  REGION: "us",
  EDGE_TOKENS: tokens(REAL_HASH),
  REFERENCE_SOURCE: "upstash",
  UPSTASH_REDIS_REST_URL: "https://redis.example.com",
  UPSTASH_REDIS_REST_TOKEN: "AZx1-real-upstash-token-000000",
  AGGREGATOR_URL: "https://aggregator.example.com",
  AGGREGATOR_SECRET: "a-real-secret-of-enough-length-0123",
};

function loadForwardConfigError(env: Record<string, string>): ConfigError {
  try {
    loadForwardConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("accepted");
}

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadEdgeConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("accepted");
}

describe("edge configuration outside VIGIL_ENV=local", () => {
  it("accepts a production configuration and defaults to production", () => {
    expect(loadEdgeConfig(production).VIGIL_ENV).toBe("production");
  });

  it.each([
    ["the .dev.vars.example token hash", { EDGE_TOKENS: tokens(DEV_EDGE_TOKEN_SHA256) }, "EDGE_TOKENS"],
    ["the .dev.vars.example token hash in upper case", { EDGE_TOKENS: tokens(DEV_EDGE_TOKEN_SHA256.toUpperCase()) }, "EDGE_TOKENS"],
    ["the example aggregator secret", { AGGREGATOR_SECRET: "dev-aggregator-secret-change-me" }, "AGGREGATOR_SECRET"],
    ["the example EU aggregator secret", { AGGREGATOR_SECRET_EU: "dev-eu-aggregator-secret-change-me" }, "AGGREGATOR_SECRET_EU"],
    ["any change-me placeholder", { AGGREGATOR_SECRET: "please-CHANGE-ME-0123456789" }, "AGGREGATOR_SECRET"],
    ["a plain-http aggregator", { AGGREGATOR_URL: "http://aggregator.example.com" }, "AGGREGATOR_URL"],
    ["a plain-http EU aggregator", { AGGREGATOR_URL_EU: "http://eu.aggregator.example.com" }, "AGGREGATOR_URL_EU"],
    ["a plain-http snapshot URL", { REFERENCE_SOURCE: "snapshot", REFERENCE_SNAPSHOT_URL: "http://aggregator.example.com/v1/reference/snapshot" }, "REFERENCE_SNAPSHOT_URL"],
    ["a plain-http Redis REST URL", { UPSTASH_REDIS_REST_URL: "http://redis.example.com" }, "UPSTASH_REDIS_REST_URL"],
    ["the local Upstash bridge token", { UPSTASH_REDIS_REST_TOKEN: "vigil-local-token" }, "UPSTASH_REDIS_REST_TOKEN"],
  ])("refuses %s, naming %s and not the value", (_name, over, setting) => {
    const env = { ...production, ...over };
    const err = refusal(env);
    expect(err.settings).toContain(setting);
    expect(err.message).toContain("VIGIL_ENV=local");
    const value = (over as Record<string, string>)[setting] ?? "";
    if (setting !== "EDGE_TOKENS") expect(err.message).not.toContain(value);
    expect(err.message).not.toContain(DEV_EDGE_TOKEN_SHA256);
  });

  it("lists every development default at once", () => {
    const err = refusal({ ...production, EDGE_TOKENS: tokens(DEV_EDGE_TOKEN_SHA256), AGGREGATOR_URL: "http://a.example.com", AGGREGATOR_SECRET: "dev-aggregator-secret-change-me" });
    expect(err.settings.sort()).toEqual(["AGGREGATOR_SECRET", "AGGREGATOR_URL", "EDGE_TOKENS"]);
  });

  it("allows all of them with VIGIL_ENV=local", () => {
    const env = { ...production, VIGIL_ENV: "local", EDGE_TOKENS: tokens(DEV_EDGE_TOKEN_SHA256), AGGREGATOR_URL: "http://127.0.0.1:8000", AGGREGATOR_SECRET: "dev-aggregator-secret-change-me", UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079", UPSTASH_REDIS_REST_TOKEN: "vigil-local-token" };
    expect(loadEdgeConfig(env).VIGIL_ENV).toBe("local");
    expect(loadForwardConfig(env).AGGREGATOR_URL).toBe("http://127.0.0.1:8000");
  });

  it("refuses an unknown VIGIL_ENV", () => {
    expect(refusal({ ...production, VIGIL_ENV: "staging" }).settings).toEqual(["VIGIL_ENV"]);
  });

  it("the forwarding consumer and the CardState owner refuse them too", () => {
    expect(() => loadForwardConfig({ ...production, AGGREGATOR_URL: "http://a.example.com" })).toThrow(ConfigError);
    // The one config error, retriable for the queue (a fixed setting lets the kept messages through).
    expect(loadForwardConfigError({ ...production, AGGREGATOR_SECRET: "dev-aggregator-secret-change-me" })).toMatchObject({ component: "forwarding", retriable: true, settings: ["AGGREGATOR_SECRET"] });
    expect(() => loadForwardConfig({ ...production, AGGREGATOR_SECRET: "dev-aggregator-secret-change-me" })).toThrow(/AGGREGATOR_SECRET: is a shipped development value/);
    expect(() => loadReferenceSettings({ REFERENCE_SOURCE: "upstash", UPSTASH_REDIS_REST_URL: "https://r.example.com", UPSTASH_REDIS_REST_TOKEN: "vigil-local-token" })).toThrow(/UPSTASH_REDIS_REST_TOKEN/);
  });
});
