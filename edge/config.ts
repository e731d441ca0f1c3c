import { z } from "zod";
import { CHANNELS } from "../core/schemas.js";

// Edge configuration, parsed once from the runtime's env (Workers vars + secrets, Deno.env).
// A wrong setting throws ConfigError naming the setting; the adapters answer 500 CONFIG_INVALID.

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

/** What to do when reference data is unavailable for a channel; absent → the engine's own default. */
export const ReferencePolicySchema = z.enum(["FAIL_OPEN", "FAIL_CLOSED"]);

const optionalUrl = z.preprocess((v) => (v === "" ? undefined : v), z.url({ protocol: /^https?$/, message: "an http(s) URL" }).optional());
const optionalSecret = z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional());

export const EdgeConfigSchema = z.object({
  REGION: z.string().min(1).max(32).regex(/^[a-z0-9-]+$/, "lower-case letters, digits and -"),
  EDGE_TOKENS: jsonOf(z.array(EdgeTokenSchema).min(1, "at least one token")),
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
   * Workers only: keep card state in a jurisdiction (e.g. "eu": the Durable Objects never leave
   * the EU). Empty = no restriction. Changing it re-homes every card (new object ids): fresh state.
   */
  CARD_STATE_JURISDICTION: z.preprocess((v) => (v === "" ? undefined : v), z.enum(["eu", "fedramp"]).optional()),
  /** Workers only: where new card objects are created, near this deployment's terminals. */
  DO_LOCATION_HINT: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.enum(["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"]).optional(),
  ),
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
  /** Version string returned by GET /v1/health. */
  VIGIL_VERSION: z.string().min(1).max(64).default("0.1.0"),
}).superRefine((c, ctx) => {
  const need = (key: keyof typeof c, why: string) => {
    if (c[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `required when ${why}` });
  };
  if (c.REFERENCE_SOURCE === "upstash") {
    need("UPSTASH_REDIS_REST_URL", 'REFERENCE_SOURCE is "upstash"');
    need("UPSTASH_REDIS_REST_TOKEN", 'REFERENCE_SOURCE is "upstash"');
  }
  if (c.REFERENCE_SOURCE === "snapshot") need("REFERENCE_SNAPSHOT_URL", 'REFERENCE_SOURCE is "snapshot"');
});
export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  readonly retriable = false;
  constructor(readonly settings: string[], message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses the env; throws ConfigError naming each bad setting (never echoing values: they may be secrets). */
export function loadEdgeConfig(env: Record<string, unknown>): EdgeConfig {
  const r = EdgeConfigSchema.safeParse(env);
  if (r.success) return r.data;
  const settings = [...new Set(r.error.issues.map((i) => String(i.path[0] ?? "(env)")))];
  const message = r.error.issues
    .map((i) => `${i.path.map(String).join(".") || "(env)"}: ${i.message}`)
    .join("; ");
  throw new ConfigError(settings, `invalid edge configuration: ${message}`);
}
