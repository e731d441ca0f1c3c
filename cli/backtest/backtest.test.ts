import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, defaultModel, parseRuleSet, parseScoringConfig, type ReferenceSignals } from "../../core/index.js";
import { serializeGbdt } from "../../core/ml/gbdt/index.js";
import { handModel } from "../../core/testing/learned-model.js";
import { runBacktest, type BacktestRun } from "../commands/backtest.js";
import { UsageError } from "../commands/common.js";
import { parseEventsJsonl, parseLabels } from "./inputs.js";
import { replay } from "./replay.js";
import { reportJson } from "./report.js";

// cli/testing/backtest/: 12 events over 4 cards, written out of time order, plus 2 bad lines. With
// config.json (stats and ML weights 0) fraud_score is the rule points: CARD_TESTING 90 (≥ 3
// events in a minute: a3, a4 of card A's 10-second burst), BIG_AMOUNT 60 (b3 700 USD, c1 800 USD),
// everything else 0. Frauds: a2, a3, a4, c1 (b3 is labelled legitimate, the rest unlabelled).
const dir = join(dirname(fileURLToPath(import.meta.url)), "../testing/backtest");
const fx = (f: string) => join(dir, f);
const base = { events: fx("events.jsonl"), labels: fx("labels.csv"), rules: fx("rules.json"), config: fx("config.json") };

describe("vigil backtest on the hand-built fixture", () => {
  let run: BacktestRun;
  beforeAll(async () => {
    run = await runBacktest(base);
  });

  it("counts events, labels, frauds and skipped lines", () => {
    expect(run.report).toMatchObject({ events: 12, cards: 4, labelled: 5, frauds: 4, skipped: 2, outOfRange: 0 });
  });

  it("reports per-rule hits and precision", () => {
    expect(run.report.rules).toEqual([
      { code: "BIG_AMOUNT", hits: 2, frauds: 1, precision: 0.5 },
      { code: "CARD_TESTING", hits: 2, frauds: 2, precision: 1 },
    ]);
  });

  it("reports recall and FPR of the verdicts as decided", () => {
    // REVIEW+: a3, a4 (90, BLOCKED), b3, c1 (60, REVIEW): 3 of 4 frauds, 1 of 8 legitimate.
    expect(run.report.review).toEqual({ recall: 0.75, falsePositiveRate: 0.125, flagged: 4 });
    // BLOCKED: a3, a4 only.
    expect(run.report.block).toEqual({ recall: 0.5, falsePositiveRate: 0, flagged: 2 });
  });

  it("computes AUC, AP and card precision@100 as worked out by hand", () => {
    // AUC over 4 × 8 pairs: a3, a4 beat all 8 (16); c1 beats the 7 zeros and ties b3 (7.5);
    // a2 ties the 7 zeros (3.5): 27 / 32.
    expect(run.report.aucRoc).toBeCloseTo(27 / 32, 12);
    // AP: threshold 90 → recall ½ at precision 1; 60 → ¾ at 3/4; 0 → 1 at 4/12.
    expect(run.report.averagePrecision).toBeCloseTo(0.5 + 0.25 * 0.75 + 0.25 * (4 / 12), 12);
    // Cards A (fraud), B, C (fraud), D: 2 of the 4 cards.
    expect(run.report.cardPrecisionAt100).toBe(0.5);
  });

  it("skips bad lines with their line numbers", () => {
    expect(run.badLines.map((b) => b.line)).toEqual([4, 9]);
    expect(run.badLines[0]!.message).toMatch(/not JSON/);
    expect(run.badLines[1]!.message).toMatch(/amount_usd/);
  });

  it("reads JSONL labels the same as CSV", async () => {
    expect((await runBacktest({ ...base, labels: fx("labels.jsonl") })).report).toEqual(run.report);
  });
});

describe("event-time order", () => {
  const engine = createEngine({
    config: parseScoringConfig(JSON.parse(readFileSync(fx("config.json"), "utf8"))),
    ruleSet: parseRuleSet(JSON.parse(readFileSync(fx("rules.json"), "utf8"))),
    model: defaultModel(),
  });
  const burst = parseEventsJsonl(readFileSync(fx("events.jsonl"), "utf8")).events.filter((e) => e.card_number_hash === "cardAAAA");

  it("replays events given newest first in time order, so the window counts the burst", () => {
    expect(burst.map((e) => e.transaction_id)).toEqual(["a4", "a3", "a2", "a1"]);
    const { outcomes } = replay(burst.map((event) => ({ event })), engine);
    expect(outcomes.map((o) => o.transactionId)).toEqual(["a1", "a2", "a3", "a4"]);
    expect(outcomes.map((o) => o.ruleTriggers)).toEqual([[], [], ["CARD_TESTING"], ["CARD_TESTING"]]);
    expect(outcomes.map((o) => o.score)).toEqual([0, 0, 90, 90]);
  });

  it("keeps input order among events of the same instant", () => {
    const same = burst.map((e, i) => ({ event: { ...e, transaction_id: `s${i}`, timestamp_utc: "2026-03-02T10:00:00Z" } }));
    expect(replay(same, engine).outcomes.map((o) => o.transactionId)).toEqual(["s0", "s1", "s2", "s3"]);
  });
});

