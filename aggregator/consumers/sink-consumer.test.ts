import { silentLogger } from "../../core/contracts/logger.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEmbeddedBus, type EmbeddedBus } from "../bus/embedded-bus.js";
import { envelope, type DeadLetter } from "../bus/envelope.js";
import { toMessages } from "../ingest/messages.js";
import { scoredRecords } from "../testing/ingest-fixtures.js";
import { createMetrics } from "../metrics.js";
import { S3ServiceException } from "@aws-sdk/client-s3";
import cassandra from "cassandra-driver";
import { toCassandraPortError } from "../stores/cassandra-errors.js";
import { toFsPortError } from "../stores/local-archive.js";
import { toS3PortError } from "../stores/s3-archive.js";
import { toSqlPortError } from "../stores/sql-client.js";
import { PortError, TOPICS, type Envelope, type IncomingMessage } from "../ports/index.js";
import { PoisonMessageError } from "../sinks/parse.js";
import { startSinkConsumer } from "./sink-consumer.js";

// The runner on the real embedded bus: poison messages are dead-lettered with their position, the
// rest is written, retriable failures are re-delivered until they succeed.

let dir: string;
let bus: EmbeddedBus;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vigil-runner-"));
  bus = await createEmbeddedBus({ dataDir: dir, redelivery: { initialMs: 10, maxMs: 50 }, log: silentLogger });
  await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 2, replicationFactor: 1 })));
});
afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function deadLetters(expected: number): Promise<DeadLetter[]> {
  const got: DeadLetter[] = [];
  const sub = await bus.subscribe({ groupId: "dl-reader", topics: [TOPICS.deadLetter], handleBatch: async (b) => void got.push(...b.messages.map((m) => m.value.payload as DeadLetter)) });
  await until(() => got.length >= expected);
  await sub.stop();
  return got;
}

const txOf = (m: IncomingMessage) => (m.value.payload as { event: { transaction_id: string } }).event.transaction_id;

