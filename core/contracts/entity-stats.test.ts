import { describe, expect, it } from "vitest";
import { decodeEntityStats, encodeEntityStats } from "./entity-stats.js";

const S = { tx_1d: 3, fraud_1d: 1, rate_1d: 0.1538461538, tx_7d: 20, fraud_7d: 2, rate_7d: 0.1, tx_30d: 90, fraud_30d: 3, rate_30d: 0.04 };

describe("entity stats encoding (Redis vigil:stats:*)", () => {
  it("is nine numbers in a fixed order, rates rounded to 6 decimals, and decodes back", () => {
    expect(encodeEntityStats(S)).toBe("3,1,0.153846,20,2,0.1,90,3,0.04");
    expect(decodeEntityStats(encodeEntityStats(S))).toEqual({ ...S, rate_1d: 0.153846 });
  });

  it("refuses anything but nine valid numbers", () => {
    for (const bad of [undefined, 7, "", "1,2,3", "3,1,0.1,20,2,0.1,90,3,", "3,1,1.5,20,2,0.1,90,3,0.04", "3.5,1,0.1,20,2,0.1,90,3,0.04", "a,1,0.1,20,2,0.1,90,3,0.04", "-1,1,0.1,20,2,0.1,90,3,0.04"]) {
      expect(decodeEntityStats(bad)).toBeUndefined();
    }
  });
});
