import { describe, expect, it } from "vitest";
import { PortError, TOPICS, type Envelope, type EventBus, type IncomingMessage, type OutgoingMessage, type Subscription } from "../ports/index.js";

// One behaviour suite for every EventBus adapter (Kafka on a real broker, the embedded bus on a
// real directory). Each test gets its own namespace (topic prefix or directory) so runs never see
// each other's messages.

export interface BusNamespace {
  /** A client of this namespace; Kafka: a new connection, embedded: the one in-process bus. */
  client(): Promise<EventBus>;
  dispose(): Promise<void>;
}

export interface BusHarness {
  /** A fresh namespace whose topics exist with `partitions` partitions each. */
  namespace(partitions: number): Promise<BusNamespace>;
}

const value = (seq: number, key: string): Envelope => ({
  schema: "vigil.raw-transaction",
  schema_version: 1,
  produced_at: new Date().toISOString(),
  payload: { seq, key },
});
const seqOf = (m: IncomingMessage) => (m.value.payload as { seq: number }).seq;

async function until(what: string, cond: () => boolean | Promise<boolean>, limitMs = 90_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function messages(from: number, count: number, keys: number): OutgoingMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    const key = `card-${seq % keys}`;
    return { topic: TOPICS.raw, key, value: value(seq, key) };
  });
}

async function withNamespace(h: BusHarness, partitions: number, body: (ns: BusNamespace) => Promise<void>): Promise<void> {
  const ns = await h.namespace(partitions);
  try {
    await body(ns);
  } finally {
    await ns.dispose();
  }
}

