import { silentLogger } from "../../core/contracts/logger.js";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTopicSpecs } from "../schema/topics.js";
import { createApp } from "../app.js";
import { validateEnvelope } from "../bus/envelope.js";
import type { KafkaBus } from "../bus/kafka-bus.js";
import { createKafkaBusFor } from "../bus/kafka-client.js";
import { loadConfig } from "../config.js";
import { TOPICS, type IncomingMessage, type TopicName } from "../ports/index.js";
import { scoredRecords, signedIngest } from "../testing/ingest-fixtures.js";

// The Kafka client behind the bus follows the config (KAFKA_CLIENT=kafkajs|platformatic).
const kafkaClient = loadConfig({ ...process.env, VIGIL_INGEST: "false" }).KAFKA_CLIENT;

// POST /v1/ingest over real HTTP (node server) into the real broker, topics under a private prefix.

const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const secret = "int-test-secret-0123456789";
const prefix = `ingest-${randomUUID().slice(0, 8)}.`;
const quiet = silentLogger;
let bus: KafkaBus;
let server: ServerType;
let url: string;

async function listen(app: ReturnType<typeof createApp>): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve({ server: s, url: `http://127.0.0.1:${info.port}` }));
  });
}

beforeAll(async () => {
  bus = createKafkaBusFor(kafkaClient, { brokers, clientId: "vigil-ingest-int", topicPrefix: prefix, log: quiet });
  await bus.ensureTopics(loadTopicSpecs({ localPartitions: 4, localReplication: 1 }));
  ({ server, url } = await listen(createApp({ bus, ingest: { secret, maxSkewSeconds: 300, maxBodyBytes: 1 << 20 }, log: quiet })));
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await bus.deleteTopics(Object.values(TOPICS));
  await bus.close();
});

async function readAll(topic: TopicName, expected: number): Promise<IncomingMessage[]> {
  const got: IncomingMessage[] = [];
  const sub = await bus.subscribe({ groupId: `reader-${randomUUID()}`, topics: [topic], handleBatch: async (b) => void got.push(...b.messages) });
  const end = Date.now() + 60_000;
  while (got.length < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  await sub.stop();
  return got;
}

const post = async (body: string, opts: { secret?: string; at?: number } = {}) =>
  fetch(await signedIngest(`${url}/v1/ingest`, opts.secret ?? secret, body, opts.at ?? Math.floor(Date.now() / 1000)));

describe("ingest over HTTP into Kafka", () => {
  it("answers 202 after Kafka acknowledged, with every message on its topic", async () => {
    const res = await post(JSON.stringify({ records: scoredRecords(0, 100, { run: "http", cards: 10 }) }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 100, duplicates: 0, conflicts: 0 });
    const [raw, verdicts, alerts, review] = [await readAll(TOPICS.raw, 100), await readAll(TOPICS.verdicts, 100), await readAll(TOPICS.alerts, 4), await readAll(TOPICS.review, 8)];
    expect([raw.length, verdicts.length, alerts.length, review.length]).toEqual([100, 100, 4, 8]);
    for (const m of [...raw, ...verdicts, ...alerts, ...review]) expect(validateEnvelope(m.value).ok).toBe(true);
    // keyed by card: all of one card's verdicts on one partition
    const parts = new Set(verdicts.filter((m) => m.key === "card-http-3").map((m) => m.position.partition));
    expect(parts.size).toBe(1);
  });

  it("refuses bad, stale and replayed signatures and invalid batches without publishing", async () => {
    const body = JSON.stringify({ records: scoredRecords(0, 2, { run: "refused", cards: 1 }) });
    const bad = await post(body, { secret: "wrong-secret-0123456789" });
    expect([bad.status, ((await bad.json()) as { error: { reason: string } }).error.reason]).toEqual([401, "BAD_SIGNATURE"]);
    const stale = await post(body, { at: Math.floor(Date.now() / 1000) - 3600 });
    expect([stale.status, ((await stale.json()) as { error: { reason: string } }).error.reason]).toEqual([401, "STALE_TIMESTAMP"]);
    const records = scoredRecords(0, 2, { run: "refused", cards: 1 });
    (records[0] as { region: string }).region = "";
    const invalid = await post(JSON.stringify({ records }));
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(await invalid.json())).toContain("records.0.region");
    const req = await signedIngest(`${url}/v1/ingest`, secret, JSON.stringify({ records: scoredRecords(0, 1, { run: "once", cards: 1 }) }), Math.floor(Date.now() / 1000));
    const replay = req.clone();
    expect((await fetch(req)).status).toBe(202);
    expect((await fetch(replay)).status).toBe(409);
    const raw = await readAll(TOPICS.raw, 101);
    expect(raw.filter((m) => m.key.startsWith("card-refused")).length).toBe(0);
    expect(raw.filter((m) => m.key.startsWith("card-once")).length).toBe(1);
  });

  it("answers 503 (retriable) when the broker is unreachable", async () => {
    const dead = createKafkaBusFor(kafkaClient, { brokers: ["127.0.0.1:1"], clientId: "vigil-dead", connectionTimeoutMs: 300, publishRetries: 1, publishTimeoutMs: 5000, log: quiet });
    const { server: s2, url: u2 } = await listen(createApp({ bus: dead, ingest: { secret, maxSkewSeconds: 300, maxBodyBytes: 1 << 20, deadlineMs: 30_000 }, log: quiet }));
    // The ingest deadline is set past the bus's own give-up, so the bus's answer is the one seen.
    try {
      const res = await fetch(await signedIngest(`${u2}/v1/ingest`, secret, JSON.stringify({ records: scoredRecords(0, 3, { run: "dead" }) }), Math.floor(Date.now() / 1000)));
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(await res.json()).toMatchObject({ error: { code: "BUS_UNAVAILABLE", retriable: true } });
    } finally {
      await new Promise<void>((r) => s2.close(() => r()));
      await dead.close();
    }
  });
});
