import { PGlite } from "@electric-sql/pglite";
import { serve, type ServerType } from "@hono/node-server";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../core/contracts/logger.js";
import { createTokenAuth, sha256Hex } from "../../aggregator/http/auth.js";
import { createRiskJob } from "../../aggregator/risk/job.js";
import { createOpsRoutes } from "../../aggregator/ops/routes.js";
import { applyOpsMigrations } from "../../aggregator/testing/ops.js";
import { pgliteSqlClient } from "../../aggregator/stores/sql-client.js";
import { createSqlSummaryStore } from "../../aggregator/stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../../aggregator/stores/sql-verdict-store.js";
import { labelsCommand } from "../commands/labels.js";
import { parseLabelsFile } from "./file.js";
import { ImportError, importLabels } from "./import.js";
import type { SqlClient } from "../../aggregator/ports/index.js";

// `vigil labels import FILE` against the ops API served over HTTP on a random port (PGlite behind
// it), with real files: counts, idempotent re-import, a changed label, refused rows and tokens.

const ANALYST = "tok-import-analyst-0123456789";
const VIEWER = "tok-import-viewer-0123456789";

let db: PGlite;
let sql: SqlClient;
let server: ServerType;
let url: string;
let dir: string;

beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  await applyOpsMigrations(sql);
  const app = createOpsRoutes({
    sql,
    verdicts: createSqlVerdictStore(sql),
    summaries: createSqlSummaryStore(sql, { closeClient: false }),
    auth: createTokenAuth({
      now: Date.now,
      bootstrap: [
        { name: "importer", role: "analyst", sha256: sha256Hex(ANALYST) },
        { name: "watcher", role: "viewer", sha256: sha256Hex(VIEWER) },
      ],
    }),
    riskJob: createRiskJob({ sql, now: Date.now }),
    now: Date.now,
    log: silentLogger,
    health: { probes: [], lag: async () => [], throughputTps: () => 0, sinks: () => ({}), startedAtMs: Date.now(), now: Date.now },
  });
  url = await new Promise<string>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
  });
  dir = await mkdtemp(join(tmpdir(), "vigil-labels-import-"));
}, 180_000);
afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const count = async () => (await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM fraud_ops.labels")).rows[0]?.n ?? -1;

/** Runs the command as the CLI does; its stdout lines are returned. */
async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    return { code: await labelsCommand.run(args), out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe("label files", () => {
  it("reads CSV with quotes, the usual spellings of fraud/legit, dates and timestamps", () => {
    const csv = [
      "transaction_id,is_fraud,source,date,note",
      'T-1,true,chargeback,2026-06-01,"reason 10.4, card absent"',
      "T-2,0,CHARGEBACK,2026-06-02T13:00:00Z,",
      "T-3,fraud,,,",
      "T-4,legit,ISSUER,2026-06-03,",
      "T-1,true,chargeback,2026-06-01,\"reason 10.4, card absent\"",
    ].join("\n");
    const p = parseLabelsFile(csv, "cb.csv", "CHARGEBACK");
    expect(p.issues).toEqual([]);
    expect(p.duplicates).toBe(1);
    expect(p.labels).toEqual([
      { transaction_id: "T-1", is_fraud: true, source: "CHARGEBACK", note: "reason 10.4, card absent", reported_on: "2026-06-01" },
      { transaction_id: "T-2", is_fraud: false, source: "CHARGEBACK", reported_on: "2026-06-02" },
      { transaction_id: "T-3", is_fraud: true, source: "CHARGEBACK" },
      { transaction_id: "T-4", is_fraud: false, source: "ISSUER", reported_on: "2026-06-03" },
    ]);
  });

  it("reads a JSON array, {labels: [...]} and JSON lines alike", () => {
    const rows = [{ transaction_id: "J-1", fraud: true, source: "CHARGEBACK", date: "2026-06-01" }, { transaction_id: "J-2", is_fraud: "no", source: "customer" }];
    const a = parseLabelsFile(JSON.stringify(rows, null, 2), "x.json");
    const b = parseLabelsFile(JSON.stringify({ labels: rows }, null, 2), "x.json");
    const c = parseLabelsFile(rows.map((r) => JSON.stringify(r)).join("\n"), "x.jsonl");
    expect(a.issues).toEqual([]);
    expect(b).toEqual(a);
    expect(c.labels).toEqual(a.labels);
    expect(a.labels[1]).toEqual({ transaction_id: "J-2", is_fraud: false, source: "CUSTOMER" });
  });

  it("names each bad row by line and field", () => {
    const csv = ["transaction_id,is_fraud,source,date", "ok-1,true,CHARGEBACK,2026-06-01", "bad 1,true,CHARGEBACK,", "x-2,maybe,CHARGEBACK,", "x-3,true,GUESS,", "x-4,true,CHARGEBACK,2026-02-30", "ok-1,false,CHARGEBACK,"].join("\n");
    const p = parseLabelsFile(csv, "cb.csv");
    expect(p.issues.map((i) => i.where)).toEqual(["line 3", "line 4", "line 5", "line 6", "line 7"]);
    expect(p.issues.map((i) => i.message.split(":")[0])).toEqual(["transaction_id", "is_fraud", "source", "date", "transaction_id ok-1"]);
    expect(parseLabelsFile("id,fraud\n1,1", "x.csv").issues[0]?.message).toMatch(/header must name transaction_id/);
    expect(parseLabelsFile("[{", "x.json").issues[0]?.message).toMatch(/not valid JSON/);
    expect(parseLabelsFile("", "x.csv").issues[0]?.message).toMatch(/no labels/);
  });
});

describe("vigil labels import", () => {
  const N = 1234;
  const csvPath = () => join(dir, "chargebacks.csv");

  it("imports a file through POST /v1/feedback in batches, with a summary", async () => {
    const lines = ["transaction_id,is_fraud,source,date"];
    for (let i = 0; i < N; i++) lines.push(`CB-${i},${i % 5 === 0 ? "true" : "false"},CHARGEBACK,2026-06-${String((i % 28) + 1).padStart(2, "0")}`);
    await writeFile(csvPath(), `${lines.join("\n")}\n`);
    const r = await runCli(["import", csvPath(), "--aggregator", url, "--token", ANALYST, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ rows: N, sent: N, created: N, updated: 0, unchanged: 0, batches: 3 });
    expect(await count()).toBe(N);
    const stored = await sql.query<{ actor: string; source: string; is_fraud: boolean; reported_on: string }>(
      "SELECT actor, source, is_fraud, reported_on::text AS reported_on FROM fraud_ops.labels WHERE transaction_id = 'CB-5'",
    );
    expect(stored.rows).toEqual([{ actor: "importer", source: "CHARGEBACK", is_fraud: true, reported_on: "2026-06-06" }]);
  });

  it("changes nothing when the same file is imported again, and says so", async () => {
    const r = await runCli(["import", csvPath(), "--aggregator", url, "--token", ANALYST]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`created 0, updated 0, unchanged ${N}`);
    expect(r.out).toContain("nothing changed");
    expect(await count()).toBe(N);
  });

  it("records a reversed chargeback as a new version, and only that", async () => {
    const file = join(dir, "reversal.json");
    await writeFile(file, JSON.stringify([{ transaction_id: "CB-5", is_fraud: false, source: "CHARGEBACK", date: "2026-07-01" }, { transaction_id: "CB-6", is_fraud: false, source: "CHARGEBACK" }]));
    const r = await runCli(["import", file, "--aggregator", url, "--token", ANALYST, "--json"]);
    expect(JSON.parse(r.out)).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    expect(await count()).toBe(N + 1);
  });

  it("sends nothing when a row is bad, and refuses usage errors", async () => {
    const file = join(dir, "bad.csv");
    await writeFile(file, "transaction_id,is_fraud,source,date\nNEW-1,true,CHARGEBACK,\nNEW-2,perhaps,CHARGEBACK,\n");
    const r = await runCli(["import", file, "--aggregator", url, "--token", ANALYST]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 3: is_fraud/);
    expect(r.err).toMatch(/nothing was sent/);
    expect(await count()).toBe(N + 1);
    await expect(labelsCommand.run(["export", file])).rejects.toThrow(/labels import FILE/);
    await expect(labelsCommand.run(["import", file, "--aggregator", url, "--token", ""])).rejects.toThrow(/token/);
  });

  it("stops with the API's reason on a refused token or role, naming how much was applied", async () => {
    const labels = [{ transaction_id: "NEW-9", is_fraud: true, source: "CHARGEBACK" as const }];
    await expect(importLabels(labels, { url, token: "not-a-token" })).rejects.toThrow(/HTTP 401 UNKNOWN_TOKEN/);
    await expect(importLabels(labels, { url, token: VIEWER })).rejects.toThrow(ImportError);
    await expect(importLabels(labels, { url, token: VIEWER })).rejects.toThrow(/HTTP 403 FORBIDDEN.*0 labels were applied/);
    expect(await count()).toBe(N + 1);
  });

  it("retries answers that can pass and counts the retries", async () => {
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls === 1) return new Response(JSON.stringify({ error: { code: "TOKEN_STORE_UNAVAILABLE", message: "retry" } }), { status: 503 });
      return fetch(input, init);
    };
    const s = await importLabels([{ transaction_id: "CB-7", is_fraud: false, source: "CHARGEBACK" }], { url, token: ANALYST, fetch: flaky, backoffMs: 1 });
    expect(s).toMatchObject({ unchanged: 1, retries: 1, batches: 1 });
  });
});
