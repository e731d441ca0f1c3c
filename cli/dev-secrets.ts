import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

// The local secrets `npm start` (infra/dev/start.ts) makes on its first run and keeps in
// .data/dev/secrets.json: the edge's terminal token, the ingest signing secret, the ops admin
// token (for people), the CLI's ops token (analyst: lists and labels imports, the alert stream)
// and the edge's reference-snapshot token. The CLI takes its default tokens from the same file,
// so its commands work against `npm start` as they are. One definition for the writer and the
// readers; it lives in cli/ because nothing may import infra/.

export const DEV_SECRETS_PATH = ".data/dev/secrets.json";

/** Key → the prefix of a made value (says what a token is for when it turns up in a log or a shell). */
const PREFIXES = { edge_token: "edge", ingest_secret: "ingest", ops_admin_token: "ops", edge_snapshot_token: "snap", ops_token: "opscli" } as const;
export type DevSecretKey = keyof typeof PREFIXES;
const KEYS = Object.keys(PREFIXES) as DevSecretKey[];

export const DevSecretsSchema = z.object(Object.fromEntries(KEYS.map((k) => [k, z.string().min(1)])) as Record<DevSecretKey, z.ZodString>);
export type DevSecrets = z.infer<typeof DevSecretsSchema>;

/**
 * The secrets in `file`, made first when there is none. A file of an older `npm start` keeps its
 * values and gains the keys it lacks (so its edge and ops tokens stay valid); a file that is not a
 * JSON object is an error, never silently replaced.
 */
export function ensureDevSecrets(file: string): DevSecrets {
  const old = existsSync(file) ? z.record(z.string(), z.unknown()).parse(JSON.parse(readFileSync(file, "utf8"))) : {};
  const kept = (k: DevSecretKey) => {
    const v = old[k];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const secrets = DevSecretsSchema.parse(Object.fromEntries(KEYS.map((k) => [k, kept(k) ?? `${PREFIXES[k]}_${randomBytes(24).toString("base64url")}`])));
  if (KEYS.some((k) => kept(k) === undefined)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ ...old, ...secrets }, null, 2), { mode: 0o600 });
  }
  return secrets;
}

/** One secret from `file` (default: the working directory's), or undefined when it is not there. */
export function devSecret(key: DevSecretKey, file = join(process.cwd(), DEV_SECRETS_PATH)): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const v = (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)[key];
    return typeof v === "string" && v !== "" ? v : undefined;
  } catch {
    return undefined;
  }
}
