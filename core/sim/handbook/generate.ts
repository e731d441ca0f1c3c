import { createRng, type Rng } from "../../random.js";
import { parseHandbookParams, startMs, type HandbookParams, type HandbookParamsInput } from "./params.js";

// A faithful re-implementation of the Fraud Detection Handbook's simulator (§3.2,
// SimulatedDataset.ipynb): customer and terminal profiles, terminals within radius r, Poisson
// daily counts, normal amounts and times of day, then the three fraud scenarios in the notebook's
// order. Only the random streams differ (numpy/`random` there, seeded forks of core/random.ts
// here), so figures match the handbook's in distribution, not digit for digit. Columns live in
// typed arrays: the default dataset is ~1.75M transactions.

const DAY_S = 86_400;

export interface HandbookCustomers {
  readonly count: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly meanAmount: Float64Array;
  readonly stdAmount: Float64Array;
  readonly meanNbTxPerDay: Float64Array;
  /** Terminals of customer c: terminalList[terminalStart[c] … terminalStart[c + 1]), ascending. */
  readonly terminalStart: Int32Array;
  readonly terminalList: Int32Array;
}

export interface HandbookTerminals {
  readonly count: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** Transactions in chronological order; the index is TX_ID (TRANSACTION_ID in the handbook). */
export interface HandbookTransactions {
  readonly length: number;
  /** Seconds since the dataset's first midnight (TX_TIME_SECONDS). */
  readonly timeSeconds: Int32Array;
  /** Whole days since the first midnight (TX_TIME_DAYS). */
  readonly day: Int32Array;
  readonly customerId: Int32Array;
  readonly terminalId: Int32Array;
  readonly amount: Float64Array;
  readonly fraud: Uint8Array;
  /** 0 legitimate, else the scenario (1, 2, 3) that last marked the transaction. */
  readonly scenario: Uint8Array;
}

export interface HandbookDataset {
  readonly params: HandbookParams;
  /** Epoch ms of day 0's midnight (UTC). */
  readonly startMs: number;
  /** Days actually generated (≤ params.nbDays). */
  readonly days: number;
  readonly customers: HandbookCustomers;
  readonly terminals: HandbookTerminals;
  readonly tx: HandbookTransactions;
  /** Ground truth of scenarios 2 and 3: who was compromised on day d (index d), in draw order. */
  readonly draws: ScenarioDraws;
}

export interface ScenarioDraws {
  terminalsByDay: number[][];
  customersByDay: number[][];
}

/** One transaction under the handbook's column names. */
export interface HandbookRow {
  TX_ID: number;
  /** Epoch milliseconds (UTC). */
  TX_DATETIME: number;
  CUSTOMER_ID: number;
  TERMINAL_ID: number;
  TX_AMOUNT: number;
  TX_FRAUD: 0 | 1;
  TX_FRAUD_SCENARIO: 0 | 1 | 2 | 3;
  TX_TIME_SECONDS: number;
  TX_TIME_DAYS: number;
}

export interface GenerateOptions {
  /**
   * Generate only the first `days` days of the nbDays-long dataset. The fraud draws stay those of
   * the full dataset, so the prefix is the same data (except which of a compromised card's last
   * transactions scenario 3 picks near the cut, since it samples a share of what exists).
   */
  days?: number;
}

/** Poisson variate by Knuth's product method, in chunks of λ ≤ 30 so e^−λ never underflows. */
export function poisson(rng: Rng, lambda: number): number {
  let n = 0;
  let rest = lambda;
  while (rest > 0) {
    const l = Math.min(rest, 30);
    rest -= l;
    const limit = Math.exp(-l);
    let p = rng.next();
    while (p > limit) {
      n++;
      p *= rng.next();
    }
  }
  return n;
}

/** k distinct integers of [0, n) in draw order (pandas .sample(n=k) / random.sample). */
export function sampleDistinct(rng: Rng, n: number, k: number): number[] {
  if (k > n) throw new RangeError(`cannot sample ${k} of ${n}`);
  if (k * 4 < n) {
    const seen = new Set<number>();
    const out: number[] = [];
    while (out.length < k) {
      const v = rng.int(n);
      if (!seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    }
    return out;
  }
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.slice(0, k);
}

function customerProfiles(p: HandbookParams, rng: Rng): Omit<HandbookCustomers, "terminalStart" | "terminalList"> {
  const n = p.nCustomers;
  const c = { count: n, x: new Float64Array(n), y: new Float64Array(n), meanAmount: new Float64Array(n), stdAmount: new Float64Array(n), meanNbTxPerDay: new Float64Array(n) };
  // Same draw order as generate_customer_profiles_table: x, y, mean amount, mean tx per day.
  for (let i = 0; i < n; i++) {
    c.x[i] = rng.range(0, p.gridSize);
    c.y[i] = rng.range(0, p.gridSize);
    c.meanAmount[i] = rng.range(p.meanAmountMin, p.meanAmountMax);
    c.stdAmount[i] = c.meanAmount[i]! * p.stdAmountRatio;
    c.meanNbTxPerDay[i] = rng.range(p.meanTxPerDayMin, p.meanTxPerDayMax);
  }
  return c;
}

function terminalProfiles(p: HandbookParams, rng: Rng): HandbookTerminals {
  const n = p.nTerminals;
  const t = { count: n, x: new Float64Array(n), y: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    t.x[i] = rng.range(0, p.gridSize);
    t.y[i] = rng.range(0, p.gridSize);
  }
  return t;
}

/** get_list_terminals_within_radius: strict distance < r, terminals in id order. */
function terminalsWithinRadius(c: Omit<HandbookCustomers, "terminalStart" | "terminalList">, t: HandbookTerminals, r: number): { terminalStart: Int32Array; terminalList: Int32Array } {
  const start = new Int32Array(c.count + 1);
  const list: number[] = [];
  for (let i = 0; i < c.count; i++) {
    const cx = c.x[i]!;
    const cy = c.y[i]!;
    for (let j = 0; j < t.count; j++) {
      const dx = cx - t.x[j]!;
      const dy = cy - t.y[j]!;
      // The notebook's test, sqrt(dx² + dy²) < r, kept as is so boundary cases round the same way.
      if (Math.sqrt(dx * dx + dy * dy) < r) list.push(j);
    }
    start[i + 1] = list.length;
  }
  return { terminalStart: start, terminalList: Int32Array.from(list) };
}

/** Growable columns for the unsorted transactions of the generation loop. */
class Columns {
  n = 0;
  sec: Int32Array;
  cust: Int32Array;
  term: Int32Array;
  amount: Float64Array;
  constructor(capacity: number) {
    this.sec = new Int32Array(capacity);
    this.cust = new Int32Array(capacity);
    this.term = new Int32Array(capacity);
    this.amount = new Float64Array(capacity);
  }
  push(sec: number, cust: number, term: number, amount: number): void {
    if (this.n === this.sec.length) this.grow();
    this.sec[this.n] = sec;
    this.cust[this.n] = cust;
    this.term[this.n] = term;
    this.amount[this.n] = amount;
    this.n++;
  }
  private grow(): void {
    const cap = Math.max(1024, this.sec.length * 2);
    const g = <T extends Int32Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
    this.sec = g(this.sec, new Int32Array(cap));
    this.cust = g(this.cust, new Int32Array(cap));
    this.term = g(this.term, new Int32Array(cap));
    this.amount = g(this.amount, new Float64Array(cap));
  }
}

/** generate_transactions_table for every customer, in customer order. */
function customerTransactions(p: HandbookParams, root: Rng, c: HandbookCustomers, days: number): Columns {
  let expected = 0;
  for (let i = 0; i < c.count; i++) expected += c.meanNbTxPerDay[i]!;
  const cols = new Columns(Math.ceil(expected * days * 1.02) + 1024);
  for (let cu = 0; cu < c.count; cu++) {
    // numpy draws (counts, times, amounts) and `random.choice` (terminal) are two streams there too.
    const rng = root.fork(`customer:${cu}`);
    const pick = root.fork(`terminal-choice:${cu}`);
    const t0 = c.terminalStart[cu]!;
    const nTerm = c.terminalStart[cu + 1]! - t0;
    const mean = c.meanAmount[cu]!;
    const sd = c.stdAmount[cu]!;
    for (let day = 0; day < days; day++) {
      const nb = poisson(rng, c.meanNbTxPerDay[cu]!);
      for (let k = 0; k < nb; k++) {
        // int() truncates toward zero; times outside (0, 86400) are dropped, not redrawn.
        const time = Math.trunc(rng.normal(p.timeOfDayMeanSeconds, p.timeOfDayStdSeconds));
        if (!(time > 0 && time < DAY_S)) continue;
        let amount = rng.normal(mean, sd);
        if (amount < 0) amount = rng.range(0, mean * 2);
        amount = Math.round(amount * 100) / 100;
        // A customer with no terminal in reach makes no transaction (the notebook's guard).
        if (nTerm > 0) cols.push(day * DAY_S + time, cu, c.terminalList[t0 + pick.int(nTerm)]!, amount);
      }
    }
  }
  return cols;
}

/** The notebook sorts by TX_DATETIME; ties (same second) keep generation order here. */
function chronologicalOrder(cols: Columns): Int32Array {
  const n = cols.n;
  let secMax = 0;
  for (let i = 0; i < n; i++) secMax = Math.max(secMax, cols.sec[i]!);
  let m = 1;
  while (m < n) m *= 2;
  const order = new Int32Array(n);
  if ((secMax + 1) * m <= Number.MAX_SAFE_INTEGER) {
    // One numeric Float64Array sort of (seconds, index) packed keys: far faster than a comparator.
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = cols.sec[i]! * m + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i]! % m;
  } else {
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => cols.sec[a]! - cols.sec[b]! || a - b);
  }
  return order;
}

