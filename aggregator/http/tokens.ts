import { randomBytes } from "node:crypto";
import { sha256Hex, type Role } from "./auth.js";
import type { SqlQuery } from "../ports/sql.js";

// Administration of the ops API's stored tokens (fraud_ops.api_tokens), for `vigil tokens`. The
// table holds digests only: a new token leaves this module once, as the return value, and is
// never stored or logged.

export interface StoredToken {
  name: string;
  role: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** Creates a token for `name` with `role`; returns the token itself (the caller shows it once). */
export async function createOpsToken(sql: SqlQuery, name: string, role: Role): Promise<string> {
  const token = `vop_${randomBytes(32).toString("base64url")}`;
  await sql.query("INSERT INTO fraud_ops.api_tokens (name, sha256, role) VALUES ($1, $2, $3)", [name, sha256Hex(token), role]);
  return token;
}

/** Revokes the active token of `name`; false when there was none. */
export async function revokeOpsToken(sql: SqlQuery, name: string): Promise<boolean> {
  const { rows } = await sql.query<{ name: string }>(
    "UPDATE fraud_ops.api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING name",
    [name],
  );
  return rows.length > 0;
}

/** Every stored token by name, revoked ones included; never the digests. */
export async function listOpsTokens(sql: SqlQuery): Promise<StoredToken[]> {
  const { rows } = await sql.query<StoredToken>("SELECT name, role, created_at, revoked_at FROM fraud_ops.api_tokens ORDER BY name");
  return rows;
}
