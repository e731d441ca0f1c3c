import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedSystem, type EmbeddedSystem } from "../../cli/embedded-system.js";
import { runHandbookApiEval } from "../../cli/handbook-api-eval.js";

// `vigil eval --source handbook --through-api` on a small handbook dataset (80 customers on a small
// grid, a 4-day training week, 2-day delay, 2-day test): a private embedded system (aggregator with
// the event-time learning clock, edge in workerd), labels through /v1/feedback once 2 days old,
// the label job before each day, training and promotion through the ops API. Asserts what the
// pipeline did (the model decided the whole test week, nothing before it, the metrics exist), not
// how good or fast it was. Needs no JVM stack; slow (edge bundling, the edge's 10 s refresh per day).

const dir = mkdtempSync(join(tmpdir(), "vigil-hb-api-test-"));
let system: EmbeddedSystem | undefined;

afterAll(async () => {
  await system?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("handbook evaluation through the API", () => {
  it("scores through the edge, trains and promotes through the ops API, and measures the promoted model's verdicts", { timeout: 15 * 60_000 }, async () => {
    const delayDays = 2;
    system = await startEmbeddedSystem({
      dir,
      aggregatorEnv: {
        OPS_LEARNING_CLOCK: "events",
        OPS_RISK_INTERVAL_SECONDS: "86400",
        MODEL_RETRAIN_INTERVAL_HOURS: "0",
        MODEL_LABEL_DELAY_DAYS: String(delayDays),
        OPS_STATS_LABEL_DELAY_DAYS: String(delayDays),
      },
      edgeEnv: { MAX_EVENT_AGE_DAYS: "3650", MAX_BATCH: "500", MAX_BATCH_BODY_BYTES: String(4 * 1024 * 1024) },
    });
    const lines: string[] = [];
    const r = await runHandbookApiEval(system, {
      params: { seed: 3, nCustomers: 80, nTerminals: 160, gridSize: 30 },
      protocol: { startTraining: "2018-07-25", deltaTrain: 4, deltaDelay: delayDays, deltaTest: 2 },
      warmupDays: 3,
      batch: 500,
      log: (l) => lines.push(l),
    });

    // Every test-week verdict was decided by the model trained and promoted through the API, and
    // none before it was.
    expect(r.model.version).toMatch(/^gbdt-/);
    expect(Object.keys(r.testVersions)).toEqual([r.model.version]);
    expect(r.testVersions[r.model.version]).toBe(r.testRows);
    expect(Object.keys(r.earlierVersions)).not.toContain(r.model.version);
    expect(Object.values(r.earlierVersions).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Labels went through /v1/feedback and the trainer saw frauds among them.
    expect(r.labels).toBeGreaterThan(0);
    const counts = r.model.counts as { train_positives: number; valid_positives: number; labels_after_cutoff: number };
    expect(counts.train_positives).toBeGreaterThan(0);
    expect(counts.valid_positives).toBeGreaterThan(0);
    // Labels were recorded on the replay's clock, so the point-in-time join kept them.
    expect(counts.labels_after_cutoff).toBe(0);
    // The figures were computed from the returned verdicts.
    expect(r.testRows).toBeGreaterThan(0);
    expect(r.testFrauds).toBeGreaterThan(0);
    for (const v of [r.figures.auc, r.figures.ap, r.figures.cp100]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(r.events).toBeGreaterThan(r.testRows);
    expect(lines.some((l) => l.includes("promoted"))).toBe(true);
  });
});
