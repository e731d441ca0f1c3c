import { describe, expect, it } from "vitest";
import { joinPointInTime, labelsAsOf, splitByTime, TrainingDataError, type LabelVersion, type PointInTimeOptions, type StoredFeatureRow } from "./dataset.js";

const DAY = 86_400_000;
const T0 = Date.parse("2026-05-01T00:00:00Z");
const row = (id: string, dayOffset: number, layout = "mf1-test"): StoredFeatureRow => ({
  transaction_id: id,
  card_number_hash: `card-${id}`,
  event_ms: T0 + dayOffset * DAY,
  layout,
  values: [dayOffset, null],
});
const label = (id: string, fraud: boolean, atDay: number, version = 1): LabelVersion => ({ transaction_id: id, version, is_fraud: fraud, labelled_at_ms: T0 + atDay * DAY });
const OPTS: PointInTimeOptions = { fromMs: T0, toMs: T0 + 30 * DAY, cutoffMs: T0 + 30 * DAY, labelDelayMs: 7 * DAY, layout: "mf1-test", featureNames: ["a", "b"] };

describe("point-in-time join", () => {
  it("never uses a label recorded after the cut-off, nor a later correction of one before it", () => {
    const rows = [row("A", 1), row("B", 2), row("C", 3)];
    const labels = [
      label("A", true, 31), // recorded one day after the cut-off: invisible
      label("B", true, 5),
      label("B", false, 40, 2), // correction after the cut-off: B stays fraud as of the cut-off
      label("C", false, 6),
      label("C", true, 29, 2), // correction before the cut-off: used
    ];
    const j = joinPointInTime(rows, labels, OPTS);
    expect(j.rows.map((r) => [r.row.transaction_id, r.fraud])).toEqual([["A", false], ["B", true], ["C", true]]);
    expect(j.counts.labels_after_cutoff).toBe(2);
    expect(labelsAsOf(labels, T0 + 30 * DAY).labels.get("A")).toBeUndefined();
  });

  it("never uses an event whose label had not matured by the cut-off, or one outside the window", () => {
    // Cut-off day 30, delay 7: events after day 23 are too young, whatever their labels say.
    const rows = [row("OLD", 23), row("YOUNG", 23.5), row("AFTER", 31), row("BEFORE", -1)];
    const j = joinPointInTime(rows, [label("YOUNG", true, 24), label("AFTER", true, 29)], OPTS);
    expect(j.rows.map((r) => r.row.transaction_id)).toEqual(["OLD"]);
    expect(j.counts).toMatchObject({ rows_read: 4, not_matured: 1 });
    // With a later cut-off, the young one matures and its label is used.
    const later = joinPointInTime(rows, [label("YOUNG", true, 24)], { ...OPTS, cutoffMs: T0 + 31 * DAY });
    expect(later.rows.find((r) => r.row.transaction_id === "YOUNG")?.fraud).toBe(true);
  });

  it("treats matured unlabelled events as legitimate, skips other layouts and duplicates", () => {
    const rows = [row("A", 1), row("A", 1), row("X", 2, "mf0-old")];
    const j = joinPointInTime(rows, [], OPTS);
    expect(j.rows).toEqual([{ row: rows[0], fraud: false }]);
    expect(j.counts.other_layout).toBe(1);
  });

  it("validates on the latest slice of event time and refuses slices without fraud", () => {
    const rows = Array.from({ length: 23 }, (_, d) => row(`T${d}`, d));
    const labels = ["T1", "T3", "T20", "T22"].map((id) => label(id, true, 25));
    const j = joinPointInTime(rows, labels, OPTS);
    // Usable event time ends at day 23 (cut-off − delay); the last 20% of [0, 23] starts at 18.4.
    const s = splitByTime(j, OPTS, { validFraction: 0.2, minPositives: 1 });
    expect(s.counts).toMatchObject({ train_rows: 19, train_positives: 2, valid_rows: 4, valid_positives: 2 });
    expect(Math.min(...Array.from({ length: s.valid.rows }, (_, i) => s.valid.x[i * 2]!))).toBeGreaterThanOrEqual(19);
    expect(Number.isNaN(s.train.x[1])).toBe(true);
    expect(() => splitByTime(joinPointInTime(rows, labels.slice(0, 2), OPTS), OPTS, { validFraction: 0.2, minPositives: 1 })).toThrow(TrainingDataError);
  });
});
