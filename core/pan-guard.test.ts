import { describe, expect, it } from "vitest";
import {
  containsCardNumber,
  digitValue,
  findCardNumber,
  findCardNumberInHeaders,
  findCardNumberInQuery,
  luhnValid,
  maskCardNumbers,
} from "./pan-guard.js";

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
    ["411111111111", false], // 12 digits: too short
    ["41111111111111111111", false], // 20 digits without separators: an identifier
    ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".toUpperCase(), false],
    ["fp_3c1f9a0e7b5d4c2a41111111", false], // hex digest token (24+ hex with a letter)
    ["17:39:37.123+01:00 2026-12-02", false], // ":" does not join groups
    ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false], // sha256 hex
    ["d65a53b85b46a035b7598803efd833d5384d89c358f36f77c48d77fa967761d7", false],
    ["2024-06-15T14:32:01.123Z", false],
  ])("%s → %s", (s, want) => {
    expect(containsCardNumber(s)).toBe(want);
  });
});

describe("containsCardNumber: bypasses of the first guard (issue 13 item 7)", () => {
  const arabicIndic = (d: string) => d.replace(/[0-9]/g, (c) => String.fromCodePoint(0x0660 + Number(c)));
  const devanagari = (d: string) => d.replace(/[0-9]/g, (c) => String.fromCodePoint(0x0966 + Number(c)));
  const fullwidth = (d: string) => d.replace(/[0-9]/g, (c) => String.fromCodePoint(0xff10 + Number(c)));
  const mathBold = (d: string) => d.replace(/[0-9]/g, (c) => String.fromCodePoint(0x1d7ce + Number(c)));
  const mathMono = (d: string) => d.replace(/[0-9]/g, (c) => String.fromCodePoint(0x1d7f6 + Number(c)));
  it.each([
    ["digits next to a letter", `T${VISA}`],
    ["letters on both sides", `PAN${VISA}EXP`],
    ["glued to letters", `a${VISA}b`],
    ["dots", "4111.1111.1111.1111"],
    ["underscores", "4111_1111_1111_1111"],
    ["tabs", "4111\t1111\t1111\t1111"],
    ["double spaces", "4111  1111  1111  1111"],
    ["en dashes", "4111–1111–1111–1111"],
    ["em dash with spaces", "4111 — 1111 — 1111 — 1111"],
    ["slashes", "4111/1111/1111/1111"],
    ["no-break spaces", "4111\u00a01111\u00a01111\u00a01111"],
    ["zero-width spaces", "4111\u200b1111\u200b1111\u200b1111"],
    ["Arabic-Indic digits", arabicIndic(VISA)],
    ["Devanagari digits with spaces", devanagari("4111 1111 1111 1111")],
    ["fullwidth digits", fullwidth(VISA)],
    ["mathematical bold digits", mathBold(VISA)],
    ["mathematical monospace digits", mathMono(VISA)],
    ["mixed scripts", `${arabicIndic("4111")}-${fullwidth("1111")}-1111-${devanagari("1111")}`],
    ["Amex 4-6-5 with dots", "3782.822463.10005"],
    ["a short number before the card", "ref 12 4111 1111 1111 1111"],
    ["inside a sentence", "customer read out 4111 1111 1111 1111 on the phone"],
    ["19 digits", "4000000000000000006"],
  ])("%s → refused", (_name, s) => {
    expect(containsCardNumber(s)).toBe(true);
  });

  it.each([
    ["Arabic-Indic digits failing Luhn", arabicIndic(BAD_LUHN)],
    ["four separators in a row split the number", "4111    1111    1111    1111"],
    ["colons never join", "4111:1111:1111:1111"],
    ["an ISO time with an offset", "2026-12-02T17:39:37.123+01:00"],
    ["a UUID", "8f3a2b4c-1111-4111-8111-411111111111"],
  ])("%s → not a card number", (_name, s) => {
    expect(containsCardNumber(s)).toBe(false);
  });

  it("reads every script's digits by value", () => {
    expect(digitValue(0x0663)).toBe(3);
    expect(digitValue(0x096f)).toBe(9);
    expect(digitValue(0x1d7d8)).toBe(0); // second block of mathematical digits (double-struck)
    expect(digitValue(0x1d7e1)).toBe(9);
    expect(digitValue("a".codePointAt(0) ?? 0)).toBe(-1);
  });

  it("random SHA-256 hex and base64url card hashes are never refused", () => {
    let x = 0x9e3779b9;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let i = 0; i < 5_000; i++) {
      let hex = "";
      let b = "";
      for (let j = 0; j < 64; j++) hex += (next() % 16).toString(16);
      for (let j = 0; j < 43; j++) b += b64[next() % 64];
      expect(containsCardNumber(hex)).toBe(false);
      expect(containsCardNumber(b)).toBe(false);
    }
  });

  it("masks a card number in a path or query and nothing else", () => {
    expect(maskCardNumbers(`/v1/cards/${VISA}/history?x=1`)).toBe("/v1/cards/[card-number]/history?x=1");
    expect(maskCardNumbers("/v1/health")).toBe("/v1/health");
    expect(maskCardNumbers("/4111/1111/1111/1111")).toBe("[card-number]");
  });

  it("finds card numbers in headers and query strings", () => {
    expect(findCardNumberInHeaders([["x-request-id", VISA]], new Set())).toBe("header:x-request-id");
    expect(findCardNumberInHeaders([["authorization", `Bearer ${VISA}`]], new Set(["authorization"]))).toBeUndefined();
    expect(findCardNumberInQuery(new URLSearchParams(`a=1&note=T${VISA}`))).toBe("query:note");
    expect(findCardNumberInQuery(new URLSearchParams(`${VISA}=1`))).toBe("query:[card-number]");
  });
});

describe("findCardNumber", () => {
  it("returns the JSON path of a PAN at any depth, in arrays and in keys", () => {
    expect(findCardNumber({ a: { b: [1, "x", { c: VISA }] } })).toBe("a.b.2.c");
    expect(findCardNumber({ transactions: [{ ok: "fine" }, { note: `4111 1111 1111 1111` }] })).toBe("transactions.1.note");
    expect(findCardNumber({ [VISA]: true })).toBe("[card-number]");
    expect(findCardNumber({ a: { [`T${VISA}`]: 1 } })).toBe("a.[card-number]");
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
