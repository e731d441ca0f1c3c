import { PGlite } from "@electric-sql/pglite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eventFingerprint } from "../../core/contracts/fingerprint.js";
import { silentLogger } from "../../core/contracts/logger.js";
import { createApp } from "../app.js";
import { createEmbeddedBus, type EmbeddedBus } from "../bus/embedded-bus.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { TOPICS, type EventBus, type IncomingMessage, type TopicName, type SqlClient } from "../ports/index.js";
import { createSqlArchiveClaims } from "../sinks/archive-claims.js";
import { createArchiveSink } from "../sinks/archive-sink.js";
import { createLocalArchive } from "../stores/local-archive.js";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { batchOf, env } from "../testing/batches.js";
import { readParquetWithDuckDb } from "../testing/duckdb.js";
import { scoredRecords, signedIngest } from "../testing/ingest-fixtures.js";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { createSqlIngestLedger, createSqlReplayStore } from "./ledger.js";

// Issue 13 item 6 on the embedded profile's stores (PGlite): an edge retry after a slow publish —
// same events, NEW signature, possibly to another aggregator process — publishes nothing twice,
// and a duplicate message that did reach the log is archived once. The same SQL runs on
// PostgreSQL in tests/fault (several real aggregator processes).

const secret = "test-secret-0123456789abcdef";
/** A run tag without long digit runs (a 13+ digit id could pass Luhn and be refused as a PAN). */
const tag = () => Math.random().toString(36).slice(2, 8).replace(/\d/g, "x");
let sql: SqlClient;
beforeAll(async () => {
  sql = pgliteSqlClient(new PGlite());
  await applySqlMigrations(sql, MIGRATIONS_DIR);
}, 240_000);
afterAll(async () => sql.close());

let dir: string;
let bus: EmbeddedBus;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vigil-once-"));
  bus = await createEmbeddedBus({ dataDir: dir, log: silentLogger });
  await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 2, replicationFactor: 1 })));
});
afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The bus, with publishes held until `release()` (a slow broker). */
function slowBus(inner: EventBus) {
  let gate: () => void = () => undefined;
  let held = new Promise<void>((r) => (gate = r));
  return {
    bus: { ...inner, publish: async (m: Parameters<EventBus["publish"]>[0]) => (await held, inner.publish(m)) } as EventBus,
    release: () => gate(),
    hold: () => (held = new Promise<void>((r) => (gate = r))),
  };
}

async function read(topic: TopicName, settleMs = 300): Promise<IncomingMessage[]> {
  const got: IncomingMessage[] = [];
  const sub = await bus.subscribe({ groupId: `read-${topic}-${Math.random()}`, topics: [topic], handleBatch: async (b) => void got.push(...b.messages) });
  await new Promise((r) => setTimeout(r, settleMs));
  await sub.stop();
  return got;
}

const processApp = (b: EventBus, deadlineMs: number) =>
  createApp({
    bus: b,
    ingest: { secret, maxSkewSeconds: 300, maxBodyBytes: 1 << 20, deadlineMs },
    ledger: createSqlIngestLedger(sql),
    replayGuard: createSqlReplayStore(sql),
    log: silentLogger,
  });

