import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, configProblems } from "./config-error.js";
import { errorResponse, VigilError } from "./errors.js";
import { createLogger, type LogLevel } from "./logger.js";

describe("VigilError and errorResponse", () => {
  it("answers the error body with status, request id and extra headers", async () => {
    const err = new VigilError(405, "METHOD_NOT_ALLOWED", "use POST", { headers: { Allow: "POST" } });
    const res = errorResponse(err, "req-1");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.headers.get("x-request-id")).toBe("req-1");
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: { code: "METHOD_NOT_ALLOWED", message: "use POST", request_id: "req-1", retriable: false } });
  });

  it("carries retriable, issues and reason", async () => {
    const err = new VigilError(503, "SCORING_UNAVAILABLE", "later", { retriable: true, issues: [{ path: "a", message: "b" }], reason: "r" });
    expect(await errorResponse(err).json()).toEqual({
      error: { code: "SCORING_UNAVAILABLE", message: "later", retriable: true, issues: [{ path: "a", message: "b" }], reason: "r" },
    });
  });
});

describe("ConfigError", () => {
  it("names each setting once and never a value", () => {
    const r = z.object({ A: z.string().min(3), B: z.object({ c: z.number() }) }).safeParse({ A: "s3cret".slice(0, 2), B: { c: "x" } });
    if (r.success) throw new Error("expected a failure");
    const err = new ConfigError("edge", [...configProblems(r.error), { setting: "A", message: "again" }]);
    expect(err.settings).toEqual(["A", "B"]);
    expect(err.message).toContain("invalid edge configuration: A:");
    expect(err.message).toContain("B: c:");
    expect(err.message).not.toContain("s3");
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.retriable).toBe(false);
  });
});

describe("createLogger", () => {
  it("writes one JSON line per entry with level, code, base and fields", () => {
    const lines: [LogLevel, string][] = [];
    const log = createLogger((level, line) => lines.push([level, line]), { base: { service: "s" }, now: () => "T" });
    log.warn("CODE", { n: 1 });
    expect(lines).toEqual([["warn", JSON.stringify({ ts: "T", level: "warn", code: "CODE", service: "s", n: 1 })]]);
  });

  it("omits ts without a clock", () => {
    const lines: string[] = [];
    createLogger((_, line) => lines.push(line)).info("X");
    expect(JSON.parse(lines[0] ?? "{}")).toEqual({ level: "info", code: "X" });
  });
});
