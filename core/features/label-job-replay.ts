import type { EntityRiskStats, ReferenceSignals, TransactionEvent } from "../schemas.js";
import { DAY_MS } from "../window/card-window.js";
import { DEFAULT_LABEL_DELAY_MS, EntityRiskAccumulator, smoothedRate } from "./entity-risk.js";

// What the central label job (aggregator/ops/entity-stats.ts) would have published for a terminal
// and a merchant at a past instant T, rebuilt from today's labels for a replay (`vigil backtest`):
//   - counts over [T − D − w, T − D), w = 1, 7, 30 days: only transactions matured by T;
//   - rates smoothed toward the population's matured 30-day fraud rate at T (not today's);
//   - an entity with no transaction in [T − D − 30 d, T) was not in the job's table: unknown,
//     so no stats at all (as at the edge), rather than zeros.
// Feed events in event-time order: signals(e, T) before record(e, T, label), so an event never
// sees itself or anything after it.

export interface LabelJobReplayOptions {
  /** D (default 7 days). */
  labelDelayMs?: number;
  /** k of (frauds + k·prior) / (tx + k) (default 10, the label job's default). */
  priorStrength?: number;
}

const POPULATION = "";
const WINDOW_30D = 30 * DAY_MS;

export class LabelJobReplay {
  readonly labelDelayMs: number;
  readonly priorStrength: number;
  // Raw counts only (no smoothing): the prior is the population's rate at query time.
  private readonly terminals: EntityRiskAccumulator;
  private readonly merchants: EntityRiskAccumulator;
  private readonly population: EntityRiskAccumulator;
  private readonly lastTerminal = new Map<string, number>();
  private readonly lastMerchant = new Map<string, number>();

  constructor(o: LabelJobReplayOptions = {}) {
    this.labelDelayMs = o.labelDelayMs ?? DEFAULT_LABEL_DELAY_MS;
    this.priorStrength = o.priorStrength ?? 10;
    if (!(this.priorStrength >= 0)) throw new RangeError(`priorStrength must be ≥ 0, got ${this.priorStrength}`);
    const raw = { labelDelayMs: this.labelDelayMs, priorRate: 0, priorStrength: 0 };
    this.terminals = new EntityRiskAccumulator(raw);
    this.merchants = new EntityRiskAccumulator(raw);
    this.population = new EntityRiskAccumulator(raw);
  }

  /** The population's matured 30-day fraud rate at T: the smoothing prior the job would have used. */
  priorAt(T: number): number {
    const p = this.population.query(POPULATION, T);
    return p.tx_30d > 0 ? p.fraud_30d / p.tx_30d : 0;
  }

  private stats(acc: EntityRiskAccumulator, last: Map<string, number>, entity: string | undefined, T: number, prior: number): EntityRiskStats | undefined {
    if (entity === undefined || entity === "") return undefined;
    const seen = last.get(entity);
    if (seen === undefined || seen < T - this.labelDelayMs - WINDOW_30D) return undefined;
    const c = acc.query(entity, T);
    const r = (f: number, n: number) => smoothedRate(f, n, prior, this.priorStrength);
    return {
      tx_1d: c.tx_1d, fraud_1d: c.fraud_1d, rate_1d: r(c.fraud_1d, c.tx_1d),
      tx_7d: c.tx_7d, fraud_7d: c.fraud_7d, rate_7d: r(c.fraud_7d, c.tx_7d),
      tx_30d: c.tx_30d, fraud_30d: c.fraud_30d, rate_30d: r(c.fraud_30d, c.tx_30d),
    };
  }

  /** `base` (e.g. recorded list lookups) with the terminal and merchant stats as published at T. */
  signals(event: TransactionEvent, T: number, base?: ReferenceSignals): ReferenceSignals {
    const prior = this.priorAt(T);
    const terminal = this.stats(this.terminals, this.lastTerminal, event.terminal_id, T, prior);
    const merchant = this.stats(this.merchants, this.lastMerchant, event.merchant_id, T, prior);
    const out: ReferenceSignals = { ...(base ?? { status: "OK" }) };
    if (terminal) out.terminal_stats = terminal;
    if (merchant) out.merchant_stats = merchant;
    return out;
  }

  /** Records the event with its label as known today (unlabelled = legitimate, as the job counts it). */
  record(event: TransactionEvent, T: number, isFraud: boolean): void {
    if (event.terminal_id) {
      this.terminals.add(event.terminal_id, T, isFraud);
      this.lastTerminal.set(event.terminal_id, Math.max(T, this.lastTerminal.get(event.terminal_id) ?? T));
    }
    this.merchants.add(event.merchant_id, T, isFraud);
    this.lastMerchant.set(event.merchant_id, Math.max(T, this.lastMerchant.get(event.merchant_id) ?? T));
    this.population.add(POPULATION, T, isFraud);
  }
}
