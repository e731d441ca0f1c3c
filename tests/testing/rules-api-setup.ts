import { serve } from "@hono/node-server";
import { PGlite } from "@electric-sql/pglite";
import { Redis } from "@upstash/redis";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { applySqlMigrations } from "../../aggregator/schema/migrate.js";
import { createTokenAuth, sha256Hex } from "../../aggregator/http/auth.js";
import { rulesRoutes } from "../../aggregator/rules/routes.js";
import { createRuleService } from "../../aggregator/rules/service.js";
import { pgliteSqlClient } from "../../aggregator/stores/sql-client.js";
import { MIGRATIONS_DIR } from "../../aggregator/testing/paths.js";
import { LOCAL_UPSTASH_TOKEN, LOCAL_UPSTASH_URL } from "./reference-fixture.js";
import { redisReferenceTarget } from "../../aggregator/reference/target.js";

// Global setup of the Workers-runtime tests (Node): the aggregator's rules API — the real routes,
// service and Redis publication target, on PGlite with the real migrations — on a free loopback
// port, publishing to the same Redis (through the Upstash bridge) the edge under test reads. Tests
// in workerd call it over HTTP as an operator would (tests/workers/rules-by-api.test.ts).

export const RULES_ADMIN_TOKEN = "vigil-workers-rules-admin-0001";

declare module "vitest" {
  export interface ProvidedContext {
    rulesApiUrl: string;
    rulesAdminToken: string;
  }
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const db = new PGlite();
  const sql = pgliteSqlClient(db);
  await applySqlMigrations(sql, MIGRATIONS_DIR);
  const redis = new Redis({ url: process.env.VIGIL_UPSTASH_URL ?? LOCAL_UPSTASH_URL, token: process.env.VIGIL_UPSTASH_TOKEN ?? LOCAL_UPSTASH_TOKEN, enableTelemetry: false });
  const rules = createRuleService({ sql, target: redisReferenceTarget(redis), now: Date.now });
  const auth = createTokenAuth({ now: Date.now, bootstrap: [{ name: "workers-test-admin", role: "admin", sha256: sha256Hex(RULES_ADMIN_TOKEN) }] });
  const app = rulesRoutes({ auth, rules });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  provide("rulesApiUrl", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  provide("rulesAdminToken", RULES_ADMIN_TOKEN);
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close();
  };
}
