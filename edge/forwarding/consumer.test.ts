import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import type { ScoredEvent } from "../../core/schemas.js";
import type { Logger } from "../ports.js";
import { scoredEvent, scoredEvents } from "../../tests/testing/scored-events.js";
import { handleScoredEventBatch, type DeadLetter, type ForwardEnv } from "./consumer.js";
import { backoffSeconds } from "./config.js";

// The queue consumer against a real HTTP receiver (tests/testing/ingest-receiver.ts) that checks
// the HMAC signature and the batch schema, with real MessageBatch objects from cloudflare:test.

const QUEUE = "vigil-scored-events";
const receiverUrl = inject("receiverUrl");
const secret = inject("forwardSecret");

interface Received {
  batches: ScoredEvent[][];
  posts: number;
  refused: { status: number; reason: string }[];
}

let nsCounter = 0;
function namespace(): string {
  return `consumer-${Date.now().toString(36)}-${nsCounter++}`;
}

async function control(ns: string, c: { fail?: number; status?: number; body?: string; delayMs?: number }): Promise<void> {
  const res = await fetch(`${receiverUrl}/${ns}/control`, { method: "POST", body: JSON.stringify(c) });
  expect(res.status).toBe(200);
}

async function received(ns: string): Promise<Received> {
  return (await (await fetch(`${receiverUrl}/${ns}/received`)).json()) as Received;
}

/** The real DLQ producer binding, with what was sent to it kept for assertions. */
function recordingDlq(): { queue: Queue<DeadLetter>; sent: DeadLetter[] } {
  const sent: DeadLetter[] = [];
  const real = (env as unknown as { DLQ: Queue<DeadLetter> }).DLQ;
  const queue: Queue<DeadLetter> = {
    metrics: () => real.metrics(),
    send: async (body, opts) => {
      const r = await real.send(body, opts);
      sent.push(body);
      return r;
    },
    sendBatch: async (msgs, opts) => {
      const list = [...msgs];
      const r = await real.sendBatch(list, opts);
      sent.push(...list.map((m) => m.body));
      return r;
    },
  };
  return { queue, sent };
}

function captureLog(): { log: Logger; lines: { level: string; code: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; code: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (code: string, fields: Record<string, unknown> = {}) => void lines.push({ level, code, fields });
  return { lines, log: { info: at("info"), warn: at("warn"), error: at("error") } };
}

function batchOf(records: unknown[], attempts = 1) {
  const messages = records.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(Date.UTC(2026, 10, 28, 12)), attempts, body }));
  const batch = createMessageBatch<unknown>(QUEUE, messages);
  // getQueueResult does not report retry delays: record them on the real messages (calls go through).
  const retrySpies = batch.messages.map((m) => vi.spyOn(m, "retry"));
  const retryAllSpy = vi.spyOn(batch, "retryAll");
  const delays = () => retrySpies.map((s) => s.mock.calls.map((c) => c[0]?.delaySeconds));
  return { batch, messages, delays, retryAllSpy };
}

function forwardEnv(ns: string, dlq: Queue<DeadLetter>, over: Partial<ForwardEnv> = {}): ForwardEnv {
  return {
    VIGIL_ENV: "local",
    AGGREGATOR_URL: `${receiverUrl}/${ns}`,
    AGGREGATOR_SECRET: secret,
    FORWARD_MAX_ATTEMPTS: "3",
    FORWARD_TIMEOUT_MS: "2000",
    FORWARD_BACKOFF_BASE_SECONDS: "2",
    FORWARD_BACKOFF_MAX_SECONDS: "60",
    DLQ: dlq,
    ...over,
  };
}

async function run(records: unknown[], e: ForwardEnv, attempts = 1, random = () => 0.5) {
  const { batch, messages, delays, retryAllSpy } = batchOf(records, attempts);
  const ctx = createExecutionContext();
  const { log, lines } = captureLog();
  const summary = await handleScoredEventBatch(batch, e, { log, random });
  const result = await getQueueResult(batch, ctx);
  return { summary, result, messages, lines, delays: delays(), retryAllSpy };
}

