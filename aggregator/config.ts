import { z } from "zod";
import { ConfigError, type ConfigProblem } from "../core/contracts/config-error.js";
import { forwardTimeoutProblem, INGEST_DEADLINE_MS_DEFAULT } from "../core/contracts/deadlines.js";
import { isDevSecret, isPasswordlessDatabaseUrl } from "../core/contracts/dev-defaults.js";
import { KEY_ID_PATTERN, type SigningKey } from "../core/signing.js";

// The aggregator's settings, parsed once from the environment at start. Every bad or missing
// setting is reported at once (not only the first), and secrets never appear in messages or logs.

export const SINK_NAMES = ["cassandra", "postgres", "s3"] as const;
export type SinkName = (typeof SINK_NAMES)[number];
/** The Kafka client libraries behind the EventBus port (aggregator/bus/kafka-client.ts). */
export const KAFKA_CLIENTS = ["kafkajs", "platformatic"] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

const int = (min: number, max: number) => z.coerce.number({ message: "must be a number" }).int("must be an integer").min(min).max(max);
const list = z
  .string()
  .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.string()).min(1, "needs at least one entry (comma-separated)"));
const bool = z.enum(["true", "false", "1", "0"], { message: "must be true or false" }).transform((v) => v === "true" || v === "1");
/** Earlier ingest keys still accepted during a rotation: JSON [{id, secret, not_after?}]. */
const IngestKeysSchema = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "not valid JSON (a list of {id, secret, not_after?})" });
      return z.NEVER;
    }
  })
  .pipe(
    z.array(
      z.strictObject({
        id: z.string().regex(KEY_ID_PATTERN, "key id: 1-32 letters, digits and . _ -"),
        secret: z.string().min(16, "secret: at least 16 characters"),
        not_after: z.iso.datetime({ offset: true, message: "not_after: an ISO date-time" }).optional(),
      }),
    ).max(8, "at most 8 keys"),
  );
const hostPort = z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, "host:port");

