import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applySqlMigrations } from "../aggregator/schema/migrate.js";
import { createTokenAuth, sha256Hex } from "../aggregator/http/auth.js";
import { createRiskJob, type RiskJob } from "../aggregator/risk/job.js";
import { listEventsOf } from "../aggregator/lists/lists.js";
import { createOpsRoutes } from "../aggregator/ops/routes.js";
import { pgliteSqlClient } from "../aggregator/stores/sql-client.js";
import { createSqlSummaryStore } from "../aggregator/stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../aggregator/stores/sql-verdict-store.js";
import { MIGRATIONS_DIR } from "../aggregator/testing/paths.js";
import { parseCsv } from "./commands/lists.js";
import type { SqlClient } from "../aggregator/ports/index.js";

// `npm run vigil -- lists import` as an operator runs it (a child process through tsx) against the
// ops API served over HTTP on PGlite: CSV and JSON, bad rows reported by line and skipped, a second
// run changes nothing, entries attributed to the token's name and audited as an import.

const TOKEN = "tok-import-analyst-0123456789";
let db: PGlite;
let sql: SqlClient;
let server: ServerType;
let url = "";
let riskJob: RiskJob;
const dir = mkdtempSync(join(tmpdir(), "vigil-lists-"));

beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  await applySqlMigrations(sql, MIGRATIONS_DIR);
  riskJob = createRiskJob({ sql, now: () => Date.now() });
  const app = createOpsRoutes({
    sql, riskJob, now: () => Date.now(),
    verdicts: createSqlVerdictStore(sql, { now: () => Date.now() }),
    summaries: createSqlSummaryStore(sql, { closeClient: false }),
    auth: createTokenAuth({ sql, now: () => Date.now(), bootstrap: [{ name: "importer-bob", role: "analyst", sha256: sha256Hex(TOKEN) }] }),
    log: { info: () => undefined, error: () => undefined },
    health: { probes: [], lag: async () => [], throughputTps: () => 0, sinks: () => ({}), startedAtMs: Date.now(), now: () => Date.now() },
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      url = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
}, 240_000);
afterAll(async () => {
  await riskJob.stop();
  await new Promise((r) => server.close(r));
  await db.close();
});

function vigil(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(process.cwd(), "node_modules/.bin/tsx"), ["cli/vigil.ts", ...args], { cwd: process.cwd(), timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const future = new Date(Date.now() + 7 * 86_400_000).toISOString();
const past = new Date(Date.now() - 86_400_000).toISOString();

describe("vigil lists import", () => {
  it("imports a CSV with a summary, skips bad rows by line, and a second run changes nothing", async () => {
    const file = join(dir, "block-bins.csv");
    writeFileSync(file, [
      "value,reason,expires_at",
      "411111,compromised issuer batch,",
      `"412345","BIN attack, see ticket ""OPS-7""",${future}`,
      "41234,too short,",
      `413000,already over,${past}`,
      "411111,duplicate,",
      "",
    ].join("\n"));
    const first = await vigil("lists", "import", file, "--list", "block-bin", "--aggregator", url, "--token", TOKEN, "--json");
    expect(first.code).toBe(1); // some rows were refused
    expect(JSON.parse(first.stdout)).toEqual({ list: "block-bin", rows: 5, sent: 2, created: 2, updated: 0, unchanged: 0, invalid: 3 });
    expect(first.stderr).toContain("skipped line 4: value: not a bin key: a BIN prefix: 6 to 8 digits");
    expect(first.stderr).toContain("skipped line 5: expires_at: must lie in the future");
    expect(first.stderr).toContain("skipped line 6: value: duplicate of line 2");
    const again = await vigil("lists", "import", file, "--list", "block-bin", "--aggregator", url, "--token", TOKEN, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ sent: 2, created: 0, updated: 0, unchanged: 2 });
    const { rows } = await sql.query<{ value: string; reason: string; author: string }>("SELECT value, reason, author FROM fraud_ops.list_entries WHERE list = 'block-bin' ORDER BY value");
    expect(rows).toEqual([
      { value: "411111", reason: "compromised issuer batch", author: "importer-bob" },
      { value: "412345", reason: 'BIN attack, see ticket "OPS-7"', author: "importer-bob" },
    ]);
    expect((await listEventsOf(sql, "block-bin", "412345")).map((e) => [e.action, e.source, e.actor])).toEqual([["ADD", "import", "importer-bob"]]);
  });

  it("imports JSON in batches, taking --reason for entries without one; a changed reason is an update", async () => {
    const file = join(dir, "allow-merchants.json");
    const entries = Array.from({ length: 7 }, (_, i) => ({ value: `MCH-ALLOW-${i}`, ...(i === 0 ? { reason: "own reason" } : {}) }));
    writeFileSync(file, JSON.stringify(entries));
    const r = await vigil("lists", "import", file, "--list", "allow-merchant", "--reason", "trusted partner", "--batch", "3", "--aggregator", url, "--token", TOKEN);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("allow-merchant: 7 rows, 7 sent: 7 created, 0 updated, 0 unchanged; 0 invalid (skipped)");
    writeFileSync(file, JSON.stringify({ entries: [{ value: "MCH-ALLOW-1", reason: "renewed" }, { value: "MCH-ALLOW-2", reason: "trusted partner" }] }));
    const again = await vigil("lists", "import", file, "--list", "allow-merchant", "--aggregator", url, "--token", TOKEN, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 2, created: 0, updated: 1, unchanged: 1 });
  });

  it("refuses a bad list name or a missing token with usage (exit 2), and a refused token with exit 1", async () => {
    const file = join(dir, "one.csv");
    writeFileSync(file, "value,reason\ncard-hash-1,x\n");
    const badList = await vigil("lists", "import", file, "--list", "greylist", "--aggregator", url, "--token", TOKEN);
    expect(badList.code).toBe(2);
    expect(badList.stderr).toContain("--list must be one of block-card");
    expect((await vigil("lists", "import", file, "--list", "block-card", "--aggregator", url, "--token", "")).code).toBe(2);
    const refused = await vigil("lists", "import", file, "--list", "block-card", "--aggregator", url, "--token", "tok-wrong-0123456789");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("aggregator answered 401");
  });
});

describe("parseCsv", () => {
  it("handles quotes, doubled quotes, commas and newlines in fields, CRLF, and blank lines", () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi""\nthere"\r\n\r\nz,\n')).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["x, y", 'say "hi"\nthere'] },
      { line: 5, fields: ["z", ""] },
    ]);
  });
});
