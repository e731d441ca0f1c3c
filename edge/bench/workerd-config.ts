// Builds the workerd (capnp text) config `npm run bench:edge` serves: the edge bundle exactly as
// `wrangler deploy --dry-run` wrote it, the hello-world and hello-do baselines, and a queue sink, in one
// workerd process. Durable Object storage is SQLite in a directory (tmpfs or local disk).

export interface WorkerdConfigOptions {
  /** Path of the edge bundle (entry.js), relative to the config file or absolute. */
  edgeBundle: string;
  helloBundle: string;
  edgePort: number;
  helloPort: number;
  /** Directory of the Durable Objects' SQLite files. */
  storageDir: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Plain-text bindings (vars and secrets) of the edge worker. */
  vars: Record<string, string>;
}

const q = (s: string) => JSON.stringify(s);

/**
 * The queue producer bindings point at this worker: workerd turns send/sendBatch into HTTP
 * requests to it (POST /message, POST /batch) and expects send-metadata JSON back. It accepts and
 * drops, so forwarding costs the edge what it costs in production up to the queue (serialization
 * and one subrequest per scored request) without an aggregator in the measurement.
 */
const SINK = `export default { async fetch(req) { await req.arrayBuffer(); return Response.json({ metadata: { metrics: { backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: 0 } } }); } };`;

export function workerdConfig(o: WorkerdConfigOptions): string {
  const vars = Object.entries(o.vars)
    .map(([k, v]) => `    (name = ${q(k)}, text = ${q(v)}),`)
    .join("\n");
  const flags = o.compatibilityFlags.map(q).join(", ");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "vigil", worker = .edgeWorker),
    (name = "hello", worker = .helloWorker),
    (name = "queue-sink", worker = .sinkWorker),
    # Loopback allowed: the Upstash bridge for reference data runs on 127.0.0.1.
    (name = "internet", network = (allow = ["public", "private", "local"])),
    (name = "do-disk", disk = (path = ${q(o.storageDir)}, writable = true)),
  ],
  sockets = [
    (name = "vigil", address = "127.0.0.1:${o.edgePort}", http = (), service = "vigil"),
    (name = "hello", address = "127.0.0.1:${o.helloPort}", http = (), service = "hello"),
  ],
);

const edgeWorker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed ${q(o.edgeBundle)}) ],
  compatibilityDate = ${q(o.compatibilityDate)},
  compatibilityFlags = [${flags}],
  bindings = [
${vars}
    (name = "CARD_STATE", durableObjectNamespace = (className = "CardState")),
    (name = "SCORED_EVENTS", queue = "queue-sink"),
    (name = "DLQ", queue = "queue-sink"),
  ],
  durableObjectNamespaces = [ (className = "CardState", uniqueKey = "vigil-bench-card-state", enableSql = true) ],
  durableObjectStorage = (localDisk = "do-disk"),
  globalOutbound = "internet",
);

const helloWorker :Workerd.Worker = (
  modules = [ (name = "hello.js", esModule = embed ${q(o.helloBundle)}) ],
  compatibilityDate = ${q(o.compatibilityDate)},
  compatibilityFlags = [${flags}],
  # The hello-do floor: trivial SQLite-backed objects in the same storage as CardState.
  bindings = [
    (name = "HELLO_DO", durableObjectNamespace = (className = "HelloDo")),
    (name = "HELLO_DO_WRITE", durableObjectNamespace = (className = "HelloDoWrite")),
    (name = "SINK", queue = "queue-sink"),
  ],
  durableObjectNamespaces = [
    (className = "HelloDo", uniqueKey = "vigil-bench-hello-do", enableSql = true),
    (className = "HelloDoWrite", uniqueKey = "vigil-bench-hello-do-write", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-disk"),
);

const sinkWorker :Workerd.Worker = (
  modules = [ (name = "sink.js", esModule = ${q(SINK)}) ],
  compatibilityDate = ${q(o.compatibilityDate)},
);
`;
}
