import net from "node:net";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBridge, type Bridge } from "./server.js";

// The real @upstash/redis client against the bridge, the bridge against the real local Redis
// (REDIS_HOST/REDIS_PORT, started by infra/stack.sh or the machine). Keys carry a random prefix
// and are deleted afterwards: the Redis is shared with other tests.

const REDIS_HOST = process.env.REDIS_HOST || "127.0.0.1";
const REDIS_PORT = Number(process.env.REDIS_PORT || "6379");
const TOKEN = "bridge-test-token";
const prefix = `vigil:bridge-test:${process.pid}:${Date.now().toString(36)}:`;
const k = (name: string) => `${prefix}${name}`;

let bridge: Bridge;
let deadRedisBridge: Bridge;

/** A port nothing listens on: bind an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const address = srv.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function client(options: { token?: string; url?: string; base64?: boolean; autoPipeline?: boolean } = {}): Redis {
  return new Redis({
    url: options.url ?? bridge.url,
    token: options.token ?? TOKEN,
    ...(options.base64 === false ? { responseEncoding: false as const } : {}),
    enableAutoPipelining: options.autoPipeline ?? false,
    enableTelemetry: false,
    retry: false,
  });
}

beforeAll(async () => {
  bridge = await startBridge({ port: 0, token: TOKEN, redisHost: REDIS_HOST, redisPort: REDIS_PORT });
  deadRedisBridge = await startBridge({ port: 0, token: TOKEN, redisHost: "127.0.0.1", redisPort: await closedPort() });
  // Fail early and clearly when there is no Redis to test against.
  await expect(client().ping()).resolves.toBe("PONG");
});

afterAll(async () => {
  if (bridge !== undefined) {
    const redis = client();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await bridge.close();
  }
  if (deadRedisBridge !== undefined) await deadRedisBridge.close();
});

describe.each([
  { name: "base64 responses (client default)", base64: true, autoPipeline: false },
  { name: "plain JSON responses", base64: false, autoPipeline: false },
  { name: "auto-pipelining (client default)", base64: true, autoPipeline: true },
])("upstash bridge, $name", ({ name, base64, autoPipeline }) => {
  const redis = () => client({ base64, autoPipeline });
  const key = (s: string) => k(`${name.split(" ")[0]}:${s}`);

  it("get / set / del, with expiry options", async () => {
    const r = redis();
    expect(await r.set(key("s"), "value-1")).toBe("OK");
    expect(await r.get(key("s"))).toBe("value-1");
    expect(await r.set(key("s"), "value-2", { nx: true })).toBeNull();
    expect(await r.get(key("missing"))).toBeNull();
    expect(await r.del(key("s"), key("missing"))).toBe(1);
    expect(await r.get(key("s"))).toBeNull();
  });

  it("objects round-trip through the client's JSON serialisation", async () => {
    const r = redis();
    const obj = { mcc: "5411", risk: 0.42, tags: ["a", "b"], nested: { ok: true } };
    await r.set(key("obj"), obj);
    expect(await r.get(key("obj"))).toEqual(obj);
  });

  it("unicode and binary-ish strings survive byte for byte", async () => {
    const r = redis();
    const values = ["héllo wörld", "日本語テキスト", "emoji 🚨💳", "quotes \" ' \\ and\nnewlines\r\n", "\u0000\u0001\u0002\u00ff", "OK", "PONG", "=="];
    for (const [i, v] of values.entries()) {
      await r.set(key(`u${i}`), v);
      expect(await r.get<string>(key(`u${i}`))).toBe(v);
    }
  });

  it("hset / hgetall / hget", async () => {
    const r = redis();
    expect(await r.hset(key("h"), { merchant: "MCH-4829", score: 17, city: "Zürich" })).toBe(3);
    expect(await r.hget(key("h"), "merchant")).toBe("MCH-4829");
    expect(await r.hgetall(key("h"))).toEqual({ merchant: "MCH-4829", score: 17, city: "Zürich" });
    expect(await r.hgetall(key("no-hash"))).toBeNull();
  });

  it("sadd / smembers / sismember", async () => {
    const r = redis();
    expect(await r.sadd(key("set"), "a", "b", "ü")).toBe(3);
    expect(((await r.smembers(key("set"))) as string[]).sort()).toEqual(["a", "b", "ü"]);
    expect(await r.sismember(key("set"), "b")).toBe(1);
  });

  it("incr / expire / ttl", async () => {
    const r = redis();
    expect(await r.incr(key("n"))).toBe(1);
    expect(await r.incrby(key("n"), 41)).toBe(42);
    expect(await r.expire(key("n"), 100)).toBe(1);
    const ttl = await r.ttl(key("n"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await r.ttl(key("missing"))).toBe(-2);
  });

  it("pipeline returns results in order and reports a failing command", async () => {
    const r = redis();
    const results = await r.pipeline().set(key("p"), "x").incr(key("pn")).incr(key("pn")).get(key("p")).exec();
    expect(results).toEqual(["OK", 1, 2, "x"]);
    const kept = await r.pipeline().set(key("p2"), "text").incr(key("p2")).get(key("p2")).exec({ keepErrors: true });
    expect(kept[0]?.result).toBe("OK");
    expect(kept[1]?.error).toMatch(/not an integer/);
    expect(kept[2]?.result).toBe("text");
    await expect(r.pipeline().set(key("p3"), "text").incr(key("p3")).exec()).rejects.toThrow(/Command 2 \[ incr \] failed/);
  });

  it("multi-exec is atomic and returns every result", async () => {
    const r = redis();
    const tx = r.multi();
    tx.set(key("m"), "1");
    tx.incr(key("m"));
    tx.hset(key("mh"), { f: "v" });
    tx.hgetall(key("mh"));
    expect(await tx.exec()).toEqual(["OK", 2, 1, { f: "v" }]);
  });
});

describe("upstash bridge errors", () => {
  it("a command error reaches the caller as an exception", async () => {
    const r = client();
    await r.set(k("wrongtype"), "text");
    await expect(r.hget(k("wrongtype"), "f")).rejects.toThrow(/WRONGTYPE/);
    await expect(r.incr(k("wrongtype"))).rejects.toThrow(/not an integer/);
  });

  it("a bad token is refused with 401", async () => {
    await expect(client({ token: "not-the-token" }).get(k("x"))).rejects.toThrow(/Unauthorized/);
    const res = await fetch(`${bridge.url}/`, { method: "POST", body: JSON.stringify(["PING"]) });
    expect(res.status).toBe(401);
  });

  it("commands that would block or re-purpose a pooled connection are refused", async () => {
    const r = client();
    await expect(r.exec(["BLPOP", k("q"), 0])).rejects.toThrow(/not supported by the REST bridge/);
    await expect(r.exec(["SELECT", 3])).rejects.toThrow(/not supported by the REST bridge/);
    await expect(r.ping()).resolves.toBe("PONG"); // and the connection is still fine
  });

  it("Redis unreachable: the client gets an error, not a hang", async () => {
    const r = client({ url: deadRedisBridge.url });
    await expect(r.get(k("x"))).rejects.toThrow(/redis unavailable/);
    await expect(r.pipeline().get(k("x")).exec()).rejects.toThrow(/redis unavailable/);
  });

  it("Redis accepting connections but never answering: an error after the reply timeout", async () => {
    const silent = net.createServer((socket) => socket.on("data", () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const stuck = await startBridge({ port: 0, token: TOKEN, redisHost: "127.0.0.1", redisPort: port, replyTimeoutMs: 300 });
    try {
      await expect(client({ url: stuck.url }).get(k("x"))).rejects.toThrow(/did not answer within 300 ms/);
    } finally {
      await stuck.close();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("handles many concurrent callers over the pooled connections", async () => {
    const r = client({ autoPipeline: false });
    const n = 200;
    await Promise.all(Array.from({ length: n }, (_, i) => r.set(k(`c${i}`), `v${i}`)));
    const got = await Promise.all(Array.from({ length: n }, (_, i) => r.get<string>(k(`c${i}`))));
    expect(got).toEqual(Array.from({ length: n }, (_, i) => `v${i}`));
  });
});
