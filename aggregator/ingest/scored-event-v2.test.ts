import { describe, expect, it } from "vitest";
import { IngestBatchSchema, ScoredEventSchema, SCORED_EVENT_SCHEMA_VERSION_V2 } from "../../core/schemas.js";
import { scoredRecord } from "../testing/ingest-fixtures.js";

// The forwarded envelope: version 1 must parse exactly as it always did; version 2 adds the model
// features and the shadow result; neither accepts the other's fields.

describe("scored event envelope v1 and v2", () => {
  const v1 = scoredRecord(1, { run: "v2test" });
  const v2 = { ...v1, schema_version: SCORED_EVENT_SCHEMA_VERSION_V2, model_features: { layout: "mf1-0123abcd", values: [1, null, 2.5] } };

  it("parses v1 to the same object, and refuses v2 fields on it", () => {
    expect(ScoredEventSchema.parse(v1)).toEqual(v1);
    expect(ScoredEventSchema.safeParse({ ...v1, model_features: v2.model_features }).success).toBe(false);
  });

  it("parses v2 with and without a shadow result, and requires its features", () => {
    expect(ScoredEventSchema.parse(v2)).toEqual(v2);
    const shadow = { model_version: "gbdt-2", fraud_score: 12.5, verdict: "APPROVED" };
    expect(ScoredEventSchema.parse({ ...v2, shadow })).toMatchObject({ shadow });
    const { model_features: _, ...bare } = v2;
    expect(ScoredEventSchema.safeParse(bare).success).toBe(false);
    expect(ScoredEventSchema.safeParse({ ...v2, model_features: { layout: "x", values: [Number.NaN] } }).success).toBe(false);
    expect(ScoredEventSchema.safeParse({ ...v1, schema_version: 3 }).success).toBe(false);
  });

  it("accepts mixed versions in one ingest batch", () => {
    expect(IngestBatchSchema.parse({ records: [v1, v2] }).records.map((r) => r.schema_version)).toEqual([1, 2]);
  });
});