export function runBusContract(name: string, harness: BusHarness): void {
  describe(`EventBus contract: ${name}`, () => {
    it("delivers published messages with key, envelope and position", async () => {
      await withNamespace(harness, 2, async (ns) => {
        const bus = await ns.client();
        await bus.publish(messages(0, 10, 3));
        const got: IncomingMessage[] = [];
        const sub = await bus.subscribe({ groupId: "g-roundtrip", topics: [TOPICS.raw], handleBatch: async (b) => void got.push(...b.messages) });
        await until("10 messages", () => got.length >= 10);
        await sub.stop();
        expect(got.map(seqOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
        for (const m of got) {
          expect(m.key).toBe(`card-${seqOf(m) % 3}`);
          expect(m.value.schema).toBe("vigil.raw-transaction");
          expect(m.position.topic).toBe(TOPICS.raw);
          expect(Number(m.position.offset)).toBeGreaterThanOrEqual(0);
        }
      });
    });

    it("keeps one key on one partition, in publish order", async () => {
      await withNamespace(harness, 4, async (ns) => {
        const bus = await ns.client();
        for (let round = 0; round < 5; round++) await bus.publish(messages(round * 40, 40, 7));
        const got: IncomingMessage[] = [];
        const sub = await bus.subscribe({ groupId: "g-order", topics: [TOPICS.raw], handleBatch: async (b) => void got.push(...b.messages) });
        await until("200 messages", () => got.length >= 200);
        await sub.stop();
        const byKey = new Map<string, IncomingMessage[]>();
        for (const m of got) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m]);
        expect(byKey.size).toBe(7);
        for (const list of byKey.values()) {
          expect(new Set(list.map((m) => m.position.partition)).size).toBe(1);
          const seqs = list.map(seqOf);
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        }
        // 7 keys over 4 partitions: more than one partition is used.
        expect(new Set(got.map((m) => m.position.partition)).size).toBeGreaterThan(1);
      });
    });

    it("re-delivers a batch whose handler failed; nothing is skipped", async () => {
      await withNamespace(harness, 2, async (ns) => {
        const bus = await ns.client();
        await bus.publish(messages(0, 30, 5));
        const deliveries = new Map<number, number>();
        let failures = 0;
        const sub = await bus.subscribe({
          groupId: "g-redeliver",
          topics: [TOPICS.raw],
          handleBatch: async (b) => {
            for (const m of b.messages) deliveries.set(seqOf(m), (deliveries.get(seqOf(m)) ?? 0) + 1);
            // The first two deliveries of seq 7's batch fail, as a sink outage would.
            if (b.messages.some((m) => seqOf(m) === 7) && failures < 2) {
              failures++;
              throw new PortError("sink unavailable", true);
            }
          },
        });
        await until("all 30 delivered and seq 7 three times", () => deliveries.size === 30 && (deliveries.get(7) ?? 0) >= 3);
        await sub.stop();
        expect(failures).toBe(2);
        expect([...deliveries.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      });
    });

    it("commits offsets only after the handler resolved", async () => {
      await withNamespace(harness, 2, async (ns) => {
        const bus = await ns.client();
        await bus.publish(messages(0, 20, 4));
        // A group whose handler always fails commits nothing ...
        let failed = 0;
        const failing = await bus.subscribe({
          groupId: "g-commit",
          topics: [TOPICS.raw],
          handleBatch: async () => {
            failed++;
            throw new PortError("down", true);
          },
        });
        await until("a failed delivery", () => failed > 0);
        await failing.stop();
        // ... so the next member of the same group gets every message.
        const first = new Set<number>();
        const ok = await bus.subscribe({ groupId: "g-commit", topics: [TOPICS.raw], handleBatch: async (b) => b.messages.forEach((m) => first.add(seqOf(m))) });
        await until("20 messages after the failures", () => first.size === 20);
        await until("lag 0", async () => (await ok.lag()).every((l) => l.lag === 0));
        await ok.stop();
        // Successful batches were committed: a later member sees only new messages.
        await bus.publish(messages(100, 5, 4));
        const second: number[] = [];
        const again = await bus.subscribe({ groupId: "g-commit", topics: [TOPICS.raw], handleBatch: async (b) => void second.push(...b.messages.map(seqOf)) });
        await until("5 new messages", () => second.length >= 5);
        await again.stop();
        expect(second.sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104]);
      });
    });

    it("splits partitions between two consumers of one group", async () => {
      await withNamespace(harness, 4, async (ns) => {
        const [busA, busB, producer] = [await ns.client(), await ns.client(), await ns.client()];
        const seen = { A: [] as IncomingMessage[], B: [] as IncomingMessage[] };
        const subs: Subscription[] = [];
        subs.push(await busA.subscribe({ groupId: "g-split", topics: [TOPICS.raw], handleBatch: async (b) => void seen.A.push(...b.messages) }));
        subs.push(await busB.subscribe({ groupId: "g-split", topics: [TOPICS.raw], handleBatch: async (b) => void seen.B.push(...b.messages) }));
        // Warm-up until both members have work: only then is the group's assignment settled.
        let seq = 0;
        await until("both members receive messages", async () => {
          await producer.publish(messages(seq, 20, 20));
          seq += 20;
          await new Promise((r) => setTimeout(r, 200));
          return seen.A.length > 0 && seen.B.length > 0;
        });
        const start = seq;
        await producer.publish(messages(start, 200, 50));
        const fresh = (list: IncomingMessage[]) => list.filter((m) => seqOf(m) >= start);
        await until("200 messages after warm-up", () => fresh(seen.A).length + fresh(seen.B).length >= 200);
        await Promise.all(subs.map((s) => s.stop()));
        const a = fresh(seen.A);
        const b = fresh(seen.B);
        const all = [...a, ...b].map(seqOf).sort((x, y) => x - y);
        expect(all).toEqual(Array.from({ length: 200 }, (_, i) => start + i));
        const pa = new Set(a.map((m) => m.position.partition));
        const pb = new Set(b.map((m) => m.position.partition));
        expect([...pa].filter((p) => pb.has(p))).toEqual([]);
        expect(pa.size + pb.size).toBe(4);
      });
    });

    it("reports lag per partition until the group has caught up", async () => {
      await withNamespace(harness, 3, async (ns) => {
        const bus = await ns.client();
        await bus.publish(messages(0, 30, 9));
        let open = false;
        let handled = 0;
        const sub = await bus.subscribe({
          groupId: "g-lag",
          topics: [TOPICS.raw],
          handleBatch: async (b) => {
            await until("gate", () => open);
            handled += b.messages.length;
          },
        });
        const before = await sub.lag();
        expect(before.map((l) => l.partition).sort()).toEqual([0, 1, 2]);
        expect(before.reduce((s, l) => s + l.lag, 0)).toBe(30);
        open = true;
        await until("30 handled", () => handled >= 30);
        await until("lag 0", async () => (await sub.lag()).every((l) => l.lag === 0));
        await sub.stop();
      });
    });
  });
}
