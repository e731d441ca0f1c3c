import { z } from "zod";
import { ConfigError, configProblems } from "../core/contracts/config-error.js";
import { CHANNELS } from "../core/schemas.js";
import { BinTableSetting } from "./residency.js";
import { productionIssues, VigilEnvSetting } from "./production-settings.js";

// Edge configuration, parsed once from the runtime's env (Workers vars + secrets, Deno.env).
// A wrong setting throws core's ConfigError naming the setting; the adapters answer 500 CONFIG_INVALID.

const KIB = 1024;

const jsonOf = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "not valid JSON" });
      return z.NEVER;
    }
  }).pipe(schema);

const intSetting = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

export const EdgeTokenSchema = z.strictObject({
  /** Names the terminal or gateway in logs; never the token itself. */
  id: z.string().min(1).max(64),
  /** Hex SHA-256 of the bearer token: tokens are stored hashed only. */
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "64 hex characters (SHA-256 of the token)").transform((s) => s.toLowerCase()),
  channels: z.array(z.enum(CHANNELS)).min(1),
});
export type EdgeToken = z.infer<typeof EdgeTokenSchema>;

/** An operator's token for the edge's ops routes (dead letters): a hash and a name, no channels. */
export const OpsTokenSchema = z.strictObject({
  id: z.string().min(1).max(64),
  sha256: EdgeTokenSchema.shape.sha256,
});
export type OpsToken = z.infer<typeof OpsTokenSchema>;

/** What to do when reference data is unavailable for a channel; absent → the engine's own default. */
export const ReferencePolicySchema = z.enum(["FAIL_OPEN", "FAIL_CLOSED"]);

const optionalUrl = z.preprocess((v) => (v === "" ? undefined : v), z.url({ protocol: /^https?$/, message: "an http(s) URL" }).optional());
const optionalSecret = z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional());

/** Where reference data comes from: read by the app (lookups) and by card-state owners (rule sets). */
const referenceFields = {
  /**
   * Where reference data (block lists, risk values, active versions) comes from: "upstash" (Redis
   * over REST), "snapshot" (a JSON snapshot over HTTP, e.g. the aggregator's) or "none" (every
   * decision then carries REFERENCE_DATA_UNAVAILABLE and the channel's failure policy applies).
   */
  REFERENCE_SOURCE: z.enum(["upstash", "snapshot", "none"]).default("upstash"),
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: optionalSecret,
  REFERENCE_SNAPSHOT_URL: optionalUrl,
  REFERENCE_SNAPSHOT_TOKEN: optionalSecret,
};

type ReferenceFields = z.infer<z.ZodObject<typeof referenceFields>>;

function needReferenceSource(c: ReferenceFields, ctx: z.RefinementCtx): void {
  const need = (key: keyof ReferenceFields, why: string) => {
    if (c[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `required when ${why}` });
  };
  if (c.REFERENCE_SOURCE === "upstash") {
    need("UPSTASH_REDIS_REST_URL", 'REFERENCE_SOURCE is "upstash"');
    need("UPSTASH_REDIS_REST_TOKEN", 'REFERENCE_SOURCE is "upstash"');
  }
  if (c.REFERENCE_SOURCE === "snapshot") need("REFERENCE_SNAPSHOT_URL", 'REFERENCE_SOURCE is "snapshot"');
}

/**
 * The reference settings alone: what the CardState owner (the vigil-card-state Worker, which has
 * no tokens or region of its own) needs for its engine registry.
 */
export const ReferenceSettingsSchema = z.object(referenceFields).superRefine(needReferenceSource);
export type ReferenceSettings = z.infer<typeof ReferenceSettingsSchema>;

