import type { RuleSetSource } from "../core/kernel/registry.js";
import type { ReferenceSettings } from "./config.js";
import type { Logger, ReferenceData } from "./ports.js";
import type { CachedReferenceData } from "./reference/cached.js";
import { createSnapshotReferenceData, httpSnapshotFetcher } from "./reference/snapshot-adapter.js";
import { createUpstashReferenceData } from "./reference/upstash.js";

// The reference adapter a configuration names. Used by the route (lookups per request: signals
// and active versions) and, through artefactSource, by the card-state owner's engine registry
// (rule sets and model files by version only).

/** "none" answers UNAVAILABLE (never silently: the engine adds a reason) and has no rule sets. */
export function referenceFor(config: ReferenceSettings, log: Logger): ReferenceData & Partial<Pick<CachedReferenceData, "loadRuleSet" | "loadModel">> {
  switch (config.REFERENCE_SOURCE) {
    case "upstash":
      return createUpstashReferenceData({
        url: config.UPSTASH_REDIS_REST_URL ?? "",
        token: config.UPSTASH_REDIS_REST_TOKEN ?? "",
        log,
      });
    case "snapshot":
      return createSnapshotReferenceData({
        fetchSnapshot: httpSnapshotFetcher(
          config.REFERENCE_SNAPSHOT_URL ?? "",
          config.REFERENCE_SNAPSHOT_TOKEN ? { token: config.REFERENCE_SNAPSHOT_TOKEN } : {},
        ),
        log,
      });
    case "none":
      return { lookup: () => Promise.resolve({ signals: { status: "UNAVAILABLE" } }) };
  }
}

/** The rule-set and model loaders of a reference source; undefined when it has none (REFERENCE_SOURCE none). */
export function artefactSource(source: Partial<Pick<CachedReferenceData, "loadRuleSet" | "loadModel">>): RuleSetSource | undefined {
  const loadRuleSet = source.loadRuleSet?.bind(source);
  const loadModel = source.loadModel?.bind(source);
  return loadRuleSet ? { loadRuleSet, ...(loadModel ? { loadModel } : {}) } : undefined;
}
