import { z } from "zod";
import { ConfigError, configProblems, type ConfigProblem } from "../../core/contracts/config-error.js";
import { forwardTimeoutProblem, INGEST_DEADLINE_MS_DEFAULT } from "../../core/contracts/deadlines.js";
import { KEY_ID_PATTERN } from "../../core/signing.js";
import { BinTableSetting } from "../residency.js";
import { productionIssues, VigilEnvSetting } from "../production-settings.js";

// Settings of the queue consumer that forwards scored events to the aggregator, parsed once from
// the Worker's env. Errors name the setting, never its value (the secret is one of them): core's
// ConfigError, retriable in the queue's sense (fixing the setting and redeploying lets the
// messages through), so the consumer keeps them instead of dead-lettering.

const keyId = z.preprocess(
  (v) => (v === "" ? undefined : v),
  z.string().regex(KEY_ID_PATTERN, "1-32 letters, digits and . _ -").optional(),
);
const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

export const ForwardConfigSchema = z.object({
  /** "local" only for wrangler dev and tests: elsewhere development defaults are refused (production-settings.ts). */
  VIGIL_ENV: VigilEnvSetting,
  /** Base URL of the aggregator; the consumer posts to `${AGGREGATOR_URL}/v1/ingest`. */
  AGGREGATOR_URL: z.url({ protocol: /^https?$/, message: "an http(s) URL" }).transform((u) => u.replace(/\/+$/, "")),
  /** Shared HMAC secret (core/signing.ts); the aggregator holds the same one. */
  AGGREGATOR_SECRET: z.string().min(16, "at least 16 characters"),
  /**
   * Optional EU aggregator: EU-home cards' events (edge/residency.ts) are posted there, signed with
   * AGGREGATOR_SECRET_EU (default AGGREGATOR_SECRET). Unset: every event goes to AGGREGATOR_URL.
   */
  AGGREGATOR_URL_EU: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.url({ protocol: /^https?$/, message: "an http(s) URL" }).transform((u) => u.replace(/\/+$/, "")).optional(),
  ),
  AGGREGATOR_SECRET_EU: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(16, "at least 16 characters").optional()),
  /**
   * Id of AGGREGATOR_SECRET (and of AGGREGATOR_SECRET_EU), sent with each signature. Rotation: the
   * aggregator adds the new key beside the old one (INGEST_KEYS), then each edge switches secret
   * and id; unset, the aggregator tries every key it holds.
   */
  AGGREGATOR_KEY_ID: keyId,
  AGGREGATOR_KEY_ID_EU: keyId,
  /** The EU BIN table, as the edge config reads it: which events are EU-home. */
  EU_CARD_BINS: BinTableSetting,
  /**
   * Deliveries of one message before it is dead-lettered by the consumer itself. With the default
   * backoff (30 s doubling to 1 h) 24 deliveries cover 8.5–17 h of aggregator/Kafka outage (8.5 h at
   * the shortest jitter: retryHorizonSeconds); wrangler.toml's max_retries sits above it.
   */
  FORWARD_MAX_ATTEMPTS: int(24, 1, 100),
  /** Per POST /v1/ingest; past it the request is aborted and retried. */
  FORWARD_TIMEOUT_MS: int(10_000, 100, 120_000),
  /** The aggregator's INGEST_DEADLINE_MS: FORWARD_TIMEOUT_MS must exceed it (core/contracts/deadlines.ts). */
  AGGREGATOR_INGEST_DEADLINE_MS: int(INGEST_DEADLINE_MS_DEFAULT, 100, 120_000),
  /**
   * First retry delay; doubles per attempt, with jitter, up to the cap (Cloudflare's limit per
   * retry is 12 h). Tests compress time with e.g. base 1, cap 2.
   */
  FORWARD_BACKOFF_BASE_SECONDS: int(30, 0, 3600),
  FORWARD_BACKOFF_MAX_SECONDS: int(3600, 0, 43_200),
});
export type ForwardConfig = z.infer<typeof ForwardConfigSchema>;

export function loadForwardConfig(env: Record<string, unknown>): ForwardConfig {
  const r = ForwardConfigSchema.safeParse(env);
  const problems: ConfigProblem[] = [...(r.success ? [] : configProblems(r.error)), ...productionIssues(env)];
  const late = r.success ? forwardTimeoutProblem(r.data.FORWARD_TIMEOUT_MS, r.data.AGGREGATOR_INGEST_DEADLINE_MS) : undefined;
  if (late) problems.push({ setting: "FORWARD_TIMEOUT_MS", message: late });
  if (r.success && problems.length === 0) return r.data;
  throw new ConfigError("forwarding", problems, true);
}

/**
 * Delay before retry number `attempts` (1 = the first delivery failed): exponential, capped, with
 * "equal jitter" (half fixed, half random) so a fleet of consumers does not retry in lock-step.
 * `random` is in [0, 1).
 */
export function backoffSeconds(attempts: number, base: number, cap: number, random: number): number {
  const exp = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.min(cap, Math.max(base > 0 ? 1 : 0, Math.round(exp / 2 + (random * exp) / 2)));
}

/**
 * How long a message is retried before the consumer dead-letters it: the sum of the delays after
 * deliveries 1 … maxAttempts−1, at the shortest jitter ("min") and the longest ("max"). Retry-After
 * answers can only lengthen it.
 */
export function retryHorizonSeconds(cfg: Pick<ForwardConfig, "FORWARD_MAX_ATTEMPTS" | "FORWARD_BACKOFF_BASE_SECONDS" | "FORWARD_BACKOFF_MAX_SECONDS">): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (let a = 1; a < cfg.FORWARD_MAX_ATTEMPTS; a++) {
    min += backoffSeconds(a, cfg.FORWARD_BACKOFF_BASE_SECONDS, cfg.FORWARD_BACKOFF_MAX_SECONDS, 0);
    max += backoffSeconds(a, cfg.FORWARD_BACKOFF_BASE_SECONDS, cfg.FORWARD_BACKOFF_MAX_SECONDS, 0.999999);
  }
  return { min, max };
}
