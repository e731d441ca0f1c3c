import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { withDeadline } from "../deadline.js";
import { problem } from "./respond.js";
import type { SqlQuery } from "../ports/index.js";

// Bearer tokens for the ops API. Only SHA-256 hex digests are kept (PostgreSQL table
// fraud_ops.api_tokens, plus OPS_BOOTSTRAP_TOKENS from the environment); a presented token is
// hashed and compared in constant time against every known digest. Tokens are never logged.

/**
 * Ordered: each role may do what the ones before it may. "reference" reads the reference snapshot
 * only (the edge's snapshot token: least privilege, no verdicts, cards or cases).
 */
export const ROLES = ["reference", "viewer", "analyst", "admin"] as const;
export type Role = (typeof ROLES)[number];
const rank = (r: Role) => ROLES.indexOf(r);

export const BootstrapTokenSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "1-64 letters, digits and . _ @ -"),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "64 hex characters (SHA-256 of the token)").transform((s) => s.toLowerCase()),
  role: z.enum(ROLES),
});
export type TokenRecord = z.infer<typeof BootstrapTokenSchema>;

/** Parses OPS_BOOTSTRAP_TOKENS (JSON array of {name, sha256, role}); throws naming the problem, never the value. */
export function parseBootstrapTokens(json: string | undefined): TokenRecord[] {
  if (json === undefined || json.trim() === "") return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error("OPS_BOOTSTRAP_TOKENS: not valid JSON");
  }
  const r = z.array(BootstrapTokenSchema).safeParse(raw);
  if (!r.success) {
    throw new Error(`OPS_BOOTSTRAP_TOKENS: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return r.data;
}

export function sha256Hex(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface Principal {
  name: string;
  role: Role;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: "MISSING_TOKEN" | "UNKNOWN_TOKEN" | "TOKEN_STORE_UNAVAILABLE" };

export interface TokenAuth {
  authenticate(authorizationHeader: string | undefined): Promise<AuthResult>;
  /** The principal a live token of this name belongs to (e.g. to check an assignee), if any. */
  principalNamed(name: string): Promise<Principal | undefined>;
}

export interface TokenAuthOptions {
  sql?: SqlQuery;
  bootstrap?: TokenRecord[];
  now: () => number;
  /** How long a loaded token list is trusted before re-reading the table (revocations apply within it). */
  refreshMs?: number;
  /** Longest a request waits for a token reload; past it the cached list answers (default 3 s). */
  reloadTimeoutMs?: number;
  /**
   * While the table cannot be read, how long after its last good read the list is still trusted
   * (default 5 min). Past it only the bootstrap tokens work: a token revoked during an outage
   * stops working within this bound, not whenever PostgreSQL comes back.
   */
  maxStaleMs?: number;
  onError?: (code: string, err: unknown) => void;
}

interface Entry {
  name: string;
  role: Role;
  digest: Buffer;
}

export function createTokenAuth(opts: TokenAuthOptions): TokenAuth {
  const refreshMs = opts.refreshMs ?? 10_000;
  const maxStaleMs = opts.maxStaleMs ?? 300_000;
  const boot: Entry[] = (opts.bootstrap ?? []).map((t) => ({ name: t.name, role: t.role, digest: Buffer.from(t.sha256, "hex") }));
  let fromDb: Entry[] | undefined;
  let loadedAt = -Infinity;
  let loading: Promise<void> | undefined;

  async function load(): Promise<void> {
    if (!opts.sql) return;
    const { rows } = await opts.sql.query<{ name: string; sha256: string; role: Role }>(
      "SELECT name, sha256::text AS sha256, role FROM fraud_ops.api_tokens WHERE revoked_at IS NULL",
    );
    fromDb = rows.map((r) => ({ name: r.name, role: r.role, digest: Buffer.from(r.sha256.trim(), "hex") }));
    loadedAt = opts.now();
  }

  async function entries(): Promise<Entry[] | undefined> {
    if (opts.sql && opts.now() - loadedAt >= refreshMs) {
      loading ??= load().finally(() => {
        loading = undefined;
      });
      try {
        // A hung database must not hang every ops request: the reload goes on in the background.
        await withDeadline(loading, opts.reloadTimeoutMs ?? 3000, "token reload");
      } catch (e) {
        // A stale list keeps working for a bounded time (revocations wait for the store); past the
        // bound, or with no list at all, only bootstrap tokens are known.
        opts.onError?.("TOKEN_STORE_UNAVAILABLE", e);
        if (fromDb !== undefined && opts.now() - loadedAt > maxStaleMs) {
          opts.onError?.("TOKEN_LIST_EXPIRED", new Error(`token list older than ${maxStaleMs} ms; only bootstrap tokens accepted`));
          fromDb = undefined;
        }
        if (fromDb === undefined && boot.length === 0) return undefined;
      }
    }
    return [...boot, ...(fromDb ?? [])];
  }

  return {
    async authenticate(header) {
      const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m?.[1]) return { ok: false, reason: "MISSING_TOKEN" };
      const digest = Buffer.from(sha256Hex(m[1]), "hex");
      const list = await entries();
      if (list === undefined) return { ok: false, reason: "TOKEN_STORE_UNAVAILABLE" };
      let found: Entry | undefined;
      // Every digest is compared, with no early exit, so timing says nothing about which matched.
      for (const e of list) {
        if (timingSafeEqual(e.digest, digest) && found === undefined) found = e;
      }
      return found ? { ok: true, principal: { name: found.name, role: found.role } } : { ok: false, reason: "UNKNOWN_TOKEN" };
    },
    async principalNamed(name) {
      const list = await entries();
      // Several tokens may share a name (rotation): the highest role of the live ones counts.
      const roles = (list ?? []).filter((e) => e.name === name).map((e) => e.role);
      if (roles.length === 0) return undefined;
      return { name, role: roles.reduce((a, b) => (rank(b) > rank(a) ? b : a)) };
    },
  };
}

export type OpsEnv = { Variables: { principal: Principal } };

/** 401 without or with an unknown token, 403 when the role is below `min`, 503 when tokens cannot be read. */
export function requireRole(auth: TokenAuth, min: Role): MiddlewareHandler<OpsEnv> {
  return async (c, next) => {
    const r = await auth.authenticate(c.req.header("authorization"));
    if (!r.ok) {
      if (r.reason === "TOKEN_STORE_UNAVAILABLE") return problem(503, "TOKEN_STORE_UNAVAILABLE", "token store unavailable; retry", { retriable: true });
      return problem(401, r.reason, r.reason === "MISSING_TOKEN" ? "bearer token required" : "unknown or revoked token", {
        headers: { "WWW-Authenticate": 'Bearer realm="vigil-ops"' },
      });
    }
    if (rank(r.principal.role) < rank(min)) {
      return problem(403, "FORBIDDEN", `requires role ${min} or higher`);
    }
    c.set("principal", r.principal);
    await next();
  };
}

export function hasRole(p: Principal, min: Role): boolean {
  return rank(p.role) >= rank(min);
}
