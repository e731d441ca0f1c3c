import { describe, expect, it } from "vitest";
import { forwardTimeoutProblem, INGEST_DEADLINE_MS_DEFAULT } from "./deadlines.js";

describe("edge timeout vs aggregator ingest deadline", () => {
  it("the shipped defaults agree: the edge (10 s) waits longer than the aggregator answers (8 s) + 1 s", () => {
    expect(forwardTimeoutProblem(10_000, INGEST_DEADLINE_MS_DEFAULT)).toBeUndefined();
  });
  it("an edge that gives up first is refused, naming both settings", () => {
    expect(forwardTimeoutProblem(8_500, 8_000)).toMatch(/FORWARD_TIMEOUT_MS \(8500\).*INGEST_DEADLINE_MS \(8000\) \+ 1000 ms/);
    expect(forwardTimeoutProblem(5_000, 15_000)).toBeDefined();
  });
  it("time-compressed settings keep a margin as long as the deadline itself", () => {
    expect(forwardTimeoutProblem(200, 100)).toBeUndefined();
    expect(forwardTimeoutProblem(150, 100)).toBeDefined();
  });
});
