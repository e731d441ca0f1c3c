/**
 * Health checks for the local stack, one real protocol round trip per service (an open port is
 * not enough: Kafka and Cassandra accept TCP well before they can serve requests).
 *
 *   tsx infra/scripts/health.ts <kafka|cassandra|s3|redis|postgres|bridge|prometheus> [--wait SECONDS] [--init]
 *
 * --wait retries until the deadline (default: one attempt). --init (s3 only) creates the bucket.
 * Settings come from the environment that infra/stack.env exports. With VIGIL_SECURE=1 (the secured
 * stack) every check connects the way a client of that stack must: TLS and credentials, from the
 * secure.env settings infra/secure/secure.sh exports.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import { bridgeCommand, cassandraSecurity, kafkaSecurity, s3Security } from "../secure/client-options.js";

// Client libraries are imported per check: loading all of them costs seconds on a busy 2-core box.

const env = (name: string, fallback: string): string => {
  const value = process.env[name];
  return value === undefined || value === "" ? fallback : value;
};

type Check = (init: boolean) => Promise<string>;

const secure = process.env.VIGIL_SECURE === "1";

const checkKafka: Check = async () => {
  const { default: kafkajs } = await import("kafkajs");
  const kafka = new kafkajs.Kafka({
    clientId: "vigil-health",
    brokers: env("KAFKA_BROKERS", "127.0.0.1:9092").split(","),
    ...(secure ? kafkaSecurity(process.env) : {}),
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const topics = await admin.listTopics();
    return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), controller ${cluster.controller ?? "?"}, ${topics.length} topic(s)`;
  } finally {
    await admin.disconnect();
  }
};

const checkCassandra: Check = async () => {
  const { default: cassandra } = await import("cassandra-driver");
  const auth = secure ? cassandraSecurity(process.env) : undefined;
  const client = new cassandra.Client({
    contactPoints: [`${env("CASSANDRA_HOST", "127.0.0.1")}:${env("CASSANDRA_PORT", "9042")}`],
    localDataCenter: env("CASSANDRA_DC", "datacenter1"),
    ...(auth === undefined
      ? {}
      : { authProvider: new cassandra.auth.PlainTextAuthProvider(auth.username, auth.password), sslOptions: auth.sslOptions }),
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
    // One attempt per call: the outer loop does the retrying.
    policies: { reconnection: new cassandra.policies.reconnection.ConstantReconnectionPolicy(60_000) },
  });
  try {
    await client.connect();
    const rs = await client.execute("SELECT release_version, cluster_name FROM system.local");
    const row = rs.first();
    return `release ${String(row.get("release_version"))}, cluster ${String(row.get("cluster_name"))}`;
  } finally {
    await client.shutdown();
  }
};

const checkS3: Check = async (init) => {
  const { CreateBucketCommand, ListBucketsCommand, S3Client } = await import("@aws-sdk/client-s3");
  const s3 = new S3Client({
    endpoint: env("S3_ENDPOINT", "http://127.0.0.1:9000"),
    region: env("S3_REGION", "us-east-1"),
    forcePathStyle: true,
    credentials: {
      accessKeyId: env("S3_ACCESS_KEY_ID", "vigil-local"),
      secretAccessKey: env("S3_SECRET_ACCESS_KEY", "vigil-local-secret"),
    },
    maxAttempts: 1,
    ...(secure ? s3Security(process.env) : {}),
  });
  try {
    const bucket = env("S3_BUCKET", "fraud-detection-datalake");
    let names = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? "");
    if (init && !names.includes(bucket)) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      names = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? "");
    }
    return `buckets: ${names.join(", ") || "(none)"}`;
  } finally {
    s3.destroy();
  }
};

/** Inline RESP commands over a fresh socket, until `lines` reply lines arrived; enough for a PING. */
const respOnce = (host: string, port: number, payload: string, lines = 1): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.createConnection({ host, port });
    let data = "";
    socket.setTimeout(2000, () => socket.destroy(new Error("timeout")));
    socket.on("connect", () => socket.write(payload));
    socket.on("data", (chunk: Buffer) => {
      data += chunk.toString("utf8");
      if (data.split("\r\n").length > lines) {
        socket.end();
        resolve(data.trim());
      }
    });
    socket.on("error", reject);
  });

