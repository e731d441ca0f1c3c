import { z } from "zod";
import { ConfigError, configProblems, type ConfigProblem } from "../../core/contracts/config-error.js";
import { DEV_EDGE_TOKEN_SHA256, isDevSecret, isPlainHttp } from "../../core/contracts/dev-defaults.js";
import { parseBootstrapTokens, type TokenRecord } from "../http/auth.js";
import { RiskConfigSchema, type RiskConfig } from "../risk/risk.js";

// Settings of the ops module, parsed once from the environment (beside aggregator/config.ts).

const int = (min: number, max: number) => z.coerce.number({ message: "must be a number" }).int("must be an integer").min(min).max(max);

const OpsEnvSchema = z.object({
  /** JSON [{name, sha256, role}]: tokens known without the database (first admin, the edge's snapshot token). */
  OPS_BOOTSTRAP_TOKENS: z.string().optional(),
  /** Seconds between timer runs of the labels → risk → reference-data job. */
  OPS_RISK_INTERVAL_SECONDS: int(5, 86_400).default(300),
  OPS_RISK_WINDOW_DAYS: int(1, 365).default(30),
  /** Transactions younger than this are left out of merchant/terminal rates (labels not arrived yet). */
  OPS_LABEL_DELAY_DAYS: z.coerce.number({ message: "must be a number" }).min(0).max(180).default(3),
  /** Label delay of the terminal/merchant statistics learned models read (days). */
  OPS_STATS_LABEL_DELAY_DAYS: z.coerce.number({ message: "must be a number" }).min(0).max(180).default(7),
  OPS_RISK_SMOOTHING: z.coerce.number({ message: "must be a number" }).min(0).max(100_000).default(20),
  /** Publish risk to Redis (the edge's Upstash layout) when both are set. */
  UPSTASH_REDIS_REST_URL: z.url({ message: "an http(s) URL" }).optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  /** Embedded profile: a JSON ReferenceSnapshot (block lists, IP risk, versions) the snapshot endpoint starts from. */
  OPS_REFERENCE_BASE_FILE: z.string().min(1).optional(),
  /** Hours an undecided case may wait before it is past its SLA (shown per case in the queue). */
  OPS_CASE_SLA_HOURS: z.coerce.number({ message: "must be a number" }).positive("must be more than 0").max(8760).default(24),
  /** Largest request body of an ops route (labels, decisions, models); larger: 413. */
  OPS_MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  /** While PostgreSQL is down, how long the last token list read from it is still trusted. */
  OPS_TOKEN_MAX_STALE_SECONDS: int(0, 86_400).default(300),
  /** Open alert streams (SSE) allowed per token, and in all. */
  OPS_ALERT_STREAMS_PER_TOKEN: int(1, 1000).default(4),
  OPS_ALERT_STREAMS_TOTAL: int(1, 100_000).default(64),
  /**
   * The clock of the learning loop (label job windows, label times, training windows and cut-offs).
   * "wall" (default): the machine's clock. "events": the latest event time the aggregator has stored
   * (its event-time watermark), for a replay of history through the whole system (vigil eval
   * --through-api): the label job then publishes what was known at the replay's position instead of
   * at today's date. Ingest, auth, cases and metrics keep the wall clock either way.
   */
  OPS_LEARNING_CLOCK: z.enum(["wall", "events"]).default("wall"),
  /** Read only to know whether development defaults are allowed (aggregator/config.ts validates them). */
  VIGIL_PROFILE: z.string().optional(),
  VIGIL_ENV: z.string().optional(),
  SINK_GROUP_REVIEW: z.string().min(1).default("vigil-sink-review-cases"),
  SINK_GROUP_RISK_FACTS: z.string().min(1).default("vigil-sink-risk-facts"),
  SINK_GROUP_RULE_HITS: z.string().min(1).default("vigil-sink-rule-hits"),
});

export interface OpsConfig {
  bootstrapTokens: TokenRecord[];
  riskIntervalMs: number;
  risk: RiskConfig;
  redis?: { url: string; token: string };
  referenceBaseFile?: string;
  groups: { review: string; riskFacts: string; ruleHits: string };
  cases: { slaHours: number };
  maxBodyBytes: number;
  tokenMaxStaleMs: number;
  alertStreams: { perToken: number; total: number };
  learningClock: "wall" | "events";
}

/** Outside the embedded profile and VIGIL_ENV=local: no shipped token hash, no dev Redis token, no plain-http Redis. */
function devDefaultProblems(e: z.infer<typeof OpsEnvSchema>, tokens: TokenRecord[]): ConfigProblem[] {
  if ((e.VIGIL_PROFILE ?? "embedded") === "embedded" || e.VIGIL_ENV === "local") return [];
  const why = "(stack profile outside VIGIL_ENV=local)";
  const out: ConfigProblem[] = [];
  if (tokens.some((t) => t.sha256 === DEV_EDGE_TOKEN_SHA256)) out.push({ setting: "OPS_BOOTSTRAP_TOKENS", message: `holds the development token of .dev.vars.example ${why}` });
  if (e.UPSTASH_REDIS_REST_URL !== undefined && isPlainHttp(e.UPSTASH_REDIS_REST_URL)) out.push({ setting: "UPSTASH_REDIS_REST_URL", message: `must be an https URL ${why}` });
  if (e.UPSTASH_REDIS_REST_TOKEN !== undefined && isDevSecret(e.UPSTASH_REDIS_REST_TOKEN)) out.push({ setting: "UPSTASH_REDIS_REST_TOKEN", message: `is a shipped development value ${why}` });
  return out;
}

/** Throws a ConfigError listing every problem by setting name (values are never echoed: tokens may be secrets). */
export function loadOpsConfig(env: Record<string, string | undefined> = process.env): OpsConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = OpsEnvSchema.safeParse(cleaned);
  if (!r.success) {
    throw new ConfigError("ops", configProblems(r.error));
  }
  const e = r.data;
  const bootstrapTokens = parseBootstrapTokens(e.OPS_BOOTSTRAP_TOKENS);
  const problems = devDefaultProblems(e, bootstrapTokens);
  if (problems.length > 0) throw new ConfigError("ops", problems);
  return {
    bootstrapTokens,
    riskIntervalMs: e.OPS_RISK_INTERVAL_SECONDS * 1000,
    risk: RiskConfigSchema.parse({ windowDays: e.OPS_RISK_WINDOW_DAYS, labelDelayDays: e.OPS_LABEL_DELAY_DAYS, smoothingWeight: e.OPS_RISK_SMOOTHING, stats: { labelDelayDays: e.OPS_STATS_LABEL_DELAY_DAYS } }),
    ...(e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN ? { redis: { url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN } } : {}),
    ...(e.OPS_REFERENCE_BASE_FILE ? { referenceBaseFile: e.OPS_REFERENCE_BASE_FILE } : {}),
    groups: { review: e.SINK_GROUP_REVIEW, riskFacts: e.SINK_GROUP_RISK_FACTS, ruleHits: e.SINK_GROUP_RULE_HITS },
    cases: { slaHours: e.OPS_CASE_SLA_HOURS },
    maxBodyBytes: e.OPS_MAX_BODY_BYTES,
    tokenMaxStaleMs: e.OPS_TOKEN_MAX_STALE_SECONDS * 1000,
    alertStreams: { perToken: e.OPS_ALERT_STREAMS_PER_TOKEN, total: e.OPS_ALERT_STREAMS_TOTAL },
    learningClock: e.OPS_LEARNING_CLOCK,
  };
}
