/**
 * Upstash REST bridge: a local Redis behind the HTTP protocol `@upstash/redis` speaks, so the
 * edge's reference-data code runs unchanged against the stack profile.
 *
 *   POST /             body ["SET","k","v"]          -> 200 {"result": ...} | 400 {"error": "..."}
 *   POST /pipeline     body [["SET","k","v"],[...]]  -> 200 [{"result": ...} | {"error": "..."}, ...]
 *   POST /multi-exec   body [[...],[...]]            -> 200 [{"result"}|{"error"}, ...] (atomic)
 *   GET|POST /cmd/arg1/arg2 (path form; a POST body is appended as the last argument)
 *
 * Matches @upstash/redis 1.39 (node_modules/@upstash/redis/chunk-*.mjs, HttpClient.request):
 * - auth: `Authorization: Bearer <token>` (or `?_token=`), otherwise 401 {"error":"Unauthorized"};
 * - `Upstash-Encoding: base64`: every string in the result, at any depth, is base64 of its bytes,
 *   except the simple-string reply "OK", which the client expects verbatim. Errors are never encoded;
 * - a failed single command is HTTP 400 with {"error"} (the client throws UpstashError on !ok);
 *   pipeline items carry their own {"error"} with HTTP 200;
 * - Redis unreachable: HTTP 500 {"error":"ERR redis unavailable: ..."}.
 *
 * With `tls` (UPSTASH_BRIDGE_TLS_CERT and UPSTASH_BRIDGE_TLS_KEY, PEM files) it serves https only,
 * as Upstash itself does; with REDIS_PASSWORD_FILE each Redis connection sends AUTH first. The
 * secured stack (infra/stack.sh up --secure) runs it both ways.
 *
 * Commands that would block or re-purpose a shared pooled connection (SUBSCRIBE, BLPOP, SELECT,
 * raw MULTI, ...) are refused: the bridge multiplexes many HTTP callers over a few connections.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { fileURLToPath } from "node:url";
import { RespConnectionError, RespError, RespPool, SimpleString, type RespValue } from "./resp.js";

export interface BridgeOptions {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  token: string;
  redisHost: string;
  redisPort: number;
  /** Redis `requirepass`; each pooled connection authenticates first. */
  redisPassword?: string;
  poolSize?: number;
  /** Fail a Redis connection that leaves replies outstanding this long (default 10 s). */
  replyTimeoutMs?: number;
  /** Largest accepted request body. Upstash's own limit is in this range. */
  maxBodyBytes?: number;
  /** PEM certificate (chain) and key: serve https instead of http. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface Bridge {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Json = string | number | null | Json[] | { [k: string]: Json };
type ItemResult = { result: Json } | { error: string };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Lower-cased command names refused by the bridge, with the reason shown to the caller. */
const REFUSED: ReadonlyMap<string, string> = new Map([
  ...["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "monitor", "sync", "psync"].map(
    (c) => [c, "needs a dedicated connection"] as const,
  ),
  ...["blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "wait", "waitaof"].map(
    (c) => [c, "would block a shared connection"] as const,
  ),
  ...["select", "quit", "reset", "hello", "auth", "client"].map((c) => [c, "changes connection state"] as const),
  ...["multi", "exec", "discard", "watch", "unwatch"].map((c) => [c, "use the /multi-exec endpoint"] as const),
]);

function toCommand(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new HttpError(400, "ERR failed to parse command");
  return raw.map((arg: unknown) => {
    if (typeof arg === "string") return arg;
    if (typeof arg === "number" || typeof arg === "boolean") return String(arg);
    throw new HttpError(400, "ERR failed to parse command: arguments must be strings or numbers");
  });
}

function checkAllowed(cmd: readonly string[]): string | undefined {
  const name = (cmd[0] ?? "").toLowerCase();
  const why = REFUSED.get(name);
  if (why !== undefined) return `ERR command ${name.toUpperCase()} is not supported by the REST bridge (${why})`;
  if ((name === "xread" || name === "xreadgroup") && cmd.some((a) => a.toLowerCase() === "block")) {
    return "ERR XREAD ... BLOCK is not supported by the REST bridge (would block a shared connection)";
  }
  return undefined;
}

/** RESP value -> JSON the way Upstash renders it, base64-encoding strings when asked. */
function toJson(value: RespValue, base64: boolean): Json {
  if (value === null) return null;
  if (typeof value === "number") return value;
  if (value instanceof SimpleString) {
    return base64 && value.value !== "OK" ? Buffer.from(value.value, "utf8").toString("base64") : value.value;
  }
  if (value instanceof RespError) return value.message; // nested error (rare outside EXEC)
  if (Array.isArray(value)) return value.map((v) => toJson(v, base64));
  return base64 ? value.toString("base64") : value.toString("utf8");
}

