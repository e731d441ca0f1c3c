import type { ScoringConfig } from "./config.js";
import { F, N_RULE_FEATURES, RULE_FEATURE_NAMES, extractInto, fromVector } from "./features/extract.js";
import { MODEL_FEATURE_LAYOUT, N_MODEL_FEATURES, fillModelFeatures, type TierOutputs } from "./features/model-features.js";
import { checkLearnedModel, learnedReasons, learnedThresholds, verdictFor, type LearnedThresholds, type ShadowScore } from "./learned.js";
import { compileForest, type CompiledForest } from "./ml/compiled.js";
import type { CompiledGbdt } from "./ml/gbdt/compiled.js";
import type { ForestModel } from "./ml/model.js";
import { N_SIGNALS, SIGNAL_INDEX, compileRuleSet, type CompiledRule } from "./rules/compile.js";
import type { RuleSet } from "./rules/schema.js";
import type { Decision, FeatureVector, Reason, ReferenceSignals, ShadowRulesResult, TransactionEvent, Verdict } from "./schemas.js";
import { activeLists, applyLists } from "./lists.js";
import { METRICS, N_METRICS } from "./stats/baseline.js";
import { StatTier } from "./stats/tier.js";
import { type CardWindow, RECENT_WINDOW_MS } from "./window/card-window.js";
import { parseEventTime } from "./window/time.js";

export interface ScoreResult {
  decision: Decision;
  features: FeatureVector;
  // The two below are always set by createEngine's engines; optional so wrappers written against
  // the earlier shape (the edge's registry passes results through) still type-check.
  /** The model feature vector of this event (a fresh copy), for the feature store. */
  modelFeatures?: Float64Array;
  /** Its layout (MODEL_FEATURE_LAYOUT): names the columns of `modelFeatures`. */
  modelFeatureLayout?: string;
  /** What the shadow model would have decided, when one is configured. */
  shadow?: ShadowScore;
  /** What a shadow rule set would have decided (set by the edge's shadow wrapper, never by the engine). */
  shadowRules?: ShadowRulesResult;
}

export interface Engine {
  readonly rulesVersion: string;
  /** The model that decides fraud_score: the learned champion when there is one, else the forest. */
  readonly modelVersion: string;
  /** Optional for wrappers written against the earlier shape; createEngine's engines set them. */
  readonly forestVersion?: string;
  readonly shadowVersion?: string | undefined;
  readonly configVersion: string;
  /** Scores against the state as it is; does not change it. */
  score(event: TransactionEvent, state: CardWindow, refs: ReferenceSignals): ScoreResult;
  /** score, then apply the event to the state (what the Durable Object calls). */
  process(event: TransactionEvent, state: CardWindow, refs: ReferenceSignals): ScoreResult;
}

export interface EngineOptions {
  config: ScoringConfig;
  ruleSet: RuleSet;
  model: ForestModel;
  /** A compiled learned champion (core/ml/gbdt): fraud_score = 100 × its calibrated probability. */
  learned?: CompiledGbdt;
  /** A compiled learned model scored beside the champion; reported, never decides. */
  shadow?: CompiledGbdt;
}

/** Reference signals of a lookup that worked but knew nothing about this event. */
export const NO_REFERENCE: ReferenceSignals = Object.freeze({ status: "OK" }) as ReferenceSignals;

const clamp01 = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : x);
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
const upper = (s: string) => s.toUpperCase();
/** Metrics 3.. are money on the log1p scale: shown back in USD. */
const showMetric = (m: number, y: number) => (m >= 3 ? `${round(Math.expm1(y), 2)} USD` : `${round(y, 2)}`);
/** Distance from a threshold at which the verdict is called certain (confidence margin term = 1). */
const CONFIDENCE_MARGIN = 15;

/**
 * The three tiers and the ensemble. Per event: features as of the event time (one backward scan of
 * the card's recent buffer), tier 1 rules (compiled closures), tier 2 statistics against the card's
 * baseline, tier 3 Isolation Forest, then the weighted noisy-OR of config.ts. Scratch buffers are
 * reused between events: an Engine is not re-entrant (one event at a time, as in a Durable Object).
 *
 * Verdict: BLOCKED at fraud_score ≥ block, REVIEW at ≥ review, else APPROVED; a BLOCK rule forces
 * BLOCKED, a REVIEW rule or the FAIL_CLOSED reference policy forces at least REVIEW, and a forced
 * verdict lifts fraud_score to its threshold so score and verdict never disagree.
 *
 * confidence = 0.6·margin + 0.4·agreement: margin = min(1, |score − nearest threshold| / 15)
 * (1 when the verdict was forced), agreement = share of the three tiers whose own score (≥ review
 * threshold or not) points the same way as the verdict (REVIEW/BLOCKED vs APPROVED).
 */
