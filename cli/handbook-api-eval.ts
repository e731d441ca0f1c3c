import type { DailyScored } from "../core/eval/metrics.js";
import { handbookSource } from "../core/eval/handbook-baseline.js";
import { DAY_MS, dayOf, parseProtocolOptions, protocolEndMs, trainTestSplit, type ProtocolOptionsInput } from "../core/eval/protocol.js";
import type { TransactionEvent, VerdictResponse } from "../core/schemas.js";
import { generateHandbookDataset, handbookEventMapper, parseHandbookParams, startMs, type HandbookParamsInput } from "../core/sim/handbook/index.js";
import { createEdgeClient } from "./edge-client.js";
import { figures, type Figures } from "./handbook-eval.js";

// The handbook evaluation through Vigil's own API, as the issue words the target: the handbook's
// transactions are posted in event-time order to the edge's batch scoring endpoint of a running
// system (edge in workerd + aggregator; `vigil eval --through-api` starts a private embedded one);
// fraud labels go to POST /v1/feedback once they are 7 days old in event time (chargebacks; a
// matured transaction without a label is legitimate, as the label job and the trainer read it);
// the label job runs before each day of the training, delay and test weeks (POST
// /v1/risk/recompute) and the edge is given its reference refresh interval to read the new
// terminal/merchant statistics; at the start of the test week the model is trained on the training
// week through POST /v1/models/train, promoted through POST /v1/models/{v}/promote, and the test
// week is scored only once a probe verdict names it. The figures come from the verdicts the edge
// returned. The aggregator must run its learning loop on the event-time clock
// (OPS_LEARNING_CLOCK=events): the replay compresses weeks of event time into minutes.

export interface ApiTarget {
  edgeUrl: string;
  aggregatorUrl: string;
  edgeToken: string;
  /** An ops token with the admin role (trains, posts labels, runs the label job, promotes). */
  adminToken: string;
}

