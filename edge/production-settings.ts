import { z } from "zod";
import { DEV_EDGE_TOKEN_SHA256, isDevSecret, isPlainHttp } from "../core/contracts/dev-defaults.js";

// Production refuses development defaults (issue 13 item 8). The edge runs in production unless
// VIGIL_ENV=local (wrangler.toml's top-level [vars], used only by `wrangler dev` and the tests;
// the deployed environments us/eu/apac/state do not set it). Outside local, each of these is a
// start-up error naming the setting, never its value.

export const VigilEnvSetting = z.enum(["local", "production"], { message: "local or production" }).default("production");

export interface SettingIssue {
  setting: string;
  message: string;
}

const URL_SETTINGS = ["AGGREGATOR_URL", "AGGREGATOR_URL_EU", "REFERENCE_SNAPSHOT_URL", "UPSTASH_REDIS_REST_URL"] as const;
const SECRET_SETTINGS = ["AGGREGATOR_SECRET", "AGGREGATOR_SECRET_EU", "UPSTASH_REDIS_REST_TOKEN", "REFERENCE_SNAPSHOT_TOKEN"] as const;

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function tokenHashes(edgeTokens: unknown): string[] {
  if (typeof edgeTokens !== "string") return [];
  try {
    const list = JSON.parse(edgeTokens) as unknown;
    if (!Array.isArray(list)) return [];
    return list.flatMap((t: unknown) => {
      const h = t !== null && typeof t === "object" ? (t as { sha256?: unknown }).sha256 : undefined;
      return typeof h === "string" ? [h.toLowerCase()] : [];
    });
  } catch {
    return []; // the schema reports it
  }
}

/** Development defaults in a raw env; [] when VIGIL_ENV is "local". */
export function productionIssues(env: Record<string, unknown>): SettingIssue[] {
  if (text(env.VIGIL_ENV) === "local") return [];
  const issues: SettingIssue[] = [];
  const why = "(outside VIGIL_ENV=local)";
  if (tokenHashes(env.EDGE_TOKENS).includes(DEV_EDGE_TOKEN_SHA256)) {
    issues.push({ setting: "EDGE_TOKENS", message: `holds the development token of .dev.vars.example ${why}; issue real tokens` });
  }
  for (const key of URL_SETTINGS) {
    const v = text(env[key]);
    if (v !== undefined && isPlainHttp(v)) issues.push({ setting: key, message: `must be an https URL ${why}` });
  }
  for (const key of SECRET_SETTINGS) {
    const v = text(env[key]);
    if (v !== undefined && isDevSecret(v)) issues.push({ setting: key, message: `is a shipped development value ${why}; set a real secret` });
  }
  return issues;
}