class VigilEngine implements Engine {
  readonly rulesVersion: string;
  readonly modelVersion: string;
  readonly forestVersion: string;
  readonly shadowVersion: string | undefined;
  readonly configVersion: string;
  private readonly rules: readonly CompiledRule[];
  /** Per rule, the index of its reason code in `codes` (points of one code do not add up). */
  private readonly ruleCode: Int32Array;
  private readonly codes: string[] = [];
  private readonly codePoints: Float64Array;
  private readonly forest: CompiledForest;
  private readonly mlIndex: Int32Array | undefined;
  private readonly stats: StatTier;
  private readonly vec = new Float64Array(N_RULE_FEATURES);
  private readonly mlIn: Float64Array;
  private readonly sig = new Uint8Array(N_SIGNALS);
  private readonly obs = new Float64Array(N_METRICS);
  private readonly fired: CompiledRule[] = [];
  private readonly mlFloor: number;
  /** ln((1 − floor) / (1 − full)): the log-rarity span mapped onto 0..100 ML points. */
  private readonly mlSpan: number;
  private readonly mf = new Float64Array(N_MODEL_FEATURES);
  private readonly tiers: TierOutputs = { rules: 0, stats: 0, forest: 0 };
  private readonly learned: CompiledGbdt | undefined;
  private readonly learnedTh: LearnedThresholds | undefined;
  private readonly shadow: CompiledGbdt | undefined;
  private readonly shadowTh: LearnedThresholds | undefined;
  /** ML_<FEATURE> reason code per forest input, built once (not per flagged event). */
  private readonly mlCodes: readonly string[];
  /** Attribution output buffer (one per feature + the expected margin). */
  private readonly phi = new Float64Array(N_MODEL_FEATURES + 1);

  constructor(private readonly cfg: ScoringConfig, ruleSet: RuleSet, model: ForestModel, learned?: CompiledGbdt, shadow?: CompiledGbdt) {
    const compiled = compileRuleSet(ruleSet);
    this.rulesVersion = compiled.version;
    this.rules = compiled.rules;
    this.ruleCode = Int32Array.from(this.rules, (r) => {
      let i = this.codes.indexOf(r.reasonCode);
      if (i < 0) i = this.codes.push(r.reasonCode) - 1;
      return i;
    });
    this.codePoints = new Float64Array(this.codes.length);
    this.forest = compileForest(model);
    this.forestVersion = this.forest.modelVersion;
    if (learned) checkLearnedModel(learned, "learned");
    if (shadow) checkLearnedModel(shadow, "shadow");
    this.learned = learned;
    this.learnedTh = learned && learnedThresholds(learned, cfg);
    this.shadow = shadow;
    this.shadowTh = shadow && learnedThresholds(shadow, cfg);
    this.shadowVersion = shadow?.modelVersion;
    this.modelVersion = learned?.modelVersion ?? this.forest.modelVersion;
    this.configVersion = cfg.version;
    const names = this.forest.featureNames;
    const unknown = names.filter((n) => !(RULE_FEATURE_NAMES as readonly string[]).includes(n));
    if (unknown.length > 0) throw new Error(`model ${this.modelVersion} uses unknown feature(s): ${unknown.join(", ")}`);
    const identity = names.every((n, i) => RULE_FEATURE_NAMES[i] === n);
    this.mlIndex = identity ? undefined : Int32Array.from(names, (n) => F[n as keyof typeof F]);
    this.mlIn = identity ? this.vec : new Float64Array(names.length);
    this.mlCodes = names.map((n) => `ML_${upper(n)}`);
    this.stats = new StatTier(cfg.stats);
    this.mlFloor = cfg.ml.percentile_floor;
    this.mlSpan = Math.log((1 - cfg.ml.percentile_floor) / (1 - cfg.ml.percentile_full));
  }

  score(event: TransactionEvent, state: CardWindow, refs: ReferenceSignals): ScoreResult {
    return this.run(event, state, refs, false);
  }

  process(event: TransactionEvent, state: CardWindow, refs: ReferenceSignals): ScoreResult {
    return this.run(event, state, refs, true);
  }

