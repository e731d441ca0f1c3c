import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scoredRecords } from "../testing/ingest-fixtures.js";
import { IngestBatchSchema } from "../../core/schemas.js";
import { toMessages } from "../ingest/messages.js";
import { TOPICS } from "../ports/index.js";
import { decodeMessageText, envelope, ENVELOPE_VERSION, PAYLOAD_SCHEMAS, rememberValidatedText, validateEnvelope } from "./envelope.js";

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

  it("text remembered as validated is adopted on decode; any other text, even one byte apart, is validated in full", () => {
    const at = "2026-11-28T12:00:00.000Z";
    const records = IngestBatchSchema.parse({ records: scoredRecords(100, 20, { run: "trust", cards: 5, baseMs: Date.parse(at), receivedAt: at }) }).records;
    const verdicts = toMessages(records, at).filter((m) => m.topic === TOPICS.verdicts);
    expect(verdicts).toHaveLength(20);
    for (const m of toMessages(records, at)) expect(m.validated === true).toBe(m.topic === TOPICS.verdicts);
    for (const m of verdicts) {
      const text = JSON.stringify(m.value);
      // What the boundary returned survives the round trip through JSON under the consumers' schema.
      expect(validateEnvelope(JSON.parse(text) as unknown)).toMatchObject({ ok: true, value: { payload: JSON.parse(JSON.stringify(m.value.payload)) as unknown, alert: m.value.alert } });
      rememberValidatedText(text);
      const decoded = decodeMessageText(text);
      const again = validateEnvelope(decoded, ["vigil.scored-event"]);
      expect(again.ok && again.value).toBe(decoded); // adopted: no new object, no payload parse
      expect(decoded.alert).toEqual(m.value.alert); // the carried alert row comes along (null: APPROVED)
      expect(validateEnvelope(decoded, ["vigil.raw-transaction"])).toEqual({ ok: false, error: "UNEXPECTED_SCHEMA: vigil.scored-event" });
      // Altered text (a verdict the schema refuses) is not adopted.
      const altered = text.replace(/"verdict":"(APPROVED|REVIEW|BLOCKED)"/, '"verdict":"MAYBE"');
      expect(altered).not.toBe(text);
      expect(validateEnvelope(decodeMessageText(altered))).toMatchObject({ ok: false, error: expect.stringMatching(/^PAYLOAD_INVALID: vigil.scored-event:/) });
    }
    // Text never remembered is parsed in full even when valid: a new object, not the decoded one.
    const other = JSON.stringify(envelope("vigil.scored-event", records[0]!, "2026-11-28T12:00:01.000Z"));
    const decoded = decodeMessageText(other);
    const r = validateEnvelope(decoded);
    expect(r.ok && r.value !== decoded).toBe(true);
  });
});
