import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { IngestBatchSchema, type ScoredEvent } from "../../core/schemas.js";
import { verifyBody } from "../../core/signing.js";

// A real HTTP stand-in for the aggregator's POST /v1/ingest, for tests of the edge's queue
// consumer. It checks the HMAC signature with core's verifyBody and the body with IngestBatchSchema,
// records what it accepted, and can be told to fail. Each test uses its own namespace (the first
// path segment) so test files running side by side do not see each other's batches:
//   POST /<ns>/v1/ingest   the ingest endpoint (AGGREGATOR_URL = <receiver>/<ns>)
//   POST /<ns>/control     {fail?: n, status?: code, body?: string, delayMs?: ms}: the next n
//                          signed, valid posts answer `status` (default 503); delayMs holds every answer
//   GET  /<ns>/received    {batches: ScoredEvent[][], posts: n, refused: [{status, reason}]}

interface Control {
  fail: number;
  status: number;
  body: string;
  delayMs: number;
}

interface NamespaceState {
  control: Control;
  batches: ScoredEvent[][];
  posts: number;
  refused: { status: number; reason: string }[];
}

export interface IngestReceiver {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export async function startIngestReceiver(secret: string, port = 0): Promise<IngestReceiver> {
  const namespaces = new Map<string, NamespaceState>();
  const ns = (name: string): NamespaceState => {
    let s = namespaces.get(name);
    if (!s) {
      s = { control: { fail: 0, status: 503, body: '{"error":"INJECTED"}', delayMs: 0 }, batches: [], posts: 0, refused: [] };
      namespaces.set(name, s);
    }
    return s;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const [name, ...rest] = url.pathname.split("/").filter(Boolean);
    const route = rest.join("/");
    if (!name) return send(res, 404, { error: "NO_NAMESPACE" });
    const state = ns(name);
    const body = await readBody(req);

    if (req.method === "POST" && route === "control") {
      const c = JSON.parse(body || "{}") as Partial<Control>;
      state.control = { ...state.control, ...c };
      return send(res, 200, state.control);
    }
    if (req.method === "GET" && route === "received") {
      return send(res, 200, { batches: state.batches, posts: state.posts, refused: state.refused });
    }
    if (req.method !== "POST" || route !== "v1/ingest") return send(res, 404, { error: "NOT_FOUND" });

    state.posts++;
    if (state.control.delayMs > 0) await new Promise((r) => setTimeout(r, state.control.delayMs));
    const verified = await verifyBody(
      secret,
      body,
      header(req, "x-vigil-signature"),
      header(req, "x-vigil-timestamp"),
      Math.floor(Date.now() / 1000),
    );
    if (!verified.ok) {
      state.refused.push({ status: 401, reason: verified.reason });
      return send(res, 401, { error: verified.reason });
    }
    if (state.control.fail > 0) {
      state.control.fail--;
      state.refused.push({ status: state.control.status, reason: "INJECTED" });
      return send(res, state.control.status, state.control.body);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      state.refused.push({ status: 400, reason: "NOT_JSON" });
      return send(res, 400, { error: "NOT_JSON" });
    }
    const r = IngestBatchSchema.safeParse(parsed);
    if (!r.success) {
      state.refused.push({ status: 400, reason: "INVALID_BATCH" });
      return send(res, 400, { error: "INVALID_BATCH", issues: r.error.issues.slice(0, 5).map((i) => ({ path: i.path.join("."), message: i.message })) });
    }
    state.batches.push(r.data.records);
    return send(res, 202, { accepted: r.data.records.length });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: err instanceof Error ? err.message : "error" });
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL nothing listens on: bind a port, then release it. */
export async function deadLoopbackUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
