import { describe, expect, it } from "vitest";
import { ev } from "./testing/features.js";
import { parseWith, ScoreRequestSchema, toTransactionEvent, TransactionEventSchema } from "./schemas.js";

const base = () => ({ ...ev(0), card_number_hash: "sha256_hashed_value" }) as Record<string, unknown>;
const issues = (input: unknown) => {
  const r = parseWith(TransactionEventSchema, input);
  return r.ok ? [] : r.issues;
};
const pathOf = (input: unknown) => issues(input).map((i) => i.path);

describe("TransactionEventSchema", () => {
  it("accepts the spec's example event", () => {
    const r = parseWith(TransactionEventSchema, {
      transaction_id: "TXN-20240615-8f3a2b", card_number_hash: "sha256_hashed_value", merchant_id: "MCH-4829",
      merchant_category_code: "5411", amount_usd: 249.99, currency: "USD", timestamp_utc: "2024-06-15T14:32:01.123Z",
      terminal_id: "POS-NYC-0029", device_fingerprint: "fp_abc123xyz", ip_address_hash: "hashed_ip",
      geolocation: { lat: 40.7128, lon: -74.006 }, transaction_type: "PURCHASE", channel: "IN_STORE",
    });
    expect(r.ok).toBe(true);
  });

  it.each([
    ["negative amount", { amount_usd: -1 }, "amount_usd"],
    ["NaN amount", { amount_usd: NaN }, "amount_usd"],
    ["huge amount", { amount_usd: 1e9 }, "amount_usd"],
    ["infinite amount", { amount_usd: Infinity }, "amount_usd"],
    ["bad currency", { currency: "XYZ" }, "currency"],
    ["lower-case currency", { currency: "usd" }, "currency"],
    ["timestamp without zone", { timestamp_utc: "2024-06-15T14:32:01" }, "timestamp_utc"],
    ["timestamp year 1999", { timestamp_utc: "1999-12-31T23:59:59Z" }, "timestamp_utc"],
    ["latitude out of range", { geolocation: { lat: 91, lon: 0 } }, "geolocation.lat"],
    ["longitude out of range", { geolocation: { lat: 0, lon: -181 } }, "geolocation.lon"],
    ["unknown channel", { channel: "FAX" }, "channel"],
    ["unknown transaction type", { transaction_type: "GIFT" }, "transaction_type"],
    ["MCC not 4 digits", { merchant_category_code: "54" }, "merchant_category_code"],
    ["BIN too short", { card_bin: "4111" }, "card_bin"],
    ["unknown field", { shoe_size: 42 }, "(body)"],
  ])("refuses %s naming the field", (_n, patch, path) => {
    expect(pathOf({ ...base(), ...patch })).toContain(path);
  });

  it("accepts a zone offset, edge coordinates and a zero amount", () => {
    expect(issues({ ...base(), timestamp_utc: "2024-06-15T14:32:01+05:30", geolocation: { lat: -90, lon: 180 }, amount_usd: 0 })).toEqual([]);
  });

  it("refuses a raw card number anywhere before the schema runs", () => {
    expect(issues({ ...base(), merchant_id: "4111111111111111" })).toEqual([expect.objectContaining({ path: "merchant_id", message: expect.stringMatching(/raw card number/) })]);
  });

  it("turns null optional fields into undefined", () => {
    const r = parseWith(TransactionEventSchema, { ...base(), device_fingerprint: null, geolocation: null });
    expect(r.ok && r.value.device_fingerprint === undefined && r.value.geolocation === undefined).toBe(true);
  });
});

describe("ScoreRequestSchema", () => {
  const H = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // SHA-256 of "test"
  it.each([
    ["64 hex", H, true],
    ["64 hex upper case", H.toUpperCase(), true],
    ["43 base64url", "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg", true],
    ["44 base64url with padding", "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg=", true],
    ["the spec's placeholder", "abc123", false],
    ["a free token", "card-hash-0001", false],
    ["63 hex", H.slice(1), false],
    ["65 hex", `${H}0`, false],
    ["a BIN and last four", "411111xxxxxx1111", false],
    ["base64 with + and /", "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg", false],
  ])("card_number_hash as %s → accepted: %s", (_n, hash, ok) => {
    const r = parseWith(ScoreRequestSchema, { transaction_id: "T1", amount_usd: 1, merchant_id: "M", channel: "ONLINE", card_number_hash: hash });
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(["card_number_hash"]);
  });

  it("accepts the spec's short form with the card_hash alias and fills defaults", () => {
    const r = parseWith(ScoreRequestSchema, { transaction_id: "TXN-TEST-001", card_hash: H, amount_usd: 4999.99, merchant_id: "MCH-0022", channel: "ONLINE", geolocation: { lat: 55.75, lon: 37.61 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = toTransactionEvent(r.value, "2026-11-29T04:00:00.000Z");
    expect(e).toMatchObject({ card_number_hash: H, currency: "USD", merchant_category_code: "0000", transaction_type: "PURCHASE", timestamp_utc: "2026-11-29T04:00:00.000Z" });
    expect("card_hash" in e).toBe(false);
  });

  it("requires a card hash and refuses two that differ", () => {
    const shortForm = { transaction_id: "T1", amount_usd: 1, merchant_id: "M", channel: "ONLINE" };
    expect(parseWith(ScoreRequestSchema, shortForm)).toMatchObject({ ok: false, issues: [{ path: "card_number_hash" }] });
    expect(parseWith(ScoreRequestSchema, { ...shortForm, card_hash: H, card_number_hash: H.replace("9f", "8f") })).toMatchObject({ ok: false, issues: [{ path: "card_hash" }] });
  });
});
