import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, inject, it, vi } from "vitest";
import type { ScoredEvent } from "../../core/schemas.js";
import { scoredEvent } from "../../tests/testing/scored-events.js";
import { call, ONLINE, testEnv } from "../testing/helpers.js";
import { TEST_OPS_TOKEN } from "../testing/tokens.js";
import { deadLetterBoxStore } from "../workers/dead-letter-store.js";
import { loadForwardConfig, retryHorizonSeconds } from "./config.js";
import type { DeadLetter } from "./consumer.js";
import type { ParkedLetter } from "../../core/contracts/forwarding.js";
import { parkDeadLetterBatch } from "./dead-letters.js";

// Nothing in a dead-letter queue is stranded (issue 13, item 2): the DLQ's consumer parks every
// letter in the region's DeadLetterBox (real object, SQLite), the ops routes list and redrive them,
// and a redriven record reaches the aggregator stand-in through the real queue and consumer.

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function letter(record: unknown, id = `msg-${crypto.randomUUID()}`): DeadLetter {
  return {
    record,
    reason: "MAX_ATTEMPTS",
    error: { code: "FORWARD_SERVER_ERROR", status: 503, detail: "aggregator down" },
    message_id: id,
    attempts: 24,
    queue: "vigil-scored-events",
    first_enqueued_at: new Date(Date.now() - 3_600_000).toISOString(),
    dead_lettered_at: new Date().toISOString(),
  };
}

/** A valid ScoredEvent with a transaction id of its own. */
function record(): ScoredEvent {
  const r = scoredEvent(1);
  const id = `TXN-DLQ-${crypto.randomUUID().slice(0, 12)}`;
  return { ...r, event: { ...r.event, transaction_id: id }, verdict: { ...r.verdict, transaction_id: id }, idempotency_key: `tok:gw/${id}` };
}

describe("forwarding retries cover hours", () => {
  it("default settings retry for 8.5 h at the shortest jitter before dead-lettering; tests compress it", () => {
    const defaults = loadForwardConfig({ AGGREGATOR_URL: "https://agg.example", AGGREGATOR_SECRET: "s".repeat(16) });
    const h = retryHorizonSeconds(defaults);
    expect(h.min).toBeGreaterThanOrEqual(8 * 3600);
    expect(h.max).toBeLessThanOrEqual(24 * 3600);
    const compressed = retryHorizonSeconds(loadForwardConfig({ AGGREGATOR_URL: "https://agg.example", AGGREGATOR_SECRET: "s".repeat(16), FORWARD_BACKOFF_BASE_SECONDS: "1", FORWARD_BACKOFF_MAX_SECONDS: "2" }));
    expect(compressed.max).toBeLessThan(60);
  });
});

describe("dead-letter queue consumer and redrive", () => {
  it("parks every message of a DLQ delivery (ours and the platform's), once per message, then acks", async () => {
    if (!testEnv.DEAD_LETTERS) throw new Error("DEAD_LETTERS is bound in wrangler.toml");
    const store = deadLetterBoxStore(testEnv.DEAD_LETTERS, `t-${crypto.randomUUID()}`, false);
    const ours = letter(record());
    const platform = record(); // the queue's own dead-lettering delivers the bare message body
    const at = new Date();
    const batch = createMessageBatch<unknown>("vigil-scored-events-dlq", [
      { id: "dlq-1", timestamp: at, attempts: 1, body: ours },
      { id: "dlq-2", timestamp: at, attempts: 1, body: platform },
    ]);
    const ctx = createExecutionContext();
    expect(await parkDeadLetterBatch(batch, store, silent)).toEqual({ parked: 2, received: 2 });
    expect(await getQueueResult(batch, ctx)).toMatchObject({ explicitAcks: [], retryMessages: [], ackAll: true });
    // Redelivered (e.g. the ack was lost): still one letter each.
    await parkDeadLetterBatch(createMessageBatch<unknown>("vigil-scored-events-dlq", [{ id: "dlq-1b", timestamp: at, attempts: 2, body: ours }]), store, silent);
    const listed = await store.list({ limit: 10 });
    expect(listed.total).toBe(2);
    expect(listed.letters.map((l) => [l.id, l.reason, l.transaction_id])).toEqual([
      [ours.message_id, "MAX_ATTEMPTS", (ours.record as ScoredEvent).event.transaction_id],
      ["dlq-2", "PLATFORM_MAX_RETRIES", platform.event.transaction_id],
    ]);
  });

  it("a store that cannot take them: the delivery is retried with a delay, not acked", async () => {
    const failing = { park: () => Promise.reject(new Error("box down")), list: () => Promise.reject(new Error("x")), remove: () => Promise.reject(new Error("x")) };
    const batch = createMessageBatch<unknown>("vigil-scored-events-dlq", [{ id: "m", timestamp: new Date(), attempts: 3, body: letter(record()) }]);
    const retryAll = vi.spyOn(batch, "retryAll");
    await parkDeadLetterBatch(batch, failing, silent);
    expect(retryAll).toHaveBeenCalledWith({ delaySeconds: 240 });
    expect((await getQueueResult(batch, createExecutionContext())).ackAll).toBe(false);
  });

  it("through the worker: DLQ → parked → listed by the ops route → redriven → delivered to the aggregator; ops token required", async () => {
    const good = letter(record());
    const bad = letter({ not: "a scored event" });
    await testEnv.DLQ?.send(good, { contentType: "json" });
    await testEnv.DLQ?.send(bad, { contentType: "json" });
    const ops = { token: TEST_OPS_TOKEN };
    const ids = [good.message_id, bad.message_id];
    let parked: ParkedLetter[] = [];
    await vi.waitFor(
      async () => {
        const res = await call("/v1/ops/dead-letters?limit=1000", ops);
        expect(res.status).toBe(200);
        parked = (await res.json<{ letters: ParkedLetter[] }>()).letters.filter((l) => ids.includes(l.id));
        expect(parked).toHaveLength(2);
      },
      { timeout: 15_000, interval: 200 },
    );
    // A scoring token is not an ops token; no token at all is refused too.
    expect((await call("/v1/ops/dead-letters", { token: ONLINE })).status).toBe(401);
    expect((await call("/v1/ops/dead-letters", { token: null })).status).toBe(401);
    expect((await call("/v1/ops/dead-letters/redrive", { ...ops, body: { ids: "all" } })).status).toBe(400);

    const res = await call("/v1/ops/dead-letters/redrive", { ...ops, body: { ids } });
    expect(res.status).toBe(200);
    const result = await res.json<{ redriven: string[]; skipped: { id: string; reason: string }[]; remaining: number }>();
    expect(result.redriven).toEqual([good.message_id]);
    expect(result.skipped.map((s) => s.id)).toEqual([bad.message_id]);

    // The redriven record went through the real queue and consumer to the aggregator stand-in.
    const txId = (good.record as ScoredEvent).event.transaction_id;
    await vi.waitFor(
      async () => {
        const got = (await (await fetch(`${inject("receiverUrl")}/worker/received`)).json()) as { batches: ScoredEvent[][] };
        expect(got.batches.flat().filter((r) => r.event.transaction_id === txId)).toHaveLength(1);
      },
      { timeout: 15_000, interval: 200 },
    );
    const left = (await (await call("/v1/ops/dead-letters?limit=1000", ops)).json<{ letters: ParkedLetter[] }>()).letters.map((l) => l.id);
    expect(left).toContain(bad.message_id);
    expect(left).not.toContain(good.message_id);
  });
});
