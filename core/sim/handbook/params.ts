import { z } from "zod";

// Every constant of the Fraud Detection Handbook's transaction simulator (Le Borgne et al.,
// "Reproducible Machine Learning for Credit Card Fraud Detection – Practical Handbook", §3.2,
// notebook Chapter_3_GettingStarted/SimulatedDataset.ipynb). Defaults are the values of the
// published dataset; each is a parameter so variants (other sizes, rates, seeds) can be generated.
// The handbook seeds numpy per customer and per day; we cannot reproduce numpy's streams, so one
// `seed` drives core/random.ts forks named after the same units (customer, day, scenario).

const posInt = z.number().int().positive();

/** True for a real YYYY-MM-DD day (Date.parse alone accepts 2018-02-31 as 3 March). */
export function isCalendarDate(s: string): boolean {
  const ms = Date.parse(`${s}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === s;
}
const nonNeg = z.number().finite().nonnegative();

export const HandbookParamsSchema = z
  .strictObject({
    seed: z.number().int().nonnegative().default(0),
    /** generate_dataset(n_customers=5000, …) as called in §3.2. */
    nCustomers: posInt.default(5000),
    /** n_terminals=10000. */
    nTerminals: posInt.default(10000),
    /** nb_days=183: 2018-04-01 … 2018-09-30. Also bounds the fraud-scenario draws (see generate.ts). */
    nbDays: posInt.max(3660).default(183),
    /** start_date="2018-04-01", a UTC midnight (the handbook's datetimes are naive). */
    startDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD").default("2018-04-01"),
    /** r=5: a customer uses only terminals closer than r (≈100 terminals each at the defaults). */
    radius: z.number().finite().positive().default(5),
    /** Locations are uniform on a gridSize × gridSize square (100 × 100). */
    gridSize: z.number().finite().positive().default(100),
    /** mean_amount ~ U(5, 100). */
    meanAmountMin: nonNeg.default(5),
    meanAmountMax: nonNeg.default(100),
    /** std_amount = mean_amount / 2. */
    stdAmountRatio: nonNeg.default(0.5),
    /** mean_nb_tx_per_day ~ U(0, 4); daily counts are Poisson with that mean. */
    meanTxPerDayMin: nonNeg.default(0),
    meanTxPerDayMax: nonNeg.max(1000).default(4),
    /** Time of day ~ N(86400/2, 20000) seconds, truncated to int; outside (0, 86400) it is dropped. */
    timeOfDayMeanSeconds: z.number().finite().default(43_200),
    timeOfDayStdSeconds: nonNeg.default(20_000),
    /** Scenario 1: every amount > 220 is a fraud. */
    scenario1AmountThreshold: nonNeg.default(220),
    /** Scenario 2: each day 2 terminals are drawn; their transactions of the next 28 days are frauds. */
    scenario2TerminalsPerDay: z.number().int().nonnegative().default(2),
    scenario2Days: posInt.default(28),
    /** Scenario 3: each day 3 customers are drawn; over the next 14 days int(n/3) of their n
     * transactions get their amount × 5 and are frauds. The share is a divisor so int(n/3) is exact. */
    scenario3CustomersPerDay: z.number().int().nonnegative().default(3),
    scenario3Days: posInt.default(14),
    scenario3ShareDivisor: posInt.default(3),
    scenario3AmountMultiplier: nonNeg.default(5),
  })
  .superRefine((p, ctx) => {
    if (p.meanAmountMax < p.meanAmountMin) ctx.addIssue({ code: "custom", path: ["meanAmountMax"], message: "must be ≥ meanAmountMin" });
    if (p.meanTxPerDayMax < p.meanTxPerDayMin) ctx.addIssue({ code: "custom", path: ["meanTxPerDayMax"], message: "must be ≥ meanTxPerDayMin" });
    if (p.scenario2TerminalsPerDay > p.nTerminals) ctx.addIssue({ code: "custom", path: ["scenario2TerminalsPerDay"], message: "must be ≤ nTerminals" });
    if (p.scenario3CustomersPerDay > p.nCustomers) ctx.addIssue({ code: "custom", path: ["scenario3CustomersPerDay"], message: "must be ≤ nCustomers" });
    if (!isCalendarDate(p.startDate)) ctx.addIssue({ code: "custom", path: ["startDate"], message: "not a calendar date" });
  });

export type HandbookParams = z.output<typeof HandbookParamsSchema>;
export type HandbookParamsInput = z.input<typeof HandbookParamsSchema>;

/** The handbook's defaults (the published 1.75M-transaction dataset, up to the seed). */
export const HANDBOOK_DEFAULTS: HandbookParams = HandbookParamsSchema.parse({});

/** Validates options; the error names every offending field ("nCustomers: …"). */
export function parseHandbookParams(input: unknown = {}): HandbookParams {
  const r = HandbookParamsSchema.safeParse(input);
  if (r.success) return r.data;
  const detail = r.error.issues.map((i) => `${i.path.map(String).join(".") || "(options)"}: ${i.message}`).join("; ");
  throw new RangeError(`handbook simulator options: ${detail}`);
}

/** Epoch ms of the dataset's first midnight (UTC). */
export function startMs(p: HandbookParams): number {
  return Date.parse(`${p.startDate}T00:00:00Z`);
}