describe("handleScoredEventBatch", () => {
  it("posts the exact records, signed, and acks the whole batch on 2xx", async () => {
    const ns = namespace();
    const dlq = recordingDlq();
    const records = scoredEvents(25);
    const { result, summary } = await run(records, forwardEnv(ns, dlq.queue));
    expect(result.ackAll).toBe(true);
    expect(result.retryMessages).toEqual([]);
    expect(summary).toMatchObject({ acked: 25, retried: 0, deadLettered: 0, status: 202 });
    const got = await received(ns);
    expect(got.posts).toBe(1);
    expect(got.refused).toEqual([]);
    expect(got.batches).toEqual([records]);
    expect(dlq.sent).toEqual([]);
  });

  it("retries every message with exponential backoff on 503 and delivers on the next attempt", async () => {
    const ns = namespace();
    const dlq = recordingDlq();
    await control(ns, { fail: 1, status: 503 });
    const records = scoredEvents(3);
    const first = await run(records, forwardEnv(ns, dlq.queue), 2, () => 0);
    expect(first.result.ackAll).toBe(false);
    expect(first.result.explicitAcks).toEqual([]);
    // attempts 2, base 2 s: exp = 4, equal jitter with random 0 → 2 s.
    expect(first.result.retryMessages).toEqual(first.messages.map((m) => ({ msgId: m.id })));
    expect(first.delays).toEqual([[2], [2], [2]]);
    expect(first.lines.some((l) => l.code === "FORWARD_SERVER_ERROR" && l.fields.status === 503)).toBe(true);
    expect((await received(ns)).batches).toEqual([]);

    const second = await run(records, forwardEnv(ns, dlq.queue), 3);
    expect(second.result.ackAll).toBe(true);
    const got = await received(ns);
    expect(got.posts).toBe(2);
    expect(got.batches).toEqual([records]);
    expect(dlq.sent).toEqual([]);
  });

  it("retries on a dead port (network error) and dead-letters when the last attempt fails", async () => {
    const dlq = recordingDlq();
    const e = forwardEnv("unused", dlq.queue, { AGGREGATOR_URL: inject("deadUrl") });
    const early = await run(scoredEvents(2), e, 1, () => 0.999);
    expect(early.result.retryMessages).toHaveLength(2);
    expect(early.delays).toEqual([[2], [2]]);
    expect(early.lines.some((l) => l.code === "FORWARD_NETWORK_ERROR")).toBe(true);
    expect(dlq.sent).toEqual([]);

    const last = await run(scoredEvents(2), e, 3);
    expect(last.result.retryMessages).toEqual([]);
    expect(last.result.explicitAcks.sort()).toEqual(["msg-0", "msg-1"]);
    expect(dlq.sent).toHaveLength(2);
    expect(dlq.sent[0]).toMatchObject({ reason: "MAX_ATTEMPTS", attempts: 3, queue: QUEUE, error: { code: "FORWARD_NETWORK_ERROR" } });
    expect(dlq.sent.map((d) => (d.record as ScoredEvent).event.transaction_id)).toEqual(["tx-000000", "tx-000001"]);
  });

  it("times out a receiver that does not answer and retries", async () => {
    const ns = namespace();
    const dlq = recordingDlq();
    await control(ns, { delayMs: 1500 });
    const { result, lines } = await run(scoredEvents(1), forwardEnv(ns, dlq.queue, { FORWARD_TIMEOUT_MS: "200" }));
    expect(result.retryMessages).toHaveLength(1);
    expect(lines.some((l) => l.code === "FORWARD_TIMEOUT")).toBe(true);
    await control(ns, { delayMs: 0 });
  });

  it("dead-letters at once, without retrying, when the receiver answers 400", async () => {
    const ns = namespace();
    const dlq = recordingDlq();
    await control(ns, { fail: 1, status: 400, body: '{"error":"INVALID_BATCH","issues":[{"path":"records.0.event","message":"bad"}]}' });
    const { result, summary } = await run(scoredEvents(2), forwardEnv(ns, dlq.queue));
    expect(result.retryMessages).toEqual([]);
    expect(result.ackAll).toBe(false);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1"]);
    expect(summary.deadLettered).toBe(2);
    expect(dlq.sent.map((d) => d.reason)).toEqual(["REJECTED_BY_AGGREGATOR", "REJECTED_BY_AGGREGATOR"]);
    expect(dlq.sent[0]?.error).toMatchObject({ code: "FORWARD_REJECTED", status: 400 });
    expect(dlq.sent[0]?.error.detail).toContain("INVALID_BATCH");
    expect((await received(ns)).posts).toBe(1);
  });

  it("dead-letters a malformed message alone and still delivers the rest", async () => {
    const ns = namespace();
    const dlq = recordingDlq();
    const good = scoredEvents(2);
    const { result } = await run([good[0], { schema_version: 99, junk: true }, good[1]], forwardEnv(ns, dlq.queue));
    expect(result.ackAll).toBe(false);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1", "msg-2"]);
    expect(dlq.sent).toHaveLength(1);
    expect(dlq.sent[0]).toMatchObject({ reason: "INVALID_RECORD", message_id: "msg-1", record: { schema_version: 99, junk: true } });
    expect((await received(ns)).batches).toEqual([good]);
  });

  it("treats a wrong secret (401 from the receiver) as a config error: retried, logged as an error", async () => {
    const ns = namespace();
    const dlq = recordingDlq();
    const { result, lines } = await run([scoredEvent(7)], forwardEnv(ns, dlq.queue, { AGGREGATOR_SECRET: "not-the-receivers-secret" }));
    expect(result.retryMessages).toHaveLength(1);
    expect(dlq.sent).toEqual([]);
    const line = lines.find((l) => l.code === "FORWARD_AUTH_REJECTED");
    expect(line?.level).toBe("error");
    expect(JSON.stringify(lines)).not.toContain("not-the-receivers-secret");
    expect((await received(ns)).refused).toEqual([{ status: 401, reason: "BAD_SIGNATURE" }]);
  });

  it("keeps every message when the configuration is invalid, naming the setting but not its value", async () => {
    const dlq = recordingDlq();
    const { result, lines, retryAllSpy } = await run(scoredEvents(2), forwardEnv("x", dlq.queue, { AGGREGATOR_SECRET: "short" }));
    expect(result.retryBatch).toEqual({ retry: true });
    expect(retryAllSpy).toHaveBeenCalledWith({ delaySeconds: 300 });
    const line = lines.find((l) => l.code === "FORWARD_CONFIG_INVALID");
    expect(String(line?.fields.error)).toContain("AGGREGATOR_SECRET");
    expect(JSON.stringify(lines)).not.toContain('"short"');
  });
});

