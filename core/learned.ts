import type { ScoringConfig } from "./config.js";
import { MODEL_FEATURE_LAYOUT, MODEL_FEATURE_NAMES, N_MODEL_FEATURES } from "./features/model-features.js";
import type { CompiledGbdt } from "./ml/gbdt/compiled.js";
import type { Reason, Verdict } from "./schemas.js";

// The learned-model stage of the engine: a gradient-boosted champion that decides fraud_score,
// and an optional shadow scored beside it. Kept apart from engine.ts so the unsupervised path
// reads as before; the engine calls these only when a learned model is configured.

/** What a shadow model would have decided; it never changes the verdict. */
export interface ShadowScore {
  model_version: string;
  fraud_score: number;
  verdict: Verdict;
}

export interface LearnedThresholds {
  review: number;
  block: number;
}

/** Refuses a model trained on another feature layout: its splits would read the wrong columns. */
export function checkLearnedModel(m: CompiledGbdt, role: "learned" | "shadow"): void {
  if (m.featureLayout !== MODEL_FEATURE_LAYOUT) {
    throw new Error(`${role} model ${m.modelVersion}: feature layout ${m.featureLayout} is not this build's ${MODEL_FEATURE_LAYOUT}`);
  }
  if (m.featureNames.length !== N_MODEL_FEATURES || m.featureNames.some((n, i) => n !== MODEL_FEATURE_NAMES[i])) {
    throw new Error(`${role} model ${m.modelVersion}: feature names differ from MODEL_FEATURE_NAMES`);
  }
}

/** The model file's thresholds (fitted on its validation slice), unless the config overrides them. */
export function learnedThresholds(m: CompiledGbdt, cfg: ScoringConfig): LearnedThresholds {
  const o = cfg.learned_thresholds;
  return o ? { review: o.review, block: o.block } : { review: m.thresholds.review, block: m.thresholds.block };
}

export interface Forcing {
  forceBlock: boolean;
  /** A REVIEW rule fired or the reference policy failed closed. */
  forceReview: boolean;
}

/**
 * Verdict of a score against thresholds, with the rules' forcing applied exactly as in the
 * unsupervised path: a forced verdict lifts the score to its threshold.
 */
export function verdictFor(score: number, th: LearnedThresholds, f: Forcing): { fraud: number; verdict: Verdict; forced: boolean } {
  let fraud = score;
  let verdict: Verdict = fraud >= th.block ? "BLOCKED" : fraud >= th.review ? "REVIEW" : "APPROVED";
  let forced = f.forceBlock;
  if (f.forceBlock && verdict !== "BLOCKED") { verdict = "BLOCKED"; fraud = Math.max(fraud, th.block); }
  if (f.forceReview && verdict === "APPROVED") { verdict = "REVIEW"; forced = true; fraud = Math.max(fraud, th.review); }
  return { fraud, verdict, forced };
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * The `top` features that pushed the margin up the most (TreeSHAP), as ML_<FEATURE> reasons. The
 * model's share of fraud_score (`points`) is split among them in proportion to their SHAP values
 * over all positive ones, so a reason's contribution says how much of the score it carried.
 */
export function learnedReasons(m: CompiledGbdt, x: Float64Array, phi: Float64Array, points: number, top: number): Reason[] {
  m.contributions(x, phi);
  const d = m.featureNames.length;
  let positive = 0;
  for (let i = 0; i < d; i++) if ((phi[i] ?? 0) > 0) positive += phi[i] ?? 0;
  const picked: number[] = [];
  for (let k = 0; k < top; k++) {
    let best = -1;
    for (let i = 0; i < d; i++) {
      const v = phi[i] ?? 0;
      if (v > 0 && !picked.includes(i) && (best < 0 || v > (phi[best] ?? 0))) best = i;
    }
    if (best < 0) break;
    picked.push(best);
  }
  return picked.map((i) => {
    const name = m.featureNames[i] ?? `f${i}`;
    const v = phi[i] ?? 0;
    return {
      code: `ML_${name.toUpperCase()}`,
      tier: "ML",
      detail: `${m.modelVersion}: ${name} = ${round(x[i] ?? NaN, 4)} raised the fraud log-odds by ${round(v, 3)}`,
      contribution: positive > 0 ? round((points * v) / positive, 2) : 0,
    };
  });
}