function addFrauds(p: HandbookParams, root: Rng, c: HandbookCustomers, tx: HandbookTransactions, days: number): ScenarioDraws {
  const draws: ScenarioDraws = { terminalsByDay: [], customersByDay: [] };
  const { amount, fraud, scenario, day, terminalId, customerId } = tx;
  // Scenario 1, on the amounts before scenario 3 multiplies any of them.
  for (let i = 0; i < tx.length; i++) {
    if (amount[i]! > p.scenario1AmountThreshold) {
      fraud[i] = 1;
      scenario[i] = 1;
    }
  }
  // `for day in range(TX_TIME_DAYS.max())`: draws for days 0 … nbDays − 2 (none on the last day).
  const drawDays = Math.min(p.nbDays - 1, days);

  // Scenario 2: per terminal, the day ranges [d, d + 28) in which it is compromised.
  const windows = new Map<number, number[]>();
  for (let d = 0; d < drawDays; d++) {
    const drawn = sampleDistinct(root.fork(`scenario2:${d}`), p.nTerminals, p.scenario2TerminalsPerDay);
    draws.terminalsByDay.push(drawn);
    for (const t of drawn) {
      const w = windows.get(t) ?? [];
      w.push(d, d + p.scenario2Days);
      windows.set(t, w);
    }
  }
  for (let i = 0; i < tx.length; i++) {
    const w = windows.get(terminalId[i]!);
    if (w === undefined) continue;
    const dd = day[i]!;
    for (let k = 0; k < w.length; k += 2) {
      if (dd >= w[k]! && dd < w[k + 1]!) {
        fraud[i] = 1;
        scenario[i] = 2;
        break;
      }
    }
  }

  // Scenario 3 needs each customer's transactions: an index of them in chronological order.
  const byCustStart = new Int32Array(c.count + 1);
  for (let i = 0; i < tx.length; i++) byCustStart[customerId[i]! + 1]!++;
  for (let cu = 0; cu < c.count; cu++) byCustStart[cu + 1]! += byCustStart[cu]!;
  const byCust = new Int32Array(tx.length);
  const fill = byCustStart.slice(0, c.count);
  for (let i = 0; i < tx.length; i++) byCust[fill[customerId[i]!]!++] = i;

  for (let d = 0; d < drawDays; d++) {
    const compromised = sampleDistinct(root.fork(`scenario3:${d}`), p.nCustomers, p.scenario3CustomersPerDay);
    draws.customersByDay.push(compromised);
    const hits: number[] = [];
    for (const cu of compromised) {
      for (let k = byCustStart[cu]!; k < byCustStart[cu + 1]!; k++) {
        const i = byCust[k]!;
        if (day[i]! >= d && day[i]! < d + p.scenario3Days) hits.push(i);
      }
    }
    // The notebook samples from the DataFrame index in row order; sort so the draw sees the same list.
    hits.sort((a, b) => a - b);
    const k = Math.trunc(hits.length / p.scenario3ShareDivisor);
    for (const h of sampleDistinct(root.fork(`scenario3-sample:${d}`), hits.length, k)) {
      const i = hits[h]!;
      amount[i] = amount[i]! * p.scenario3AmountMultiplier;
      fraud[i] = 1;
      scenario[i] = 3;
    }
  }
  return draws;
}

