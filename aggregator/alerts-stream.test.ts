import { silentLogger } from "../core/contracts/logger.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Alert } from "../core/schemas.js";
import { alertsStreamRoutes } from "./alerts-stream.js";
import { createEmbeddedBus, type EmbeddedBus } from "./bus/embedded-bus.js";
import { envelope } from "./bus/envelope.js";
import { createTokenAuth, sha256Hex } from "./http/auth.js";
import { TOPICS } from "./ports/index.js";

// The alert stream on the embedded bus: a client connected before an alert is published receives
// it as one `data:` frame; alerts published before it connected, and non-BLOCKED ones, are not
// sent; its consumer group is dropped when the client goes away; tokens are checked.

const VIEWER = "viewer-token-for-alert-stream-test";
const auth = createTokenAuth({ bootstrap: [{ name: "t-viewer", sha256: sha256Hex(VIEWER), role: "viewer" }], now: Date.now });
const quiet = silentLogger;

const alert = (id: string, action: Alert["action_taken"] = "BLOCKED"): Alert => ({
  card_number_hash: "card_stream_test_0001",
  transaction_id: id,
  alert_timestamp: "2026-11-29T04:00:00Z",
  fraud_score: 91,
  fraud_reason: "VELOCITY_EXCEEDED",
  action_taken: action,
  rule_triggers: ["VELOCITY_EXCEEDED"],
  ml_score: 0.8,
});

let dir: string;
let bus: EmbeddedBus;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "vigil-alert-stream-"));
  bus = await createEmbeddedBus({ dataDir: dir, redelivery: { initialMs: 20, maxMs: 200 }, log: quiet });
  await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 3, replicationFactor: 1 })));
});
afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

const publish = (a: Alert) => bus.publish([{ topic: TOPICS.alerts, key: a.card_number_hash, value: envelope("vigil.alert", a, a.alert_timestamp) }]);

/** Reads SSE frames until `want` data frames arrived or the deadline passed. */
async function readFrames(res: Response, want: number, ms: number): Promise<{ data: Alert[]; comments: string[] }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const data: Alert[] = [];
  const comments: string[] = [];
  let buf = "";
  const deadline = Date.now() + ms;
  while (data.length < want && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), new Promise<undefined>((r) => setTimeout(() => r(undefined), Math.max(1, deadline - Date.now())))]);
    if (next === undefined || next.done) break;
    buf += decoder.decode(next.value, { stream: true });
    let end: number;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const frame = buf.slice(0, end);
      buf = buf.slice(end + 2);
      for (const line of frame.split("\n")) {
        if (line.startsWith("data:")) data.push(JSON.parse(line.slice(5)) as Alert);
        else if (line.startsWith(":")) comments.push(line.slice(1).trim());
      }
    }
  }
  await reader.cancel();
  return { data, comments };
}

describe("GET /v1/alerts/stream (embedded bus)", () => {
  it("sends BLOCKED alerts published after the client connected, one data frame each", async () => {
    await publish(alert("TXN-BEFORE-CONNECT"));
    const app = alertsStreamRoutes({ bus, auth, log: quiet });
    const res = await app.request("/v1/alerts/stream", { headers: { authorization: `Bearer ${VIEWER}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await publish(alert("TXN-REVIEW-ONLY", "REVIEW"));
    await publish(alert("TXN-AFTER-CONNECT-1"));
    await publish(alert("TXN-AFTER-CONNECT-2"));
    const { data, comments } = await readFrames(res, 2, 20_000);
    expect(comments[0]).toMatch(/subscribed/);
    expect(data.map((a) => a.transaction_id)).toEqual(["TXN-AFTER-CONNECT-1", "TXN-AFTER-CONNECT-2"]);
    expect(data[0]).toEqual(alert("TXN-AFTER-CONNECT-1"));
  });

  it("shows a transaction's alert once even when the log carries it twice (issue 13 item 6)", async () => {
    const app = alertsStreamRoutes({ bus, auth, log: quiet });
    const res = await app.request("/v1/alerts/stream", { headers: { authorization: `Bearer ${VIEWER}` } });
    await publish(alert("TXN-TWICE"));
    await publish(alert("TXN-TWICE"));
    await publish(alert("TXN-AFTER"));
    const { data } = await readFrames(res, 3, 3_000);
    expect(data.map((a) => a.transaction_id)).toEqual(["TXN-TWICE", "TXN-AFTER"]);
  });

  it("drops its consumer group when the client disconnects", async () => {
    const app = alertsStreamRoutes({ bus, auth, log: quiet });
    const res = await app.request("/v1/alerts/stream", { headers: { authorization: `Bearer ${VIEWER}` } });
    const groups = () => Object.keys(JSON.parse(readFileSync(join(dir, "bus", "offsets.json"), "utf8")) as Record<string, unknown>);
    expect(groups().some((g) => g.startsWith("vigil-alerts-stream-"))).toBe(true);
    await res.body!.cancel();
    const deadline = Date.now() + 10_000;
    while (groups().some((g) => g.startsWith("vigil-alerts-stream-")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(groups().filter((g) => g.startsWith("vigil-alerts-stream-"))).toEqual([]);
  });

  it("refuses a missing or unknown token (401) without subscribing", async () => {
    const app = alertsStreamRoutes({ bus, auth, log: quiet });
    expect((await app.request("/v1/alerts/stream")).status).toBe(401);
    expect((await app.request("/v1/alerts/stream", { headers: { authorization: "Bearer nope-not-a-token" } })).status).toBe(401);
  });
});

describe("GET /v1/alerts/stream: connection caps (issue 13 item 9)", () => {
  const OTHER = "second-viewer-token-for-alert-stream";
  const twoTokens = createTokenAuth({
    bootstrap: [
      { name: "t-viewer", sha256: sha256Hex(VIEWER), role: "viewer" },
      { name: "t-other", sha256: sha256Hex(OTHER), role: "viewer" },
    ],
    now: Date.now,
  });
  const open = (app: ReturnType<typeof alertsStreamRoutes>, token: string) => app.request("/v1/alerts/stream", { headers: { authorization: `Bearer ${token}` } });

  it("refuses a stream past the per-token cap and past the total cap with 429, and frees a slot when a client leaves", async () => {
    const app = alertsStreamRoutes({ bus, auth: twoTokens, log: quiet, limits: { perToken: 2, total: 3 } });
    const a1 = await open(app, VIEWER);
    const a2 = await open(app, VIEWER);
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await open(app, VIEWER);
    expect(a3.status).toBe(429);
    expect(a3.headers.get("retry-after")).toBe("30");
    expect(((await a3.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "TOO_MANY_STREAMS", message: expect.stringContaining("2 per token") });
    const b1 = await open(app, OTHER);
    expect(b1.status).toBe(200);
    const b2 = await open(app, OTHER);
    expect(b2.status).toBe(429);
    expect(((await b2.json()) as { error: { message: string } }).error.message).toContain("3 in all");
    await a1.body!.cancel();
    const a4 = await open(app, VIEWER);
    expect(a4.status).toBe(200);
    for (const r of [a2, b1, a4]) await r.body!.cancel();
  });

  it("the streams a refused token never opened do not count", async () => {
    const app = alertsStreamRoutes({ bus, auth: twoTokens, log: quiet, limits: { perToken: 1, total: 1 } });
    expect((await open(app, "not-a-token")).status).toBe(401);
    const ok = await open(app, VIEWER);
    expect(ok.status).toBe(200);
    await ok.body!.cancel();
  });
});
