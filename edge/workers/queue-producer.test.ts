import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ScoredEvent } from "../../core/schemas.js";
import { scoredEvent, scoredEvents } from "../../tests/testing/scored-events.js";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES } from "../../durable-objects/queue-sender.js";
import { RecordTooLargeError } from "../forwarding/record-too-large.js";
import { chunkForQueue, createQueueForwarder } from "./queue-producer.js";

// The producer against a real queue binding of the local runtime, which enforces the platform's
// sendBatch limits itself. The DLQ queue is used as the target because nothing consumes it in
// tests, so what is sent stays put (the scored-events queue has the worker as consumer).

const bytes = (r: ScoredEvent) => new TextEncoder().encode(JSON.stringify(r)).byteLength;

function recordingQueue(): { queue: Queue<ScoredEvent>; batches: ScoredEvent[][] } {
  const real = (env as unknown as { DLQ: Queue<ScoredEvent> }).DLQ;
  const batches: ScoredEvent[][] = [];
  return {
    batches,
    queue: {
      metrics: () => real.metrics(),
      send: (b, o) => real.send(b, o),
      sendBatch: async (msgs, o) => {
        const list = [...msgs];
        expect(list.every((m) => m.contentType === "json")).toBe(true);
        const r = await real.sendBatch(list, o);
        batches.push(list.map((m) => m.body));
        return r;
      },
    },
  };
}

describe("createQueueForwarder", () => {
  it("sends 250 records as sendBatch calls of at most 100 messages, in order", async () => {
    const q = recordingQueue();
    const records = scoredEvents(250);
    await createQueueForwarder(q.queue).forward(records);
    expect(q.batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(q.batches.flat()).toEqual(records);
  });

  it("splits by size before the 256 KB batch limit", async () => {
    const q = recordingQueue();
    // ~20 KB each: the byte limit, not the count, decides.
    const big = scoredEvents(40).map((r) => ({ ...r, event: { ...r.event, device_fingerprint: "d".repeat(128) }, verdict: { ...r.verdict, reasons: Array.from({ length: 60 }, (_, i) => ({ code: `R${i}`, tier: "RULE" as const, detail: "x".repeat(300), contribution: 0 })) } }));
    await createQueueForwarder(q.queue).forward(big);
    expect(q.batches.length).toBeGreaterThan(1);
    for (const b of q.batches) {
      expect(b.length).toBeLessThanOrEqual(MAX_BATCH_MESSAGES);
      expect(b.reduce((n, r) => n + bytes(r), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
    expect(q.batches.flat()).toEqual(big);
  });

  it("counts bytes, not characters, for non-ASCII text", async () => {
    const q = recordingQueue();
    // 30,000 "é" = 60 KB of UTF-8 but 30,000 characters: five of them fit by characters, not by bytes.
    const wide = scoredEvents(5).map((r) => ({ ...r, verdict: { ...r.verdict, reasons: [{ code: "W", tier: "SYSTEM" as const, detail: "é".repeat(30_000), contribution: 0 }] } }));
    await createQueueForwarder(q.queue).forward(wide);
    expect(q.batches.length).toBeGreaterThan(1);
    for (const b of q.batches) expect(b.reduce((n, r) => n + bytes(r), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it("refuses a record over the per-message limit instead of sending a batch the queue would reject", () => {
    const huge = { ...scoredEvent(1), region: "x" };
    huge.verdict = { ...huge.verdict, reasons: [{ code: "BIG", tier: "SYSTEM", detail: "y".repeat(140 * 1024), contribution: 0 }] };
    expect(() => chunkForQueue([huge])).toThrow(RecordTooLargeError);
  });

  it("requests forwarding while a send is in flight share the next sendBatch; each resolves once its records are sent", async () => {
    const q = recordingQueue();
    const f = createQueueForwarder(q.queue);
    const rs = scoredEvents(4);
    const done: number[] = [];
    await Promise.all(rs.map((r, i) => f.forward([r]).then(() => done.push(i))));
    expect(q.batches.map((b) => b.length)).toEqual([1, 3]);
    expect(q.batches.flat()).toEqual(rs);
    expect(done.sort()).toEqual([0, 1, 2, 3]);
  });

  it("a failed shared send rejects every request it carried; an oversized record fails only its own request", async () => {
    let calls = 0;
    const failing: Queue<ScoredEvent> = {
      metrics: () => Promise.reject(new Error("unused")),
      send: () => Promise.reject(new Error("unused")),
      sendBatch: () => (++calls === 1 ? Promise.resolve({ metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } }) as unknown as Promise<QueueSendBatchResponse> : Promise.reject(new Error("queue down"))),
    };
    const f = createQueueForwarder(failing);
    const rs = scoredEvents(3);
    const huge = { ...scoredEvent(9) };
    huge.verdict = { ...huge.verdict, reasons: [{ code: "BIG", tier: "SYSTEM", detail: "y".repeat(140 * 1024), contribution: 0 }] };
    const results = await Promise.allSettled([f.forward([rs[0] as ScoredEvent]), f.forward([rs[1] as ScoredEvent]), f.forward([huge]), f.forward([rs[2] as ScoredEvent])]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "rejected"]);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(RecordTooLargeError);
    expect(((results[1] as PromiseRejectedResult).reason as Error).message).toBe("queue down");
    expect(calls).toBe(2);
  });

  it("sends nothing for no records", async () => {
    const q = recordingQueue();
    await createQueueForwarder(q.queue).forward([]);
    expect(q.batches).toEqual([]);
  });
});