const EnvSchema = z
  .object({
    VIGIL_PROFILE: z.enum(["embedded", "stack"], { message: "must be embedded or stack" }).default("embedded"),
    /**
     * "local": a stack on this machine (tests, `npm start -- --stack`) may use the development
     * defaults. Unset with the stack profile means production: they are refused (devDefaultProblems).
     */
    VIGIL_ENV: z.enum(["local", "production"], { message: "must be local or production" }).optional(),
    PORT: int(1, 65535).default(8788),
    HOST: z.string().min(1).default("127.0.0.1"),
    INGEST_SECRET: z.string().min(16, "must be at least 16 characters (HMAC key shared with the edge)").optional(),
    /** Id of INGEST_SECRET (the current key); edges name it in x-vigil-key-id (AGGREGATOR_KEY_ID). */
    INGEST_KEY_ID: z.string().regex(KEY_ID_PATTERN, "1-32 letters, digits and . _ -").default("default"),
    /** Rotation: the previous keys, each until its not_after (then refused, and can be removed). */
    INGEST_KEYS: IngestKeysSchema.optional(),
    INGEST_MAX_SKEW_SECONDS: int(1, 3600).default(300),
    INGEST_MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(8 * 1024 * 1024),
    KAFKA_BROKERS: z.string().default("127.0.0.1:9092").pipe(list).pipe(z.array(hostPort)),
    KAFKA_CLIENT_ID: z.string().min(1).default("vigil-aggregator"),
    /**
     * Which Kafka client library the bus uses (aggregator/bus/kafka-client.ts). Both pass the same
     * contract suite, and @platformatic/kafka costs half kafkajs's CPU per published message; but
     * under the stop-and-hang fault test (tests/fault) its adapter lost ~60 events from the
     * archive's stream in 2 of 2 runs (partitions moving away and back around a killed
     * aggregator), where kafkajs stored every event exactly once. kafkajs stays the default until
     * that passes; `platformatic` is opt-in.
     */
    KAFKA_CLIENT: z.enum(KAFKA_CLIENTS, { message: `must be one of ${KAFKA_CLIENTS.join(", ")}` }).default("kafkajs"),
    KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, "letters, digits and . _ - only").default(""),
    KAFKA_LOCAL_PARTITIONS: int(1, 1024).optional(),
    KAFKA_LOCAL_RF: int(1, 16).optional(),
    CASSANDRA_CONTACT_POINTS: z.string().default("127.0.0.1:9042").pipe(list),
    CASSANDRA_LOCAL_DC: z.string().min(1).default("datacenter1"),
    CASSANDRA_KEYSPACE: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,47}$/, "a CQL identifier").default("fraud_keyspace"),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, message: "a postgres:// URL" }).default("postgres://postgres@127.0.0.1:5432/test"),
    S3_ENDPOINT: z.url({ message: "an http(s) URL" }).default("http://127.0.0.1:9000"),
    S3_BUCKET: z.string().min(3).max(63).default("fraud-detection-datalake"),
    S3_REGION: z.string().min(1).default("us-east-1"),
    S3_ACCESS_KEY_ID: z.string().min(1).default("vigil-local"),
    S3_SECRET_ACCESS_KEY: z.string().min(1).default("vigil-local-secret"),
    S3_FORCE_PATH_STYLE: bool.default(true),
    /** Put in front of every archive key: several environments (or test runs) in one bucket. */
    S3_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9._=/-]*$/, "letters, digits and . _ = / - only").default(""),
    VIGIL_DATA_DIR: z.string().min(1).default(".data/embedded"),
    SINK_GROUP_CASSANDRA: z.string().min(1).default("vigil-sink-cassandra"),
    SINK_GROUP_POSTGRES: z.string().min(1).default("vigil-sink-postgres"),
    SINK_GROUP_S3: z.string().min(1).default("vigil-sink-s3"),
    /** Which sink consumers this process runs: all, none, or a comma list (scale-out: one per process). */
    VIGIL_SINKS: z
      .string()
      .default("all")
      .transform((s, ctx) => {
        const v = s.trim().toLowerCase();
        if (v === "all") return [...SINK_NAMES];
        if (v === "none" || v === "") return [];
        const names = v.split(",").map((x) => x.trim());
        const bad = names.filter((n) => !(SINK_NAMES as readonly string[]).includes(n));
        if (bad.length > 0) {
          ctx.addIssue({ code: "custom", message: `unknown sink ${bad.join(", ")}; use all, none or a list of ${SINK_NAMES.join(", ")}` });
          return z.NEVER;
        }
        return [...new Set(names)] as SinkName[];
      }),
    // Timeouts on every outbound call (issue 13 item 4): a stopped or hung dependency fails a call.
    PG_CONNECT_TIMEOUT_MS: int(100, 600_000).default(5_000),
    PG_STATEMENT_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
    PG_QUERY_TIMEOUT_MS: int(100, 3_600_000).default(35_000),
    S3_REQUEST_TIMEOUT_MS: int(100, 600_000).default(30_000),
    CASSANDRA_READ_TIMEOUT_MS: int(100, 600_000).default(12_000),
    /** Longest one sink write may take; past it the consumer stalls (health, metric) and retries. */
    SINK_BATCH_DEADLINE_MS: int(1_000, 3_600_000).default(60_000),
    /** Every POST /v1/ingest is answered within this (503 past it); the edge's timeout must be longer. */
    INGEST_DEADLINE_MS: int(500, 120_000).default(INGEST_DEADLINE_MS_DEFAULT),
    /** The edges' FORWARD_TIMEOUT_MS, when known: checked against INGEST_DEADLINE_MS at start. */
    EDGE_FORWARD_TIMEOUT_MS: int(100, 600_000).optional(),
    /** Whether this process serves POST /v1/ingest (a sink-only worker can leave it off). */
    VIGIL_INGEST: bool.default(true),
  });

export type AggregatorConfig = z.infer<typeof EnvSchema>;

const SECRET_KEYS = new Set(["INGEST_SECRET", "INGEST_KEYS", "S3_SECRET_ACCESS_KEY", "DATABASE_URL"]);

/** The ingest key ring: INGEST_SECRET under INGEST_KEY_ID first, then the earlier keys of INGEST_KEYS. */
export function ingestKeys(c: AggregatorConfig): SigningKey[] {
  const current: SigningKey[] = c.INGEST_SECRET !== undefined ? [{ id: c.INGEST_KEY_ID, secret: c.INGEST_SECRET }] : [];
  const earlier = (c.INGEST_KEYS ?? []).map((k) => ({
    id: k.id,
    secret: k.secret,
    ...(k.not_after !== undefined ? { notAfterSeconds: Math.floor(Date.parse(k.not_after) / 1000) } : {}),
  }));
  return [...current, ...earlier];
}

