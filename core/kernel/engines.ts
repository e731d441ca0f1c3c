import { z } from "zod";
import { CHANNELS, defaultConfig, type CardWindow, type Engine, type ReferenceSignals, type ScoringConfig, type ShadowRulesResult, type TransactionEvent } from "../index.js";
import { ruleIdsOf } from "../rules/hits.js";
import type { ScoreItem } from "../contracts/scoring.js";
import type { EngineRegistry } from "./registry.js";

// Which engine scores each item, for whoever owns card state (the CardState Durable Object on
// Workers, the KV store on Deno). The deployment's settings shape the scoring config; where the
// registry's rule sets and models come from is the runtime's business (it hands the owner a
// registry built over its own artefact source).

/** Bindings/vars the engines read (REFERENCE_FAILURE_POLICY; the runtime adds its reference source settings). */
export type EngineEnv = Record<string, unknown>;

const PolicyOverride = z.partialRecord(z.enum(CHANNELS), z.enum(["FAIL_OPEN", "FAIL_CLOSED"]));

let configCache: { raw: unknown; config: ScoringConfig } | undefined;

/** The default config with the deployment's per-channel reference-failure policy laid over it. */
export function scoringConfigFor(env: EngineEnv): ScoringConfig {
  const raw = env.REFERENCE_FAILURE_POLICY;
  if (configCache && configCache.raw === raw) return configCache.config;
  const base = defaultConfig();
  let config = base;
  if (typeof raw === "string" && raw.trim() !== "") {
    // Validated by the edge config at the front door; a bad value fails the call here too, loudly.
    const override = PolicyOverride.parse(JSON.parse(raw));
    config = { ...base, reference_failure_policy: { ...base.reference_failure_policy, ...override } };
  }
  configCache = { raw, config };
  return config;
}

/**
 * The active engine with a shadow rule set beside it: per event the shadow engine scores first
 * (score() never touches the window), then the active engine processes as always. The verdict,
 * the window and everything else come from the active engine; the shadow's verdict and the ids of
 * its rules that fired ride along as `shadowRules`, for forwarding only.
 */
export function withShadowRules(active: Engine, shadow: Engine): Engine {
  const report = (event: TransactionEvent, state: CardWindow, refs: ReferenceSignals): ShadowRulesResult => {
    const d = shadow.score(event, state, refs).decision;
    return { rules_version: shadow.rulesVersion, fraud_score: d.fraud_score, verdict: d.verdict, hits: ruleIdsOf(d) };
  };
  return {
    rulesVersion: active.rulesVersion,
    modelVersion: active.modelVersion,
    ...(active.forestVersion !== undefined ? { forestVersion: active.forestVersion } : {}),
    shadowVersion: active.shadowVersion,
    configVersion: active.configVersion,
    score: (e, s, refs) => ({ ...active.score(e, s, refs), shadowRules: report(e, s, refs) }),
    process: (e, s, refs) => {
      // Before process(): the shadow sees the window as the active engine does, before the event.
      const shadowRules = report(e, s, refs);
      return { ...active.process(e, s, refs), shadowRules };
    },
  };
}

/** One engine per item, resolved before the card's state is touched (may await the registry). */
export async function resolveEngines(items: ScoreItem[], registry: EngineRegistry): Promise<Engine[]> {
  const base = registry.bundled;
  const memo = new Map<string, Promise<Engine>>();
  const one = (rv: string | undefined, mv: string | undefined, sv: string | undefined): Promise<Engine> => {
    const wantsOther = (rv !== undefined && rv !== base.rulesVersion) || (mv !== undefined && mv !== base.modelVersion) || sv !== undefined;
    if (!wantsOther) return Promise.resolve(base);
    const key = `${rv ?? ""}\u0000${mv ?? ""}\u0000${sv ?? ""}`;
    let p = memo.get(key);
    if (!p) memo.set(key, (p = registry.resolve(rv, mv, sv)));
    return p;
  };
  const withShadow = async (i: ScoreItem): Promise<Engine> => {
    const active = await one(i.rulesVersion, i.modelVersion, i.shadowModelVersion);
    const srv = i.shadowRulesVersion;
    if (srv === undefined || srv === active.rulesVersion) return active;
    // The shadow set with the same model as the active engine, so only the rules differ.
    const shadow = await one(srv, i.modelVersion, undefined);
    // A shadow set the edge cannot have is skipped (the registry logged why): it never decides.
    return shadow.rulesVersion === srv ? withShadowRules(active, shadow) : active;
  };
  return Promise.all(items.map(withShadow));
}
