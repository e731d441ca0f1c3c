import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/contracts/canonical-json.js";
import { scoredRecords } from "../testing/ingest-fixtures.js";
import { eventFingerprintOf } from "./fingerprint.js";

describe("event fingerprint", () => {
  it("is the first 128 bits of SHA-256 over the canonical event, in hex (the ledger keeps these across deploys)", () => {
    const at = "2026-11-28T12:00:00.000Z";
    for (const record of scoredRecords(0, 50, { run: "fp", cards: 7, baseMs: Date.parse(at), receivedAt: at })) {
      const expected = createHash("sha256").update(canonicalJson(record.event)).digest("hex").slice(0, 32);
      expect(eventFingerprintOf(record)).toBe(expected);
      expect(eventFingerprintOf({ ...record, event: { ...record.event, merchant_id: "é日本" } })).toBe(
        createHash("sha256").update(canonicalJson({ ...record.event, merchant_id: "é日本" })).digest("hex").slice(0, 32),
      );
    }
  });
});