describe("--from/--to", () => {
  it("replays only [from, to), with card state starting fresh at from", async () => {
    // b1 (08:00), d1 (09:00), a1, a2 fall out. Without a1 and a2, a3 and a4 are the card's 1st and 2nd events in the minute: no CARD_TESTING.
    const { report } = await runBacktest({ ...base, from: "2026-03-02T10:00:15Z" });
    expect(report).toMatchObject({ events: 8, outOfRange: 4, frauds: 3 });
    expect(report.rules).toEqual([{ code: "BIG_AMOUNT", hits: 2, frauds: 1, precision: 0.5 }]);
  });

  it("excludes events at or after --to", async () => {
    const { report } = await runBacktest({ ...base, to: "2026-03-02T16:00:00Z" });
    // b3 (16:00) and d3 (18:00) fall out.
    expect(report).toMatchObject({ events: 10, outOfRange: 2, frauds: 4 });
    expect(report.rules.find((r) => r.code === "BIG_AMOUNT")).toEqual({ code: "BIG_AMOUNT", hits: 1, frauds: 1, precision: 1 });
    expect(report.review).toEqual({ recall: 0.75, falsePositiveRate: 0, flagged: 3 });
  });

  it("refuses bounds in the wrong order or not dates", async () => {
    await expect(runBacktest({ ...base, from: "2026-03-03", to: "2026-03-02" })).rejects.toThrow(UsageError);
    await expect(runBacktest({ ...base, from: "yesterday" })).rejects.toThrow(/--from/);
  });
});

describe("--model", () => {
  it("makes a GBDT file the champion, its thresholds deciding the verdicts", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "vigil-backtest-")), "model.json");
    writeFileSync(file, serializeGbdt(handModel()));
    const { report, engine } = await runBacktest({ ...base, config: undefined, model: file });
    expect(engine.modelVersion).toBe("gbdt-hand-1");
    // margin −3 + 6 (amount ≥ 500) ± 0.5 (first event of the card or not), daytime: c1 (first
    // event, fraud) → σ(3.5) = 97.1, b3 (third event, legitimate) → σ(2.5) = 92.4, both ≥ block 90.
    // The small purchases stay below 5, and the fixture's rules have no action, so they force nothing.
    expect(report.block).toEqual({ recall: 0.25, falsePositiveRate: 0.125, flagged: 2 });
    expect(report.review).toEqual(report.block);
  });
});

describe("parseLabels", () => {
  it("takes CSV with or without a header, last label winning", () => {
    expect([...parseLabels("t1,1\nt2,false\nt1,0\n").labels]).toEqual([["t1", false], ["t2", false]]);
  });

  it("reports a bad line by number", () => {
    expect(parseLabels("transaction_id,is_fraud\nt1,maybe\n").bad).toEqual([{ line: 2, message: expect.stringMatching(/is_fraud/) as unknown as string }]);
  });
});

describe("--json", () => {
  it("writes NaN figures (no frauds in range) as null", async () => {
    const { report } = await runBacktest({ ...base, to: "2026-03-02T10:00:05Z" });
    const json = JSON.parse(reportJson(report, { rules_version: "r" })) as Record<string, unknown>;
    expect(json).toMatchObject({ rules_version: "r", events: 3, frauds: 0, aucRoc: null, averagePrecision: null, review: { recall: null, falsePositiveRate: 0 } });
  });
});

describe("reference data as it was at each event time", () => {
  const engine = createEngine({ config: parseScoringConfig(JSON.parse(readFileSync(fx("config.json"), "utf8"))), ruleSet: parseRuleSet(JSON.parse(readFileSync(fx("rules.json"), "utf8"))), model: defaultModel() });
  // Records the terminal stats each event was scored with (the real engine still decides).
  const seen = new Map<string, ReferenceSignals["terminal_stats"]>();
  const recording: typeof engine = { ...engine, process: (e, s, refs) => (seen.set(e.transaction_id, refs.terminal_stats), engine.process(e, s, refs)) };
  const DAY = 86_400_000;
  const t0 = Date.parse("2026-03-01T12:00:00Z");
  const e = (id: string, days: number) => ({ event: { ...burstBase, transaction_id: id, terminal_id: "POS-X", timestamp_utc: new Date(t0 + days * DAY).toISOString() } });
  const burstBase = parseEventsJsonl(readFileSync(fx("events.jsonl"), "utf8")).events[0]!;

  it("counts a fraud on the terminal only once it matured (D = 7 d), and never today's labels of later events", () => {
    // f0 fraud at day 0; l1 legitimate at day 1; q6 at day 6.9 (nothing matured), q7 at day 7.5
    // (f0 matured), q9 at day 9 (f0, l1 matured). q20, a fraud itself, is known today but after all.
    const items = [e("q20", 20), e("q9", 9), e("f0", 0), e("l1", 1), e("q6", 6.9), e("q7", 7.5)];
    const labels = new Map([["f0", true], ["l1", false], ["q20", true]]);
    replay(items, recording, { pointInTime: { labels, labelDelayMs: 7 * DAY, priorStrength: 0 } });
    expect(seen.get("f0")).toBeUndefined(); // the terminal was unknown to the job before its first event
    expect(seen.get("q6")).toMatchObject({ tx_30d: 0, fraud_30d: 0 });
    expect(seen.get("q7")).toMatchObject({ tx_30d: 1, fraud_30d: 1, rate_30d: 1 });
    expect(seen.get("q9")).toMatchObject({ tx_30d: 2, fraud_30d: 1, rate_30d: 0.5, tx_1d: 1, fraud_1d: 0 });
    // q20: window [day −17, day 13) holds f0, l1, q6, q7, q9 — one fraud in five.
    expect(seen.get("q20")).toMatchObject({ tx_30d: 5, fraud_30d: 1 });
  });

  it("runBacktest uses them: without a learned model the figures are unchanged (only model features read them)", async () => {
    const a = await runBacktest(base);
    const b = await runBacktest({ ...base, labelDelayDays: 0 });
    expect(b.report).toEqual(a.report);
  });
});
