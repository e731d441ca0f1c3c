import { Redis } from "@upstash/redis/cloudflare";
import type { Logger } from "../ports.js";
import { consoleLogger } from "../console-logger.js";
import {
  CacheSettingsSchema,
  createCachedReferenceData,
  type CacheSettings,
  type CachedReferenceData,
} from "./cached.js";
import { CARD_TIERS, REDIS_KEYS, type ReferenceSnapshot } from "../../core/contracts/reference.js";
import { decodeEntityStats } from "../../core/contracts/entity-stats.js";
import type { EntityRiskStats } from "../../core/schemas.js";
import { indexSnapshot, type ReferenceIndex } from "./snapshot.js";
import { listSize, listsFromHashes } from "./lists.js";

// Reference data in Redis over the Upstash REST API (fetch only: Workers, Deno, Node). The whole
// snapshot is cached in the isolate and refreshed in one pipeline; see README.md for the layout.


export interface UpstashReferenceOptions extends Partial<CacheSettings> {
  url: string;
  token: string;
  /** Per REST call; past it the call is aborted and counts as a failed load. */
  requestTimeoutMs?: number;
  clock?: () => number;
  log?: Logger;
}

type Str = string | null;
/** HGETALL without the client's deserialization: a flat [field, value, …] array (an object if it ever deserializes). */
type Hash = unknown[] | Record<string, unknown> | null;

function entries(raw: Hash): [string, unknown][] {
  if (raw === null) return [];
  if (!Array.isArray(raw)) return Object.entries(raw);
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([String(raw[i]), raw[i + 1]]);
  return out;
}

function asRisk(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}

/** Keeps valid entries, counts the rest (a bad value from the writer must not blind the edge). */
function riskTable(raw: Hash, bad: string[], key: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of entries(raw)) {
    const r = asRisk(v);
    if (r === undefined) bad.push(key);
    else out[k] = r;
  }
  return out;
}

const BIN = /^\d{6,8}$/;
const TIERS = new Set<string>(CARD_TIERS);

function tierTable(raw: Hash, bad: string[]): ReferenceSnapshot["card_tier"] {
  const out: ReferenceSnapshot["card_tier"] = {};
  for (const [k, v] of entries(raw)) {
    if (typeof v === "string" && TIERS.has(v)) out[k] = v as (typeof CARD_TIERS)[number];
    else bad.push(REDIS_KEYS.cardTier);
  }
  return out;
}

function statsTable(raw: Hash, bad: string[], key: string): Record<string, EntityRiskStats> {
  const out: Record<string, EntityRiskStats> = {};
  for (const [k, v] of entries(raw)) {
    const s = decodeEntityStats(v);
    if (s === undefined) bad.push(key);
    else out[k] = s;
  }
  return out;
}

