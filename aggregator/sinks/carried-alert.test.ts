import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { alertOf } from "../../core/contracts/alert.js";
import { silentLogger } from "../../core/contracts/logger.js";
import type { Alert } from "../../core/schemas.js";
import { createApp } from "../app.js";
import { createEmbeddedBus, type EmbeddedBus } from "../bus/embedded-bus.js";
import { validateEnvelope, verdictEnvelope } from "../bus/envelope.js";
import { createMetrics } from "../metrics.js";
import { TOPICS, type Archive, type Envelope, type IncomingMessage, type MessageBatch, type TopicName } from "../ports/index.js";
import { batchOf, env } from "../testing/batches.js";
import { readParquetWithDuckDb } from "../testing/duckdb.js";
import { scoredRecords, signedIngest } from "../testing/ingest-fixtures.js";
import { alertColumns, recordingCassandra } from "../testing/recording-cassandra.js";
import { HOUR_MS, iso, scoredEvent, uniq } from "../testing/scored-events.js";
import { createCassandraVerdictStore } from "../stores/cassandra-verdict-store.js";
import { createLocalArchive } from "../stores/local-archive.js";
import { createArchiveSink } from "./archive-sink.js";
import { PoisonMessageError } from "./parse.js";
import { createHotStoreSink } from "./store-sinks.js";

// The alert row is derived once, at ingest, and carried: every call of the product's alertOf is
// counted along one batch's whole path (ingest → bus → hot store and archive sinks).
vi.mock("../../core/contracts/alert.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../core/contracts/alert.js")>();
  return { ...actual, alertOf: vi.fn(actual.alertOf) };
});
const derivations = () => vi.mocked(alertOf).mock.calls.length;

const secret = "test-secret-0123456789abcdef";
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
let dir: string;
let archive: Archive;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vigil-carried-alert-"));
  archive = createLocalArchive(join(dir, "archive"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  vi.mocked(alertOf).mockClear();
});

/** Both alert writers on the same batches: the fraud_alerts rows each wrote, by transaction id. */
async function writeAlerts(batches: MessageBatch[]) {
  const cass = recordingCassandra();
  const hot = createHotStoreSink(createCassandraVerdictStore(cass.client));
  const rootPrefix = `t-${uniq()}`;
  const arch = createArchiveSink(archive, { rootPrefix });
  for (const b of batches) {
    await hot(b);
    await arch(b);
  }
  const keys = await archive.list(`${rootPrefix}/fraud_alerts/`);
  const parquet = keys.length > 0 ? (await readParquetWithDuckDb(keys.map((k) => join(dir, "archive", k)))).rows : [];
  const byTx = (rows: Array<Record<string, unknown>>) => new Map(rows.map((r) => [String(r.transaction_id), alertColumns(r)]));
  return { hotStore: byTx(cass.inserts), archive: byTx(parquet) };
}

/** A message as a consumer decodes it off the wire: a JSON copy, validated in full. */
const overTheWire = (e: Envelope): Envelope => JSON.parse(JSON.stringify(e)) as Envelope;

