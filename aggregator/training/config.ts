import { z } from "zod";
import { ConfigError, configProblems } from "../../core/contracts/config-error.js";

// Settings of the learning loop's central half, parsed once from the environment (beside
// aggregator/ops/config.ts). Automatic promotion is off unless asked for: a model reaches the
// edge by an admin's decision by default.

const num = z.coerce.number({ message: "must be a number" });
const int = (min: number, max: number) => num.int("must be an integer").min(min).max(max);

const TrainingEnvSchema = z.object({
  /** Label maturity: an event is trained on only once this many days old at the cut-off (chargeback window). */
  MODEL_LABEL_DELAY_DAYS: num.min(0).max(180).default(7),
  /** Default training window when POST /v1/models/train gives none: this many days up to now − delay. */
  MODEL_TRAIN_WINDOW_DAYS: int(1, 365).default(30),
  /** Latest share of the window's event time held out for validation, calibration and thresholds. */
  MODEL_VALID_FRACTION: num.min(0.05).max(0.5).default(0.2),
  /** Fewest fraud rows in each of the training and validation slices. */
  MODEL_MIN_POSITIVES: int(1, 100_000).default(5),
  MODEL_SEED: int(0, 2 ** 31 - 1).default(1),
  /** Most boosting rounds (early stopping on the validation slice usually ends sooner). */
  MODEL_MAX_ROUNDS: int(1, 5000).default(400),
  /** Hours between scheduled retrainings; 0 turns the schedule off. */
  MODEL_RETRAIN_INTERVAL_HOURS: num.min(0).max(24 * 90).default(24),
  /** What a scheduled model that beats the champion becomes: nothing (off), the shadow, or the champion. */
  MODEL_AUTO_PROMOTE: z.enum(["off", "shadow", "champion"]).default("off"),
  /** Validation AUC the candidate must add to the champion's before it is auto-promoted. */
  MODEL_AUTO_PROMOTE_MIN_AUC_GAIN: num.min(0).max(1).default(0.005),
});

export interface TrainingConfig {
  labelDelayDays: number;
  windowDays: number;
  validFraction: number;
  minPositives: number;
  seed: number;
  maxRounds: number;
  retrainIntervalMs: number;
  autoPromote: "off" | "shadow" | "champion";
  autoPromoteMinAucGain: number;
}

export const DEFAULT_TRAINING_CONFIG: TrainingConfig = loadTrainingConfig({});

/** Throws a ConfigError naming every wrong setting. */
export function loadTrainingConfig(env: Record<string, string | undefined> = process.env): TrainingConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("MODEL_") && v !== undefined && v !== ""));
  const r = TrainingEnvSchema.safeParse(cleaned);
  if (!r.success) throw new ConfigError("training", configProblems(r.error));
  const e = r.data;
  return {
    labelDelayDays: e.MODEL_LABEL_DELAY_DAYS,
    windowDays: e.MODEL_TRAIN_WINDOW_DAYS,
    validFraction: e.MODEL_VALID_FRACTION,
    minPositives: e.MODEL_MIN_POSITIVES,
    seed: e.MODEL_SEED,
    maxRounds: e.MODEL_MAX_ROUNDS,
    retrainIntervalMs: e.MODEL_RETRAIN_INTERVAL_HOURS * 3_600_000,
    autoPromote: e.MODEL_AUTO_PROMOTE,
    autoPromoteMinAucGain: e.MODEL_AUTO_PROMOTE_MIN_AUC_GAIN,
  };
}