  private run(e: TransactionEvent, state: CardWindow, refs: ReferenceSignals, apply: boolean): ScoreResult {
    const T = parseEventTime(e.timestamp_utc);
    if (!Number.isFinite(T)) throw new RangeError(`timestamp_utc is not a date-time: ${e.timestamp_utc}`);
    const cfg = this.cfg;
    const v = this.vec;
    const country = extractInto(e, T, state, refs, v);

    const late = T <= state.watermarkMs - RECENT_WINDOW_MS;
    const unavailable = refs.status === "UNAVAILABLE";
    const sig = this.sig;
    sig[SIGNAL_INDEX.bin_blocked] = refs.bin_blocked === true ? 1 : 0;
    sig[SIGNAL_INDEX.ip_blocked] = refs.ip_blocked === true ? 1 : 0;
    sig[SIGNAL_INDEX.reference_unavailable] = unavailable ? 1 : 0;
    sig[SIGNAL_INDEX.card_risk_high] = refs.card_risk_tier === "HIGH" ? 1 : 0;
    sig[SIGNAL_INDEX.card_risk_medium] = refs.card_risk_tier === "MEDIUM" ? 1 : 0;
    sig[SIGNAL_INDEX.device_present] = e.device_fingerprint !== undefined ? 1 : 0;
    sig[SIGNAL_INDEX.geolocation_present] = e.geolocation !== undefined ? 1 : 0;
    sig[SIGNAL_INDEX.late_event] = late ? 1 : 0;

    // Tier 1.
    const fired = this.fired;
    fired.length = 0;
    const points = this.codePoints.fill(0);
    let forceBlock = false, forceReview = false, hardRule = false;
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i] as CompiledRule;
      if (!r.test(v, sig, e)) continue;
      fired.push(r);
      const c = this.ruleCode[i] ?? 0;
      if (r.score > (points[c] ?? 0)) points[c] = r.score;
      if (r.action === "BLOCK") forceBlock = true;
      else if (r.action === "REVIEW") forceReview = true;
      if (r.nonOverridable && r.action !== undefined) hardRule = true;
    }
    let R = 0;
    for (let c = 0; c < points.length; c++) R += points[c] ?? 0;
    if (R > 100) R = 100;

    // Tier 2: the observation is the window part of the features (same definitions as CardWindow.observe).
    const obs = this.obs;
    obs[0] = v[F.tx_count_1min] ?? 0; obs[1] = v[F.tx_count_5min] ?? 0; obs[2] = v[F.tx_count_15min] ?? 0;
    obs[3] = Math.log1p(v[F.spend_velocity_1min] ?? 0); obs[4] = Math.log1p(v[F.spend_velocity_5min] ?? 0);
    obs[5] = Math.log1p(v[F.spend_velocity_15min] ?? 0); obs[6] = Math.log1p(e.amount_usd);
    const st = this.stats.evaluate(obs, state.baseline);
    const S = st.score;

    // Tier 3.
    const x = this.mlIn;
    const idx = this.mlIndex;
    if (idx) for (let i = 0; i < idx.length; i++) x[i] = v[idx[i] ?? 0] ?? 0;
    const ml = this.forest.score(x);
    const pct = this.forest.percentile(ml);
    const M = pct <= this.mlFloor ? 0 : 100 * clamp01(Math.log((1 - this.mlFloor) / Math.max(1 - pct, 1e-12)) / this.mlSpan);

    // Model features: everything above, as of the event, before the state changes.
    const tiers = this.tiers;
    tiers.rules = R; tiers.stats = S; tiers.forest = ml;
    const mf = fillModelFeatures(this.mf, e, T, state, refs, v, tiers);
    const th = cfg.thresholds;
    const failClosed = unavailable && cfg.reference_failure_policy[e.channel] === "FAIL_CLOSED";
    const forcing = { forceBlock, forceReview: forceReview || failClosed };
    // Allow/block lists, judged at event time (core/lists.ts); both paths apply them last.
    const lists = { ...activeLists(refs.list_hits, T), hardRule };
    const shadow = this.shadow && this.shadowTh ? this.shadowScore(this.shadow, this.shadowTh, mf, forcing) : undefined;
    if (this.learned && this.learnedTh) {
      const decision = this.learnedDecision(e, this.learned, this.learnedTh, mf, forcing, R, S, st, obs, unavailable, failClosed, late, lists);
      return this.finish(decision, e, T, state, obs, country, apply, shadow);
    }

    // Ensemble.
    const w = cfg.weights;
    const tr = (w.rules * R) / 100, ts = (w.stats * S) / 100, tm = (w.ml * M) / 100;
    const raw = 100 * (1 - (1 - tr) * (1 - ts) * (1 - tm));
    let fraud = round(raw, 1);
    const unforcedScore = fraud;
    let verdict: Verdict = fraud >= th.block ? "BLOCKED" : fraud >= th.review ? "REVIEW" : "APPROVED";
    let forced = false;
    if (forceBlock && verdict !== "BLOCKED") { verdict = "BLOCKED"; forced = true; fraud = Math.max(fraud, th.block); }
    if ((forceReview || failClosed) && verdict === "APPROVED") { verdict = "REVIEW"; forced = true; fraud = Math.max(fraud, th.review); }
    if (forceBlock) forced = true;

    const risky = verdict !== "APPROVED";
    const agree = ((R >= th.review) === risky ? 1 : 0) + ((S >= th.review) === risky ? 1 : 0) + ((M >= th.review) === risky ? 1 : 0);
    const margin = forced ? 1 : Math.min(1, Math.min(Math.abs(fraud - th.block), Math.abs(fraud - th.review)) / CONFIDENCE_MARGIN);
    const confidence = round(0.6 * margin + 0.4 * (agree / 3), 3);

    // Reasons: fraud_score shared among tiers in proportion to their terms, then within a tier.
    const reasons: Reason[] = [];
    const triggers: string[] = [];
    const sum = tr + ts + tm;
    if (fired.length > 0) {
      const ruleTotal = sum > 0 ? (raw * tr) / sum : 0;
      let ptsSum = 0;
      for (let c = 0; c < points.length; c++) ptsSum += points[c] ?? 0;
      const counted = new Set<number>();
      for (const r of fired) {
        const c = this.codes.indexOf(r.reasonCode);
        const counts = !counted.has(c) && r.score === points[c];
        if (counts) counted.add(c);
        if (!triggers.includes(r.reasonCode)) triggers.push(r.reasonCode);
        const contribution = counts && ptsSum > 0 ? round((ruleTotal * r.score) / ptsSum, 2) : 0;
        reasons.push({ code: r.reasonCode, tier: "RULE", detail: `${r.id}: ${r.description}`, contribution });
      }
    }
    if (S > 0) statReasons(reasons, st, obs, sum > 0 ? (raw * ts) / sum : 0);
    if (M > 0 && M >= cfg.ml.explain_min_points && cfg.ml.explain_top > 0) {
      const mlTotal = sum > 0 ? (raw * tm) / sum : 0;
      const drivers = this.forest.explain(x, cfg.ml.explain_top);
      let wSum = 0;
      for (const d of drivers) wSum += d.weight;
      for (const d of drivers) {
        reasons.push({
          code: this.mlCodes[d.index] ?? `ML_${upper(d.feature)}`,
          tier: "ML",
          detail: `isolation forest score ${round(ml, 3)} (${round(pct * 100, 2)}th percentile of normal traffic); ${d.feature} = ${round(x[d.index] ?? 0, 2)} drove ${round(d.weight * 100, 1)}% of the isolation`,
          contribution: round((mlTotal * d.weight) / wSum, 2),
        });
      }
    }
    systemReasons(reasons, triggers, e, unavailable, failClosed, late);

    const decision: Decision = {
      transaction_id: e.transaction_id,
      fraud_score: fraud,
      verdict,
      confidence,
      rule_triggers: triggers,
      ml_score: round(ml, 4),
      reasons,
      model_version: this.modelVersion,
      rules_version: this.rulesVersion,
    };
    applyLists(decision, { ...lists, unforcedScore, thresholds: th });
    return this.finish(decision, e, T, state, obs, country, apply, shadow);
  }

  private finish(decision: Decision, e: TransactionEvent, T: number, state: CardWindow, obs: Float64Array, country: number, apply: boolean, shadow: ShadowScore | undefined): ScoreResult {
    const features = fromVector(this.vec);
    const modelFeatures = this.mf.slice();
    if (apply) state.applyParsed(e, T, obs, country);
    const r: ScoreResult = { decision, features, modelFeatures, modelFeatureLayout: MODEL_FEATURE_LAYOUT };
    if (shadow) r.shadow = shadow;
    return r;
  }

  private shadowScore(m: CompiledGbdt, th: LearnedThresholds, mf: Float64Array, f: Forcing): ShadowScore {
    const r = verdictFor(round(m.score(mf), 1), th, f);
    return { model_version: m.modelVersion, fraud_score: r.fraud, verdict: r.verdict };
  }

  /**
   * The learned champion decides: fraud_score = 100 × calibrated probability against the model's
   * thresholds; rules force exactly as in the unsupervised path. Reasons: the fired rules (their
   * points only count when they forced the verdict, as the lift above the model's score), the
   * statistics tier's deviations (informative: the model already weighed S), and, for a flagged
   * event, the model's top three path-attribution contributions.
   */
  private learnedDecision(
    e: TransactionEvent, m: CompiledGbdt, th: LearnedThresholds, mf: Float64Array, forcing: Forcing, R: number, S: number,
    st: StatResult, obs: Float64Array, unavailable: boolean, failClosed: boolean, late: boolean, lists: Lists,
  ): Decision {
    const p = m.probability(mf);
    const modelScore = round(100 * p, 1);
    const { fraud, verdict, forced } = verdictFor(modelScore, th, forcing);
    const risky = verdict !== "APPROVED";
    const review = this.cfg.thresholds.review;
    const agree = ((R >= review) === risky ? 1 : 0) + ((S >= review) === risky ? 1 : 0) + ((modelScore >= th.review) === risky ? 1 : 0);
    const margin = forced ? 1 : Math.min(1, Math.min(Math.abs(fraud - th.block), Math.abs(fraud - th.review)) / CONFIDENCE_MARGIN);
    const reasons: Reason[] = [];
    const triggers: string[] = [];
    const lift = fraud - modelScore;
    let ptsSum = 0;
    for (const r of this.fired) if (r.action !== undefined) ptsSum += r.score;
    for (const r of this.fired) {
      if (!triggers.includes(r.reasonCode)) triggers.push(r.reasonCode);
      const share = lift > 0 && r.action !== undefined && ptsSum > 0 ? round((lift * r.score) / ptsSum, 2) : 0;
      reasons.push({ code: r.reasonCode, tier: "RULE", detail: `${r.id}: ${r.description}`, contribution: share });
    }
    if (S > 0) statReasons(reasons, st, obs, 0);
    if (risky) for (const r of learnedReasons(m, mf, this.phi, modelScore, 3)) reasons.push(r);
    systemReasons(reasons, triggers, e, unavailable, failClosed, late);
    const decision: Decision = {
      transaction_id: e.transaction_id,
      fraud_score: fraud,
      verdict,
      confidence: round(0.6 * margin + 0.4 * (agree / 3), 3),
      rule_triggers: triggers,
      ml_score: round(p, 4),
      reasons,
      model_version: m.modelVersion,
      rules_version: this.rulesVersion,
    };
    applyLists(decision, { ...lists, unforcedScore: modelScore, thresholds: th });
    return decision;
  }
}

