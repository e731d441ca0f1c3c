import { beforeAll, describe, expect, it } from "vitest";
import { parseScoringConfig } from "../config.js";
import defaultConfig from "../default-config.json" with { type: "json" };
import { createEngine, NO_REFERENCE, type Engine } from "../engine.js";
import { ev, tinyModel } from "../testing/features.js";
import { N_RULE_FEATURES, F } from "../features/extract.js";
import type { ReferenceSignals, TransactionEvent } from "../schemas.js";
import { CardWindow } from "../window/card-window.js";
import { compileRuleSet, N_SIGNALS, SIGNAL_INDEX } from "./compile.js";
import defaultRules from "./default-ruleset.json" with { type: "json" };
import { parseRuleSet, type Expr } from "./schema.js";

const rule = (when: unknown, extra: Record<string, unknown> = {}) => ({ version: "t", rules: [{ id: "r", description: "d", reason_code: "X", score: 10, when, ...extra }] });

describe("rule set validation", () => {
  it("accepts the default rule set", () => {
    const rs = parseRuleSet(defaultRules);
    expect(rs.version).toMatch(/^rules-\d{4}\.\d+\.\d+$/);
    expect(rs.rules.every((r) => /^[A-Z][A-Z0-9_]*$/.test(r.reason_code))).toBe(true);
  });

  it.each([
    [{ feature: "tx_count_1min", op: "=>", value: 5 }, /rules\.0\.when\.op: unknown operator "=>" \(one of > >= < <= == !=\)/],
    [{ feature: "tx_count_2min", op: ">", value: 5 }, /rules\.0\.when\.feature: unknown feature "tx_count_2min"/],
    [{ all: [{ signal: "bin_blocked", is: true }, { signal: "moon_phase", is: true }] }, /rules\.0\.when\.all\.1\.signal: unknown signal "moon_phase"/],
    [{ feature: "amount_usd", op: ">", value: "5" }, /when\.value: expected a finite number or a boolean/],
    [{ any: [] }, /when\.any: expected a non-empty array/],
    [{ not: 5 }, /when\.not: expected an expression object/],
    [{ attr: "channel", in: ["SHOP"] }, /when\.in\.0: unknown channel "SHOP"/],
    [{ feature: "amount_usd", op: ">", value: 1, extra: 1 }, /unexpected key\(s\) extra/],
    [{ foo: 1 }, /expected one of the keys all, any, not, feature, signal, attr/],
  ])("refuses %j with a clear message", (when, msg) => {
    expect(() => parseRuleSet(rule(when))).toThrow(msg);
  });

  it("refuses bad rule fields and duplicate ids", () => {
    expect(() => parseRuleSet(rule({ signal: "ip_blocked", is: true }, { reason_code: "lower" }))).toThrow(/reason_code: UPPER_SNAKE_CASE/);
    expect(() => parseRuleSet(rule({ signal: "ip_blocked", is: true }, { score: 150 }))).toThrow(/score/);
    expect(() => parseRuleSet(rule({ signal: "ip_blocked", is: true }, { action: "DENY" }))).toThrow(/action/);
    const r = rule({ signal: "ip_blocked", is: true }).rules[0];
    expect(() => parseRuleSet({ version: "t", rules: [r, r] })).toThrow(/duplicate rule id r/);
  });
});

describe("compiled expressions", () => {
  const run = (when: Expr, v: Partial<Record<keyof typeof F, number>>, sig: Partial<Record<keyof typeof SIGNAL_INDEX, number>> = {}, e: TransactionEvent = ev(0)) => {
    const [r] = compileRuleSet(parseRuleSet(rule(when))).rules;
    const vec = new Float64Array(N_RULE_FEATURES);
    for (const [k, x] of Object.entries(v)) vec[F[k as keyof typeof F]] = x;
    const s = new Uint8Array(N_SIGNALS);
    for (const [k, x] of Object.entries(sig)) s[SIGNAL_INDEX[k as keyof typeof SIGNAL_INDEX]] = x;
    return r!.test(vec, s, e);
  };
  it("evaluates every operator at its edge", () => {
    const f = (op: ">" | ">=" | "<" | "<=" | "==" | "!=", x: number) => run({ feature: "amount_usd", op, value: 10 }, { amount_usd: x });
    expect([f(">", 10), f(">", 10.01), f(">=", 10), f("<", 10), f("<=", 10), f("==", 10), f("!=", 10), f("!=", 9)]).toEqual([false, true, true, false, true, true, false, true]);
  });
  it("combines all / any / not, booleans, signals and attributes", () => {
    const expr: Expr = { all: [{ feature: "new_device_flag", op: "==", value: true }, { not: { signal: "late_event", is: true } }, { any: [{ attr: "channel", in: ["ONLINE"] }, { feature: "amount_usd", op: ">=", value: 100 }] }] };
    expect(run(expr, { new_device_flag: 1, amount_usd: 5 }, {}, ev(0, { channel: "ONLINE" }))).toBe(true);
    expect(run(expr, { new_device_flag: 1, amount_usd: 5 })).toBe(false);
    expect(run(expr, { new_device_flag: 1, amount_usd: 500 })).toBe(true);
    expect(run(expr, { new_device_flag: 1, amount_usd: 500 }, { late_event: 1 })).toBe(false);
    expect(run(expr, { new_device_flag: 0, amount_usd: 500 })).toBe(false);
  });
});