/** Parses the environment; throws ConfigError listing every problem (no values of secrets). */
export function loadConfig(env: Record<string, string | undefined> = process.env): AggregatorConfig {
  // An empty variable means "not set", as in most shells' `X= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = EnvSchema.safeParse(cleaned);
  const problems = r.success
    ? []
    : r.error.issues.map((i): ConfigProblem => {
        const key = String(i.path[0] ?? "(environment)");
        const msg = i.message.startsWith("Invalid input: expected") && cleaned[key] === undefined ? "is required" : i.message;
        return { setting: key, message: msg };
      });
  // Checked beside the schema (not in a refinement) so it is reported together with other problems.
  const ingestOn = !["false", "0"].includes(String(cleaned.VIGIL_INGEST ?? "true"));
  if (ingestOn && cleaned.INGEST_SECRET === undefined) problems.push({ setting: "INGEST_SECRET", message: "required when ingest is on (VIGIL_INGEST=true)" });
  if (r.success && r.data.EDGE_FORWARD_TIMEOUT_MS !== undefined) {
    const p = forwardTimeoutProblem(r.data.EDGE_FORWARD_TIMEOUT_MS, r.data.INGEST_DEADLINE_MS);
    if (p) problems.push({ setting: "EDGE_FORWARD_TIMEOUT_MS", message: p });
  }
  if (r.success && r.data.INGEST_KEYS?.some((k) => k.id === r.data.INGEST_KEY_ID)) {
    problems.push({ setting: "INGEST_KEYS", message: "an earlier key has the id of INGEST_KEY_ID; give each key its own id" });
  }
  if (r.success) problems.push(...devDefaultProblems(r.data));
  if (r.success && problems.length === 0) return r.data;
  throw new ConfigError("aggregator", problems);
}

/** True where development defaults are allowed: the embedded profile, or VIGIL_ENV=local. */
export function allowsDevDefaults(c: { VIGIL_PROFILE: string; VIGIL_ENV?: string | undefined }): boolean {
  return c.VIGIL_PROFILE === "embedded" || c.VIGIL_ENV === "local";
}

const OUTSIDE_LOCAL = "(stack profile outside VIGIL_ENV=local)";

/**
 * Production refuses the development defaults this file ships (S3 keys, a password-less database
 * URL) and example secrets; a sink or ingest this process does not run is not checked.
 */
function devDefaultProblems(c: AggregatorConfig): ConfigProblem[] {
  if (allowsDevDefaults(c)) return [];
  const out: ConfigProblem[] = [];
  if (c.VIGIL_INGEST && c.INGEST_SECRET !== undefined && isDevSecret(c.INGEST_SECRET)) {
    out.push({ setting: "INGEST_SECRET", message: `is a shipped development value ${OUTSIDE_LOCAL}; set a real secret` });
  }
  if (c.VIGIL_INGEST && c.INGEST_KEYS?.some((k) => isDevSecret(k.secret))) {
    out.push({ setting: "INGEST_KEYS", message: `holds a shipped development value ${OUTSIDE_LOCAL}; set real secrets` });
  }
  if (c.VIGIL_SINKS.includes("s3")) {
    if (isDevSecret(c.S3_ACCESS_KEY_ID)) out.push({ setting: "S3_ACCESS_KEY_ID", message: `is the development default ${OUTSIDE_LOCAL}; set real credentials` });
    if (isDevSecret(c.S3_SECRET_ACCESS_KEY)) out.push({ setting: "S3_SECRET_ACCESS_KEY", message: `is the development default ${OUTSIDE_LOCAL}; set real credentials` });
  }
  // PostgreSQL also holds the ops tables (tokens, review cases): checked whatever the sinks.
  if (isPasswordlessDatabaseUrl(c.DATABASE_URL)) out.push({ setting: "DATABASE_URL", message: `has no password ${OUTSIDE_LOCAL}; use an authenticated role` });
  return out;
}

/** The configuration for a log line: secrets masked, the database URL without its password. */
export function describeConfig(c: AggregatorConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    if (k === "DATABASE_URL") out[k] = redactUrl(String(v));
    else out[k] = SECRET_KEYS.has(k) ? (v === undefined ? "(unset)" : "(set)") : v;
  }
  return out;
}

function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable)";
  }
}

export function sinkGroup(c: AggregatorConfig, sink: SinkName): string {
  return { cassandra: c.SINK_GROUP_CASSANDRA, postgres: c.SINK_GROUP_POSTGRES, s3: c.SINK_GROUP_S3 }[sink];
}
