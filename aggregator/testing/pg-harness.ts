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
    pool: (max = 4) => new pg.Pool({ connectionString: url.toString(), max }),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
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
