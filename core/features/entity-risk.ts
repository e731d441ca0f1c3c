import type { EntityRiskStats } from "../schemas.js";
import { DAY_MS } from "../window/card-window.js";

// Label-derived risk of a terminal or merchant, point in time. Fed labelled transactions (entity,
// event time, fraud or not); asked, for a query time T, how many transactions and frauds the entity
// had with event time in [T − D − w, T − D) for w = 1, 7, 30 days, where D is the label delay.
//
// Why a fixed delay on event time rather than "labels received so far": fraud labels (chargebacks,
// analyst calls) arrive sooner than the silent confirmation that a transaction was fine, so counting
// young transactions would overstate fraud rates and a model trained on such counts would learn
// the reporting lag, not the risk. Only transactions older than D ("matured") count, and a
// transaction not yet D old is not counted even if its label is already in. The central label
// job publishes these numbers with the reference data; the eval uses the same class to simulate
// what the edge would have read.

export interface EntityRiskOptions {
  /** D: transactions count once they are older than this (default 7 days). */
  labelDelayMs?: number;
  /** Rate the smoothing pulls toward (e.g. the population's matured fraud rate); default 0. */
  priorRate?: number;
  /** Weight of the prior in pseudo-transactions (default 10): rate = (frauds + k·prior) / (tx + k). */
  priorStrength?: number;
}

export const DEFAULT_LABEL_DELAY_MS = 7 * DAY_MS;
/** The windows w (1, 7, 30 days), in the order of EntityRiskStats' fields; the label job uses them too. */
export const ENTITY_WINDOW_MS = [DAY_MS, 7 * DAY_MS, 30 * DAY_MS] as const;

/** Bayesian (beta-binomial) smoothing of a rate toward `prior` with `strength` pseudo-observations. */
export function smoothedRate(frauds: number, tx: number, prior: number, strength: number): number {
  const d = tx + strength;
  return d > 0 ? (frauds + prior * strength) / d : prior;
}

/** One entity's transactions sorted by event time, with running fraud counts. */
class Series {
  times = new Float64Array(16);
  /** cum[k] = frauds among the first k transactions (length = capacity + 1). */
  cum = new Int32Array(17);
  fraud = new Uint8Array(16);
  n = 0;

  add(t: number, f: boolean): void {
    if (this.n === this.times.length) this.grow();
    let p = this.n;
    // Labelled transactions mostly come in event-time order: insertion is a no-op walk then.
    while (p > 0 && (this.times[p - 1] ?? 0) > t) p--;
    if (p < this.n) {
      this.times.copyWithin(p + 1, p, this.n);
      this.fraud.copyWithin(p + 1, p, this.n);
    }
    this.times[p] = t;
    this.fraud[p] = f ? 1 : 0;
    this.n++;
    for (let k = p; k < this.n; k++) this.cum[k + 1] = (this.cum[k] ?? 0) + (this.fraud[k] ?? 0);
  }

  /** Index of the first transaction at or after t. */
  lowerBound(t: number): number {
    let lo = 0, hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] ?? 0) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap); times.set(this.times); this.times = times;
    const fraud = new Uint8Array(cap); fraud.set(this.fraud); this.fraud = fraud;
    const cum = new Int32Array(cap + 1); cum.set(this.cum); this.cum = cum;
  }
}

export class EntityRiskAccumulator {
  readonly labelDelayMs: number;
  readonly priorRate: number;
  readonly priorStrength: number;
  private readonly series = new Map<string, Series>();

  constructor(opts: EntityRiskOptions = {}) {
    this.labelDelayMs = opts.labelDelayMs ?? DEFAULT_LABEL_DELAY_MS;
    this.priorRate = opts.priorRate ?? 0;
    this.priorStrength = opts.priorStrength ?? 10;
    if (!(this.labelDelayMs >= 0)) throw new RangeError(`labelDelayMs must be ≥ 0, got ${this.labelDelayMs}`);
    if (!(this.priorRate >= 0 && this.priorRate <= 1)) throw new RangeError(`priorRate must be in [0, 1], got ${this.priorRate}`);
    if (!(this.priorStrength >= 0)) throw new RangeError(`priorStrength must be ≥ 0, got ${this.priorStrength}`);
  }

  /** Records one labelled transaction of `entity` at event time `eventMs`. */
  add(entity: string, eventMs: number, isFraud: boolean): void {
    let s = this.series.get(entity);
    if (s === undefined) this.series.set(entity, (s = new Series()));
    s.add(eventMs, isFraud);
  }

  /** Whether any transaction of the entity was ever added (known to the label job). */
  has(entity: string): boolean {
    return this.series.has(entity);
  }

  /**
   * The entity's statistics as known at T: windows [T − D − w, T − D). An entity never seen gets
   * zero counts and the prior rate (the caller decides whether to publish it as unknown instead).
   */
  query(entity: string, T: number): EntityRiskStats {
    const s = this.series.get(entity);
    const end = T - this.labelDelayMs;
    const hi = s ? s.lowerBound(end) : 0;
    const counts = ENTITY_WINDOW_MS.map((w) => {
      if (!s) return { tx: 0, fraud: 0 };
      const lo = s.lowerBound(end - w);
      return { tx: hi - lo, fraud: (s.cum[hi] ?? 0) - (s.cum[lo] ?? 0) };
    });
    const rate = (c: { tx: number; fraud: number }) => smoothedRate(c.fraud, c.tx, this.priorRate, this.priorStrength);
    const [c1, c7, c30] = counts as [{ tx: number; fraud: number }, { tx: number; fraud: number }, { tx: number; fraud: number }];
    return {
      tx_1d: c1.tx, fraud_1d: c1.fraud, rate_1d: rate(c1),
      tx_7d: c7.tx, fraud_7d: c7.fraud, rate_7d: rate(c7),
      tx_30d: c30.tx, fraud_30d: c30.fraud, rate_30d: rate(c30),
    };
  }
}
