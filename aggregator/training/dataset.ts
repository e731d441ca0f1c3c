import type { GbdtDataset } from "../../core/ml/gbdt/train/data.js";
import type { TrainingCounts } from "./registry.js";

// Point-in-time join of the feature store with labels: what a model may learn from at a cut-off C.
//   - an event counts only if its event time t is in [from, to] and its label had matured by C:
//     t + label delay ≤ C. A younger event's chargeback may still be on its way, so calling it
//     legitimate would teach the model the reporting lag;
//   - a label counts only as it stood at C: the latest version recorded at or before C. A label
//     recorded after C (or a later correction) is invisible, as it was to anyone at C;
//   - a matured event without a label is legitimate. Labels come from chargebacks, analyst
//     decisions and customer reports, so after the delay silence means nobody disputed it — the
//     standard reading of chargeback-driven labelling, and why the delay must cover the
//     chargeback window.
// Features are taken as stored, i.e. as the edge computed them when it scored the event, so
// nothing after t leaks in through them either. Validation is the latest slice of event time.

export interface StoredFeatureRow {
  transaction_id: string;
  card_number_hash: string;
  event_ms: number;
  layout: string;
  /** null = missing (NaN for the model). */
  values: ReadonlyArray<number | null>;
}

export interface LabelVersion {
  transaction_id: string;
  version: number;
  is_fraud: boolean;
  labelled_at_ms: number;
}

export interface PointInTimeOptions {
  fromMs: number;
  toMs: number;
  cutoffMs: number;
  labelDelayMs: number;
  /** Only rows of this feature layout are read (the trainer's MODEL_FEATURE_LAYOUT). */
  layout: string;
  featureNames: readonly string[];
}

export interface LabelledRow {
  row: StoredFeatureRow;
  fraud: boolean;
}

export interface JoinResult {
  rows: LabelledRow[];
  counts: Pick<TrainingCounts, "rows_read" | "other_layout" | "not_matured" | "labels_after_cutoff">;
}

/** Each transaction's label as it stood at the cut-off. */
export function labelsAsOf(versions: readonly LabelVersion[], cutoffMs: number): { labels: Map<string, boolean>; afterCutoff: number } {
  const best = new Map<string, LabelVersion>();
  let afterCutoff = 0;
  for (const v of versions) {
    if (v.labelled_at_ms > cutoffMs) {
      afterCutoff++;
      continue;
    }
    const cur = best.get(v.transaction_id);
    if (cur === undefined || v.version > cur.version) best.set(v.transaction_id, v);
  }
  return { labels: new Map([...best].map(([id, v]) => [id, v.is_fraud])), afterCutoff };
}

/** The matured, labelled rows of the window, one per transaction, in (event time, id) order. */
export function joinPointInTime(rows: readonly StoredFeatureRow[], versions: readonly LabelVersion[], o: PointInTimeOptions): JoinResult {
  const { labels, afterCutoff } = labelsAsOf(versions, o.cutoffMs);
  const counts = { rows_read: rows.length, other_layout: 0, not_matured: 0, labels_after_cutoff: afterCutoff };
  // Sorted first so duplicates (at-least-once delivery) resolve to the same row on every run.
  const sorted = [...rows].sort((a, b) => a.event_ms - b.event_ms || (a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0));
  const seen = new Set<string>();
  const out: LabelledRow[] = [];
  for (const r of sorted) {
    if (r.event_ms < o.fromMs || r.event_ms > o.toMs || seen.has(r.transaction_id)) continue;
    if (r.layout !== o.layout || r.values.length !== o.featureNames.length) {
      counts.other_layout++;
      continue;
    }
    if (r.event_ms + o.labelDelayMs > o.cutoffMs) {
      counts.not_matured++;
      continue;
    }
    seen.add(r.transaction_id);
    out.push({ row: r, fraud: labels.get(r.transaction_id) === true });
  }
  return { rows: out, counts };
}

/** Rows → the trainer's dense matrix; card ids numbered in order of appearance. */
export function toDataset(rows: readonly LabelledRow[], featureNames: readonly string[]): GbdtDataset {
  const cols = featureNames.length;
  const x = new Float64Array(rows.length * cols);
  const y = new Uint8Array(rows.length);
  const cardIds = new Uint32Array(rows.length);
  const cards = new Map<string, number>();
  rows.forEach((r, i) => {
    for (let j = 0; j < cols; j++) {
      const v = r.row.values[j];
      x[i * cols + j] = v === null || v === undefined ? Number.NaN : v;
    }
    y[i] = r.fraud ? 1 : 0;
    let c = cards.get(r.row.card_number_hash);
    if (c === undefined) cards.set(r.row.card_number_hash, (c = cards.size));
    cardIds[i] = c;
  });
  return { x, rows: rows.length, cols, y, featureNames, cardIds };
}

export class TrainingDataError extends Error {
  constructor(
    message: string,
    readonly counts: TrainingCounts,
  ) {
    super(message);
    this.name = "TrainingDataError";
  }
}

export interface SplitOptions {
  /** Share of the window's event time (the latest part) held out for validation. */
  validFraction: number;
  /** Fewest fraud rows each side needs before a model is worth fitting. */
  minPositives: number;
}

/** Train on the earlier part of event time, validate on the latest slice. Throws TrainingDataError when a side is unusable. */
export function splitByTime(join: JoinResult, o: PointInTimeOptions, s: SplitOptions): { train: GbdtDataset; valid: GbdtDataset; counts: TrainingCounts } {
  const lastMs = Math.min(o.toMs, o.cutoffMs - o.labelDelayMs);
  const splitMs = o.fromMs + (1 - s.validFraction) * (lastMs - o.fromMs);
  const trainRows = join.rows.filter((r) => r.row.event_ms < splitMs);
  const validRows = join.rows.filter((r) => r.row.event_ms >= splitMs);
  const pos = (rs: LabelledRow[]) => rs.filter((r) => r.fraud).length;
  const counts: TrainingCounts = {
    ...join.counts,
    train_rows: trainRows.length,
    train_positives: pos(trainRows),
    valid_rows: validRows.length,
    valid_positives: pos(validRows),
  };
  const problems: string[] = [];
  if (counts.train_positives < s.minPositives) problems.push(`training slice has ${counts.train_positives} fraud rows (need ${s.minPositives})`);
  if (counts.train_rows - counts.train_positives < 1) problems.push("training slice has no legitimate rows");
  if (counts.valid_positives < s.minPositives) problems.push(`validation slice has ${counts.valid_positives} fraud rows (need ${s.minPositives})`);
  if (counts.valid_rows - counts.valid_positives < 1) problems.push("validation slice has no legitimate rows");
  if (problems.length > 0) throw new TrainingDataError(problems.join("; "), counts);
  return { train: toDataset(trainRows, o.featureNames), valid: toDataset(validRows, o.featureNames), counts };
}
