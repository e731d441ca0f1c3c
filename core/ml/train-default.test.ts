import { describe, expect, it } from "vitest";
import { extractInto, F, N_RULE_FEATURES } from "../features/extract.js";
import { FEATURE_NAMES } from "../schemas.js";
import { accountTakeover, velocityAttack, type LabelledEvent } from "../sim/index.js";
import { CardWindow } from "../window/card-window.js";
import { compileForest, type CompiledForest } from "./compiled.js";
import shipped from "./default-model.json";
import { ForestModelSchema } from "./model.js";
import { DEFAULT_TRAINING, formatModel, MODEL_FEATURES, trainDefaultModel } from "./train-default.js";

const model = ForestModelSchema.parse(shipped);

function mlScores(forest: CompiledForest, events: LabelledEvent[]): { score: number; fraud: boolean }[] {
  const cols = forest.featureNames.map((n) => (F as Record<string, number>)[n]!);
  const s = CardWindow.empty();
  const v = new Float64Array(N_RULE_FEATURES);
  const x = new Float64Array(cols.length);
  return events.map((le) => {
    extractInto(le.event, Date.parse(le.event.timestamp_utc), s, le.refs, v);
    cols.forEach((c, j) => (x[j] = v[c]!));
    s.apply(le.event);
    return { score: forest.score(x), fraud: le.is_fraud };
  });
}

describe("shipped default model", () => {
  it("validates and says how it was made", () => {
    expect(model.model_version).toBe(DEFAULT_TRAINING.modelVersion);
    expect(model.feature_names).toEqual(MODEL_FEATURES);
    for (const n of model.feature_names) expect(FEATURE_NAMES).toContain(n);
    expect(model.feature_names).not.toContain("merchant_risk_score");
    expect(model.trained).toMatchObject({
      seed: DEFAULT_TRAINING.forestSeed,
      trees: DEFAULT_TRAINING.trees,
      subsample_size: DEFAULT_TRAINING.subsampleSize,
      command: "npm run train:model",
      generator: { seed: DEFAULT_TRAINING.simSeed, cards: DEFAULT_TRAINING.cards, events: DEFAULT_TRAINING.events, fraud_rate: 0 },
    });
    expect(model.trained.generated_at_event_time!.from >= new Date(DEFAULT_TRAINING.startMs).toISOString()).toBe(true);
    const q = model.score_reference.quantiles;
    expect(q[0]![0]).toBe(0);
    expect(q[q.length - 1]![0]).toBe(1);
  });

  it("scores attack events above the card's own history", () => {
    const forest = compileForest(model);
    const t0 = Date.UTC(2026, 10, 20, 14);
    for (const events of [velocityAttack("ab12".repeat(16), t0), accountTakeover("cd34".repeat(16), t0)]) {
      const scores = mlScores(forest, events);
      const legit = scores.filter((r) => !r.fraud).map((r) => r.score);
      const fraud = scores.filter((r) => r.fraud).map((r) => r.score);
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      expect(mean(fraud)).toBeGreaterThan(mean(legit) + 0.1);
      expect(forest.percentile(Math.max(...fraud))).toBeGreaterThan(0.99);
    }
  });
});

describe("trainDefaultModel", () => {
  const small = { ...DEFAULT_TRAINING, cards: 300, events: 12_000, warmupDays: 1, trees: 10, maxRows: 5000 };

  it("is reproducible byte for byte from its config", () => {
    const a = formatModel(trainDefaultModel(small));
    const b = formatModel(trainDefaultModel(small));
    expect(a).toBe(b);
    expect(JSON.parse(a)).toEqual(ForestModelSchema.parse(JSON.parse(a)));
    const c = formatModel(trainDefaultModel({ ...small, forestSeed: small.forestSeed + 1 }));
    expect(c).not.toBe(a);
  });

  it("formats one tree per line and round-trips", () => {
    const text = formatModel(model);
    expect(text.split("\n").filter((l) => l.startsWith('    {"f":'))).toHaveLength(model.trees.length);
    expect(JSON.parse(text)).toEqual(model);
  });
});
