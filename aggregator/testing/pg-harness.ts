import pg from "pg";
import { uniq } from "./scored-events.js";

// A throwaway database on the real PostgreSQL per test file, so contract runs never see each
// other's rows and leave nothing behind.

export const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface FreshDatabase {
  url: string;
  pool(max?: number): pg.Pool;
  drop(): Promise<void>;
}

export async function freshPgDatabase(prefix = "vigil_ct"): Promise<FreshDatabase> {
  const name = `${prefix}_${uniq()}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    pool: (max = 4) => {
      const pool = new pg.Pool({ connectionString: url.toString(), max });
      // As openPostgres does: a connection the server ends (drop() below) emits "error" on the
      // pool or the client; unhandled it fails the run although every query already settled.
      pool.on("error", () => undefined);
      pool.on("connect", (c) => c.on("error", () => undefined));
      return pool;
    },
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        // pool.end() resolves once its clients are told to end, not once they have: give their
        // backends a moment to leave, so FORCE does not terminate a connection still closing.
        for (let i = 0; i < 50; i++) {
          const r = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [name]);
          if ((r.rows[0]?.n ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A pool aimed at a port nothing listens on: every call fails as the network would. */
export const unreachablePool = (): pg.Pool =>
  new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:1/test", connectionTimeoutMillis: 2000, max: 1 });
