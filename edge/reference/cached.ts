import { z } from "zod";
import type { TransactionEvent } from "../../core/schemas.js";
import type { Logger, ReferenceData, ReferenceLookup } from "../ports.js";
import { createCache, type Cache } from "./cache.js";
import { lookupIn, unavailable, type ReferenceIndex } from "./snapshot.js";

// The part both reference adapters share: a cached ReferenceIndex, the lookup mapping, the
// unavailable path and its logging. Adapters differ only in how they load the index.

export const CacheSettingsSchema = z
  .object({
    /** Served without a network call while younger than this. */
    ttlMs: z.number().int().min(0).max(300_000).default(10_000),
    /** Never served when older than this (then UNAVAILABLE). */
    maxStaleMs: z.number().int().min(0).max(3_600_000).default(120_000),
    /** A caller without a usable snapshot waits this long for a load. */
    loadTimeoutMs: z.number().int().min(1).max(60_000).default(1_500),
    /** After a failed load, no new load for this long (callers get stale data or UNAVAILABLE at once). */
    retryAfterMs: z.number().int().min(0).max(60_000).default(1_000),
  })
  .refine((s) => s.maxStaleMs >= s.ttlMs, { message: "maxStaleMs must be ≥ ttlMs", path: ["maxStaleMs"] });
export type CacheSettings = z.infer<typeof CacheSettingsSchema>;

export interface LookupContext {
  /** The request's waitUntil, so a stale-while-revalidate refresh outlives the response. */
  waitUntil?(p: Promise<unknown>): void;
}

/** ReferenceData plus the rule-set source `resolveEngine` reads and a hook for tests/admin. */
export interface CachedReferenceData extends ReferenceData {
  lookup(event: TransactionEvent, ctx?: LookupContext): Promise<ReferenceLookup>;
  /** The raw rule set stored for `version`; undefined when none is stored. Throws when the source cannot be read. */
  loadRuleSet(version: string): Promise<unknown>;
  /** The raw model file stored for `version`; undefined when none is stored. Throws when the source cannot be read. */
  loadModel(version: string): Promise<unknown>;
  /** Version of the snapshot served now, if any (health pages). */
  currentVersion(): number | undefined;
  invalidate(): void;
}

/** Error text safe to log: bounded, and never a URL's query string or credentials. */
export function describeError(err: unknown): string {
  const raw = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return raw.replace(/\/\/[^/@\s]*@/g, "//").replace(/\?\S*/g, "?…").slice(0, 200);
}

export interface CachedReferenceOptions {
  source: string;
  load: () => Promise<ReferenceIndex>;
  loadRuleSet: (version: string) => Promise<unknown>;
  loadModel: (version: string) => Promise<unknown>;
  settings: CacheSettings;
  clock: () => number;
  log: Logger;
}

/** How often the per-request UNAVAILABLE line may repeat; the engine's reason code marks every request. */
const UNAVAILABLE_LOG_EVERY_MS = 5_000;

export function createCachedReferenceData(o: CachedReferenceOptions): CachedReferenceData {
  let lastUnavailableLog = Number.NEGATIVE_INFINITY;
  let wasStale = false;
  let served: number | undefined;
  const cache: Cache<ReferenceIndex> = createCache({
    load: o.load,
    ...o.settings,
    clock: o.clock,
    onLoadError: (err, failures) =>
      o.log.warn("REFERENCE_DATA_LOAD_FAILED", { source: o.source, failures, error: describeError(err) }),
  });
  return {
    async lookup(event, ctx) {
      const hit = await cache.get(ctx?.waitUntil?.bind(ctx));
      if (!hit) {
        const now = o.clock();
        if (now - lastUnavailableLog >= UNAVAILABLE_LOG_EVERY_MS) {
          lastUnavailableLog = now;
          o.log.error("REFERENCE_DATA_UNAVAILABLE", { source: o.source, max_stale_ms: o.settings.maxStaleMs });
        }
        return unavailable();
      }
      if (hit.stale !== wasStale) {
        wasStale = hit.stale;
        if (hit.stale) o.log.warn("REFERENCE_DATA_STALE", { source: o.source, age_ms: hit.ageMs, version: hit.value.version });
      }
      served = hit.value.version;
      return lookupIn(hit.value, event);
    },
    loadRuleSet: o.loadRuleSet,
    loadModel: o.loadModel,
    currentVersion: () => served,
    invalidate: () => cache.invalidate(),
  };
}