describe("the alert row is derived once at ingest and carried to every sink", () => {
  it("one batch through ingest: the hot store and the archive write the rows ingest published, with no derivation after ingest", async () => {
    const bus: EmbeddedBus = await createEmbeddedBus({ dataDir: join(dir, `bus-${uniq()}`), log: silentLogger });
    try {
      await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 2, replicationFactor: 1 })));
      const app = createApp({ bus, ingest: { secret, maxSkewSeconds: 300, maxBodyBytes: 1 << 20 }, metrics: createMetrics({ defaults: false }), now: () => NOW, log: silentLogger });
      const body = JSON.stringify({ records: scoredRecords(0, 50, { run: "once", cards: 5 }) });
      expect((await app.fetch(await signedIngest("http://x/v1/ingest", secret, body, NOW / 1000))).status).toBe(202);
      expect(derivations()).toBe(50); // once per record, at ingest

      const verdicts = await read(bus, TOPICS.verdicts, 50);
      const published = (await read(bus, TOPICS.alerts, 2)).map((m) => m.value.payload as Alert);
      const written = await writeAlerts([0, 1].map((p) => ({ topic: TOPICS.verdicts, partition: p, messages: verdicts.filter((m) => m.position.partition === p) })));
      expect(derivations()).toBe(50); // the sinks derived nothing

      // fixtures: BLOCKED at 0 and 25 (on fraud-alerts), REVIEW at 10, 20, 30, 40 (fraud_alerts rows only)
      expect([...written.hotStore.keys()].sort()).toEqual(["once-0", "once-10", "once-20", "once-25", "once-30", "once-40"]);
      expect(written.archive).toEqual(written.hotStore);
      expect(published.map((a) => a.transaction_id).sort()).toEqual(["once-0", "once-25"]);
      for (const a of published) expect(written.hotStore.get(a.transaction_id)).toEqual(a);
      for (const m of verdicts) {
        const carried = m.value.alert;
        if (carried) expect(written.hotStore.get(carried.transaction_id)).toEqual(carried);
        else expect(carried).toBeNull();
      }
    } finally {
      await bus.close();
    }
  });

  it("a sink writes the carried row as carried, even where alertOf would now build another", async () => {
    const record = scoredEvent({ ts: iso(NOW), verdict: "BLOCKED" });
    const carried: Alert = { ...alertOf(record)!, fraud_reason: "as ingest derived it", fraud_score: 97 };
    vi.mocked(alertOf).mockClear();
    const written = await writeAlerts([batchOf(TOPICS.verdicts, 0, 0, [overTheWire(verdictEnvelope(record, carried, iso(NOW)))])]);
    expect(written.hotStore.get(record.event.transaction_id)).toEqual(carried);
    expect(written.archive.get(record.event.transaction_id)).toEqual(carried);
    expect(derivations()).toBe(0);
  });

  it("a verdict message from before the alert was carried still yields its row, derived from the record", async () => {
    const records = (["BLOCKED", "APPROVED", "REVIEW"] as const).map((verdict, i) => scoredEvent({ ts: iso(NOW + i * HOUR_MS), verdict }));
    const messages = records.map((r) => overTheWire(env.scoredWithoutAlert(r)));
    expect(messages.every((m) => !("alert" in m))).toBe(true);
    const written = await writeAlerts([batchOf(TOPICS.verdicts, 0, 0, messages)]);
    expect(derivations()).toBe(2 * records.length); // each sink, once per old message
    const rows = vi.mocked(alertOf).mock.results.map((r) => r.value as Alert | undefined);
    for (const r of [records[0]!, records[2]!]) {
      const expected = rows.find((a) => a?.transaction_id === r.event.transaction_id);
      expect(expected).toBeDefined();
      expect(written.hotStore.get(r.event.transaction_id)).toEqual(expected);
      expect(written.archive.get(r.event.transaction_id)).toEqual(expected);
    }
    expect(written.hotStore.has(records[1]!.event.transaction_id)).toBe(false);
  });

  it("refuses a carried alert that is not its record's row: the message is poison (dead-lettered), nothing is written", async () => {
    const blocked = scoredEvent({ ts: iso(NOW), verdict: "BLOCKED" });
    const approved = scoredEvent({ ts: iso(NOW), verdict: "APPROVED" });
    const other = alertOf(scoredEvent({ ts: iso(NOW), verdict: "BLOCKED" }))!;
    const own = alertOf(blocked)!;
    const wrong: Array<[Envelope, RegExp]> = [
      [verdictEnvelope(blocked, other, iso(NOW)), /alert: another event's row$/],
      [verdictEnvelope(blocked, undefined, iso(NOW)), /alert: null for a BLOCKED verdict$/],
      [verdictEnvelope(approved, { ...own, transaction_id: approved.event.transaction_id, card_number_hash: approved.event.card_number_hash }, iso(NOW)), /alert: a row for an APPROVED verdict$/],
      [verdictEnvelope(blocked, { ...own, fraud_score: 200 }, iso(NOW)), /alert\.fraud_score: /],
    ];
    for (const [message, error] of wrong) {
      expect(validateEnvelope(overTheWire(message))).toMatchObject({ ok: false, error: expect.stringMatching(/^PAYLOAD_INVALID: vigil\.scored-event: /) });
      expect(validateEnvelope(overTheWire(message))).toMatchObject({ ok: false, error: expect.stringMatching(error) });
      const batch = batchOf(TOPICS.verdicts, 0, 7, [overTheWire(env.scored(blocked)), overTheWire(message)]);
      const cass = recordingCassandra();
      for (const sink of [createHotStoreSink(createCassandraVerdictStore(cass.client)), createArchiveSink(archive, { rootPrefix: `refused-${uniq()}` })]) {
        const err = await sink(batch).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(PoisonMessageError);
        expect(err).toMatchObject({ index: 1, retriable: false });
      }
      expect(cass.inserts).toEqual([]);
    }
    expect((await archive.list("")).filter((k) => k.startsWith("refused-"))).toEqual([]);
  });
});

async function read(bus: EmbeddedBus, topic: TopicName, expected: number): Promise<IncomingMessage[]> {
  const got: IncomingMessage[] = [];
  const sub = await bus.subscribe({ groupId: `read-${topic}`, topics: [topic], handleBatch: async (b) => void got.push(...b.messages) });
  const end = Date.now() + 10_000;
  while (got.length < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  await sub.stop();
  return got;
}
