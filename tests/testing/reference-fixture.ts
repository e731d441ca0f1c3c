import { Redis } from "@upstash/redis/cloudflare";
import { defaultRuleSet } from "../../core/index.js";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import type { ReferenceSnapshot } from "../../core/contracts/reference.js";

// Reference data the edge tests score against, and how to publish it to Redis the way the
// aggregator will (tables, active versions, then the version counter last). Runs in Node (global
// setup) and in workerd (tests): @upstash/redis speaks REST over fetch in both.

export const LOCAL_UPSTASH_URL = "http://127.0.0.1:8079";
export const LOCAL_UPSTASH_TOKEN = "vigil-local-token";

export const REFERENCE_FIXTURE = {
  bins: ["400000", "5555444"],
  ips: ["ip-hash-blocked-1", "ip-hash-blocked-2"],
  merchant_risk: { "m-risky": 0.92, "m-clean": 0.02, "m-mid": 0.5 },
  terminal_risk: { "t-risky": 0.8, "t-clean": 0.05 },
  ip_risk: { "ip-hash-blocked-1": 1, "ip-hash-shady": 0.7 },
  card_tier: { "card-hash-high-0001": "HIGH", "card-hash-med-0001": "MEDIUM" },
  // Names a rule set that is published with it (the bundled rules under another version), so an
  // edge reading this Redis later (dev, bench) scores with it instead of noting a missing version.
  // No model_version: the edge ships one model, and naming another would add a reason to every verdict.
  rules_version: "rules-fixture-1",
} satisfies Omit<ReferenceSnapshot, "version">;

export function fixtureRuleSets(): Record<string, unknown> {
  return { "rules-fixture-1": { ...defaultRuleSet(), version: "rules-fixture-1" } };
}

export function fixtureRedis(url = LOCAL_UPSTASH_URL, token = LOCAL_UPSTASH_TOKEN): Redis {
  return new Redis({ url, token, enableTelemetry: false, automaticDeserialization: false, retry: { retries: 2, backoff: () => 100 } });
}

/** Replaces every reference key with `data`, then bumps the version counter; returns the new version. */
export async function publishReference(
  redis: Redis,
  data: Omit<ReferenceSnapshot, "version"> = REFERENCE_FIXTURE,
  ruleSets: Record<string, unknown> = fixtureRuleSets(),
): Promise<number> {
  const p = redis.multi();
  p.del(REDIS_KEYS.blockedBins, REDIS_KEYS.blockedIps, REDIS_KEYS.merchantRisk, REDIS_KEYS.terminalRisk, REDIS_KEYS.ipRisk, REDIS_KEYS.cardTier);
  if (data.bins.length > 0) p.sadd(REDIS_KEYS.blockedBins, data.bins[0] as string, ...data.bins.slice(1));
  if (data.ips.length > 0) p.sadd(REDIS_KEYS.blockedIps, data.ips[0] as string, ...data.ips.slice(1));
  const hashes: [string, Record<string, unknown>][] = [
    [REDIS_KEYS.merchantRisk, data.merchant_risk],
    [REDIS_KEYS.terminalRisk, data.terminal_risk],
    [REDIS_KEYS.ipRisk, data.ip_risk],
    [REDIS_KEYS.cardTier, data.card_tier],
  ];
  for (const [key, values] of hashes) {
    if (Object.keys(values).length > 0) p.hset(key, Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])));
  }
  if (data.rules_version) p.set(REDIS_KEYS.rulesVersion, data.rules_version);
  else p.del(REDIS_KEYS.rulesVersion);
  if (data.model_version) p.set(REDIS_KEYS.modelVersion, data.model_version);
  else p.del(REDIS_KEYS.modelVersion);
  for (const [v, rs] of Object.entries(ruleSets)) p.set(REDIS_KEYS.ruleSet(v), JSON.stringify(rs));
  p.incr(REDIS_KEYS.refdataVersion);
  const results = await p.exec();
  return Number(results[results.length - 1]);
}