describe("handleScoredEventBatch: residency", () => {
  it("posts EU-home cards' events to AGGREGATOR_URL_EU and the rest to AGGREGATOR_URL, same envelope", async () => {
    const central = namespace();
    const euNs = namespace();
    const dlq = recordingDlq();
    // card-hash-0000 … 0006 (i % 7): i = 1 says EU, i = 2 has a BIN in the EU table, the rest are default.
    const records = [scoredEvent(0), scoredEvent(1, { card_region: "EU" }), scoredEvent(2, { card_bin: "49751234" }), scoredEvent(3, { card_region: "US" })];
    const e = forwardEnv(central, dlq.queue, { AGGREGATOR_URL_EU: `${receiverUrl}/${euNs}`, EU_CARD_BINS: "4975" });
    const { result, summary } = await run(records, e);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1", "msg-2", "msg-3"]);
    expect(summary).toMatchObject({ acked: 4, retried: 0, deadLettered: 0 });
    expect((await received(central)).batches).toEqual([[records[0], records[3]]]);
    expect((await received(euNs)).batches).toEqual([[records[1], records[2]]]);
    expect((await received(euNs)).refused).toEqual([]);
  });

  it("without AGGREGATOR_URL_EU every event goes to the central aggregator in one batch", async () => {
    const central = namespace();
    const dlq = recordingDlq();
    const records = [scoredEvent(0), scoredEvent(1, { card_region: "EU" })];
    const { result } = await run(records, forwardEnv(central, dlq.queue));
    expect(result.ackAll).toBe(true);
    expect((await received(central)).batches).toEqual([records]);
  });

  it("an EU aggregator failure retries only the EU-home events", async () => {
    const central = namespace();
    const euNs = namespace();
    const dlq = recordingDlq();
    await control(euNs, { fail: 1, status: 503 });
    const records = [scoredEvent(0), scoredEvent(1, { card_region: "EU" })];
    const { result } = await run(records, forwardEnv(central, dlq.queue, { AGGREGATOR_URL_EU: `${receiverUrl}/${euNs}` }));
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(result.retryMessages).toEqual([{ msgId: "msg-1" }]);
    expect((await received(central)).batches).toEqual([[records[0]]]);
  });
});

describe("backoffSeconds", () => {
  it("doubles per attempt with equal jitter and stays under the cap", () => {
    expect([1, 2, 3, 4].map((a) => backoffSeconds(a, 2, 300, 0))).toEqual([1, 2, 4, 8]);
    expect([1, 2, 3, 4].map((a) => backoffSeconds(a, 2, 300, 0.999))).toEqual([2, 4, 8, 16]);
    expect(backoffSeconds(40, 2, 300, 0.999)).toBe(300);
    expect(backoffSeconds(40, 2, 300, 0)).toBe(150);
  });
});
