import pg from "pg";
import { createOpsToken, listOpsTokens, pgSqlClient, revokeOpsToken, ROLES, sha256Hex, type Role } from "../../aggregator/index.js";
import { UsageError, type Command } from "./common.js";

// `vigil tokens` (`npm run ops:tokens`): the ops API's stored tokens in PostgreSQL at DATABASE_URL.
// Only the SHA-256 digest is stored; a created token is printed once, on stdout, so it can be
// piped. `hash` reads a token on stdin and prints its digest for OPS_BOOTSTRAP_TOKENS, without
// a database.

const isRole = (r: string | undefined): r is Role => (ROLES as readonly string[]).includes(r ?? "");

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

export const tokens: Command = {
  name: "tokens",
  summary: "create, revoke or list ops API tokens (PostgreSQL at DATABASE_URL); hash one for OPS_BOOTSTRAP_TOKENS",
  usage: `tokens create <name> <${ROLES.join("|")}> | tokens revoke <name> | tokens list | tokens hash < token`,
  async run(argv) {
    const [cmd, name, role] = argv;
    if (cmd === "hash") {
      console.log(sha256Hex(await readStdin()));
      return 0;
    }
    const create = cmd === "create" && name !== undefined && isRole(role);
    const revoke = cmd === "revoke" && name !== undefined;
    if (!create && !revoke && cmd !== "list") throw new UsageError("say create <name> <role>, revoke <name>, list or hash");
    const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
    const sql = pgSqlClient(new pg.Pool({ connectionString: url, max: 1 }));
    try {
      if (create) {
        console.log(await createOpsToken(sql, name, role));
        console.error(`created ${role} token "${name}"; it is shown only now`);
        return 0;
      }
      if (revoke) {
        const done = await revokeOpsToken(sql, name);
        console.error(done ? `revoked "${name}"` : `no active token "${name}"`);
        return done ? 0 : 1;
      }
      for (const t of await listOpsTokens(sql)) {
        console.log([t.name, t.role, t.created_at.toISOString(), t.revoked_at ? `revoked ${t.revoked_at.toISOString()}` : "active"].join("\t"));
      }
      return 0;
    } finally {
      await sql.close();
    }
  },
};
