import type { Logger } from "../ports.js";
import { consoleLogger } from "../console-logger.js";
import {
  CacheSettingsSchema,
  createCachedReferenceData,
  type CacheSettings,
  type CachedReferenceData,
} from "./cached.js";
import { ReferenceSnapshotSchema } from "../../core/contracts/reference.js";
import { indexSnapshot, type ReferenceIndex } from "./snapshot.js";

// Reference data from a versioned JSON snapshot (embedded profile: the aggregator serves it at
// GET /v1/reference/snapshot). Same cache, same mapping and same failure signals as Upstash.

export interface SnapshotReferenceOptions extends Partial<CacheSettings> {
  /** Returns the parsed JSON document; throws when it cannot be had. */
  fetchSnapshot: () => Promise<unknown>;
  clock?: () => number;
  log?: Logger;
}

export class InvalidSnapshotError extends Error {
  readonly retriable = false;
  constructor(readonly issues: string[]) {
    super(`reference snapshot rejected: ${issues.slice(0, 5).join("; ")}`);
    this.name = "InvalidSnapshotError";
  }
}

export function parseSnapshot(raw: unknown): ReferenceIndex {
  const r = ReferenceSnapshotSchema.safeParse(raw);
  if (!r.success) {
    throw new InvalidSnapshotError(r.error.issues.map((i) => `${i.path.map(String).join(".") || "(snapshot)"}: ${i.message}`));
  }
  return indexSnapshot(r.data);
}

export function createSnapshotReferenceData(opts: SnapshotReferenceOptions): CachedReferenceData {
  const settings = CacheSettingsSchema.parse({
    ttlMs: opts.ttlMs,
    maxStaleMs: opts.maxStaleMs,
    loadTimeoutMs: opts.loadTimeoutMs,
    retryAfterMs: opts.retryAfterMs,
  });
  const log = opts.log ?? consoleLogger({ component: "reference" });
  const clock = opts.clock ?? (() => Date.now());
  let last: ReferenceIndex | undefined;
  let loadedAt = Number.NEGATIVE_INFINITY;

  const load = async (): Promise<ReferenceIndex> => {
    const index = parseSnapshot(await opts.fetchSnapshot());
    if (last === undefined || last.version !== index.version) {
      log.info("REFERENCE_DATA_LOADED", { source: "snapshot", version: index.version, bins: index.bins.size, ips: index.ips.size });
    }
    last = index;
    loadedAt = clock();
    return index;
  };

  // Rule sets travel inside the snapshot; reading one needs a snapshot no older than maxStaleMs.
  const loadRuleSet = async (version: string): Promise<unknown> => {
    const index = last !== undefined && clock() - loadedAt < settings.maxStaleMs ? last : await load();
    return index.ruleSets.get(version);
  };

  // Model files travel inside the snapshot too (`models`), under the same freshness rule.
  const loadModel = async (version: string): Promise<unknown> => {
    const index = last !== undefined && clock() - loadedAt < settings.maxStaleMs ? last : await load();
    return index.models.get(version);
  };

  return createCachedReferenceData({ source: "snapshot", load, loadRuleSet, loadModel, settings, clock, log });
}

/** `fetchSnapshot` for an HTTP endpoint (the aggregator's GET /v1/reference/snapshot). */
export function httpSnapshotFetcher(url: string, init: { token?: string; timeoutMs?: number } = {}): () => Promise<unknown> {
  return async () => {
    const res = await fetch(url, {
      headers: init.token ? { authorization: `Bearer ${init.token}` } : {},
      signal: AbortSignal.timeout(init.timeoutMs ?? 1_500),
    });
    if (!res.ok) throw new Error(`snapshot endpoint answered ${res.status}`);
    return (await res.json()) as unknown;
  };
}