/** The handbook's generate_dataset followed by add_frauds. Pure: same options → same data. */
export function generateHandbookDataset(options: HandbookParamsInput = {}, gen: GenerateOptions = {}): HandbookDataset {
  const params = parseHandbookParams(options);
  const days = gen.days ?? params.nbDays;
  if (!Number.isInteger(days) || days < 1 || days > params.nbDays) {
    throw new RangeError(`handbook simulator options: days: must be an integer in 1..nbDays (${params.nbDays}), got ${days}`);
  }
  const root = createRng(params.seed);
  const profiles = customerProfiles(params, root.fork("customers"));
  const terminals = terminalProfiles(params, root.fork("terminals"));
  const customers: HandbookCustomers = { ...profiles, ...terminalsWithinRadius(profiles, terminals, params.radius) };
  const cols = customerTransactions(params, root, customers, days);
  const order = chronologicalOrder(cols);
  const n = cols.n;
  const tx: HandbookTransactions = {
    length: n,
    timeSeconds: new Int32Array(n),
    day: new Int32Array(n),
    customerId: new Int32Array(n),
    terminalId: new Int32Array(n),
    amount: new Float64Array(n),
    fraud: new Uint8Array(n),
    scenario: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    const sec = cols.sec[j]!;
    tx.timeSeconds[i] = sec;
    tx.day[i] = Math.floor(sec / DAY_S);
    tx.customerId[i] = cols.cust[j]!;
    tx.terminalId[i] = cols.term[j]!;
    tx.amount[i] = cols.amount[j]!;
  }
  const draws = addFrauds(params, root, customers, tx, days);
  return { params, startMs: startMs(params), days, customers, terminals, tx, draws };
}

