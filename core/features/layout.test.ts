import { describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "../schemas.js";
import { F } from "./extract.js";

describe("vector layout", () => {
  it("puts each feature at its FEATURE_NAMES index and the extras after them", () => {
    FEATURE_NAMES.forEach((n, i) => expect(F[n]).toBe(i));
    expect(F.geo_distance_km).toBe(FEATURE_NAMES.length);
    expect(F.history_events).toBe(FEATURE_NAMES.length + 1);
  });
});