export const EdgeConfigSchema = z.object({
  /** "local" only for wrangler dev and tests: elsewhere development defaults are refused (production-settings.ts). */
  VIGIL_ENV: VigilEnvSetting,
  REGION: z.string().min(1).max(32).regex(/^[a-z0-9-]+$/, "lower-case letters, digits and -"),
  EDGE_TOKENS: jsonOf(z.array(EdgeTokenSchema).min(1, "at least one token")),
  /** Operators' tokens for /v1/ops/* (dead-letter list and redrive); unset: those routes answer 401. */
  EDGE_OPS_TOKENS: z.preprocess((v) => (v === "" ? undefined : v), jsonOf(z.array(OpsTokenSchema)).optional()),
  /** Largest single score request body. */
  MAX_BODY_BYTES: intSetting(64 * KIB, 1 * KIB, 1024 * KIB),
  /** Largest batch request body. */
  MAX_BATCH_BODY_BYTES: intSetting(1024 * KIB, 1 * KIB, 16 * 1024 * KIB),
  /** Most transactions in one batch request. */
  MAX_BATCH: intSetting(100, 1, 1000),
  /** Event timestamps later than receipt + this are refused 400 (clock error or tampering). */
  MAX_FUTURE_SKEW_SECONDS: intSetting(300, 0, 86_400),
  /** Event timestamps older than receipt - this are refused 400 (stale replays belong to batch backfill). */
  MAX_EVENT_AGE_DAYS: intSetting(30, 1, 3650),
  /** Per-channel override of the reference-failure policy, e.g. {"ONLINE":"FAIL_CLOSED"}. */
  REFERENCE_FAILURE_POLICY: jsonOf(z.partialRecord(z.enum(CHANNELS), ReferencePolicySchema)).optional(),
  /**
   * Replaced by per-card residency (EU_CARD_BINS, the request's card_region, EU_CARD_JURISDICTION):
   * a deployment no longer puts all of its cards in one jurisdiction. Refused when set, so an old
   * setting cannot be silently ignored.
   */
  CARD_STATE_JURISDICTION: z.preprocess((v) => (v === "" ? undefined : v), z.undefined({
    message: "replaced by per-card residency (EU_CARD_BINS, card_region, EU_CARD_JURISDICTION); remove it",
  }).optional()),
  /**
   * BIN table of EU-home cards: prefixes ("4975") or ranges of equal-length prefixes
   * ("400000-400099"), separated by commas or spaces. Must be the same in every deployment (a card
   * is addressed by hash and zone: two tables would split a card). See edge/residency.ts.
   */
  EU_CARD_BINS: BinTableSetting,
  /**
   * Workers only: the jurisdiction EU-home cards' objects are created in ("eu", the default), from
   * every region. "none" only where jurisdictions do not exist (local workerd: wrangler dev, tests).
   */
  EU_CARD_JURISDICTION: z.enum(["eu", "none"]).default("eu"),
  /**
   * Workers only: where this deployment asks new card objects to be created. A card's object is
   * created by the first region that scores it, near that region; later hints are ignored.
   */
  DO_LOCATION_HINT: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.enum(["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"]).optional(),
  ),
  ...referenceFields,
  /** Version string returned by GET /v1/health. */
  VIGIL_VERSION: z.string().min(1).max(64).default("0.1.0"),
}).superRefine(needReferenceSource);
export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;

/** The reference settings of an env; throws ConfigError as loadEdgeConfig does. */
export function loadReferenceSettings(env: Record<string, unknown>): ReferenceSettings {
  const r = ReferenceSettingsSchema.safeParse(env);
  if (!r.success) throw new ConfigError("edge", configProblems(r.error));
  refuseDevelopmentDefaults(env);
  return r.data;
}

/** Outside VIGIL_ENV=local, a shipped development value or a plain-http endpoint is a ConfigError. */
function refuseDevelopmentDefaults(env: Record<string, unknown>): void {
  const issues = productionIssues(env);
  if (issues.length === 0) return;
  throw new ConfigError("edge", issues);
}

/** Parses the env; throws ConfigError naming each bad setting (never echoing values: they may be secrets). */
export function loadEdgeConfig(env: Record<string, unknown>): EdgeConfig {
  const r = EdgeConfigSchema.safeParse(env);
  if (!r.success) throw new ConfigError("edge", configProblems(r.error));
  // The forwarding settings (AGGREGATOR_*) are checked here too: an edge that would forward to a
  // plain-http aggregator with the example secret must not start scoring at all.
  refuseDevelopmentDefaults(env);
  return r.data;
}
