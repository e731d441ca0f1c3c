import {
  createEngine,
  defaultConfig,
  defaultEngine,
  defaultModel,
  defaultRuleSet,
  RuleSetSchema,
  type Engine,
  type Reason,
  type RuleSet,
  type ScoreResult,
  type ScoringConfig,
} from "../index.js";
import { compileGbdt, type CompiledGbdt } from "../ml/gbdt/compiled.js";
import { GbdtModelSchema } from "../ml/gbdt/model.js";
import type { Logger } from "../contracts/logger.js";

// Engines for the versions the reference data names (one registry per isolate, every runtime).
// Rule sets are loaded by version through the runtime's RuleSetSource (on the edge the reference
// source: `vigil:ruleset:<version>` or the snapshot's rule sets), validated with core's
// RuleSetSchema, compiled once per version (rule sets are immutable per version) and cached per
// isolate. Learned models (the champion and the shadow the aggregator publishes) are loaded the
// same way by version (`vigil:model:<version>` or the snapshot's `models`), validated with core's
// GbdtModelSchema and compiled once; until one is published the bundled forest decides. A named
// model that cannot be had is scored with the bundled one, and every decision says so with a
// SYSTEM reason. A rule set that cannot be had falls back to the bundled rules, with a reason
// too: never a silent substitution.

/**
 * Where rule sets and model files come from, by version only: immutable artefacts, never the
 * reference signals or the active versions (those reach the owner inside each ScoreItem, read
 * once by the route). Both edge reference adapters implement it.
 */
export interface RuleSetSource {
  /** The stored rule set (unvalidated), undefined when none is stored; throws when unreadable. */
  loadRuleSet(version: string): Promise<unknown>;
  /** The stored model file (vigil.gbdt, unvalidated), undefined when none is stored; throws when unreadable. */
  loadModel?(version: string): Promise<unknown>;
}

export const RULES_VERSION_UNAVAILABLE = "RULES_VERSION_UNAVAILABLE";
export const MODEL_VERSION_UNAVAILABLE = "MODEL_VERSION_UNAVAILABLE";

export interface EngineRegistryOptions {
  /** Scoring config every engine is built with (default: core's defaultConfig()). */
  config?: ScoringConfig;
  /** How long a missing, invalid or unreadable rule set is not asked for again. */
  retryAfterMs?: number;
  /** Wall clock in ms, for the retry-after of failed loads (core reads no clock of its own). */
  clock: () => number;
  log: Logger;
}

type Loaded = { ok: true; ruleSet: RuleSet } | { ok: false; why: string; until: number };
type LoadedModel = { ok: true; model: CompiledGbdt } | { ok: false; why: string; until: number };

function reasonFor(code: string, detail: string): Reason {
  return { code, tier: "SYSTEM", detail, contribution: 0 };
}

/** The engine, with `reasons` appended to each decision (why the active versions were not all used). */
function noting(engine: Engine, reasons: Reason[]): Engine {
  if (reasons.length === 0) return engine;
  const add = (r: ScoreResult): ScoreResult => ({ ...r, decision: { ...r.decision, reasons: [...r.decision.reasons, ...reasons] } });
  return {
    rulesVersion: engine.rulesVersion,
    modelVersion: engine.modelVersion,
    ...(engine.forestVersion !== undefined ? { forestVersion: engine.forestVersion } : {}),
    shadowVersion: engine.shadowVersion,
    configVersion: engine.configVersion,
    score: (e, s, refs) => add(engine.score(e, s, refs)),
    process: (e, s, refs) => add(engine.process(e, s, refs)),
  };
}

/** Engines for the versions the reference data names; every edge runtime uses this one registry. */
export interface EngineRegistry {
  /** The bundled engine: what scores when no other version is named. */
  readonly bundled: Engine;
  /** Always an engine: the one asked for, or the bundled one noting what it stands in for. Never rejects. */
  resolve(rulesVersion?: string, modelVersion?: string, shadowModelVersion?: string): Promise<Engine>;
}