export interface HandbookApiEvalOptions {
  params?: HandbookParamsInput;
  protocol?: ProtocolOptionsInput;
  /** Days replayed before the training week (card windows and terminal statistics warm up): default 30 + the delay. */
  warmupDays?: number;
  /** Events per batch request (default 100; the edge's MAX_BATCH must allow it). */
  batch?: number;
  /** Wait after each label-job run for the edge to read the new reference data (default 11 s: its 10 s refresh + 1). */
  refreshWaitMs?: number;
  /** Longest wait for the aggregator to store what was scored, for a training, for the edge to use a promoted model. */
  stepTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface HandbookApiEvalResult {
  events: number;
  labels: number;
  testRows: number;
  testFrauds: number;
  removed: number;
  model: { version: string; validation: unknown; counts: unknown };
  /** Verdicts of the test week by the model_version they named (all should name the promoted one). */
  testVersions: Record<string, number>;
  /** Verdicts before the test week (warm-up, training and delay weeks) by model_version. */
  earlierVersions: Record<string, number>;
  figures: Figures;
  seconds: { total: number; scoring: number; waiting: number; training: number };
  eventsPerSecond: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ModelRow {
  version: string;
  status: string;
  validation?: unknown;
  counts?: unknown;
  error?: string | null;
}

function opsClient(t: ApiTarget) {
  const base = t.aggregatorUrl.replace(/\/+$/, "");
  const call = async <T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> => {
    const send = () => fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${t.adminToken}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(600_000),
    });
    // A kept-alive connection the server closed while the replay waited fails before anything was
    // sent ("fetch failed"): once more on a fresh one. Every call here is safe to repeat except
    // train, which a refused connection never reached.
    const res = await send().catch(async (e: unknown) => {
      if (!(e instanceof TypeError)) throw e;
      await sleep(200);
      return send();
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  };
  return {
    feedback: (labels: Array<{ transaction_id: string; is_fraud: boolean }>) =>
      call<{ created: number }>("POST", "/v1/feedback", { labels: labels.map((l) => ({ ...l, source: "CHARGEBACK" as const })) }),
    recompute: () => call<{ recompute: { window_end: string; stats: { window_end: string; terminals: number } } }>("POST", "/v1/risk/recompute"),
    train: (from: string, to: string) => call<{ version: string }>("POST", "/v1/models/train", { train_from: from, train_to: to }),
    model: (v: string) => call<{ model?: ModelRow } & Partial<ModelRow>>("GET", `/v1/models/${encodeURIComponent(v)}`),
    promote: (v: string) => call<unknown>("POST", `/v1/models/${encodeURIComponent(v)}/promote`),
  };
}

export async function runHandbookApiEval(target: ApiTarget, o: HandbookApiEvalOptions = {}): Promise<HandbookApiEvalResult> {
  const log = o.log ?? (() => undefined);
  const t0 = performance.now();
  const params = parseHandbookParams(o.params ?? {});
  const protocol = parseProtocolOptions(o.protocol ?? {});
  const delayDays = protocol.deltaDelay;
  const warmupDays = o.warmupDays ?? 30 + delayDays;
  const batchSize = o.batch ?? 100;
  const refreshWaitMs = o.refreshWaitMs ?? 11_000;
  const stepTimeoutMs = o.stepTimeoutMs ?? 600_000;
  const needed = dayOf(protocolEndMs(protocol)) - dayOf(startMs(params));
  const ds = generateHandbookDataset(params, { days: Math.min(needed, params.nbDays) });
  const split = trainTestSplit(handbookSource(ds), protocol);
  if (split.train.length === 0 || split.test.length === 0) throw new RangeError("protocol windows fall outside the generated days");
  const tx = ds.tx;
  const timeMs = (i: number) => ds.startMs + tx.timeSeconds[i]! * 1000;
  const firstDay = Math.max(dayOf(ds.startMs), split.trainFrom - warmupDays);
  const endDay = split.testFrom + protocol.deltaTest;
  const testPos = new Int32Array(tx.length).fill(-1);
  split.test.forEach((i, k) => (testPos[i] = k));
  const mapper = handbookEventMapper(ds);
  const edge = createEdgeClient({ baseUrl: target.edgeUrl, token: target.edgeToken, timeoutMs: 300_000 });
  const ops = opsClient(target);

  const testRank = new Float64Array(split.test.length).fill(Number.NaN);
  const testVerdict = new Array<VerdictResponse["verdict"]>(split.test.length);
  const testVersions: Record<string, number> = {};
  const earlierVersions: Record<string, number> = {};
  let scoringMs = 0, waitingMs = 0, trainingMs = 0, sent = 0, labelsPosted = 0, probes = 0;
  let latestSentMs = 0;
  let nextLabel = 0; // transactions before this index have had their label considered
  let first = 0;
  while (first < tx.length && dayOf(timeMs(first)) < firstDay) first++;
  nextLabel = first;

  /** Fraud labels of every transaction older than `asOfMs` − delay, in event-time order. */
  const postMatured = async (asOfMs: number) => {
    const frauds: Array<{ transaction_id: string; is_fraud: boolean }> = [];
    while (nextLabel < tx.length && timeMs(nextLabel) < asOfMs - delayDays * DAY_MS) {
      if (tx.fraud[nextLabel] === 1) frauds.push({ transaction_id: mapper.at(nextLabel).event.transaction_id, is_fraud: true });
      nextLabel++;
    }
    for (let k = 0; k < frauds.length; k += 500) await ops.feedback(frauds.slice(k, k + 500));
    labelsPosted += frauds.length;
  };

  /** Waits until the label job's clock (the latest stored event time) has reached what was sent. */
  const awaitStored = async () => {
    const started = performance.now();
    const want = latestSentMs - delayDays * DAY_MS;
    for (;;) {
      const r = await ops.recompute();
      if (Date.parse(r.recompute.stats.window_end) >= want) return r;
      if (performance.now() - started > stepTimeoutMs) throw new Error(`the aggregator had not stored events up to ${iso(latestSentMs)} after ${stepTimeoutMs / 1000} s`);
      await sleep(1000);
    }
  };

  const probeCard = "ab".repeat(32);
  /** Scores one probe event (its own card and terminal) at the replay's time; returns the deciding model. */
  const probe = async (atMs: number): Promise<string> => {
    const r = await edge.score({
      transaction_id: `hb-probe-${probes++}`, card_number_hash: probeCard, merchant_id: "hb-probe-m", merchant_category_code: "5411",
      amount_usd: 1, currency: "USD", timestamp_utc: iso(atMs), terminal_id: "hb-probe-t", transaction_type: "PURCHASE", channel: "IN_STORE",
    });
    if (!r.ok) throw new Error(`probe answered ${r.status} ${r.code}`);
    return r.verdict.model_version;
  };

  let model: HandbookApiEvalResult["model"] | undefined;
  let i = first;
  for (let day = firstDay; day < endDay; day++) {
    const dayStartMs = day * DAY_MS;
    if (day >= split.trainFrom) {
      // What the label job knows at the start of this day: the edge must read it before the day is scored.
      const w0 = performance.now();
      // Labels first (their feedback also triggers the job), then the job's run on a clock that has
      // reached what was sent.
      await postMatured(dayStartMs);
      await awaitStored();
      if (day === split.testFrom) {
        const tt = performance.now();
        const trainFrom = iso(split.trainFrom * DAY_MS);
        const trainTo = iso((split.trainFrom + protocol.deltaTrain) * DAY_MS - 1);
        const { version } = await ops.train(trainFrom, trainTo);
        log(`training ${version} on ${trainFrom} … ${trainTo} through POST /v1/models/train`);
        let row: ModelRow | undefined;
        for (;;) {
          const got = await ops.model(version);
          row = got.model ?? (got as ModelRow);
          if (row.status !== "training") break;
          if (performance.now() - tt > stepTimeoutMs) throw new Error(`training ${version} still running after ${stepTimeoutMs / 1000} s`);
          await sleep(1000);
        }
        if (row.status !== "candidate") throw new Error(`training ${version} ended ${row.status}: ${row.error ?? ""}`);
        await ops.promote(version);
        model = { version, validation: row.validation, counts: row.counts };
        log(`promoted ${version}; validation ${JSON.stringify(row.validation)}`);
        // The test week is scored only once the edge decides with the promoted model.
        for (;;) {
          if ((await probe(dayStartMs - 1)) === version) break;
          if (performance.now() - tt > stepTimeoutMs) throw new Error(`the edge did not use ${version} within ${stepTimeoutMs / 1000} s`);
          await sleep(1000);
        }
        trainingMs += performance.now() - tt;
      } else {
        // The edge revalidates a stale snapshot in the background of the request that finds it
        // stale: after the refresh interval, probes make it do so before the day's first batch.
        await sleep(refreshWaitMs);
        await probe(dayStartMs - 1);
        await sleep(3000);
        await probe(dayStartMs - 1);
      }
      waitingMs += performance.now() - w0;
    }
    const s0 = performance.now();
    let dayEvents = 0;
    while (i < tx.length && timeMs(i) < dayStartMs + DAY_MS) {
      const idx: number[] = [];
      const events: TransactionEvent[] = [];
      while (i < tx.length && timeMs(i) < dayStartMs + DAY_MS && events.length < batchSize) {
        events.push(mapper.at(i).event);
        idx.push(i++);
      }
      let r = await edge.scoreBatch(events);
      // Safe to repeat: the edge answers a repeated transaction id with the same payload from its idempotency record.
      for (let attempt = 0; !r.ok && r.code === "NETWORK_ERROR" && attempt < 3; attempt++) {
        await sleep(500);
        r = await edge.scoreBatch(events);
      }
      if (!r.ok) throw new Error(`the edge answered ${r.status} ${r.code} for a batch of day ${iso(dayStartMs).slice(0, 10)}`);
      r.results.forEach((v, k) => {
        const p = testPos[idx[k]!]!;
        if (day < split.testFrom) earlierVersions[v.model_version] = (earlierVersions[v.model_version] ?? 0) + 1;
        if (p < 0) return;
        testRank[p] = v.fraud_score + 0.01 * v.ml_score;
        testVerdict[p] = v.verdict;
        testVersions[v.model_version] = (testVersions[v.model_version] ?? 0) + 1;
      });
      sent += events.length;
      dayEvents += events.length;
      latestSentMs = timeMs(idx[idx.length - 1]!);
    }
    scoringMs += performance.now() - s0;
    log(`${iso(dayStartMs).slice(0, 10)}: ${dayEvents} events scored (${sent} in all, ${labelsPosted} fraud labels posted; ${(sent / ((performance.now() - t0) / 1000)).toFixed(0)} events/s overall)`);
  }
  if (!model) throw new Error("the replay never reached the test week");

  const scored: DailyScored[] = Array.from(split.test, (ix, k) => ({ score: testRank[k]!, isFraud: tx.fraud[ix] === 1, card: tx.customerId[ix]!, day: split.testDay[k]! }));
  if (scored.some((s) => Number.isNaN(s.score))) throw new Error("a test transaction got no verdict");
  let testFrauds = 0;
  for (const ix of split.test) testFrauds += tx.fraud[ix]!;
  const total = (performance.now() - t0) / 1000;
  return {
    events: sent, labels: labelsPosted, testRows: split.test.length, testFrauds, removed: split.removed, model, testVersions, earlierVersions,
    figures: figures(scored, testVerdict),
    seconds: { total, scoring: scoringMs / 1000, waiting: waitingMs / 1000, training: trainingMs / 1000 },
    eventsPerSecond: sent / (scoringMs / 1000),
  };
}
