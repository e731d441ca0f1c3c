import { describe, expect, it } from "vitest";
import type { TransactionEvent } from "../../core/schemas.js";
import { REDIS_KEYS, type ReferenceSnapshot } from "../../core/contracts/reference.js";
import { REFERENCE_FIXTURE } from "../../tests/testing/reference-fixture.js";
import { indexLists, listHitsFor, listsFromHashes, listSize } from "./lists.js";
import { parseSnapshot } from "./snapshot-adapter.js";
import { signalsFor } from "./snapshot.js";

// The edge's list index: built once per snapshot, a handful of map lookups per event, and the
// Redis hash encoding the aggregator's publisher writes (lists-publish.ts) read back.

const EXP = "2026-12-31T00:00:00.000Z";
const event = (over: Partial<TransactionEvent> = {}): TransactionEvent => ({
  transaction_id: "tx-list-1", card_number_hash: "card-a", merchant_id: "MCH-A", merchant_category_code: "5999", amount_usd: 50,
  currency: "USD", timestamp_utc: "2026-11-28T12:00:00Z", terminal_id: "T-A", device_fingerprint: "dev-a", ip_address_hash: "ip-a",
  geolocation: undefined, transaction_type: "PURCHASE", channel: "ONLINE", card_bin: "41111122", ...over,
});

describe("list index", () => {
  const index = indexLists({ "block-device": { "dev-a": EXP }, "allow-card": { "card-a": null }, "block-bin": { "4111112": null }, "allow-terminal": { "T-B": null } });

  it("finds every matching entry with its expiry (BINs by 6–8 digit prefix), and nothing else", () => {
    expect(listSize(index)).toBe(4);
    expect(listHitsFor(index, event())).toEqual([
      { action: "block", kind: "device", expires_at_ms: Date.parse(EXP) },
      { action: "block", kind: "bin" },
      { action: "allow", kind: "card" },
    ]);
    expect(listHitsFor(index, event({ card_number_hash: "card-z", device_fingerprint: undefined, card_bin: "411110", terminal_id: "T-B" }))).toEqual([{ action: "allow", kind: "terminal" }]);
    expect(listHitsFor(indexLists(undefined), event())).toBeUndefined();
  });

  it("a snapshot document carries lists into the signals; a bad list name refuses the document", () => {
    const snap: ReferenceSnapshot = { version: 1, ...REFERENCE_FIXTURE, lists: { "block-merchant": { "MCH-A": EXP } } };
    const s = signalsFor(parseSnapshot(snap), event());
    expect(s.list_hits).toEqual([{ action: "block", kind: "merchant", expires_at_ms: Date.parse(EXP) }]);
    expect(signalsFor(parseSnapshot({ ...snap, lists: undefined }), event()).list_hits).toBeUndefined();
    expect(() => parseSnapshot({ ...snap, lists: { "grey-card": {} } })).toThrow(/lists/);
  });

  it("reads the Redis hash encoding (aggregator/ops/lists-publish.ts), skipping (and naming) bad fields", () => {
    const bad: string[] = [];
    const raw = {
      block: [["card:card-a", ""], ["bin:411111", EXP], ["person:x", ""], ["bin:41", ""], ["card:c", "not-a-date"], ["nokind", ""]] as [string, unknown][],
      allow: [["merchant:MCH:with:colons", ""]] as [string, unknown][],
    };
    const lists = listsFromHashes(raw, { block: REDIS_KEYS.listBlock, allow: REDIS_KEYS.listAllow }, bad);
    expect(lists).toEqual({ "block-card": { "card-a": null }, "block-bin": { "411111": EXP }, "allow-merchant": { "MCH:with:colons": null } });
    expect(bad).toEqual([REDIS_KEYS.listBlock, REDIS_KEYS.listBlock, REDIS_KEYS.listBlock, REDIS_KEYS.listBlock]);
  });
});
