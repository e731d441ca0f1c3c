import { describe, expect, it } from "vitest";
import { containsCardNumber, findCardNumber, luhnValid } from "./pan-guard.js";

const VISA = "4111111111111111"; // Luhn-valid test PAN
const BAD_LUHN = "4111111111111112";

describe("luhnValid", () => {
  it("passes valid numbers and fails others", () => {
    expect(luhnValid(VISA)).toBe(true);
    expect(luhnValid("378282246310005")).toBe(true); // 15-digit Amex test number
    expect(luhnValid(BAD_LUHN)).toBe(false);
    expect(luhnValid("4111a11111111111")).toBe(false);
  });
});

describe("containsCardNumber", () => {
  it.each([
    [VISA, true],
    ["4111 1111 1111 1111", true],
    ["4111-1111-1111-1111", true],
    [`TXN-${VISA}`, true],
    [`card ${VISA} here`, true],
    ["6011000990139424", true], // 16-digit Discover test number
    ["4222222222222", true], // 13 digits
    [BAD_LUHN, false],
    ["4111  1111 1111 1111", false], // double separator: not one number
    ["411111111111", false], // 12 digits: too short
    ["41111111111111111111", false], // 20 digits: too long
    ["a4111111111111111b", false], // glued to letters: part of a token/hash
    ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false], // sha256 hex
    ["d65a53b85b46a035b7598803efd833d5384d89c358f36f77c48d77fa967761d7", false],
    ["2024-06-15T14:32:01.123Z", false],
  ])("%s → %s", (s, want) => {
    expect(containsCardNumber(s)).toBe(want);
  });
});

describe("findCardNumber", () => {
  it("returns the JSON path of a PAN at any depth, in arrays and in keys", () => {
    expect(findCardNumber({ a: { b: [1, "x", { c: VISA }] } })).toBe("a.b.2.c");
    expect(findCardNumber({ transactions: [{ ok: "fine" }, { note: `4111 1111 1111 1111` }] })).toBe("transactions.1.note");
    expect(findCardNumber({ [VISA]: true })).toBe(VISA);
    expect(findCardNumber(VISA)).toBe("(body)");
  });

  it("returns undefined for clean input, numbers and hashes", () => {
    expect(findCardNumber({ card_number_hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", amount: 4111111111111111, n: null })).toBeUndefined();
    expect(findCardNumber([BAD_LUHN, { x: "12345" }])).toBeUndefined();
  });

  it("stops at a bounded depth instead of exhausting the stack", () => {
    let deep: unknown = VISA;
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(findCardNumber(deep)).toBeUndefined();
  });
});