describe("default rules fire on their signal and not without it", () => {
  let engine: Engine;
  beforeAll(() => {
    engine = createEngine({ config: parseScoringConfig(defaultConfig), ruleSet: parseRuleSet(defaultRules), model: tinyModel() });
  });
  const triggers = (prior: TransactionEvent[], e: TransactionEvent, refs: ReferenceSignals = NO_REFERENCE) => {
    const s = CardWindow.empty();
    for (const p of prior) engine.process(p, s, NO_REFERENCE);
    return engine.score(e, s, refs).decision.rule_triggers;
  };
  const burst = (n: number, gap: number, amount = 20) => Array.from({ length: n }, (_, i) => ev(i * gap, { amount_usd: amount }));

  it("BLOCKED_BIN", () => {
    expect(triggers([], ev(0), { status: "OK", bin_blocked: true })).toEqual(["BLOCKED_BIN"]);
    expect(triggers([], ev(0), { status: "OK", bin_blocked: false })).toEqual([]);
  });
  it("BLACKLISTED_IP", () => {
    expect(triggers([], ev(0), { status: "OK", ip_blocked: true })).toEqual(["BLACKLISTED_IP"]);
  });
  it("VELOCITY_EXCEEDED at 5 in a minute, not at 4", () => {
    expect(triggers(burst(4, 10_000), ev(45_000))).toContain("VELOCITY_EXCEEDED");
    expect(triggers(burst(3, 10_000), ev(45_000))).not.toContain("VELOCITY_EXCEEDED");
    expect(triggers(burst(11, 70_000), ev(11 * 70_000))).toContain("VELOCITY_EXCEEDED"); // 12 in 15 min
    expect(triggers(burst(29, 110_000), ev(29 * 110_000 + 1))).toContain("VELOCITY_EXCEEDED"); // 30 in 1 h
  });
  it("SPEND_VELOCITY_EXCEEDED at 3,000 USD in 5 minutes", () => {
    expect(triggers(burst(2, 60_000, 1000), ev(150_000, { amount_usd: 1000 }))).toContain("SPEND_VELOCITY_EXCEEDED");
    expect(triggers(burst(2, 60_000, 1000), ev(150_000, { amount_usd: 999 }))).not.toContain("SPEND_VELOCITY_EXCEEDED");
  });
  it("CROSS_COUNTRY_MISMATCH and IMPOSSIBLE_TRAVEL", () => {
    const t = triggers([ev(0)], ev(3_600_000, { geolocation: { lat: 48.85, lon: 2.35 } }));
    expect(t).toEqual(expect.arrayContaining(["CROSS_COUNTRY_MISMATCH", "IMPOSSIBLE_TRAVEL"]));
    const slow = triggers([ev(0)], ev(10 * 3_600_000, { geolocation: { lat: 48.85, lon: 2.35 } }));
    expect(slow).toContain("CROSS_COUNTRY_MISMATCH");
    expect(slow).not.toContain("IMPOSSIBLE_TRAVEL");
    // 20 km in 30 s is over 900 km/h but under the 100 km distance floor: GPS jitter, not travel
    expect(triggers([ev(0)], ev(30_000, { geolocation: { lat: 40.85, lon: -74.1 } }))).not.toContain("IMPOSSIBLE_TRAVEL");
  });
  it("MULTI_COUNTRY_24H", () => {
    const prior = [ev(0, { geolocation: { lat: 48.85, lon: 2.35 } }), ev(6 * 3_600_000, { geolocation: { lat: 51.5, lon: -0.12 } })];
    expect(triggers(prior, ev(12 * 3_600_000))).toContain("MULTI_COUNTRY_24H");
  });
  it("NEW_DEVICE_HIGH_AMOUNT", () => {
    const prior = [ev(0, { device_fingerprint: "fp-1" })];
    expect(triggers(prior, ev(86_400_000, { device_fingerprint: "fp-2", amount_usd: 1500 }))).toContain("NEW_DEVICE_HIGH_AMOUNT");
    expect(triggers(prior, ev(86_400_000, { device_fingerprint: "fp-1", amount_usd: 1500 }))).not.toContain("NEW_DEVICE_HIGH_AMOUNT");
    expect(triggers(prior, ev(86_400_000, { device_fingerprint: "fp-2", amount_usd: 999 }))).not.toContain("NEW_DEVICE_HIGH_AMOUNT");
  });
  it("CARD_PRESENT_MISMATCH", () => {
    expect(triggers([], ev(0, { card_present: false }))).toContain("CARD_PRESENT_MISMATCH");
  });
  it("HIGH_RISK_MERCHANT, POOR_IP_REPUTATION, HIGH_RISK_TERMINAL, HIGH_RISK_CARD", () => {
    expect(triggers([], ev(0), { status: "OK", merchant_risk_score: 0.8 })).toEqual(["HIGH_RISK_MERCHANT"]);
    expect(triggers([], ev(0), { status: "OK", merchant_risk_score: 0.79 })).toEqual([]);
    expect(triggers([], ev(0), { status: "OK", ip_reputation_score: 0.9 })).toEqual(["POOR_IP_REPUTATION"]);
    expect(triggers([], ev(0), { status: "OK", terminal_risk_score: 0.95 })).toEqual(["HIGH_RISK_TERMINAL"]);
    expect(triggers([], ev(0), { status: "OK", card_risk_tier: "HIGH" })).toEqual(["HIGH_RISK_CARD"]);
  });
  // A card with a few days of 50 USD grocery purchases, in-store and online from its own phone.
  const usual = Array.from({ length: 8 }, (_, i) =>
    ev(i * 8 * 3_600_000, i % 2 ? { channel: "ONLINE", terminal_id: undefined, device_fingerprint: "fp-own", ip_address_hash: "ip-own" } : {}));
  const online = (t: number, over: Partial<TransactionEvent> = {}) =>
    ev(t, { channel: "ONLINE", terminal_id: undefined, geolocation: undefined, device_fingerprint: "fp-new", ip_address_hash: "ip-new", ...over });
  const later = 4 * 86_400_000;
  it("NEW_DEVICE_NEW_IP_POOR_REPUTATION", () => {
    const poor: ReferenceSignals = { status: "OK", ip_reputation_score: 0.5 };
    expect(triggers(usual, online(later, { amount_usd: 300 }), poor)).toContain("NEW_DEVICE_NEW_IP_POOR_REPUTATION");
    expect(triggers(usual, online(later, { amount_usd: 300 }), { status: "OK", ip_reputation_score: 0.1 })).not.toContain("NEW_DEVICE_NEW_IP_POOR_REPUTATION");
    expect(triggers(usual, online(later, { amount_usd: 300, device_fingerprint: "fp-own" }), poor)).not.toContain("NEW_DEVICE_NEW_IP_POOR_REPUTATION");
    expect(triggers(usual, online(later, { amount_usd: 100 }), poor)).not.toContain("NEW_DEVICE_NEW_IP_POOR_REPUTATION");
    // still fresh an hour into the session, no longer a day later
    const session = [...usual, online(later, { amount_usd: 20 })];
    expect(triggers(session, online(later + 3_600_000, { amount_usd: 300 }), poor)).toContain("NEW_DEVICE_NEW_IP_POOR_REPUTATION");
    expect(triggers(session, online(later + 86_400_000, { amount_usd: 300 }), poor)).not.toContain("NEW_DEVICE_NEW_IP_POOR_REPUTATION");
  });
  it("NEW_DEVICE_HIGH_AMOUNT relative to the card (takeover-large-amount), forcing REVIEW", () => {
    const rich = [...usual, ...usual.map((e, i) => ({ ...e, transaction_id: `more-${i}`, timestamp_utc: new Date(Date.parse(e.timestamp_utc) + 65 * 3_600_000).toISOString() }))];
    const big = { amount_usd: 260, merchant_category_code: "5999" };
    expect(triggers(rich, online(later, big))).toContain("NEW_DEVICE_HIGH_AMOUNT");
    const s = CardWindow.empty();
    for (const p of rich) engine.process(p, s, NO_REFERENCE);
    expect(engine.score(online(later, big), s, NO_REFERENCE).decision.verdict).not.toBe("APPROVED");
    expect(triggers(rich, online(later, { ...big, amount_usd: 190 }))).not.toContain("NEW_DEVICE_HIGH_AMOUNT");
    expect(triggers(usual, online(later, big))).not.toContain("NEW_DEVICE_HIGH_AMOUNT");
    expect(triggers(rich, online(later, { ...big, device_fingerprint: "fp-own", ip_address_hash: "ip-own" }))).not.toContain("NEW_DEVICE_HIGH_AMOUNT");
  });
  it("NEW_DEVICE_NEW_IP_AMOUNT_DEVIATION", () => {
    const transfer = { amount_usd: 900, merchant_category_code: "4829" };
    expect(triggers(usual, online(later, transfer))).toContain("NEW_DEVICE_NEW_IP_AMOUNT_DEVIATION");
    expect(triggers(usual, online(later, { ...transfer, merchant_category_code: "5411" }))).not.toContain("NEW_DEVICE_NEW_IP_AMOUNT_DEVIATION");
    expect(triggers(usual, online(later, { ...transfer, ip_address_hash: "ip-own" }))).not.toContain("NEW_DEVICE_NEW_IP_AMOUNT_DEVIATION");
    expect(triggers(usual, online(later, { ...transfer, amount_usd: 200 }))).not.toContain("NEW_DEVICE_NEW_IP_AMOUNT_DEVIATION");
    expect(triggers(usual.slice(0, 2), online(later, transfer))).not.toContain("NEW_DEVICE_NEW_IP_AMOUNT_DEVIATION");
  });
  it("COMPROMISED_CARD_UNUSUAL_USE", () => {
    const cpp: ReferenceSignals = { status: "OK", card_risk_tier: "MEDIUM" };
    const far = ev(later, { geolocation: { lat: 34.05, lon: -118.24 }, amount_usd: 60 });
    expect(triggers(usual, far, cpp)).toContain("COMPROMISED_CARD_UNUSUAL_USE");
    expect(triggers(usual, far, { status: "OK", card_risk_tier: "HIGH" })).toContain("COMPROMISED_CARD_UNUSUAL_USE");
    expect(triggers(usual, far, { status: "OK", card_risk_tier: "LOW" })).not.toContain("COMPROMISED_CARD_UNUSUAL_USE");
    expect(triggers(usual, far)).not.toContain("COMPROMISED_CARD_UNUSUAL_USE");
    expect(triggers(usual, ev(later, { amount_usd: 60 }), cpp)).not.toContain("COMPROMISED_CARD_UNUSUAL_USE");
    expect(triggers(usual, ev(later, { amount_usd: 400, merchant_category_code: "5944" }), cpp)).toContain("COMPROMISED_CARD_UNUSUAL_USE");
    expect(triggers(usual, ev(later, { amount_usd: 55, merchant_category_code: "5944" }), cpp)).not.toContain("COMPROMISED_CARD_UNUSUAL_USE");
    expect(triggers(usual, online(later, { amount_usd: 60 }), cpp)).toContain("COMPROMISED_CARD_UNUSUAL_USE");
  });
  it("every default rule is covered by a test above", () => {
    const codes = new Set(parseRuleSet(defaultRules).rules.map((r) => r.reason_code));
    expect([...codes].sort()).toEqual([
      "BLACKLISTED_IP", "BLOCKED_BIN", "CARD_PRESENT_MISMATCH", "COMPROMISED_CARD_UNUSUAL_USE", "CROSS_COUNTRY_MISMATCH", "HIGH_RISK_CARD",
      "HIGH_RISK_MERCHANT", "HIGH_RISK_TERMINAL", "IMPOSSIBLE_TRAVEL", "MULTI_COUNTRY_24H", "NEW_DEVICE_HIGH_AMOUNT",
      "NEW_DEVICE_NEW_IP_AMOUNT_DEVIATION", "NEW_DEVICE_NEW_IP_POOR_REPUTATION", "POOR_IP_REPUTATION",
      "SPEND_VELOCITY_EXCEEDED", "VELOCITY_EXCEEDED",
    ]);
  });
});
