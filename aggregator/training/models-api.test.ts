import { PGlite } from "@electric-sql/pglite";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_FEATURE_LAYOUT } from "../../core/features/model-features.js";
import { GbdtModelSchema } from "../../core/ml/gbdt/model.js";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { createTokenAuth, sha256Hex, type Role } from "../http/auth.js";
import { createRiskJob } from "../risk/job.js";
import { createOpsRoutes } from "../ops/routes.js";
import { createLocalArchive } from "../stores/local-archive.js";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { createSqlSummaryStore } from "../stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../stores/sql-verdict-store.js";
import { loadTrainingConfig } from "./config.js";
import { createModelService, type ModelService } from "./service.js";
import { runTraining } from "./train-run.js";
import { seedFeatureStore } from "../testing/feature-store-fixture.js";
import type { Archive, SqlClient } from "../ports/index.js";
import type { ActiveModelFiles, ReferenceTarget } from "../reference/target.js";
import { sqlProbe } from "../ports/index.js";

// The model API end to end in one process: feature store in a local folder archive written by the
// real archive sink, labels and registry in PGlite, training in the background, publication to a
// recording target and to the snapshot.

const DAY = 86_400_000;
const NOW = Date.parse("2026-06-30T12:00:00Z");
const FROM = NOW - 40 * DAY;
const TO = NOW - 10 * DAY;
const TOKENS: Record<Role, string> = { reference: "tok-m-reference-0123456789", viewer: "tok-m-viewer-0123456789", analyst: "tok-m-analyst-0123456789", admin: "tok-m-admin-0123456789" };

let db: PGlite;
let sql: SqlClient;
let root: string;
let archive: Archive;
let models: ModelService;
let app: ReturnType<typeof createOpsRoutes>;
const published: ActiveModelFiles[] = [];
const config = loadTrainingConfig({ MODEL_MAX_ROUNDS: "15", MODEL_MIN_POSITIVES: "3", MODEL_LABEL_DELAY_DAYS: "7", MODEL_RETRAIN_INTERVAL_HOURS: "0" });

beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  await applySqlMigrations(sql, MIGRATIONS_DIR);
  root = await mkdtemp(join(tmpdir(), "vigil-models-"));
  archive = createLocalArchive(root);
  await seedFeatureStore(archive, sql, { fromMs: FROM, toMs: TO, n: 1200, labelAfterDays: 3 });
  const target: ReferenceTarget = { name: "recording", apply: async (a) => void ("models" in a && published.push(a.models)) };
  models = createModelService({ sql, archive, config, target, now: () => NOW, log: () => undefined });
  const auth = createTokenAuth({ now: () => NOW, bootstrap: (["reference", "viewer", "analyst", "admin"] as const).map((role) => ({ name: role, role, sha256: sha256Hex(TOKENS[role]) })) });
  app = createOpsRoutes({
    sql,
    verdicts: createSqlVerdictStore(sql, { now: () => NOW }),
    summaries: createSqlSummaryStore(sql, { closeClient: false }),
    auth,
    riskJob: createRiskJob({ sql, now: () => NOW }),
    now: () => NOW,
    log: { info: () => undefined, error: () => undefined },
    health: { probes: [sqlProbe("pglite", sql)], lag: async () => [], throughputTps: () => 0, sinks: () => ({}), startedAtMs: NOW, now: () => NOW },
    models,
  });
}, 240_000);
afterAll(async () => {
  await models.stop();
  await db.close();
  await rm(root, { recursive: true, force: true });
});

