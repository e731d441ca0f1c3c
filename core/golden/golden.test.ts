import { describe, expect, it } from "vitest";
import expected from "./expected.json" with { type: "json" };
import { replayGolden } from "./replay.js";

// A failure here is a behaviour change: if it is intended, run `npm run golden:update` and
// review the diff of expected.json.
describe("golden decisions", () => {
  const actual = replayGolden();
  it("has one expectation per golden event", () => {
    expect(actual.map((a) => a.transaction_id)).toEqual(expected.decisions.map((d) => d.transaction_id));
  });
  it.each(expected.decisions.map((d, i) => [d.transaction_id, d.note, i] as const))("%s %s", (_id, _note, i) => {
    const want = expected.decisions[i]!;
    const got = actual[i]!;
    expect(got.verdict).toBe(want.verdict);
    expect(got.rule_triggers).toEqual(want.rule_triggers);
    expect(Math.abs(got.fraud_score - want.fraud_score)).toBeLessThanOrEqual(0.05);
  });
});
