import { randomBytes } from "node:crypto";
import pg from "pg";
import { pgSqlClient } from "../stores/sql-client.js";
import { ROLES, sha256Hex, type Role } from "../http/auth.js";

// Admin CLI for ops API tokens (PostgreSQL at DATABASE_URL):
//   tsx aggregator/ops/tokens-cli.ts create <name> <viewer|analyst|admin>   prints the token ONCE
//   tsx aggregator/ops/tokens-cli.ts revoke <name>
//   tsx aggregator/ops/tokens-cli.ts list                                    names, roles, dates (no digests)
//   tsx aggregator/ops/tokens-cli.ts hash                                    reads a token on stdin, prints its SHA-256
//                                                                            (for OPS_BOOTSTRAP_TOKENS)
// Only the SHA-256 digest is stored.

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

async function main(argv: string[]): Promise<number> {
  const [cmd, name, role] = argv;
  if (cmd === "hash") {
    console.log(sha256Hex(await readStdin()));
    return 0;
  }
  const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const sql = pgSqlClient(new pg.Pool({ connectionString: url, max: 1 }));
  try {
    if (cmd === "create" && name && role && (ROLES as readonly string[]).includes(role)) {
      const token = `vop_${randomBytes(32).toString("base64url")}`;
      await sql.query("INSERT INTO fraud_ops.api_tokens (name, sha256, role) VALUES ($1, $2, $3)", [name, sha256Hex(token), role as Role]);
      console.log(token);
      console.error(`created ${role} token "${name}"; it is shown only now`);
      return 0;
    }
    if (cmd === "revoke" && name) {
      const { rows } = await sql.query<{ name: string }>(
        "UPDATE fraud_ops.api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING name",
        [name],
      );
      console.error(rows.length > 0 ? `revoked "${name}"` : `no active token "${name}"`);
      return rows.length > 0 ? 0 : 1;
    }
    if (cmd === "list") {
      const { rows } = await sql.query<{ name: string; role: string; created_at: Date; revoked_at: Date | null }>(
        "SELECT name, role, created_at, revoked_at FROM fraud_ops.api_tokens ORDER BY name",
      );
      for (const r of rows) console.log([r.name, r.role, r.created_at.toISOString(), r.revoked_at ? `revoked ${r.revoked_at.toISOString()}` : "active"].join("\t"));
      return 0;
    }
    console.error("usage: tokens-cli.ts create <name> <viewer|analyst|admin> | revoke <name> | list | hash < token");
    return 2;
  } finally {
    await sql.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`tokens-cli: ${(e as Error).message}`);
    process.exit(1);
  },
);
