import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyOpsMigrations } from "../testing/ops.js";
import type { SqlClient } from "../ports/sql.js";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { createTokenAuth, sha256Hex } from "./auth.js";
import { createOpsToken, listOpsTokens, revokeOpsToken } from "./tokens.js";

// `vigil tokens` on a real schema: a created token authenticates with its role and is stored as a
// digest only; a revoked one stops working; the list shows names and states, never digests.

let db: PGlite;
let sql: SqlClient;

beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  await applyOpsMigrations(sql);
}, 120_000);
afterAll(async () => {
  await db.close();
});

describe("ops token administration", () => {
  it("creates, lists and revokes; only the digest is stored", async () => {
    const token = await createOpsToken(sql, "alice", "analyst");
    expect(token).toMatch(/^vop_[A-Za-z0-9_-]{43}$/);
    const { rows } = await sql.query<{ sha256: string }>("SELECT sha256::text AS sha256 FROM fraud_ops.api_tokens WHERE name = 'alice'");
    expect(rows.map((r) => r.sha256.trim())).toEqual([sha256Hex(token)]);

    const auth = () => createTokenAuth({ sql, now: Date.now, refreshMs: 0 });
    expect(await auth().authenticate(`Bearer ${token}`)).toEqual({ ok: true, principal: { name: "alice", role: "analyst" } });

    const listed = await listOpsTokens(sql);
    expect(listed.map((t) => [t.name, t.role, t.revoked_at])).toEqual([["alice", "analyst", null]]);
    expect(Object.keys(listed[0] ?? {}).sort()).toEqual(["created_at", "name", "revoked_at", "role"]);

    expect(await revokeOpsToken(sql, "alice")).toBe(true);
    expect(await revokeOpsToken(sql, "alice")).toBe(false);
    expect(await revokeOpsToken(sql, "nobody")).toBe(false);
    expect((await listOpsTokens(sql))[0]?.revoked_at).toBeInstanceOf(Date);
    expect(await auth().authenticate(`Bearer ${token}`)).toEqual({ ok: false, reason: "UNKNOWN_TOKEN" });
  });

  it("makes a different token each time", async () => {
    const a = await createOpsToken(sql, "bob", "viewer");
    const b = await createOpsToken(sql, "carol", "admin");
    expect(a).not.toBe(b);
  });
});