type StatResult = ReturnType<StatTier["evaluate"]>;
type Forcing = { forceBlock: boolean; forceReview: boolean };
type Lists = ReturnType<typeof activeLists> & { hardRule: boolean };

const STAT_CODES: readonly string[] = METRICS.map((m) => `STAT_${upper(m)}_DEVIATION`);

/** STAT_<METRIC>_DEVIATION reasons; `total` points are shared by deviation (0: informative only). */
function statReasons(reasons: Reason[], st: StatResult, obs: Float64Array, total: number): void {
  let devSum = 0;
  for (let m = 0; m < N_METRICS; m++) devSum += st.dev[m] ?? 0;
  for (let m = 0; m < N_METRICS; m++) {
    const d = st.dev[m] ?? 0;
    if (d <= 0) continue;
    const name = METRICS[m] as string;
    reasons.push({
      code: STAT_CODES[m] as string,
      tier: "STAT",
      detail: `${name} ${showMetric(m, obs[m] ?? 0)} vs card baseline ${showMetric(m, st.mu[m] ?? 0)} (z ${round(st.z[m] ?? 0, 1)}, IQR fence ${round(st.fence[m] ?? 0, 1)})`,
      contribution: round((total * d) / devSum, 2),
    });
  }
}

function systemReasons(reasons: Reason[], triggers: string[], e: TransactionEvent, unavailable: boolean, failClosed: boolean, late: boolean): void {
  if (unavailable) {
    const code = failClosed ? "REFERENCE_DATA_UNAVAILABLE_FAIL_CLOSED" : "REFERENCE_DATA_UNAVAILABLE";
    triggers.push(code);
    reasons.push({
      code,
      tier: "SYSTEM",
      detail: failClosed
        ? `reference data unavailable; ${e.channel} fails closed: at least REVIEW`
        : `reference data unavailable; ${e.channel} fails open: scored without block lists and risk values`,
      contribution: 0,
    });
  }
  if (late) {
    reasons.push({ code: "LATE_EVENT", tier: "SYSTEM", detail: "event is more than 24 h behind the card's latest event: velocity windows hold nothing for it", contribution: 0 });
  }
}

export function createEngine(opts: EngineOptions): Engine {
  return new VigilEngine(opts.config, opts.ruleSet, opts.model, opts.learned, opts.shadow);
}
