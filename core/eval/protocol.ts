import { z } from "zod";
import { isCalendarDate } from "../sim/handbook/params.js";

// The handbook's evaluation protocol (§3.4 get_train_test_set, Chapter_References/shared_functions.py):
// a training week, a delay week (labels not yet known), a test week. A card whose fraud is already
// known cannot be "detected" again, so the test set drops the transactions of cards known
// compromised: frauds of the training week, then for test day j also those of day
// (training start + deltaTrain + j − 1), i.e. every fraud up to the test day − deltaDelay − 1.
// Days are UTC calendar days (the handbook's TX_TIME_DAYS on a midnight-aligned dataset).

export const DAY_MS = 86_400_000;

export const ProtocolOptionsSchema = z.strictObject({
  /** First training day, a UTC date. The handbook's baseline: 2018-07-25. */
  startTraining: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD").refine(isCalendarDate, "not a calendar date").default("2018-07-25"),
  deltaTrain: z.number().int().positive().default(7),
  deltaDelay: z.number().int().nonnegative().default(7),
  deltaTest: z.number().int().positive().default(7),
});
export type ProtocolOptions = z.output<typeof ProtocolOptionsSchema>;
export type ProtocolOptionsInput = z.input<typeof ProtocolOptionsSchema>;

/** Read access to labelled transactions, so typed-array datasets and event lists both fit. */
export interface ProtocolSource {
  readonly length: number;
  timeMs(i: number): number;
  card(i: number): string | number;
  fraud(i: number): boolean;
}

export interface TrainTestSplit {
  options: ProtocolOptions;
  /** Indices into the source, ascending. */
  train: Int32Array;
  test: Int32Array;
  /** UTC day number (epoch ms / DAY_MS) of each test index, aligned with `test`. */
  testDay: Int32Array;
  /** Day numbers: training [trainFrom, trainFrom + deltaTrain), test [testFrom, testFrom + deltaTest). */
  trainFrom: number;
  testFrom: number;
  /** Test-period transactions dropped because their card was known compromised. */
  removed: number;
  /** Cards known compromised on the last test day. */
  knownCards: number;
}

export function parseProtocolOptions(input: unknown = {}): ProtocolOptions {
  const r = ProtocolOptionsSchema.safeParse(input);
  if (r.success) return r.data;
  throw new RangeError(`protocol options: ${r.error.issues.map((i) => `${i.path.map(String).join(".") || "(options)"}: ${i.message}`).join("; ")}`);
}

export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);

/** First UTC day after the test week: a generator need not produce anything from then on. */
export function protocolEndMs(input: ProtocolOptionsInput = {}): number {
  const o = parseProtocolOptions(input);
  return Date.parse(`${o.startTraining}T00:00:00Z`) + (o.deltaTrain + o.deltaDelay + o.deltaTest) * DAY_MS;
}

/** get_train_test_set: the training indices and the test indices without known-compromised cards. */
export function trainTestSplit(src: ProtocolSource, input: ProtocolOptionsInput = {}): TrainTestSplit {
  const options = parseProtocolOptions(input);
  const { deltaTrain, deltaDelay, deltaTest } = options;
  // The handbook counts from the first training day that has data; with daily traffic that is
  // startTraining itself, and the calendar day keeps the windows put if a day were empty.
  const trainFrom = dayOf(Date.parse(`${options.startTraining}T00:00:00Z`));
  const testFrom = trainFrom + deltaTrain + deltaDelay;
  // Frauds of the days that feed the known set: training days and the (deltaTest − 1) after them.
  const lastFeedDay = trainFrom + deltaTrain + deltaTest - 2;
  const train: number[] = [];
  const candidates: number[][] = Array.from({ length: deltaTest }, () => []);
  const fraudCards = new Map<number, Set<string | number>>();
  for (let i = 0; i < src.length; i++) {
    const d = dayOf(src.timeMs(i));
    if (d >= trainFrom && d < trainFrom + deltaTrain) train.push(i);
    if (d >= testFrom && d < testFrom + deltaTest) candidates[d - testFrom]!.push(i);
    if (d >= trainFrom && d <= lastFeedDay && src.fraud(i)) {
      let set = fraudCards.get(d);
      if (!set) fraudCards.set(d, (set = new Set()));
      set.add(src.card(i));
    }
  }
  const known = new Set<string | number>();
  for (let d = trainFrom; d < trainFrom + deltaTrain; d++) for (const c of fraudCards.get(d) ?? []) known.add(c);
  const kept: Array<[number, number]> = [];
  let removed = 0;
  for (let j = 0; j < deltaTest; j++) {
    for (const c of fraudCards.get(trainFrom + deltaTrain + j - 1) ?? []) known.add(c);
    for (const i of candidates[j]!) {
      if (known.has(src.card(i))) removed++;
      else kept.push([i, testFrom + j]);
    }
  }
  train.sort((a, b) => a - b);
  kept.sort((a, b) => a[0] - b[0]);
  return {
    options,
    train: Int32Array.from(train),
    test: Int32Array.from(kept, (k) => k[0]),
    testDay: Int32Array.from(kept, (k) => k[1]),
    trainFrom,
    testFrom,
    removed,
    knownCards: known.size,
  };
}

/** A protocol source over Vigil events and labels kept apart (transaction_id → fraud). */
export function eventSource(
  events: ReadonlyArray<{ transaction_id: string; card_number_hash: string; timestamp_utc: string }>,
  isFraud: (transactionId: string) => boolean,
): ProtocolSource {
  const times = Float64Array.from(events, (e) => Date.parse(e.timestamp_utc));
  return {
    length: events.length,
    timeMs: (i) => times[i]!,
    card: (i) => events[i]!.card_number_hash,
    fraud: (i) => isFraud(events[i]!.transaction_id),
  };
}