/** `source` undefined: no rule sets can be read here (REFERENCE_SOURCE none); every other version falls back, with a reason. */
export function createEngineRegistry(source: RuleSetSource | undefined, opts: EngineRegistryOptions): EngineRegistry {
  const config = opts.config ?? defaultConfig();
  const { clock, log } = opts;
  const retryAfterMs = opts.retryAfterMs ?? 30_000;
  const bundled = config === defaultConfig() ? defaultEngine() : createEngine({ config, ruleSet: defaultRuleSet(), model: defaultModel() });
  const ruleSets = new Map<string, Loaded>();
  const pending = new Map<string, Promise<Loaded>>();
  const engines = new Map<string, Engine>();

  const load = (version: string): Promise<Loaded> => {
    const known = ruleSets.get(version);
    if (known && (known.ok || clock() < known.until)) return Promise.resolve(known);
    let p = pending.get(version);
    if (!p) {
      const raw = source ? source.loadRuleSet(version) : Promise.reject(new Error("no reference source configured"));
      p = raw
        .then(
          (raw): Loaded => {
            if (raw === undefined) return { ok: false, why: "not stored", until: clock() + retryAfterMs };
            const r = RuleSetSchema.safeParse(raw);
            if (!r.success) {
              const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
              log.error("RULESET_INVALID", { rules_version: version, issues });
              return { ok: false, why: "invalid", until: clock() + retryAfterMs };
            }
            if (r.data.version !== version) {
              log.error("RULESET_INVALID", { rules_version: version, issues: `stored rule set says version ${r.data.version}` });
              return { ok: false, why: "version mismatch", until: clock() + retryAfterMs };
            }
            return { ok: true, ruleSet: r.data };
          },
          (err: unknown): Loaded => {
            log.warn("RULESET_LOAD_FAILED", { rules_version: version, error: err instanceof Error ? err.message.slice(0, 200) : "unknown" });
            return { ok: false, why: "unreadable", until: clock() + retryAfterMs };
          },
        )
        .then((loaded) => {
          ruleSets.set(version, loaded);
          pending.delete(version);
          return loaded;
        });
      pending.set(version, p);
    }
    return p;
  };

  const models = new Map<string, LoadedModel>();
  const pendingModels = new Map<string, Promise<LoadedModel>>();
  /** A model file by version, validated with core's schema and compiled once per isolate (files are immutable per version). */
  const loadModel = (version: string): Promise<LoadedModel> => {
    const known = models.get(version);
    if (known && (known.ok || clock() < known.until)) return Promise.resolve(known);
    let p = pendingModels.get(version);
    if (!p) {
      const raw = source?.loadModel ? source.loadModel(version) : Promise.reject(new Error("no model source configured"));
      p = raw
        .then(
          (raw): LoadedModel => {
            if (raw === undefined) return { ok: false, why: "not stored", until: clock() + retryAfterMs };
            const r = GbdtModelSchema.safeParse(raw);
            if (!r.success || r.data.model_version !== version) {
              const issues = r.success ? `stored file says version ${r.data.model_version}` : r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
              log.error("MODEL_INVALID", { model_version: version, issues });
              return { ok: false, why: "invalid", until: clock() + retryAfterMs };
            }
            return { ok: true, model: compileGbdt(r.data) };
          },
          (err: unknown): LoadedModel => {
            log.warn("MODEL_LOAD_FAILED", { model_version: version, error: err instanceof Error ? err.message.slice(0, 200) : "unknown" });
            return { ok: false, why: "unreadable", until: clock() + retryAfterMs };
          },
        )
        .then((loaded) => {
          models.set(version, loaded);
          pendingModels.delete(version);
          return loaded;
        });
      pendingModels.set(version, p);
    }
    return p;
  };

  const resolveEngine = async (rulesVersion?: string, modelVersion?: string, shadowVersion?: string): Promise<Engine> => {
    const reasons: Reason[] = [];
    let ruleSet: RuleSet | undefined;
    if (rulesVersion !== undefined && rulesVersion !== bundled.rulesVersion) {
      const loaded = await load(rulesVersion);
      if (loaded.ok) ruleSet = loaded.ruleSet;
      else reasons.push(reasonFor(RULES_VERSION_UNAVAILABLE, `active rules ${rulesVersion} ${loaded.why} at the edge; scored with ${bundled.rulesVersion}`));
    }
    // The champion: a learned model file named by the reference data; the bundled forest is not one.
    let learned: CompiledGbdt | undefined;
    if (modelVersion !== undefined && modelVersion !== bundled.modelVersion) {
      const m = await loadModel(modelVersion);
      if (m.ok) learned = m.model;
      else reasons.push(reasonFor(MODEL_VERSION_UNAVAILABLE, `active model ${modelVersion} ${m.why} at the edge; scored with ${bundled.modelVersion}`));
    }
    let shadow: CompiledGbdt | undefined;
    if (shadowVersion !== undefined) {
      const m = await loadModel(shadowVersion);
      // A shadow never decides, so a missing one costs only its report: logged, not a reason.
      if (m.ok) shadow = m.model;
    }
    if (ruleSet === undefined && learned === undefined && shadow === undefined) return noting(bundled, reasons);
    const key = `${ruleSet?.version ?? ""}\u0000${learned?.modelVersion ?? ""}\u0000${shadow?.modelVersion ?? ""}`;
    let e = engines.get(key);
    if (!e) {
      try {
        e = createEngine({ config, ruleSet: ruleSet ?? defaultRuleSet(), model: defaultModel(), ...(learned ? { learned } : {}), ...(shadow ? { shadow } : {}) });
        engines.set(key, e);
      } catch (err) {
        // A rule set that does not compile, or a model of another feature layout than this build's.
        const detail = err instanceof Error ? err.message.slice(0, 200) : "engine failed to build";
        log.error("ENGINE_BUILD_FAILED", { rules_version: rulesVersion, model_version: modelVersion, shadow_model_version: shadowVersion, error: detail });
        if (ruleSet) ruleSets.set(ruleSet.version, { ok: false, why: "does not compile", until: clock() + retryAfterMs });
        for (const m of [learned, shadow]) if (m) models.set(m.modelVersion, { ok: false, why: "not usable by this build", until: clock() + retryAfterMs });
        return noting(bundled, [...reasons, reasonFor(learned ? MODEL_VERSION_UNAVAILABLE : RULES_VERSION_UNAVAILABLE, `${detail}; scored with ${bundled.rulesVersion} / ${bundled.modelVersion}`)]);
      }
    }
    return noting(e, reasons);
  };

  return {
    bundled,
    resolve: (rv, mv, sv) =>
      resolveEngine(rv, mv, sv).catch((err: unknown) => {
        // Only a bug gets here (load and compile failures are handled above); still never blind.
        log.error("ENGINE_REGISTRY_FAILED", { rules_version: rv, model_version: mv, error: err instanceof Error ? err.message.slice(0, 200) : "unknown" });
        return noting(bundled, [reasonFor(RULES_VERSION_UNAVAILABLE, `engine for ${rv ?? "-"} / ${mv ?? "-"} failed to build; scored with ${bundled.rulesVersion}`)]);
      }),
  };
}
