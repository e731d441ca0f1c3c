import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { LabelledEvent } from "../../core/sim/index.js";
import type { VerdictResponse } from "../../core/schemas.js";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import { TEST_TOKENS } from "../../edge/testing/tokens.js";
import { testCardHash } from "../../core/testing/card-hash.js";
import { fixtureRedis } from "./reference-fixture.js";

// Scenario plumbing: publish the reference values a scenario's events carry (merchant, terminal
// and IP risk, blocked BINs and IPs, card risk tiers) to Redis through the Upstash bridge, additively so the
// fixture other Workers tests read stays intact, then replay the events through the real worker
// entry (exports.default.fetch → Hono app → CardState Durable Object) and keep what it answered.

const DAY_MS = 86_400_000;

/** Scenario start: whole minutes, `daysAgo` days back, so history and case stay inside MAX_EVENT_AGE_DAYS. */
export function startDaysAgo(daysAgo: number): number {
  return Math.floor((Date.now() - daysAgo * DAY_MS) / 60_000) * 60_000;
}

/** A fresh card hash per scenario run, so Durable Objects never carry state between tests. */
export function freshCard(label: string): string {
  return testCardHash(`scn_${label}_${crypto.randomUUID()}`);
}

export async function publishScenarioReference(events: readonly LabelledEvent[], url: string, token: string): Promise<void> {
  const merchant: Record<string, string> = {};
  const terminal: Record<string, string> = {};
  const ip: Record<string, string> = {};
  const cardTier: Record<string, string> = {};
  const ips = new Set<string>();
  for (const { event: e, refs } of events) {
    if (refs.merchant_risk_score !== undefined) merchant[e.merchant_id] = String(refs.merchant_risk_score);
    if (e.terminal_id !== undefined && refs.terminal_risk_score !== undefined) terminal[e.terminal_id] = String(refs.terminal_risk_score);
    if (e.ip_address_hash !== undefined) {
      if (refs.ip_reputation_score !== undefined) ip[e.ip_address_hash] = String(refs.ip_reputation_score);
      if (refs.ip_blocked === true) ips.add(e.ip_address_hash);
    }
    // Blocked BINs are not published: a BIN block hits every card of that BIN, and the simulated
    // world has few BINs, so one scenario's block would leak into other cards' verdicts.
    // The tier the ops CPP job publishes for a card exposed at a known compromised merchant. It is
    // in Redis before the replay starts, so the card's own history is scored under it too.
    if (refs.card_risk_tier !== undefined) cardTier[e.card_number_hash] = refs.card_risk_tier;
  }
  const redis = fixtureRedis(url, token);
  const p = redis.multi();
  if (Object.keys(merchant).length > 0) p.hset(REDIS_KEYS.merchantRisk, merchant);
  if (Object.keys(terminal).length > 0) p.hset(REDIS_KEYS.terminalRisk, terminal);
  if (Object.keys(ip).length > 0) p.hset(REDIS_KEYS.ipRisk, ip);
  if (Object.keys(cardTier).length > 0) p.hset(REDIS_KEYS.cardTier, cardTier);
  const [ip0, ...ipRest] = [...ips];
  if (ip0 !== undefined) p.sadd(REDIS_KEYS.blockedIps, ip0, ...ipRest);
  p.incr(REDIS_KEYS.refdataVersion);
  await p.exec();
}

export interface Scored {
  labelled: LabelledEvent;
  verdict: VerdictResponse;
}

const tokenFor = (channel: string): string =>
  channel === "IN_STORE" || channel === "ATM" ? TEST_TOKENS["gw-store"].token : TEST_TOKENS["gw-online"].token;

/** Scores every event in order through the worker's fetch; each must answer 200. */
export async function replay(events: readonly LabelledEvent[]): Promise<Scored[]> {
  const out: Scored[] = [];
  for (const labelled of events) {
    const res = await exports.default.fetch("https://edge.test/v1/transactions/score", {
      method: "POST",
      headers: { authorization: `Bearer ${tokenFor(labelled.event.channel)}`, "content-type": "application/json" },
      body: JSON.stringify(labelled.event),
    });
    const body = await res.text();
    expect(res.status, `${labelled.event.transaction_id}: ${body}`).toBe(200);
    out.push({ labelled, verdict: JSON.parse(body) as VerdictResponse });
  }
  return out;
}

export const codes = (s: Scored): string[] => s.verdict.reasons.map((r) => r.code);

/** The scored events of the case (fraudulent ones for attacks, those from `fromMs` on for look-alikes). */
export function caseOf(scored: Scored[], fromMs?: number): Scored[] {
  return fromMs === undefined ? scored.filter((s) => s.labelled.is_fraud) : scored.filter((s) => Date.parse(s.labelled.event.timestamp_utc) >= fromMs);
}

/** One line per event for failure messages: verdict, score and reasons. */
export function describe(scored: Scored[]): string {
  return scored.map((s) => `${s.labelled.is_fraud ? "F" : "L"} ${s.labelled.event.channel} ${s.labelled.event.amount_usd} → ${s.verdict.verdict} ${s.verdict.fraud_score} [${codes(s).join(",")}]`).join("\n");
}
