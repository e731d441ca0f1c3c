import { describe, expect, it } from "vitest";
import { loadConfig } from "../../aggregator/config.js";
import { loadForwardConfig } from "../../edge/forwarding/config.js";

// Issue 13 item 6: the edge's forwarder must wait longer than the aggregator takes to answer an
// ingest request, or a slow publish is retried as a duplicate. Both configs check the same rule
// (core/contracts/deadlines.ts); their shipped defaults satisfy it.

const edge = { AGGREGATOR_URL: "https://agg.example", AGGREGATOR_SECRET: "s".repeat(32) };

describe("edge forwarding timeout vs aggregator ingest deadline", () => {
  it("the shipped defaults agree", () => {
    const e = loadForwardConfig(edge);
    const a = loadConfig({ INGEST_SECRET: "s".repeat(32) });
    expect(e.FORWARD_TIMEOUT_MS).toBeGreaterThan(a.INGEST_DEADLINE_MS);
    expect(e.AGGREGATOR_INGEST_DEADLINE_MS).toBe(a.INGEST_DEADLINE_MS);
    expect(() => loadConfig({ INGEST_SECRET: "s".repeat(32), EDGE_FORWARD_TIMEOUT_MS: String(e.FORWARD_TIMEOUT_MS) })).not.toThrow();
  });

  it("an edge configured to give up before the aggregator answers is refused at start, naming the setting", () => {
    expect(() => loadForwardConfig({ ...edge, FORWARD_TIMEOUT_MS: "5000" })).toThrow(/FORWARD_TIMEOUT_MS/);
    expect(() => loadForwardConfig({ ...edge, FORWARD_TIMEOUT_MS: "20000", AGGREGATOR_INGEST_DEADLINE_MS: "19500" })).toThrow(/INGEST_DEADLINE_MS \(19500\)/);
    expect(loadForwardConfig({ ...edge, FORWARD_TIMEOUT_MS: "20000", AGGREGATOR_INGEST_DEADLINE_MS: "15000" }).FORWARD_TIMEOUT_MS).toBe(20000);
  });
});
