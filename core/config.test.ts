import { describe, expect, it } from "vitest";
import { parseScoringConfig } from "./config.js";
import defaultConfig from "./default-config.json" with { type: "json" };

const withPatch = (patch: (c: Record<string, unknown>) => void) => {
  const c = structuredClone(defaultConfig) as unknown as Record<string, unknown>;
  patch(c);
  return c;
};

describe("ScoringConfig", () => {
  it("parses the default config (block 80, review 50)", () => {
    const c = parseScoringConfig(defaultConfig);
    expect(c.thresholds).toEqual({ block: 80, review: 50 });
    expect(c.reference_failure_policy.ONLINE).toBe("FAIL_CLOSED");
  });

  it.each([
    ["review not below block", (c: Record<string, unknown>) => (c.thresholds = { block: 50, review: 50 }), /thresholds\.review: must be below thresholds\.block/],
    ["weight above 1", (c: Record<string, unknown>) => ((c.weights as Record<string, number>).ml = 1.5), /weights\.ml/],
    ["unknown policy", (c: Record<string, unknown>) => ((c.reference_failure_policy as Record<string, string>).ATM = "MAYBE"), /reference_failure_policy\.ATM/],
    ["missing channel policy", (c: Record<string, unknown>) => delete (c.reference_failure_policy as Record<string, string>).MOBILE, /reference_failure_policy\.MOBILE/],
    ["unknown key", (c: Record<string, unknown>) => (c.extra = 1), /extra/],
    ["missing prior", (c: Record<string, unknown>) => delete ((c.stats as Record<string, unknown>).priors as Record<string, unknown>).amount, /stats\.priors\.amount/],
    ["negative sd", (c: Record<string, unknown>) => (((c.stats as Record<string, unknown>).priors as Record<string, { sd: number }>).amount!.sd = -1), /stats\.priors\.amount\.sd/],
    ["inverted ml percentiles", (c: Record<string, unknown>) => ((c.ml as Record<string, number>).percentile_floor = 0.99999), /ml\.percentile_floor: must be below/],
  ])("refuses %s, naming the field", (_name, patch, msg) => {
    expect(() => parseScoringConfig(withPatch(patch))).toThrow(msg);
  });
});
