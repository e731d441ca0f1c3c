import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENVELOPE_VERSION, PAYLOAD_SCHEMAS, validateEnvelope } from "./envelope.js";

const jsonSchema = JSON.parse(readFileSync(new URL("../../infra/schemas/envelope.schema.json", import.meta.url), "utf8")) as {
  properties: { schema: { enum: string[] }; schema_version: { const: number } };
};

describe("message envelope", () => {
  it("the JSON Schema file lists exactly the schemas and version the consumers accept", () => {
    expect([...jsonSchema.properties.schema.enum].sort()).toEqual(Object.keys(PAYLOAD_SCHEMAS).sort());
    expect(jsonSchema.properties.schema_version.const).toBe(ENVELOPE_VERSION);
  });

  it("refuses unknown schemas, unknown versions, bad headers and bad payloads with a code", () => {
    const at = "2026-11-28T12:00:00Z";
    expect(validateEnvelope({ schema: "vigil.other", schema_version: 1, produced_at: at, payload: {} })).toMatchObject({ ok: false, error: expect.stringMatching(/^UNKNOWN_SCHEMA:/) });
    expect(validateEnvelope({ schema: "vigil.alert", schema_version: 2, produced_at: at, payload: {} })).toMatchObject({ ok: false, error: expect.stringMatching(/^UNKNOWN_SCHEMA_VERSION:/) });
    expect(validateEnvelope({ schema: "vigil.alert", produced_at: at, payload: {} })).toMatchObject({ ok: false, error: expect.stringMatching(/^ENVELOPE_INVALID: schema_version/) });
    expect(validateEnvelope({ schema: "vigil.alert", schema_version: 1, produced_at: at, payload: { fraud_score: 1 } })).toMatchObject({ ok: false, error: expect.stringMatching(/^PAYLOAD_INVALID: vigil.alert:/) });
    expect(validateEnvelope({ schema: "unparseable", raw: "{" })).toMatchObject({ ok: false });
  });
});
