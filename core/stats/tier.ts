import type { ScoringConfig } from "../config.js";
import { Baseline, METRICS, N_METRICS, type Metric } from "./baseline.js";

/**
 * Tier 2: how far this event's 1/5/15-minute counts and spend and its amount sit above the
 * card's OWN history (only upward deviations are risk). Per metric:
 * - z-score against the card's EW mean/variance shrunk toward the population prior with card
 *   weight w = n / (n + prior_strength): a new card is judged against the population, a card
 *   with a long history against itself. The spread never falls below the metric's sd_floor.
 * - IQR fence (x − Q3) / max(IQR, iqr_floor) over the card's last 32 observations, used only
 *   once the card has min_iqr_history of them.
 * Each statistic maps linearly to 0..1 between its threshold (z 3, fence 1.5) and its "full"
 * value (z 8, fence 6); the metric takes the larger, and the tier score is 100 × the largest
 * metric (the metrics are strongly correlated, so adding them would count one burst several times).
 */
export interface StatOutcome {
  score: number;
  z: Float64Array;
  fence: Float64Array;
  dev: Float64Array;
  /** Shrunk baseline mean used for each metric (for reason texts). */
  mu: Float64Array;
}

const clamp01 = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : x);

export class StatTier {
  private readonly pMean = new Float64Array(N_METRICS);
  private readonly pVar = new Float64Array(N_METRICS);
  private readonly sdFloor = new Float64Array(N_METRICS);
  private readonly iqrFloor = new Float64Array(N_METRICS);
  private readonly out: StatOutcome = {
    score: 0,
    z: new Float64Array(N_METRICS),
    fence: new Float64Array(N_METRICS),
    dev: new Float64Array(N_METRICS),
    mu: new Float64Array(N_METRICS),
  };

  constructor(private readonly cfg: ScoringConfig["stats"]) {
    METRICS.forEach((m: Metric, i) => {
      const p = cfg.priors[m];
      this.pMean[i] = p.mean;
      this.pVar[i] = p.sd * p.sd;
      this.sdFloor[i] = p.sd_floor;
      this.iqrFloor[i] = p.iqr_floor;
    });
  }

  /** Scores observation `x` (as Baseline.push takes it) against `b`. The result is reused: copy what you keep. */
  evaluate(x: Float64Array, b: Baseline): StatOutcome {
    const c = this.cfg;
    const w = b.n / (b.n + c.prior_strength);
    const useIqr = b.len >= c.min_iqr_history;
    const o = this.out;
    let best = 0;
    for (let m = 0; m < N_METRICS; m++) {
      const v = x[m] ?? 0;
      const mu = w * b.mean(m) + (1 - w) * (this.pMean[m] ?? 0);
      const variance = w * b.variance(m) + (1 - w) * (this.pVar[m] ?? 0);
      const sd = Math.max(Math.sqrt(variance), this.sdFloor[m] ?? 0);
      const z = (v - mu) / sd;
      let d = clamp01((z - c.z_threshold) / (c.z_full - c.z_threshold));
      let fence = 0;
      if (useIqr) {
        const q1 = b.quantile(m, 0.25);
        const q3 = b.quantile(m, 0.75);
        fence = (v - q3) / Math.max(q3 - q1, this.iqrFloor[m] ?? 0);
        const di = clamp01((fence - c.iqr_threshold) / (c.iqr_full - c.iqr_threshold));
        if (di > d) d = di;
      }
      o.z[m] = z;
      o.fence[m] = fence;
      o.dev[m] = d;
      o.mu[m] = mu;
      if (d > best) best = d;
    }
    o.score = 100 * best;
    return o;
  }
}
