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

describe("fromVector / toVector", () => {
  it("round-trip every field at its index", async () => {
    const { fromVector, toVector } = await import("./extract.js");
    const v = new Float64Array(FEATURE_NAMES.length).map((_, i) => (i >= 15 && i <= 17 ? i % 2 : i + 0.5));
    const fv = fromVector(v);
    expect(Object.keys(fv)).toEqual(FEATURE_NAMES);
    FEATURE_NAMES.forEach((n, i) => expect(fv[n]).toBe(i >= 15 && i <= 17 ? v[i] === 1 : v[i]));
    expect(Array.from(toVector(fv))).toEqual(Array.from(v));
  });
});