describe("startSinkConsumer", () => {
  it("dead-letters unknown versions, bad payloads and sink-refused messages, and writes the rest", async () => {
    const records = scoredRecords(0, 10, { run: "dl", cards: 3 });
    const good = toMessages(records, "2026-11-28T12:00:00.000Z").filter((m) => m.topic === TOPICS.verdicts);
    const v2 = { ...envelope("vigil.scored-event", records[0]!, "2026-11-28T12:00:00.000Z"), schema_version: 2 } as unknown as Envelope;
    const broken = envelope("vigil.scored-event", { nope: true } as never, "2026-11-28T12:00:00.000Z");
    await bus.publish([...good, { topic: TOPICS.verdicts, key: "card-dl-0", value: v2 }, { topic: TOPICS.verdicts, key: "card-dl-1", value: broken }]);

    const written: string[] = [];
    const metrics = createMetrics({ defaults: false });
    const consumer = await startSinkConsumer({
      bus,
      name: "test",
      groupId: "g-dl",
      topics: [TOPICS.verdicts],
      metrics,
      sink: async (batch) => {
        const i = batch.messages.findIndex((m) => txOf(m) === "dl-4");
        if (i >= 0) throw new PoisonMessageError("test sink: refused: amount too odd", batch.messages[i]!.position, i);
        written.push(...batch.messages.map(txOf));
      },
    });
    const dls = await deadLetters(3);
    await until(() => written.length >= 9);
    await consumer.stop();
    expect(written.sort()).toEqual(["dl-0", "dl-1", "dl-2", "dl-3", "dl-5", "dl-6", "dl-7", "dl-8", "dl-9"]);
    const errors = dls.map((d) => d.error).sort();
    expect(errors.some((e) => e.startsWith("UNKNOWN_SCHEMA_VERSION"))).toBe(true);
    expect(errors.some((e) => e.startsWith("PAYLOAD_INVALID"))).toBe(true);
    expect(errors.some((e) => e.includes("amount too odd"))).toBe(true);
    for (const d of dls) {
      expect(d.group_id).toBe("g-dl");
      expect(d.original.topic).toBe(TOPICS.verdicts);
      expect(Number(d.original.offset)).toBeGreaterThanOrEqual(0);
    }
    expect(await metrics.registry.getSingleMetricAsString("vigil_sink_dead_letters_total")).toContain('reason="UNKNOWN_SCHEMA_VERSION"');
    expect((await consumer.lag()).every((l) => l.lag === 0)).toBe(true);
  });

  it("re-delivers after retriable failures and never skips a message", async () => {
    await bus.publish(toMessages(scoredRecords(0, 40, { run: "rt", cards: 5 }), "2026-11-28T12:00:00.000Z").filter((m) => m.topic === TOPICS.verdicts));
    const written = new Map<string, number>();
    let failures = 0;
    const consumer = await startSinkConsumer({
      bus,
      name: "flaky",
      groupId: "g-rt",
      topics: [TOPICS.verdicts],
      sink: async (batch) => {
        if (failures < 3) {
          failures++;
          throw new PortError("database restarting", true);
        }
        for (const m of batch.messages) written.set(txOf(m), (written.get(txOf(m)) ?? 0) + 1);
      },
    });
    await until(() => written.size >= 40);
    await consumer.stop();
    expect(failures).toBe(3);
    expect(written.size).toBe(40);
    // Re-delivery is of failed batches only: a written batch is committed and not seen again.
    expect([...written.values()].every((n) => n === 1)).toBe(true);
  });

  it("treats an unexpected (non-port) error as retriable rather than dropping the batch", async () => {
    await bus.publish(toMessages(scoredRecords(0, 5, { run: "bug", cards: 1 }), "2026-11-28T12:00:00.000Z").filter((m) => m.topic === TOPICS.verdicts));
    let calls = 0;
    const seen = new Set<string>();
    const consumer = await startSinkConsumer({
      bus,
      name: "buggy",
      groupId: "g-bug",
      topics: [TOPICS.verdicts],
      sink: async (batch) => {
        calls++;
        if (calls === 1) throw new TypeError("undefined is not a function");
        batch.messages.forEach((m) => seen.add(txOf(m)));
      },
    });
    await until(() => seen.size >= 5);
    await consumer.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  // Issue 13 item 3: each of these used to send the whole stream to fraud-dead-letter with its
  // offsets committed. Now the consumer stalls (health + metric), and resumes when it is fixed.
  const infraErrors: Array<[string, () => unknown]> = [
    ["S3 AccessDenied", () => toS3PortError("s3 put", new S3ServiceException({ name: "AccessDenied", $fault: "client", $metadata: { httpStatusCode: 403 }, message: "Access Denied" }))],
    ["S3 NoSuchBucket", () => toS3PortError("s3 put", new S3ServiceException({ name: "NoSuchBucket", $fault: "client", $metadata: { httpStatusCode: 404 }, message: "no bucket" }))],
    ["PostgreSQL read-only", () => toSqlPortError("pg", Object.assign(new Error("cannot execute INSERT in a read-only transaction"), { code: "25006" }))],
    ["PostgreSQL missing privilege", () => toSqlPortError("pg", Object.assign(new Error("permission denied for table x"), { code: "42501" }))],
    ["Cassandra unauthorized", () => toCassandraPortError("cql", new cassandra.errors.ResponseError(cassandra.types.responseErrorCodes.unauthorized, "no MODIFY permission"))],
    ["read-only local folder", () => toFsPortError("local put", Object.assign(new Error("EROFS: read-only file system"), { code: "EROFS" }))],
  ];
  for (const [label, makeError] of infraErrors) {
    it(`${label}: stalls (health, metric), dead-letters nothing, resumes and writes every message once`, async () => {
      await bus.publish(toMessages(scoredRecords(0, 20, { run: "inf", cards: 4 }), "2026-11-28T12:00:00.000Z").filter((m) => m.topic === TOPICS.verdicts));
      const metrics = createMetrics({ defaults: false });
      const written = new Map<string, number>();
      let broken = true;
      let failures = 0;
      const consumer = await startSinkConsumer({
        bus,
        name: "infra",
        groupId: `g-infra-${label}`,
        topics: [TOPICS.verdicts],
        metrics,
        sink: async (batch) => {
          if (broken) {
            failures++;
            throw makeError();
          }
          for (const m of batch.messages) written.set(txOf(m), (written.get(txOf(m)) ?? 0) + 1);
        },
      });
      await until(() => failures >= 3);
      expect(consumer.status().state).toBe("stalled");
      expect(consumer.status().stalled_since).toBeDefined();
      expect(await metrics.registry.getSingleMetricAsString("vigil_sink_stalled")).toMatch(/vigil_sink_stalled\{sink="infra"\} 1/);
      expect(await metrics.registry.getSingleMetricAsString("vigil_sink_stalls_total")).toContain('reason="infrastructure"');
      expect((await consumer.lag()).reduce((a, l) => a + l.lag, 0)).toBe(20); // nothing committed while stalled
      broken = false; // the operator fixes the bucket policy / grants the privilege
      await until(() => written.size >= 20);
      await until(() => consumer.status().state === "running");
      await consumer.stop();
      expect([...written.values()].every((n) => n === 1)).toBe(true);
      expect(await metrics.registry.getSingleMetricAsString("vigil_sink_stalled")).toMatch(/vigil_sink_stalled\{sink="infra"\} 0/);
      expect(await metrics.registry.getSingleMetricAsString("vigil_sink_dead_letters_total")).not.toContain("sink=");
      const dl = await bus.subscribe({ groupId: `dl-${label}`, topics: [TOPICS.deadLetter], handleBatch: async (b) => void expect(b.messages).toHaveLength(0) });
      expect((await dl.lag()).reduce((a, l) => a + l.lag, 0)).toBe(0);
      await dl.stop();
    });
  }

  it("a constraint on one message's data dead-letters that message only (found one at a time)", async () => {
    await bus.publish(toMessages(scoredRecords(0, 6, { run: "ck", cards: 2 }), "2026-11-28T12:00:00.000Z").filter((m) => m.topic === TOPICS.verdicts));
    const written: string[] = [];
    const consumer = await startSinkConsumer({
      bus,
      name: "ck",
      groupId: "g-ck",
      topics: [TOPICS.verdicts],
      sink: async (batch) => {
        if (batch.messages.some((m) => txOf(m) === "ck-2")) throw toSqlPortError("pg", Object.assign(new Error("numeric field overflow"), { code: "22003" }));
        written.push(...batch.messages.map(txOf));
      },
    });
    const dls = await deadLetters(1);
    await until(() => written.length >= 5);
    await consumer.stop();
    expect(dls).toHaveLength(1);
    expect(dls[0]!.error).toContain("22003");
    expect(written.sort()).toEqual(["ck-0", "ck-1", "ck-3", "ck-4", "ck-5"]);
  });

  it("a hung write hits the batch deadline: the consumer shows stalled (timeout) and the batch is retried", async () => {
    await bus.publish(toMessages(scoredRecords(0, 5, { run: "hang", cards: 1 }), "2026-11-28T12:00:00.000Z").filter((m) => m.topic === TOPICS.verdicts));
    const metrics = createMetrics({ defaults: false });
    let calls = 0;
    const seen = new Set<string>();
    const consumer = await startSinkConsumer({
      bus,
      name: "hang",
      groupId: "g-hang",
      topics: [TOPICS.verdicts],
      metrics,
      batchDeadlineMs: 100,
      sink: async (batch) => {
        calls++;
        if (calls === 1) return new Promise<void>(() => undefined); // never answers
        batch.messages.forEach((m) => seen.add(txOf(m)));
      },
    });
    await until(() => seen.size >= 5);
    await consumer.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(consumer.status().errors).toBeGreaterThanOrEqual(1);
    expect(await metrics.registry.getSingleMetricAsString("vigil_sink_stalls_total")).toContain('reason="timeout"');
  });
});