const req = (method: string, path: string, token?: string, body?: unknown) =>
  app.request(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
const json = async <T>(r: Response) => (await r.json()) as T;
const issues = async (r: Response) => (await json<{ error: { code: string; issues?: Array<{ path: string }> } }>(r)).error;
const W = { train_from: new Date(FROM).toISOString(), train_to: new Date(TO).toISOString() };

async function trainOne(): Promise<string> {
  const r = await req("POST", "/v1/models/train", TOKENS.analyst, W);
  expect(r.status).toBe(202);
  const body = await json<{ version: string; status: string; cutoff: string }>(r);
  expect(body.status).toBe("training");
  // Cut-off = train_to + delay (still before now): reproducible whenever it is re-run.
  expect(body.cutoff).toBe(new Date(TO + 7 * DAY).toISOString());
  await models.idle();
  return body.version;
}

describe("model routes: auth and bad input", () => {
  const ROUTES: Array<{ method: string; path: string; min: Role; body?: unknown }> = [
    { method: "POST", path: "/v1/models/train", min: "analyst", body: { train_to: "2026-06-29T00:00:00Z", train_from: "2026-06-28T00:00:00Z" } },
    { method: "GET", path: "/v1/models", min: "analyst" },
    { method: "GET", path: "/v1/models/compare?a=x&b=y&from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z", min: "analyst" },
    { method: "GET", path: "/v1/models/nope", min: "analyst" },
    { method: "POST", path: "/v1/models/nope/shadow", min: "admin" },
    { method: "POST", path: "/v1/models/nope/promote", min: "admin" },
  ];
  const BELOW: Record<Role, Role[]> = { reference: [], viewer: ["reference"], analyst: ["reference", "viewer"], admin: ["reference", "viewer", "analyst"] };
  for (const r of ROUTES) {
    it(`${r.method} ${r.path}: 401 without or with an unknown token, 403 below ${r.min}`, async () => {
      for (const t of [undefined, "unknown-token-123"]) expect((await req(r.method, r.path, t, r.body)).status).toBe(401);
      for (const role of BELOW[r.min]) {
        const res = await req(r.method, r.path, TOKENS[role], r.body);
        expect(res.status).toBe(403);
        expect((await issues(res)).code).toBe("FORBIDDEN");
      }
      expect([401, 403]).not.toContain((await req(r.method, r.path, TOKENS[r.min], r.body)).status);
    });
  }

  it("answers 400 naming the field, and creates nothing", async () => {
    const before = (await models.list()).length;
    const cases: Array<[string, string, unknown, string]> = [
      ["POST", "/v1/models/train", { train_from: "yesterday" }, "train_from"],
      ["POST", "/v1/models/train", { train_to: "2027-01-01T00:00:00Z" }, "train_to"],
      ["POST", "/v1/models/train", { train_from: "2026-06-02T00:00:00Z", train_to: "2026-06-01T00:00:00Z" }, "train_from"],
      ["POST", "/v1/models/train", { window: 30 }, "(body)"],
      ["POST", "/v1/models/train", "{nope", "(body)"],
      ["GET", "/v1/models/bad%20version", undefined, "params.version"],
      ["POST", "/v1/models/..%2Fx/promote", undefined, "params.version"],
      ["POST", "/v1/models/a%20b/shadow", undefined, "params.version"],
      ["GET", "/v1/models/compare?a=x&from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z", undefined, "query.b"],
      ["GET", "/v1/models/compare?a=x&b=y&from=2026-06-03T00:00:00Z&to=2026-06-02T00:00:00Z", undefined, "query.from"],
      ["GET", "/v1/models/compare?a=x&b=y&from=june&to=2026-06-02T00:00:00Z", undefined, "query.from"],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await req(method, path, method === "GET" ? TOKENS.analyst : TOKENS.admin, body);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect((await issues(res)).issues?.map((i) => i.path), `${method} ${path}`).toContain(field);
    }
    expect((await models.list()).length).toBe(before);
  });
});

describe("train → shadow → promote → rollback", () => {
  let v1 = "";
  let v2 = "";
  it("trains in the background into a candidate with validation metrics and a model file in the archive", async () => {
    v1 = await trainOne();
    const m = await json<{ status: string; validation: { auc_roc: number; average_precision: number; card_precision_at_100: number; review: { recall: number; fpr: number } }; counts: { train_positives: number; valid_positives: number; not_matured: number }; artifact_key: string; feature_layout: string; events: Array<{ action: string; actor: string }> }>(
      await req("GET", `/v1/models/${v1}`, TOKENS.analyst),
    );
    expect(m.status).toBe("candidate");
    expect(m.validation.auc_roc).toBeGreaterThan(0.9);
    expect(m.validation.card_precision_at_100).toBeGreaterThan(0);
    expect(m.counts.train_positives).toBeGreaterThan(10);
    expect(m.counts.valid_positives).toBeGreaterThan(3);
    expect(m.feature_layout).toBe(MODEL_FEATURE_LAYOUT);
    expect(m.artifact_key).toBe(`models/${v1}.json`);
    expect(m.events.map((e) => [e.action, e.actor])).toEqual([["TRAIN", "analyst"], ["TRAINED", "system"]]);
    const file = await archive.get(`models/${v1}.json`);
    expect(GbdtModelSchema.parse(JSON.parse(new TextDecoder().decode(file))).trained).toMatchObject({ label_delay_days: 7, window: { from: W.train_from, to: W.train_to } });
  }, 120_000);

  it("shadows and promotes with audit rows, publishing each time, and serves both in the snapshot", async () => {
    v2 = await trainOne();
    const sh = await req("POST", `/v1/models/${v2}/shadow`, TOKENS.admin);
    expect(sh.status).toBe(200);
    expect(published.at(-1)?.shadow?.version).toBe(v2);
    expect((await req("POST", `/v1/models/${v1}/promote`, TOKENS.admin)).status).toBe(200);
    expect(published.at(-1)).toMatchObject({ champion: { version: v1 }, shadow: { version: v2 } });
    const snap = await json<{ model_version: string; shadow_model_version: string; models: Record<string, { model_version: string }> }>(await req("GET", "/v1/reference/snapshot", TOKENS.viewer));
    expect(snap).toMatchObject({ model_version: v1, shadow_model_version: v2 });
    expect(Object.keys(snap.models).sort()).toEqual([v1, v2].sort());
    const p = await json<{ previous: string | null; model: { status: string } }>(await req("POST", `/v1/models/${v2}/promote`, TOKENS.admin));
    expect(p).toMatchObject({ previous: v1, model: { status: "champion" } });
    const list = await json<{ models: Array<{ version: string; status: string }> }>(await req("GET", "/v1/models", TOKENS.analyst));
    expect(Object.fromEntries(list.models.map((m) => [m.version, m.status]))).toMatchObject({ [v1]: "retired", [v2]: "champion" });
  }, 120_000);

  it("rolls back by promoting the retired version, refuses impossible moves with 409, unknown with 404", async () => {
    const r = await json<{ previous: string; changed: boolean }>(await req("POST", `/v1/models/${v1}/promote`, TOKENS.admin));
    expect(r).toMatchObject({ previous: v2, changed: true });
    expect(published.at(-1)?.champion?.version).toBe(v1);
    // Promoting the champion again only re-publishes (how a failed publication is retried).
    const again = await req("POST", `/v1/models/${v1}/promote`, TOKENS.admin);
    expect(await json<{ changed: boolean }>(again)).toMatchObject({ changed: false });
    expect((await req("POST", `/v1/models/${v1}/shadow`, TOKENS.admin)).status).toBe(409);
    expect((await req("POST", "/v1/models/gbdt-unknown/promote", TOKENS.admin)).status).toBe(404);
    expect((await req("GET", "/v1/models/gbdt-unknown", TOKENS.analyst)).status).toBe(404);
    const events = await json<{ events: Array<{ action: string; from_status: string; to_status: string; actor: string }> }>(await req("GET", `/v1/models/${v1}`, TOKENS.analyst));
    expect(events.events.slice(2).map((e) => `${e.action}:${e.from_status}>${e.to_status}:${e.actor}`)).toEqual([
      "PROMOTE:candidate>champion:admin",
      "RETIRE:champion>retired:admin",
      "PROMOTE:retired>champion:admin",
    ]);
  });

  it("compares two models on the labelled events of a range", async () => {
    const q = `a=${v1}&b=${v2}&from=${encodeURIComponent(W.train_from)}&to=${encodeURIComponent(W.train_to)}`;
    const res = await req("GET", `/v1/models/compare?${q}`, TOKENS.analyst);
    expect(res.status).toBe(200);
    const c = await json<{ rows: number; positives: number; a: { version: string; auc_roc: number }; b: { version: string; auc_roc: number } }>(res);
    expect(c.rows).toBeGreaterThan(1000);
    expect(c.positives).toBeGreaterThan(20);
    expect(c.a.version).toBe(v1);
    expect(c.a.auc_roc).toBeGreaterThan(0.9);
    expect(c.b.auc_roc).toBeGreaterThan(0.9);
    expect((await req("GET", `/v1/models/compare?a=${v1}&b=gbdt-none&from=${encodeURIComponent(W.train_from)}&to=${encodeURIComponent(W.train_to)}`, TOKENS.analyst)).status).toBe(404);
  });

  it("marks a training without usable data failed, with the reason and counts", async () => {
    const r = await req("POST", "/v1/models/train", TOKENS.analyst, { train_from: "2026-01-01T00:00:00Z", train_to: "2026-01-05T00:00:00Z" });
    const { version } = await json<{ version: string }>(r);
    await models.idle();
    const m = await json<{ status: string; error: string; counts: { rows_read: number } }>(await req("GET", `/v1/models/${version}`, TOKENS.analyst));
    expect(m).toMatchObject({ status: "failed", counts: { rows_read: 0 } });
    expect(m.error).toMatch(/fraud rows/);
  });
});

describe("training determinism", () => {
  it("gives the same model file for the same data, window, cut-off and seed", async () => {
    const w = { version: "gbdt-determinism", fromMs: FROM, toMs: TO, cutoffMs: TO + 7 * DAY };
    const a = await runTraining({ sql, archive, config }, w);
    const b = await runTraining({ sql, archive, config }, w);
    expect(a.json).toBe(b.json);
    expect(a.counts).toEqual(b.counts);
    const other = await runTraining({ sql, archive, config: { ...config, seed: 2, maxRounds: 16 } }, w);
    expect(other.json).not.toBe(a.json);
  }, 120_000);
});