function toItem(value: RespValue, base64: boolean): ItemResult {
  return value instanceof RespError ? { error: value.message } : { result: toJson(value, base64) };
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new HttpError(413, `ERR request body larger than ${limit} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    throw new HttpError(400, "ERR failed to parse command: body is not JSON");
  }
}

function tokenOf(req: http.IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    return m?.[1];
  }
  return url.searchParams.get("_token") ?? undefined;
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const pool = new RespPool(
    {
      host: options.redisHost,
      port: options.redisPort,
      ...(options.replyTimeoutMs === undefined ? {} : { replyTimeoutMs: options.replyTimeoutMs }),
      ...(options.redisPassword === undefined ? {} : { password: options.redisPassword }),
    },
    options.poolSize ?? 4,
  );
  const maxBody = options.maxBodyBytes ?? 10 * 1024 * 1024;

  const single = async (cmd: string[], base64: boolean): Promise<{ status: number; body: Json }> => {
    const refused = checkAllowed(cmd);
    if (refused !== undefined) return { status: 400, body: { error: refused } };
    const [reply] = await pool.send([cmd]);
    const item = toItem(reply ?? null, base64);
    return { status: "error" in item ? 400 : 200, body: item };
  };

  const pipeline = async (cmds: string[][], base64: boolean): Promise<Json> => {
    // Refused commands are answered in place; the rest still go to Redis in one write.
    const refusals = cmds.map(checkAllowed);
    const toSend = cmds.filter((_, i) => refusals[i] === undefined);
    const replies = await pool.send(toSend);
    let next = 0;
    return cmds.map((_, i) => {
      const refused = refusals[i];
      return refused !== undefined ? { error: refused } : toItem(replies[next++] ?? null, base64);
    });
  };

  const multiExec = async (cmds: string[][], base64: boolean): Promise<{ status: number; body: Json }> => {
    const refused = cmds.map(checkAllowed).find((r) => r !== undefined);
    if (refused !== undefined) return { status: 400, body: { error: refused } };
    // MULTI, the commands and EXEC in one write on one connection: nothing can interleave.
    const replies = await pool.send([["MULTI"], ...cmds, ["EXEC"]]);
    const exec = replies[replies.length - 1] ?? null;
    if (exec instanceof RespError) {
      // EXECABORT: a command was rejected while queueing; report the first reason, like Upstash.
      const queued = replies.slice(1, -1).find((r): r is RespError => r instanceof RespError);
      return { status: 400, body: { error: queued?.message ?? exec.message } };
    }
    if (!Array.isArray(exec)) return { status: 400, body: { error: "ERR transaction aborted" } };
    return { status: 200, body: exec.map((r) => toItem(r, base64)) };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://bridge.local");
    if (tokenOf(req, url) !== options.token) throw new HttpError(401, "Unauthorized");
    const base64 = (req.headers["upstash-encoding"] ?? "").toString().toLowerCase() === "base64";
    const body = req.method === "POST" ? await readBody(req, maxBody) : Buffer.alloc(0);
    const path = url.pathname.replace(/\/+$/, "");
    let status = 200;
    let out: Json;
    if (path === "" || path === "/") {
      if (req.method !== "POST") throw new HttpError(405, "ERR use POST with a JSON command array");
      ({ status, body: out } = await single(toCommand(parseJson(body)), base64));
    } else if (path === "/pipeline" || path === "/multi-exec") {
      if (req.method !== "POST") throw new HttpError(405, "ERR use POST");
      const raw = parseJson(body);
      if (!Array.isArray(raw) || raw.length === 0) throw new HttpError(400, "ERR failed to parse pipeline request");
      const cmds = raw.map(toCommand);
      if (path === "/pipeline") out = await pipeline(cmds, base64);
      else ({ status, body: out } = await multiExec(cmds, base64));
    } else {
      // Path form: /set/key/value; a POST body becomes the last argument (Upstash does the same).
      const cmd = path.split("/").slice(1).map((s) => decodeURIComponent(s));
      if (req.method === "POST" && body.length > 0) cmd.push(body.toString("utf8"));
      ({ status, body: out } = await single(cmd, base64));
    }
    send(res, status, out);
  };

  const send = (res: http.ServerResponse, status: number, body: Json): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) send(res, err.status, { error: err.message });
      else if (err instanceof RespConnectionError) send(res, 500, { error: `ERR redis unavailable: ${err.message}` });
      else send(res, 500, { error: `ERR bridge failure: ${err instanceof Error ? err.message : String(err)}` });
    });
  };
  const server = options.tls === undefined ? http.createServer(listener) : https.createServer({ ...options.tls }, listener);
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8079, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 8079);
  return {
    url: `${options.tls === undefined ? "http" : "https"}://${options.host ?? "127.0.0.1"}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        pool.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  const n = v === undefined || v === "" ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return n;
}

/** Both files or neither: half a TLS setting is a mistake, not a reason to fall back to http. */
function tlsFromEnv(): BridgeOptions["tls"] {
  const cert = process.env.UPSTASH_BRIDGE_TLS_CERT || "";
  const key = process.env.UPSTASH_BRIDGE_TLS_KEY || "";
  if (cert === "" && key === "") return undefined;
  if (cert === "" || key === "") throw new Error("set both UPSTASH_BRIDGE_TLS_CERT and UPSTASH_BRIDGE_TLS_KEY, or neither");
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

// A file, so the password shows neither in `ps` nor in the environment of child processes.
function redisPasswordFromEnv(): string | undefined {
  const file = process.env.REDIS_PASSWORD_FILE || "";
  return file === "" ? undefined : readFileSync(file, "utf8").trim();
}

async function main(): Promise<void> {
  const tls = tlsFromEnv();
  const redisPassword = redisPasswordFromEnv();
  const bridge = await startBridge({
    ...(tls === undefined ? {} : { tls }),
    ...(redisPassword === undefined ? {} : { redisPassword }),
    host: process.env.UPSTASH_BRIDGE_HOST || "127.0.0.1",
    port: envInt("UPSTASH_BRIDGE_PORT", 8079),
    token: process.env.UPSTASH_BRIDGE_TOKEN || "vigil-local-token",
    redisHost: process.env.REDIS_HOST || "127.0.0.1",
    redisPort: envInt("REDIS_PORT", 6379),
    poolSize: envInt("UPSTASH_BRIDGE_POOL", 4),
  });
  console.log(`upstash bridge listening on ${bridge.url} -> redis ${process.env.REDIS_HOST || "127.0.0.1"}:${envInt("REDIS_PORT", 6379)}`);
  const stop = (): void => {
    bridge.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