function version(v: Str): number {
  const n = v === null ? 0 : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${REDIS_KEYS.refdataVersion} is not a counter`);
  return n;
}

const optional = (v: Str): string | undefined => (v === null || v === "" ? undefined : v);

export function createUpstashReferenceData(opts: UpstashReferenceOptions): CachedReferenceData {
  const settings = CacheSettingsSchema.parse({
    ttlMs: opts.ttlMs,
    maxStaleMs: opts.maxStaleMs,
    loadTimeoutMs: opts.loadTimeoutMs,
    retryAfterMs: opts.retryAfterMs,
  });
  const log = opts.log ?? consoleLogger({ component: "reference" });
  const clock = opts.clock ?? (() => Date.now());
  const timeoutMs = opts.requestTimeoutMs ?? settings.loadTimeoutMs;
  const redis = new Redis({
    url: opts.url,
    token: opts.token,
    // One try per load: the cache decides when to try again, and waits must stay short.
    retry: { retries: 0, backoff: () => 0 },
    // A function, so an aborted call throws (a plain signal makes the client answer "Aborted" as a result).
    signal: () => AbortSignal.timeout(timeoutMs),
    automaticDeserialization: false,
    enableTelemetry: false,
    readYourWrites: false,
  });

  let last: ReferenceIndex | undefined;

  const loadFull = async (): Promise<ReferenceIndex> => {
    // Version first: if a publish lands mid-pipeline the next refresh sees a newer version and reloads.
    const [ver, bins, ips, merchant, terminal, ip, tier, terminalStats, merchantStats, rules, model, shadow, listBlock, listAllow, shadowRules] = (await redis
      .pipeline()
      .get(REDIS_KEYS.refdataVersion)
      .smembers(REDIS_KEYS.blockedBins)
      .smembers(REDIS_KEYS.blockedIps)
      .hgetall(REDIS_KEYS.merchantRisk)
      .hgetall(REDIS_KEYS.terminalRisk)
      .hgetall(REDIS_KEYS.ipRisk)
      .hgetall(REDIS_KEYS.cardTier)
      .hgetall(REDIS_KEYS.terminalStats)
      .hgetall(REDIS_KEYS.merchantStats)
      .get(REDIS_KEYS.rulesVersion)
      .get(REDIS_KEYS.modelVersion)
      .get(REDIS_KEYS.shadowModelVersion)
      .hgetall(REDIS_KEYS.listBlock)
      .hgetall(REDIS_KEYS.listAllow)
      .get(REDIS_KEYS.shadowRulesVersion)
      .exec()) as [Str, string[], string[], Hash, Hash, Hash, Hash, Hash, Hash, Str, Str, Str, Hash, Hash, Str];
    const bad: string[] = bins.filter((b) => !BIN.test(b)).map(() => REDIS_KEYS.blockedBins);
    const snapshot: ReferenceSnapshot = {
      version: version(ver),
      bins: bins.filter((b) => BIN.test(b)),
      ips,
      merchant_risk: riskTable(merchant, bad, REDIS_KEYS.merchantRisk),
      terminal_risk: riskTable(terminal, bad, REDIS_KEYS.terminalRisk),
      ip_risk: riskTable(ip, bad, REDIS_KEYS.ipRisk),
      card_tier: tierTable(tier, bad),
      terminal_stats: statsTable(terminalStats, bad, REDIS_KEYS.terminalStats),
      merchant_stats: statsTable(merchantStats, bad, REDIS_KEYS.merchantStats),
      lists: listsFromHashes({ block: entries(listBlock), allow: entries(listAllow) }, { block: REDIS_KEYS.listBlock, allow: REDIS_KEYS.listAllow }, bad),
    };
    const rv = optional(rules);
    const mv = optional(model);
    if (rv !== undefined) snapshot.rules_version = rv;
    if (mv !== undefined) snapshot.model_version = mv;
    const sv = optional(shadow);
    if (sv !== undefined) snapshot.shadow_model_version = sv;
    const srv = optional(shadowRules);
    if (srv !== undefined) snapshot.shadow_rules_version = srv;
    if (bad.length > 0) {
      log.warn("REFERENCE_DATA_INVALID_ENTRIES", { count: bad.length, keys: [...new Set(bad)].join(",") });
    }
    return indexSnapshot(snapshot);
  };

  const load = async (): Promise<ReferenceIndex> => {
    const prev = last;
    if (prev !== undefined) {
      // Common case: nothing published since the last load. One small pipeline, no table transfer.
      const [ver, rules, model, shadow, shadowRules] = (await redis
        .pipeline()
        .get(REDIS_KEYS.refdataVersion)
        .get(REDIS_KEYS.rulesVersion)
        .get(REDIS_KEYS.modelVersion)
        .get(REDIS_KEYS.shadowModelVersion)
        .get(REDIS_KEYS.shadowRulesVersion)
        .exec()) as [Str, Str, Str, Str, Str];
      if (version(ver) === prev.version) {
        const { rulesVersion: _r, modelVersion: _m, shadowModelVersion: _s, shadowRulesVersion: _sr, ...tables } = prev;
        const rv = optional(rules);
        const mv = optional(model);
        const sv = optional(shadow);
        const srv = optional(shadowRules);
        last = {
          ...tables,
          ...(rv !== undefined ? { rulesVersion: rv } : {}),
          ...(mv !== undefined ? { modelVersion: mv } : {}),
          ...(sv !== undefined ? { shadowModelVersion: sv } : {}),
          ...(srv !== undefined ? { shadowRulesVersion: srv } : {}),
        };
        return last;
      }
    }
    last = await loadFull();
    log.info("REFERENCE_DATA_LOADED", {
      source: "upstash",
      version: last.version,
      bins: last.bins.size,
      ips: last.ips.size,
      merchants: last.merchantRisk.size,
      terminals: last.terminalRisk.size,
      cards: last.cardTier.size,
      list_entries: listSize(last.lists),
    });
    return last;
  };

  const loadRuleSet = async (v: string): Promise<unknown> => {
    const raw = await redis.get<string>(REDIS_KEYS.ruleSet(v));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new Error(`${REDIS_KEYS.ruleSet(v)} is not JSON`);
    }
  };

  // A model file is immutable per version; the registry asks for it once per isolate.
  const loadModel = async (v: string): Promise<unknown> => {
    const raw = await redis.get<string>(REDIS_KEYS.model(v));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new Error(`${REDIS_KEYS.model(v)} is not JSON`);
    }
  };

  return createCachedReferenceData({ source: "upstash", load, loadRuleSet, loadModel, settings, clock, log });
}