/** Transaction i as a row with the handbook's column names. */
export function handbookRow(ds: HandbookDataset, i: number): HandbookRow {
  const t = ds.tx;
  if (!(i >= 0 && i < t.length)) throw new RangeError(`no transaction ${i}`);
  return {
    TX_ID: i,
    TX_DATETIME: ds.startMs + t.timeSeconds[i]! * 1000,
    CUSTOMER_ID: t.customerId[i]!,
    TERMINAL_ID: t.terminalId[i]!,
    TX_AMOUNT: t.amount[i]!,
    TX_FRAUD: t.fraud[i] === 1 ? 1 : 0,
    TX_FRAUD_SCENARIO: t.scenario[i]! as 0 | 1 | 2 | 3,
    TX_TIME_SECONDS: t.timeSeconds[i]!,
    TX_TIME_DAYS: t.day[i]!,
  };
}

export function* handbookRows(ds: HandbookDataset): Generator<HandbookRow> {
  for (let i = 0; i < ds.tx.length; i++) yield handbookRow(ds, i);
}

export interface HandbookSummary {
  transactions: number;
  frauds: number;
  fraudRate: number;
  /** Transactions per final scenario label: [legitimate, scenario 1, 2, 3]. */
  byScenario: [number, number, number, number];
  /** Mean number of terminals within reach of a customer (the handbook reports ≈ 100). */
  meanTerminalsPerCustomer: number;
}

export function summarize(ds: HandbookDataset): HandbookSummary {
  const byScenario: [number, number, number, number] = [0, 0, 0, 0];
  let frauds = 0;
  for (let i = 0; i < ds.tx.length; i++) {
    byScenario[ds.tx.scenario[i]! as 0 | 1 | 2 | 3]++;
    frauds += ds.tx.fraud[i]!;
  }
  return {
    transactions: ds.tx.length,
    frauds,
    fraudRate: ds.tx.length === 0 ? 0 : frauds / ds.tx.length,
    byScenario,
    meanTerminalsPerCustomer: ds.customers.terminalList.length / ds.customers.count,
  };
}
