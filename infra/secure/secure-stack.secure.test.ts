/**
 * The secured stack (`npm run stack:up -- --secure`) accepts each service's authenticated TLS
 * connection, configured only from $VIGIL_STACK_DIR/secure.env, and refuses the plaintext,
 * anonymous or wrongly-authenticated attempt. Run with `npm run test:secure`.
 */
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import cassandra from "cassandra-driver";
import { Kafka, logLevel, type KafkaConfig } from "kafkajs";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { startBridge } from "../upstash-bridge/server.js";
import {
  bridgeCommand,
  cassandraSecurity,
  kafkaSecurity,
  parseEnvFile,
  s3Security,
  setting,
  type KafkaSasl,
  type Settings,
} from "./client-options.js";

const stackDir = path.resolve(process.env.VIGIL_STACK_DIR ?? ".data/stack");
const envFile = path.join(stackDir, "secure.env");
let env: Settings = {};

beforeAll(() => {
  try {
    env = parseEnvFile(readFileSync(envFile, "utf8"));
  } catch (err) {
    throw new Error(`no ${envFile}: start the secure stack first (npm run stack:up -- --secure): ${String(err)}`);
  }
});

describe("Kafka: SASL_SSL only", () => {
  const TOPIC = "vigil-secure-stack-test";
  // Fail fast: a refused connection must not sit in kafkajs's retry loop.
  const base = { clientId: "vigil-secure-test", logLevel: logLevel.NOTHING, connectionTimeout: 3000, authenticationTimeout: 3000, requestTimeout: 5000, retry: { retries: 0 } };
  const adminSasl = () => ({
    mechanism: "scram-sha-512" as const,
    username: setting(env, "KAFKA_ADMIN_USERNAME"),
    password: readFileSync(setting(env, "KAFKA_ADMIN_PASSWORD_FILE"), "utf8").trim(),
  });
  const listTopics = async (config: Omit<KafkaConfig, "clientId">): Promise<string[]> => {
    const admin = new Kafka({ ...base, ...config }).admin();
    await admin.connect();
    try {
      return await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
  };

  it("lets the app user produce over TLS with a client certificate and SCRAM-SHA-512", async () => {
    const security = kafkaSecurity(env);
    expect(security.sasl.mechanism).toBe("scram-sha-512");
    // The app user may not create topics: the admin does, as an operator would.
    const admin = new Kafka({ ...base, ...security, sasl: adminSasl() }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      const before = await admin.fetchTopicOffsets(TOPIC);
      const producer = new Kafka({ ...base, ...security }).producer();
      await producer.connect();
      try {
        await producer.send({ topic: TOPIC, messages: [{ key: "k", value: "secured" }] });
      } finally {
        await producer.disconnect();
      }
      const after = await admin.fetchTopicOffsets(TOPIC);
      expect(Number(after[0]?.high)).toBe(Number(before[0]?.high) + 1);
    } finally {
      await admin.disconnect();
    }
    expect(await listTopics(security)).toContain(TOPIC);
  });

  it.each(["scram-sha-256", "plain"] as const)("also accepts %s", async (mechanism) => {
    const security = kafkaSecurity(env);
    const { username, password } = security.sasl;
    const sasl: KafkaSasl = mechanism === "plain" ? { mechanism, username, password } : { mechanism, username, password };
    expect((await listTopics({ ...security, sasl })).sort()).toEqual((await listTopics(security)).sort());
  });

  it("does not let the app user create topics", async () => {
    const admin = new Kafka({ ...base, ...kafkaSecurity(env) }).admin();
    await admin.connect();
    try {
      const error: unknown = await admin.createTopics({ topics: [{ topic: "vigil-secure-not-allowed" }] }).catch((e: unknown) => e);
      // kafkajs wraps the per-topic protocol errors
      const causes = (error as { errors?: { type?: string }[] }).errors?.map((e) => e.type);
      expect(causes).toEqual(["TOPIC_AUTHORIZATION_FAILED"]);
    } finally {
      await admin.disconnect();
    }
  });

  it("refuses a wrong password", async () => {
    const security = kafkaSecurity(env);
    await expect(listTopics({ ...security, sasl: { ...security.sasl, password: "wrong" } })).rejects.toThrow(/authentication/i);
  });

  it("refuses TLS without a client certificate", async () => {
    const { brokers, ssl, sasl } = kafkaSecurity(env);
    await expect(listTopics({ brokers, ssl: { ca: ssl.ca }, sasl })).rejects.toThrow(/bad certificate|certificate required/i);
  });

  it("refuses TLS without SASL", async () => {
    const { brokers, ssl } = kafkaSecurity(env);
    await expect(listTopics({ brokers, ssl })).rejects.toThrow(/closed connection/i);
  });

  it("refuses plaintext", async () => {
    const { brokers, sasl } = kafkaSecurity(env);
    await expect(listTopics({ brokers })).rejects.toThrow(/closed connection/i);
    await expect(listTopics({ brokers, sasl })).rejects.toThrow(/closed connection/i);
  });
});

describe("Cassandra: PasswordAuthenticator and client encryption", () => {
  const client = (options: Partial<cassandra.ClientOptions>): cassandra.Client => {
    const { contactPoints, localDataCenter } = cassandraSecurity(env);
    return new cassandra.Client({
      contactPoints,
      localDataCenter,
      socketOptions: { connectTimeout: 3000, readTimeout: 5000 },
      ...options,
    });
  };
  const releaseVersion = async (options: Partial<cassandra.ClientOptions>): Promise<string> => {
    const c = client(options);
    try {
      await c.connect();
      const rs = await c.execute("SELECT release_version FROM system.local");
      return String(rs.first().get("release_version"));
    } finally {
      await c.shutdown();
    }
  };
  const authFailure = (err: unknown): boolean =>
    err instanceof cassandra.errors.NoHostAvailableError &&
    Object.values(err.innerErrors).some((e) => e instanceof cassandra.errors.AuthenticationError);

  it("accepts the app user over TLS", async () => {
    const { username, password, sslOptions } = cassandraSecurity(env);
    expect(await releaseVersion({ authProvider: new cassandra.auth.PlainTextAuthProvider(username, password), sslOptions })).toMatch(/^5\./);
  });

  it("refuses a connection without credentials with an authentication error", async () => {
    const error = await releaseVersion({ sslOptions: cassandraSecurity(env).sslOptions }).catch((e: unknown) => e);
    expect(authFailure(error)).toBe(true);
  });

  it("refuses the default cassandra/cassandra super user", async () => {
    const { sslOptions } = cassandraSecurity(env);
    const error = await releaseVersion({ authProvider: new cassandra.auth.PlainTextAuthProvider("cassandra", "cassandra"), sslOptions }).catch((e: unknown) => e);
    expect(authFailure(error)).toBe(true);
  });

  it("refuses plaintext even with the right credentials", async () => {
    const { username, password } = cassandraSecurity(env);
    const error = await releaseVersion({ authProvider: new cassandra.auth.PlainTextAuthProvider(username, password) }).catch((e: unknown) => e);
    // the TLS-only port drops the connection before any authentication happens
    expect(error).toBeInstanceOf(cassandra.errors.NoHostAvailableError);
    expect(authFailure(error)).toBe(false);
  });
});

describe("PostgreSQL: hostssl and scram only", () => {
  const url = (): URL => new URL(setting(env, "DATABASE_URL"));
  const query = async (config: pg.ClientConfig): Promise<{ user: string; ssl: boolean }> => {
    const client = new pg.Client({ connectionTimeoutMillis: 5000, ...config });
    await client.connect();
    try {
      const rs = await client.query<{ user: string; ssl: boolean }>("SELECT current_user AS user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
      return rs.rows[0] ?? { user: "", ssl: false };
    } finally {
      await client.end();
    }
  };
  const plainConfig = (): pg.ClientConfig => {
    const u = url();
    return { host: u.hostname, port: Number(u.port), user: u.username, password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
  };
  const ca = (): string => {
    const file = url().searchParams.get("sslrootcert");
    if (file === null) throw new Error("DATABASE_URL has no sslrootcert");
    return readFileSync(file, "utf8");
  };

  it("accepts DATABASE_URL (sslmode=verify-full, our CA) with the password", async () => {
    expect(url().searchParams.get("sslmode")).toBe("verify-full");
    expect(await query({ connectionString: setting(env, "DATABASE_URL") })).toEqual({ user: url().username, ssl: true });
    // the same with the CA passed the way pg's own options take it
    expect(await query({ ...plainConfig(), ssl: { ca: ca() } })).toEqual({ user: url().username, ssl: true });
  });

  it("refuses a connection without TLS", async () => {
    await expect(query({ ...plainConfig(), ssl: false })).rejects.toThrow(/no encryption|pg_hba/i);
  });

  it("refuses a wrong password over TLS", async () => {
    await expect(query({ ...plainConfig(), password: "wrong", ssl: { ca: ca() } })).rejects.toThrow(/password authentication failed/i);
  });
});

describe("S3Proxy: https with non-default keys", () => {
  const listBuckets = async (client: S3Client): Promise<string[]> => {
    try {
      return ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? "");
    } finally {
      client.destroy();
    }
  };

  it("lists the buckets over https with the CA bundle and the keys", async () => {
    const s3 = new S3Client({ ...s3Security(env), maxAttempts: 1 });
    expect(await listBuckets(s3)).toContain(setting(env, "S3_BUCKET"));
  });

  it("refuses the plaintext stack's default keys", async () => {
    const s3 = new S3Client({ ...s3Security(env), credentials: { accessKeyId: "vigil-local", secretAccessKey: "vigil-local-secret" }, maxAttempts: 1 });
    await expect(listBuckets(s3)).rejects.toMatchObject({ name: "InvalidAccessKeyId" });
  });

  it("is not trusted without our CA, and does not speak http", async () => {
    const { endpoint, region, credentials, forcePathStyle } = s3Security(env);
    await expect(listBuckets(new S3Client({ endpoint, region, credentials, forcePathStyle, maxAttempts: 1 }))).rejects.toThrow(/certificate/i);
    const http = new S3Client({ endpoint: endpoint.replace("https://", "http://"), region, credentials, forcePathStyle, maxAttempts: 1 });
    const error: unknown = await http.send(new CreateBucketCommand({ Bucket: "vigil-secure-over-http" })).catch((e: unknown) => e);
    http.destroy();
    // no HTTP response at all (the TLS port's reply does not parse as one), let alone a bucket
    expect(error).toBeInstanceOf(Error);
    expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBeUndefined();
  });
});

describe("Upstash REST bridge: https with a bearer token", () => {
  it("answers PING over https with the token", async () => {
    const reply = await bridgeCommand(env, ["PING"]);
    expect(reply).toEqual({ status: 200, body: JSON.stringify({ result: "PONG" }) });
  });

  it("answers 401 without the token or with the plaintext stack's", async () => {
    expect((await bridgeCommand(env, ["PING"], "")).status).toBe(401);
    expect((await bridgeCommand(env, ["PING"], "vigil-local-token")).status).toBe(401);
  });

  it("sits in front of a Redis that wants a password", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.createConnection({ host: setting(env, "REDIS_HOST"), port: Number(setting(env, "REDIS_PORT")) });
      socket.setTimeout(5000, () => socket.destroy(new Error("redis did not answer")));
      socket.on("connect", () => socket.write("PING\r\n"));
      socket.on("data", (chunk: Buffer) => {
        socket.end();
        resolve(chunk.toString("utf8"));
      });
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^-NOAUTH/);
  });

  it("authenticates each Redis connection with the password file, and reports a wrong one", async () => {
    const redis = { redisHost: setting(env, "REDIS_HOST"), redisPort: Number(setting(env, "REDIS_PORT")) };
    const ping = async (redisPassword: string): Promise<{ status: number; body: unknown }> => {
      const bridge = await startBridge({ port: 0, token: "t", ...redis, redisPassword, poolSize: 1 });
      try {
        const res = await fetch(bridge.url, { method: "POST", headers: { authorization: "Bearer t" }, body: JSON.stringify(["PING"]) });
        return { status: res.status, body: await res.json() };
      } finally {
        await bridge.close();
      }
    };
    expect(await ping(readFileSync(setting(env, "REDIS_PASSWORD_FILE"), "utf8").trim())).toEqual({ status: 200, body: { result: "PONG" } });
    const wrong = await ping("wrong");
    expect(wrong.status).toBe(500);
    expect(JSON.stringify(wrong.body)).toMatch(/AUTH failed/);
  });

  it("does not speak http", async () => {
    const url = setting(env, "UPSTASH_REDIS_REST_URL").replace("https://", "http://");
    const attempt = fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${setting(env, "UPSTASH_REDIS_REST_TOKEN")}` },
      body: JSON.stringify(["PING"]),
      signal: AbortSignal.timeout(5000),
    });
    await expect(attempt).rejects.toThrow(/fetch failed/);
  });
});