describe("ingest exactly once across processes (shared ledger)", () => {
  it("a retry after a slow publish, re-signed and sent to another process, is not published again", async () => {
    const slow = slowBus(bus);
    const a = processApp(slow.bus, 150); // "process A", its broker slow
    const b = processApp(bus, 2000); // "process B"
    const body = JSON.stringify({ records: scoredRecords(0, 20, { run: `slow-${tag()}`, cards: 4 }) });
    const now = Math.floor(Date.now() / 1000);

    const first = await a.fetch(await signedIngest("http://a/v1/ingest", secret, body, now));
    expect(first.status).toBe(503); // A's deadline passed; its publish goes on
    expect(((await first.json()) as { error: { code: string } }).error.code).toBe("INGEST_DEADLINE");

    // The edge retries with a new signature (new timestamp) on B while A still publishes.
    const during = await b.fetch(await signedIngest("http://b/v1/ingest", secret, body, now + 1));
    expect(during.status).toBe(503);
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe("IN_FLIGHT");

    slow.release(); // A's publish lands; its claims become "published"
    await new Promise((r) => setTimeout(r, 200));
    const after = await b.fetch(await signedIngest("http://b/v1/ingest", secret, body, now + 2));
    expect(after.status).toBe(202);
    expect(await after.json()).toEqual({ accepted: 20, duplicates: 20, conflicts: 0 });

    const verdicts = await read(TOPICS.verdicts);
    const ids = verdicts.map((m) => (m.value.payload as { event: { transaction_id: string } }).event.transaction_id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  });

  it("a failed publish releases its claims: the retry publishes everything, once", async () => {
    const failing: EventBus = { ...bus, publish: async () => Promise.reject(new Error("broker down")) };
    const body = JSON.stringify({ records: scoredRecords(0, 5, { run: `fail-${tag()}`, cards: 2 }) });
    const now = Math.floor(Date.now() / 1000);
    expect((await processApp(failing, 2000).fetch(await signedIngest("http://a/v1/ingest", secret, body, now))).status).toBe(503);
    await new Promise((r) => setTimeout(r, 100));
    const ok = await processApp(bus, 2000).fetch(await signedIngest("http://b/v1/ingest", secret, body, now + 1));
    expect(await ok.json()).toEqual({ accepted: 5, duplicates: 0, conflicts: 0 });
    expect(await read(TOPICS.verdicts)).toHaveLength(5);
  });

  it("a reused key with another payload (another card) is dead-lettered once as IDEMPOTENCY_CONFLICT, never merged or dropped", async () => {
    const run = `cf-${tag()}`;
    const [original] = scoredRecords(0, 1, { run, cards: 1 });
    const reused = { ...original!, event: { ...original!.event, card_number_hash: `other-card-${run}`, amount_usd: original!.event.amount_usd + 1 } };
    const now = Math.floor(Date.now() / 1000);
    const post = async (records: unknown[], t: number, host: string) =>
      processApp(bus, 2000).fetch(await signedIngest(`http://${host}/v1/ingest`, secret, JSON.stringify({ records }), t));

    expect(await (await post([original], now, "a")).json()).toEqual({ accepted: 1, duplicates: 0, conflicts: 0 });
    expect(await (await post([reused], now + 1, "b")).json()).toEqual({ accepted: 1, duplicates: 0, conflicts: 1 });
    // the edge retries the conflicting batch (new signature), and the original arrives again
    expect(await (await post([reused], now + 2, "a")).json()).toEqual({ accepted: 1, duplicates: 0, conflicts: 1 });
    expect(await (await post([original], now + 3, "b")).json()).toEqual({ accepted: 1, duplicates: 1, conflicts: 0 });

    const verdicts = await read(TOPICS.verdicts);
    expect(verdicts.map((m) => (m.value.payload as { event: { card_number_hash: string } }).event.card_number_hash)).toEqual([original!.event.card_number_hash]);
    const letters = await read(TOPICS.deadLetter);
    expect(letters).toHaveLength(1);
    const letter = letters[0]!.value.payload as { error: string; group_id: string; original: { value: { event: { card_number_hash: string } } } };
    expect(letter.error).toMatch(/^IDEMPOTENCY_CONFLICT: /);
    expect(letter.group_id).toBe("ingest");
    expect(letter.original.value.event.card_number_hash).toBe(`other-card-${run}`);
  });

  it("two payloads under one key in the same batch: the first is published, the other dead-lettered", async () => {
    const run = `cfb-${tag()}`;
    const [a, b] = scoredRecords(0, 2, { run, cards: 2 });
    const clash = { ...b!, event: { ...b!.event, transaction_id: a!.event.transaction_id } };
    const res = await processApp(bus, 2000).fetch(await signedIngest("http://a/v1/ingest", secret, JSON.stringify({ records: [a, clash, a] }), Math.floor(Date.now() / 1000)));
    expect(await res.json()).toEqual({ accepted: 3, duplicates: 1, conflicts: 1 });
    expect(await read(TOPICS.verdicts)).toHaveLength(1);
    expect(await read(TOPICS.deadLetter)).toHaveLength(1);
  });

  it("an envelope carrying its fingerprint is the same event as an old one without it; a carried one is used as carried", async () => {
    const run = `fp-${tag()}`;
    const [old, other] = scoredRecords(0, 2, { run, cards: 2 });
    expect(old).not.toHaveProperty("fingerprint");
    const now = Math.floor(Date.now() / 1000);
    const post = async (records: unknown[], t: number) =>
      (await processApp(bus, 2000).fetch(await signedIngest("http://a/v1/ingest", secret, JSON.stringify({ records }), t))).json();
    // An old edge's envelope: the fingerprint is computed here, as before.
    expect(await post([old], now)).toEqual({ accepted: 1, duplicates: 0, conflicts: 0 });
    // The same event from a new edge, carrying the fingerprint it computed: the same, so a duplicate.
    expect(await post([{ ...old!, zone: "default", fingerprint: await eventFingerprint(old!.event) }], now + 1)).toEqual({ accepted: 1, duplicates: 1, conflicts: 0 });
    // Carried, not recomputed: the same event carrying another fingerprint is another payload.
    expect(await post([{ ...old!, fingerprint: "f".repeat(32) }], now + 2)).toEqual({ accepted: 1, duplicates: 0, conflicts: 1 });
    // A carried value of another shape is refused at the boundary, naming the field.
    const bad = (await processApp(bus, 2000).fetch(await signedIngest("http://a/v1/ingest", secret, JSON.stringify({ records: [{ ...other!, fingerprint: "nope" }] }), now + 3))) as Response;
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("records.0.fingerprint");
    expect(await read(TOPICS.verdicts)).toHaveLength(1);
  });

  it("the replay guard is shared: a signed request accepted by one process is refused by another", async () => {
    const body = JSON.stringify({ records: scoredRecords(0, 2, { run: `rp-${tag()}`, cards: 1 }) });
    const req = await signedIngest("http://a/v1/ingest", secret, body, Math.floor(Date.now() / 1000));
    expect((await processApp(bus, 2000).fetch(req.clone())).status).toBe(202);
    const again = await processApp(bus, 2000).fetch(req.clone());
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe("REPLAYED");
  });
});

describe("archive exactly once per event (shared claims)", () => {
  it("a duplicate message at a later offset adds no Parquet row; a re-delivered batch rewrites its own", async () => {
    const root = mkdtempSync(join(tmpdir(), "vigil-once-archive-"));
    try {
      const archive = createLocalArchive(root);
      const records = scoredRecords(0, 4, { run: `arch-${tag()}`, cards: 2 });
      const [r0, r1, r2, r3] = records as [(typeof records)[0], (typeof records)[0], (typeof records)[0], (typeof records)[0]];
      const batch1 = batchOf(TOPICS.verdicts, 0, 10, [env.scored(r0), env.scored(r1)]);
      // the edge's retry landed the same two events again, after a third one
      const batch2 = batchOf(TOPICS.verdicts, 0, 12, [env.scored(r2), env.scored(r0), env.scored(r1), env.scored(r3)]);
      const count = async (prefix: string) => {
        const keys = (await archive.list(`${prefix}/verdicts/`)).filter((k) => k.endsWith(".parquet"));
        const { rows } = await readParquetWithDuckDb(keys.map((k) => join(root, k)));
        const n = new Map<string, number>();
        for (const r of rows) n.set(String(r.transaction_id), (n.get(String(r.transaction_id)) ?? 0) + 1);
        return n;
      };

      // Today's behaviour (no claims): one row per MESSAGE, so r0 and r1 twice.
      const plain = createArchiveSink(archive, { rootPrefix: "plain" });
      await plain(batch1);
      await plain(batch2);
      expect([...(await count("plain")).values()].sort()).toEqual([1, 1, 2, 2]);

      const once = createArchiveSink(archive, { rootPrefix: "once", claims: createSqlArchiveClaims(sql) });
      await once(batch1);
      await once(batch1); // re-delivery after a failed commit
      await once(batch2);
      await once(batch2);
      const n = await count("once");
      expect(n.size).toBe(4);
      expect([...n.values()].every((x) => x === 1)).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
