import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scoredRecords } from "../testing/ingest-fixtures.js";
import { envelope, ENVELOPE_VERSION, PAYLOAD_SCHEMAS, validateEnvelope } from "./envelope.js";

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

  it("an envelope validated once is recognised by identity: the schema list is still checked, a look-alike copy is parsed in full", () => {
    const at = "2026-11-28T12:00:00.000Z";
    const [record] = scoredRecords(0, 1, { run: "env", cards: 1, baseMs: Date.parse(at), receivedAt: at });
    const first = validateEnvelope(JSON.parse(JSON.stringify(envelope("vigil.scored-event", record!, at))));
    if (!first.ok) throw new Error(first.error);
    expect(validateEnvelope(first.value, ["vigil.scored-event"])).toEqual({ ok: true, value: first.value });
    expect(validateEnvelope(first.value, ["vigil.scored-event"]).ok && validateEnvelope(first.value).ok).toBe(true);
    expect(validateEnvelope(first.value, ["vigil.alert"])).toEqual({ ok: false, error: "UNEXPECTED_SCHEMA: vigil.scored-event" });
    // A copy (not the validated object) with a broken payload is refused: identity, not shape, skips the parse.
    const copy = { ...first.value, payload: { ...(first.value.payload as object), verdict: { verdict: "MAYBE" } } };
    expect(validateEnvelope(copy)).toMatchObject({ ok: false, error: expect.stringMatching(/^PAYLOAD_INVALID: vigil.scored-event:/) });
  });
});
