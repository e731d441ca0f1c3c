import { z } from "zod";
import { parseBootstrapTokens, type TokenRecord } from "./auth.js";
import { RiskConfigSchema, type RiskConfig } from "./risk.js";

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
}

/** Throws an Error listing every problem by setting name (values are never echoed: tokens may be secrets). */
export function loadOpsConfig(env: Record<string, string | undefined> = process.env): OpsConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = OpsEnvSchema.safeParse(cleaned);
  if (!r.success) {
    throw new Error(`invalid ops configuration: ${r.error.issues.map((i) => `${String(i.path[0] ?? "(env)")}: ${i.message}`).join("; ")}`);
  }
  const e = r.data;
  return {
    bootstrapTokens: parseBootstrapTokens(e.OPS_BOOTSTRAP_TOKENS),
    riskIntervalMs: e.OPS_RISK_INTERVAL_SECONDS * 1000,
    risk: RiskConfigSchema.parse({ windowDays: e.OPS_RISK_WINDOW_DAYS, labelDelayDays: e.OPS_LABEL_DELAY_DAYS, smoothingWeight: e.OPS_RISK_SMOOTHING, stats: { labelDelayDays: e.OPS_STATS_LABEL_DELAY_DAYS } }),
    ...(e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN ? { redis: { url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN } } : {}),
    ...(e.OPS_REFERENCE_BASE_FILE ? { referenceBaseFile: e.OPS_REFERENCE_BASE_FILE } : {}),
    groups: { review: e.SINK_GROUP_REVIEW, riskFacts: e.SINK_GROUP_RISK_FACTS, ruleHits: e.SINK_GROUP_RULE_HITS },
  };
}