const checkRedis: Check = async () => {
  if (secure) {
    const password = readFileSync(env("REDIS_PASSWORD_FILE", ""), "utf8").trim();
    const reply = await respOnce(env("REDIS_HOST", "127.0.0.1"), Number(env("REDIS_PORT", "6379")), `AUTH ${password}\r\nPING\r\n`, 2);
    if (reply !== "+OK\r\n+PONG") throw new Error(`unexpected reply ${reply}`);
    return "PONG (authenticated)";
  }
  const reply = await respOnce(env("REDIS_HOST", "127.0.0.1"), Number(env("REDIS_PORT", "6379")), "PING\r\n");
  if (reply !== "+PONG") throw new Error(`unexpected reply ${reply}`);
  return "PONG";
};

const checkPostgres: Check = async () => {
  const { default: pg } = await import("pg");
  // secure.env's DATABASE_URL carries the user, password, sslmode=verify-full and sslrootcert.
  const client = new pg.Client(secure ? { connectionString: env("DATABASE_URL", ""), connectionTimeoutMillis: 2000 } : {
    host: env("PGHOST", "127.0.0.1"),
    port: Number(env("PGPORT", "5432")),
    user: env("PGUSER", "postgres"),
    database: env("PGDATABASE", "test"),
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    const rs = await client.query<{ version: string }>("SELECT version() AS version");
    return rs.rows[0]?.version.split(" on ")[0] ?? "connected";
  } finally {
    await client.end();
  }
};

const checkBridge: Check = async () => {
  if (secure) {
    const reply = await bridgeCommand(process.env, ["PING"]);
    if (reply.status !== 200 || !reply.body.includes('"PONG"')) throw new Error(`HTTP ${reply.status} ${reply.body}`);
    return "PONG through the bridge over https";
  }
  const url = `http://${env("UPSTASH_BRIDGE_HOST", "127.0.0.1")}:${env("UPSTASH_BRIDGE_PORT", "8079")}/`;
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${env("UPSTASH_BRIDGE_TOKEN", "vigil-local-token")}`, "content-type": "application/json" },
    body: JSON.stringify(["PING"]),
    signal: AbortSignal.timeout(2000),
  });
  const body = (await res.json()) as { result?: unknown; error?: string };
  if (!res.ok || body.result !== "PONG") throw new Error(`HTTP ${res.status} ${JSON.stringify(body)}`);
  return "PONG through the bridge";
};

const checkPrometheus: Check = async () => {
  const url = `http://${env("PROMETHEUS_HOST", "127.0.0.1")}:${env("PROMETHEUS_PORT", "9090")}/-/ready`;
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.text()).trim();
};

const checks: Record<string, Check> = {
  kafka: checkKafka,
  cassandra: checkCassandra,
  s3: checkS3,
  redis: checkRedis,
  postgres: checkPostgres,
  bridge: checkBridge,
  prometheus: checkPrometheus,
};

const main = async (): Promise<number> => {
  const args = process.argv.slice(2);
  const name = args[0] ?? "";
  const check = checks[name];
  if (check === undefined) {
    console.error(`usage: health.ts <${Object.keys(checks).join("|")}> [--wait SECONDS] [--init]`);
    return 2;
  }
  const waitIdx = args.indexOf("--wait");
  const waitS = waitIdx >= 0 ? Number(args[waitIdx + 1] ?? "0") : 0;
  const init = args.includes("--init");
  const deadline = Date.now() + waitS * 1000;
  let lastError = "";
  for (;;) {
    try {
      console.log(`${name}: ${await check(init)}`);
      return 0;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.error(`${name}: unhealthy: ${lastError}`);
  return 1;
};

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
