import { silentLogger } from "../../core/contracts/logger.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { createEmbeddedBus, type EmbeddedBus } from "../bus/embedded-bus.js";
import { validateEnvelope } from "../bus/envelope.js";
import { createMetrics } from "../metrics.js";
import { TOPICS, type IncomingMessage, type TopicName } from "../ports/index.js";
import { scoredRecords, signedIngest } from "../testing/ingest-fixtures.js";

// Ingest over the Hono app (Web Request/Response) into the real embedded bus on a temp directory.

const secret = "test-secret-0123456789abcdef";
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
let dir: string;
let bus: EmbeddedBus;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vigil-ingest-"));
  bus = await createEmbeddedBus({ dataDir: dir, log: silentLogger });
  await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 2, replicationFactor: 1 })));
});
afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

function app(now = NOW, maxBodyBytes = 1024 * 1024) {
  const metrics = createMetrics({ defaults: false });
  return { app: createApp({ bus, ingest: { secret, maxSkewSeconds: 300, maxBodyBytes }, metrics, now: () => now, log: silentLogger }), metrics };
}

async function read(topic: TopicName, expected: number): Promise<IncomingMessage[]> {
  const got: IncomingMessage[] = [];
  const sub = await bus.subscribe({ groupId: `read-${topic}`, topics: [topic], handleBatch: async (b) => void got.push(...b.messages) });
  const end = Date.now() + 10_000;
  while (got.length < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  await sub.stop();
  return got;
}

const body = (n: number, run = "r1") => JSON.stringify({ records: scoredRecords(0, n, { run, cards: 5 }) });

describe("POST /v1/ingest", () => {
  it("accepts a signed batch and publishes raw, verdict, alert and review messages keyed by card", async () => {
    const { app: a, metrics } = app();
    const res = await a.fetch(await signedIngest("http://x/v1/ingest", secret, body(50), NOW / 1000));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 50, duplicates: 0, conflicts: 0 });
    const raw = await read(TOPICS.raw, 50);
    const verdicts = await read(TOPICS.verdicts, 50);
    const alerts = await read(TOPICS.alerts, 2);
    const review = await read(TOPICS.review, 3);
    expect(raw).toHaveLength(50);
    expect(verdicts).toHaveLength(50);
    // defaultVerdict: i%25==0 BLOCKED (0, 25), else i%10==0 REVIEW (10, 20, 30, 40)
    expect(alerts.map((m) => (m.value.payload as { transaction_id: string }).transaction_id).sort()).toEqual(["r1-0", "r1-25"]);
    expect(review).toHaveLength(4);
    for (const m of [...raw, ...verdicts, ...alerts, ...review]) {
      const v = validateEnvelope(m.value);
      expect(v.ok, JSON.stringify(v)).toBe(true);
      expect(m.key).toMatch(/^card-r1-\d$/);
    }
    const alert = alerts[0]!.value.payload as { fraud_reason: string; action_taken: string };
    expect(alert).toMatchObject({ fraud_reason: "ML_ANOMALY: isolation forest score 0.81; VELOCITY_EXCEEDED: 5 transactions in 1 minute", action_taken: "BLOCKED" });
    // One card's messages share a partition number across topics.
    const partOf = (list: IncomingMessage[], key: string) => new Set(list.filter((m) => m.key === key).map((m) => m.position.partition));
    expect(partOf(raw, "card-r1-0")).toEqual(partOf(verdicts, "card-r1-0"));
    expect(await metrics.registry.getSingleMetricAsString("vigil_ingest_records_total")).toMatch(/ 50$/m);
  });

  it("refuses bad, missing, stale and replayed signatures with a reason code", async () => {
    const { app: a } = app();
    const b = body(2);
    const bad = await signedIngest("http://x/v1/ingest", "another-secret-0123456789", b, NOW / 1000);
    expect(await answer(a.fetch(bad))).toEqual([401, "BAD_SIGNATURE"]);
    expect(await answer(a.fetch(new Request("http://x/v1/ingest", { method: "POST", body: b })))).toEqual([401, "MISSING_SIGNATURE"]);
    const stale = await signedIngest("http://x/v1/ingest", secret, b, NOW / 1000 - 301);
    expect(await answer(a.fetch(stale))).toEqual([401, "STALE_TIMESTAMP"]);
    const good = await signedIngest("http://x/v1/ingest", secret, b, NOW / 1000);
    const again = good.clone();
    expect((await a.fetch(good)).status).toBe(202);
    expect(await answer(a.fetch(again))).toEqual([409, "REPLAYED"]);
    expect(await read(TOPICS.raw, 2)).toHaveLength(2);
  });

  it("key rotation: accepts the current and the earlier key until its not-after, each replay refused per key", async () => {
    const oldSecret = "old-secret-0123456789abcdef";
    const metrics = createMetrics({ defaults: false });
    const keys = [
      { id: "k2", secret },
      { id: "k1", secret: oldSecret, notAfterSeconds: NOW / 1000 + 60 },
    ];
    const at = (now: number) => createApp({ bus, ingest: { secret, keys, maxSkewSeconds: 300, maxBodyBytes: 1 << 20 }, metrics, now: () => now, log: silentLogger });
    const a = at(NOW);
    const b = body(1, "rot");
    expect((await a.fetch(await signedIngest("http://x/v1/ingest", oldSecret, b, NOW / 1000, "k1"))).status).toBe(202);
    expect((await a.fetch(await signedIngest("http://x/v1/ingest", secret, b, NOW / 1000, "k2"))).status).toBe(202);
    // An edge from before key ids: every current key is tried.
    expect((await a.fetch(await signedIngest("http://x/v1/ingest", oldSecret, body(1, "rot2"), NOW / 1000))).status).toBe(202);
    const replay = await signedIngest("http://x/v1/ingest", oldSecret, b, NOW / 1000, "k1");
    expect(await answer(a.fetch(replay))).toEqual([409, "REPLAYED"]);
    const later = at(NOW + 120_000);
    expect(await answer(later.fetch(await signedIngest("http://x/v1/ingest", oldSecret, b, NOW / 1000 + 120, "k1")))).toEqual([401, "RETIRED_KEY"]);
    expect(await answer(later.fetch(await signedIngest("http://x/v1/ingest", oldSecret, b, NOW / 1000 + 120)))).toEqual([401, "BAD_SIGNATURE"]);
    expect(await answer(later.fetch(await signedIngest("http://x/v1/ingest", secret, b, NOW / 1000 + 120, "k7")))).toEqual([401, "UNKNOWN_KEY"]);
  });

  it("answers 400 naming the field, and publishes nothing", async () => {
    const { app: a } = app();
    const records = scoredRecords(0, 3, { run: "bad", cards: 2 });
    (records[1]!.event as { amount_usd: number }).amount_usd = -5;
    const res = await a.fetch(await signedIngest("http://x/v1/ingest", secret, JSON.stringify({ records }), NOW / 1000));
    expect(res.status).toBe(400);
    const j = (await res.json()) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(j.error.code).toBe("VALIDATION_FAILED");
    expect(j.error.issues[0]!.path).toBe("records.1.event.amount_usd");
    const pan = JSON.stringify({ records: [{ ...scoredRecords(0, 1, { run: "p" })[0], region: "4111111111111111" }] });
    const res2 = await a.fetch(await signedIngest("http://x/v1/ingest", secret, pan, NOW / 1000));
    expect(res2.status).toBe(400);
    expect(await res2.text()).not.toContain("4111111111111111");
    const notJson = await a.fetch(await signedIngest("http://x/v1/ingest", secret, "{nope", NOW / 1000));
    expect(notJson.status).toBe(400);
    // Only a later valid batch reaches the bus.
    expect((await a.fetch(await signedIngest("http://x/v1/ingest", secret, body(1, "ok"), NOW / 1000))).status).toBe(202);
    const raw = await read(TOPICS.raw, 1);
    expect(raw.map((m) => m.key)).toEqual(["card-ok-0"]);
  });

  it("answers 413 above the body limit", async () => {
    const { app: a } = app(NOW, 2048);
    const res = await a.fetch(await signedIngest("http://x/v1/ingest", secret, body(20), NOW / 1000));
    expect(res.status).toBe(413);
  });

  it("answers 503 (retriable) when the bus cannot publish, and accepts the same signed request after", async () => {
    const { app: a } = app();
    const req = await signedIngest("http://x/v1/ingest", secret, body(3), NOW / 1000);
    const retry = req.clone();
    await bus.close();
    const res = await a.fetch(req);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ error: { code: "BUS_UNAVAILABLE", retriable: true } });
    // The failed attempt did not burn the signature: a retry of the same request is not a replay.
    bus = await createEmbeddedBus({ dataDir: dir, log: silentLogger });
    const a2 = createApp({ bus, ingest: { secret, maxSkewSeconds: 300, maxBodyBytes: 1 << 20 }, now: () => NOW, log: silentLogger });
    expect((await a2.fetch(retry)).status).toBe(202);
  });
});

async function answer(p: Promise<Response> | Response): Promise<[number, string]> {
  const res = await p;
  const j = (await res.json()) as { error: { reason: string } };
  return [res.status, j.error.reason];
}
