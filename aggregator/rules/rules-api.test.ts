import { PGlite } from "@electric-sql/pglite";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultRuleSet } from "../../core/engine-default.js";
import type { RuleSet } from "../../core/rules/schema.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { createTokenAuth, sha256Hex, type Role } from "../http/auth.js";
import { createRiskJob } from "../risk/job.js";
import { createOpsRoutes } from "../ops/routes.js";
import { createRuleHitsSink } from "../ops/sinks.js";
import { envelope } from "../bus/envelope.js";
import { createLocalArchive } from "../stores/local-archive.js";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { createSqlSummaryStore } from "../stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../stores/sql-verdict-store.js";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { archiveEvents, fixtureEvents, liveRecords } from "../testing/rule-traffic.js";
import { createRuleMetrics } from "./metrics.js";
import { createRuleService } from "./service.js";
import type { SqlClient } from "../ports/index.js";
import type { ActiveRuleSets, ReferenceTarget } from "../reference/target.js";
import { sqlProbe } from "../ports/index.js";

// The rules API end to end in one process: registry and labels in PGlite (migration 018 applied
// by the real migrator), archived events in a local folder written as the archive sink writes
// them, publication to a recording target, live hits through the real sink handler.

const NOW = Date.parse("2026-03-02T20:00:00Z");
const TOKENS: Record<Role, string> = { reference: "tok-r-reference-0123456789", viewer: "tok-r-viewer-0123456789", analyst: "tok-r-analyst-0123456789", admin: "tok-r-admin-0123456789" };
const FROM = "2026-03-02T00:00:00Z";
const TO = "2026-03-03T00:00:00Z";

const bigAmount = { id: "big-amount", description: "500 USD or more", reason_code: "BIG_AMOUNT", score: 60, when: { feature: "amount_usd", op: ">=", value: 500 } } as const;
const cardTesting = { id: "card-testing", description: "3 or more within 1 minute", reason_code: "CARD_TESTING", score: 90, when: { feature: "tx_count_1min", op: ">=", value: 3 } } as const;
const ACTIVE: RuleSet = { version: "rs-active-1", description: "big amounts only", rules: [bigAmount] };
const NEW: RuleSet = { version: "rs-new-2", rules: [cardTesting, bigAmount] };

let db: PGlite;
let sql: SqlClient;
let root: string;
let app: ReturnType<typeof createOpsRoutes>;
const published: ActiveRuleSets[] = [];
let failPublish = false;

beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  await applySqlMigrations(sql, MIGRATIONS_DIR);
  root = await mkdtemp(join(tmpdir(), "vigil-rules-"));
  const archive = createLocalArchive(root);
  await archiveEvents(archive, fixtureEvents());
  const target: ReferenceTarget = {
    name: "recording",
    apply: async (a) => {
      if (failPublish) throw new Error("target down");
      if ("rules" in a) published.push(a.rules);
    },
  };
  const rules = createRuleService({ sql, target, now: () => NOW, archive });
  const auth = createTokenAuth({ now: () => NOW, bootstrap: (["viewer", "analyst", "admin"] as const).map((role) => ({ name: `${role}-1`, role, sha256: sha256Hex(TOKENS[role]) })) });
  app = createOpsRoutes({
    sql,
    verdicts: createSqlVerdictStore(sql, { now: () => NOW }),
    summaries: createSqlSummaryStore(sql, { closeClient: false }),
    auth,
    riskJob: createRiskJob({ sql, now: () => NOW }),
    now: () => NOW,
    log: { info: () => undefined, error: () => undefined },
    health: { probes: [sqlProbe("pglite", sql)], lag: async () => [], throughputTps: () => 0, sinks: () => ({}), startedAtMs: NOW, now: () => NOW },
    rules,
  });
}, 120_000);
afterAll(async () => {
  await db.close();
  await rm(root, { recursive: true, force: true });
});

const req = (method: string, path: string, token?: string, body?: unknown) =>
  app.request(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
const json = async <T = Record<string, unknown>>(r: Response) => (await r.json()) as T;
const paths = async (r: Response) => (await json<{ error: { code: string; issues?: Array<{ path: string }> } }>(r)).error.issues?.map((i) => i.path) ?? [];

describe("auth: every rules route checks the token and the role", () => {
  const routes: Array<[string, string, Role, unknown?]> = [
    ["POST", "/v1/rules", "admin", ACTIVE],
    ["GET", "/v1/rules", "analyst"],
    ["GET", "/v1/rules/rs-active-1", "analyst"],
    ["POST", "/v1/rules/rs-active-1/backtest", "analyst", { from: FROM, to: TO }],
    ["GET", `/v1/rules/rs-active-1/stats?from=${FROM}&to=${TO}`, "analyst"],
    ["POST", "/v1/rules/rs-active-1/shadow", "admin"],
    ["DELETE", "/v1/rules/shadow", "admin"],
    ["POST", "/v1/rules/rs-active-1/activate", "admin"],
  ];
  it.each(routes)("%s %s needs %s", async (method, path, role, body) => {
    expect((await req(method, path, undefined, body)).status).toBe(401);
    expect((await req(method, path, "not-a-known-token-000000", body)).status).toBe(401);
    const below: Role = role === "admin" ? "analyst" : "viewer";
    const r = await req(method, path, TOKENS[below], body);
    expect(r.status).toBe(403);
    expect((await json<{ error: { code: string } }>(r)).error.code).toBe("FORBIDDEN");
  });
});

describe("POST /v1/rules", () => {
  it("refuses a bad rule set naming each field, and stores nothing", async () => {
    const bad = {
      version: "rs-bad",
      rules: [
        { id: "Bad Id", description: "x", reason_code: "lower", score: 101, when: { feature: "no_such_feature", op: "~", value: 1 } },
        { ...bigAmount, when: { all: [{ attr: "channel", in: ["TELEPATHY"] }] } },
        { ...bigAmount },
      ],
    };
    const r = await req("POST", "/v1/rules", TOKENS.admin, bad);
    expect(r.status).toBe(400);
    expect(await paths(r)).toEqual(expect.arrayContaining(["rules.0.id", "rules.0.reason_code", "rules.0.score", "rules.0.when.feature", "rules.0.when.op", "rules.1.when.all.0.in.0", "rules.2.id"]));
    expect(await paths(await req("POST", "/v1/rules", TOKENS.admin, { ...ACTIVE, version: "has/slash" }))).toEqual(["version"]);
    expect(await paths(await req("POST", "/v1/rules", TOKENS.admin, { rules: [] }))).toEqual(["version"]);
    expect(await paths(await req("POST", "/v1/rules", TOKENS.admin, { ...ACTIVE, extra: 1 }))).toEqual(["(body)"]);
    expect(await paths(await req("POST", "/v1/rules", TOKENS.admin, "{not json"))).toEqual(["(body)"]);
    expect((await json<{ rule_sets: unknown[] }>(await req("GET", "/v1/rules", TOKENS.analyst))).rule_sets).toEqual([]);
  });

  it("stores a version (201), takes the same content again (200), refuses other content under it (409)", async () => {
    const r = await req("POST", "/v1/rules", TOKENS.admin, ACTIVE);
    expect(r.status).toBe(201);
    expect(await json(r)).toMatchObject({ version: "rs-active-1", rule_count: 1, status: "inactive", created_by: "admin-1", created: true });
    const again = await req("POST", "/v1/rules", TOKENS.admin, { rules: ACTIVE.rules, description: ACTIVE.description, version: ACTIVE.version });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ created: false });
    const other = await req("POST", "/v1/rules", TOKENS.admin, { ...ACTIVE, rules: [{ ...bigAmount, score: 70 }] });
    expect(other.status).toBe(409);
    expect((await json<{ error: { code: string } }>(other)).error.code).toBe("RULE_VERSION_EXISTS");
    expect((await req("POST", "/v1/rules", TOKENS.admin, NEW)).status).toBe(201);
  });

  it("lists and reads versions (analyst); unknown 404, bad version 400", async () => {
    const list = await json<{ active_version: null; rule_sets: Array<{ version: string }> }>(await req("GET", "/v1/rules", TOKENS.analyst));
    expect(list.active_version).toBeNull();
    expect(list.rule_sets.map((r) => r.version).sort()).toEqual(["rs-active-1", "rs-new-2"]);
    const one = await json<{ rule_set: RuleSet; events: Array<{ action: string; actor: string }> }>(await req("GET", "/v1/rules/rs-new-2", TOKENS.analyst));
    expect(one.rule_set).toEqual(NEW);
    expect(one.events).toEqual([expect.objectContaining({ action: "CREATE", actor: "admin-1" })]);
    expect((await req("GET", "/v1/rules/nope", TOKENS.analyst)).status).toBe(404);
    expect(await paths(await req("GET", "/v1/rules/bad%20version", TOKENS.analyst))).toEqual(["params.version"]);
  });
});

describe("activate, shadow, rollback", () => {
  it("activates with an audited diff against what the edge ran, and publishes", async () => {
    const r = await req("POST", "/v1/rules/rs-active-1/activate", TOKENS.admin);
    expect(r.status).toBe(200);
    const body = await json<{ previous_version: string; diff: { added: string[]; removed: string[]; changed: string[] } }>(r);
    // Nothing was activated before: the edge's bundled rules are what is replaced.
    expect(body.previous_version).toBe(defaultRuleSet().version);
    expect(body.diff.added).toEqual(["big-amount"]);
    expect(body.diff.removed).toEqual(defaultRuleSet().rules.map((x) => x.id));
    expect(published.at(-1)?.active?.version).toBe("rs-active-1");

    const next = await json(await req("POST", "/v1/rules/rs-new-2/activate", TOKENS.admin));
    expect(next).toMatchObject({ status: "active", previous_version: "rs-active-1", diff: { added: ["card-testing"], removed: [], changed: [] }, published_to: ["recording"] });
    const changedSet = { version: "rs-new-3", rules: [{ ...bigAmount, score: 75 }] };
    expect((await req("POST", "/v1/rules", TOKENS.admin, changedSet)).status).toBe(201);
    expect(await json(await req("POST", "/v1/rules/rs-new-3/activate", TOKENS.admin))).toMatchObject({ diff: { added: [], removed: ["card-testing"], changed: ["big-amount"] } });

    // Rollback = activate the older version.
    const back = await json(await req("POST", "/v1/rules/rs-active-1/activate", TOKENS.admin));
    expect(back).toMatchObject({ previous_version: "rs-new-3", diff: { added: [], removed: [], changed: ["big-amount"] } });
    expect(published.at(-1)?.active?.version).toBe("rs-active-1");
    const events = (await json<{ events: Array<{ action: string; previous_version: string | null; actor: string }> }>(await req("GET", "/v1/rules/rs-active-1", TOKENS.analyst))).events;
    expect(events.map((e) => [e.action, e.previous_version])).toEqual([["CREATE", null], ["ACTIVATE", defaultRuleSet().version], ["ACTIVATE", "rs-new-3"]]);
    expect((await req("POST", "/v1/rules/nope/activate", TOKENS.admin)).status).toBe(404);
  });

  it("a failed publish answers 503 and the same call again re-publishes", async () => {
    failPublish = true;
    const r = await req("POST", "/v1/rules/rs-active-1/activate", TOKENS.admin);
    failPublish = false;
    expect(r.status).toBe(503);
    expect((await json<{ error: { code: string; retriable: boolean } }>(r)).error).toMatchObject({ code: "PUBLISH_FAILED", retriable: true });
    const n = published.length;
    expect((await req("POST", "/v1/rules/rs-active-1/activate", TOKENS.admin)).status).toBe(200);
    expect(published.length).toBe(n + 1);
  });

  it("shadows a set beside the active one (never the active one), in the snapshot too; DELETE stops it", async () => {
    expect((await req("POST", "/v1/rules/rs-active-1/shadow", TOKENS.admin)).status).toBe(409);
    const r = await json(await req("POST", "/v1/rules/rs-new-2/shadow", TOKENS.admin));
    expect(r).toMatchObject({ status: "shadow", previous_version: null, diff: { added: ["card-testing"] } });
    expect(published.at(-1)).toEqual({ active: ACTIVE, shadow: NEW });
    const snap = await json<{ rules_version: string; shadow_rules_version: string; rule_sets: Record<string, unknown> }>(await req("GET", "/v1/reference/snapshot", TOKENS.viewer));
    expect(snap).toMatchObject({ rules_version: "rs-active-1", shadow_rules_version: "rs-new-2" });
    expect(Object.keys(snap.rule_sets).sort()).toEqual(["rs-active-1", "rs-new-2"]);
    expect((await json<{ shadow_version: string }>(await req("GET", "/v1/rules", TOKENS.analyst))).shadow_version).toBe("rs-new-2");
    expect(await json(await req("DELETE", "/v1/rules/shadow", TOKENS.admin))).toEqual({ previous_version: "rs-new-2", published_to: ["recording"] });
    expect(published.at(-1)).toEqual({ active: ACTIVE });
    // Shadow again for the live statistics below.
    expect((await req("POST", "/v1/rules/rs-new-2/shadow", TOKENS.admin)).status).toBe(200);
  });
});

// The CLI backtest fixture, by hand: frauds a2 a3 a4 c1 (b3 labelled legitimate, the rest
// unlabelled = legitimate). card-testing (≥ 3 in a minute) fires on a3 and a4 (the 3rd and 4th of
// card A's burst): 2 hits, both fraud. big-amount (≥ 500 USD) fires on c1 (fraud) and b3 (legit).
const LABELS = [["a2", true], ["a3", true], ["a4", true], ["c1", true], ["b3", false]] as const;

describe("backtest and live statistics", () => {
  beforeAll(async () => {
    const r = await req("POST", "/v1/feedback", TOKENS.analyst, { labels: LABELS.map(([transaction_id, is_fraud]) => ({ transaction_id, is_fraud, source: "CHARGEBACK" })) });
    expect(r.status).toBe(200);
  });

  it("backtests a version over the archived events of the range against the active one, figures as worked out by hand", async () => {
    const r = await req("POST", "/v1/rules/rs-new-2/backtest", TOKENS.analyst, { from: FROM, to: TO });
    expect(r.status).toBe(200);
    const b = await json<Record<string, unknown>>(r);
    expect(b).toMatchObject({ events: 12, labelled: 5, frauds: 4, skipped: 0 });
    expect(b.candidate).toMatchObject({
      version: "rs-new-2",
      overall: { hits: 4, true_positives: 3, false_positives: 1, precision: 0.75, recall: 0.75 },
      rules: [
        { rule_id: "card-testing", hits: 2, true_positives: 2, false_positives: 0, precision: 1, recall: 0.5 },
        { rule_id: "big-amount", hits: 2, true_positives: 1, false_positives: 1, precision: 0.5, recall: 0.25 },
      ],
    });
    expect(b.active).toMatchObject({
      version: "rs-active-1",
      overall: { hits: 2, true_positives: 1, false_positives: 1, precision: 0.5, recall: 0.25 },
      rules: [{ rule_id: "big-amount", hits: 2, true_positives: 1, false_positives: 1, precision: 0.5, recall: 0.25 }],
    });
    // Outside the archived day: nothing to replay.
    const empty = await json<{ events: number; candidate: { overall: { precision: null } } }>(await req("POST", "/v1/rules/rs-new-2/backtest", TOKENS.analyst, { from: "2026-04-01T00:00:00Z", to: "2026-04-02T00:00:00Z" }));
    expect(empty).toMatchObject({ events: 0, candidate: { overall: { hits: 0, precision: null, recall: null } } });
  });

  it("refuses bad backtest and stats input naming the field", async () => {
    expect(await paths(await req("POST", "/v1/rules/rs-new-2/backtest", TOKENS.analyst, { from: TO, to: FROM }))).toEqual(["from"]);
    expect(await paths(await req("POST", "/v1/rules/rs-new-2/backtest", TOKENS.analyst, { from: "yesterday", to: TO }))).toEqual(["from"]);
    expect(await paths(await req("POST", "/v1/rules/rs-new-2/backtest", TOKENS.analyst, { from: FROM, to: "2026-05-01T00:00:00Z" }))).toEqual(["to"]);
    expect(await paths(await req("POST", "/v1/rules/rs-new-2/backtest", TOKENS.analyst, {}))).toEqual(expect.arrayContaining(["from", "to"]));
    expect((await req("POST", "/v1/rules/nope/backtest", TOKENS.analyst, { from: FROM, to: TO })).status).toBe(404);
    expect(await paths(await req("GET", `/v1/rules/rs-new-2/stats?to=${TO}`, TOKENS.analyst))).toEqual(["query.from"]);
    expect((await req("GET", `/v1/rules/nope/stats?from=${FROM}&to=${TO}`, TOKENS.analyst)).status).toBe(404);
  });

  it("compares the shadow set with the active one on live traffic: hits, then precision from labels", async () => {
    const records = liveRecords(fixtureEvents(), ACTIVE, NEW);
    // Every active verdict is the active set's: the shadow never decided.
    expect(records.every((r) => r.verdict.rules_version === "rs-active-1")).toBe(true);
    const sink = createRuleHitsSink(sql);
    const batch = { messages: records.map((r, i) => ({ value: envelope("vigil.scored-event", r, r.received_at), position: { topic: "fraud-verdicts", partition: 0, offset: String(i) }, key: r.event.card_number_hash })) };
    await sink(batch as never);
    await sink(batch as never); // redelivered: nothing counted twice
    const r = await req("GET", `/v1/rules/rs-new-2/stats?from=${FROM}&to=${TO}`, TOKENS.analyst);
    expect(r.status).toBe(200);
    const s = await json<Record<string, unknown>>(r);
    expect(s).toMatchObject({
      roles: ["shadow"],
      version_figures: { evaluated: 12, hits: 4, labelled_hits: 4, fraud_hits: 3, precision: 0.75 },
      active_figures: { evaluated: 12, hits: 2, labelled_hits: 2, fraud_hits: 1, precision: 0.5, versions: ["rs-active-1"] },
    });
    const rules = (s.version_figures as { rules: Array<{ rule_id: string; hits: number; precision: number }> }).rules;
    expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ rule_id: "card-testing", hits: 2, labelled: 2, frauds: 2, precision: 1 }), expect.objectContaining({ rule_id: "big-amount", hits: 2, frauds: 1, precision: 0.5 })]));
  });

  it("exposes per-rule statistics of the active set in /metrics (rule_id labels only)", async () => {
    const registry = new Registry();
    createRuleMetrics(registry, sql, { now: () => NOW });
    const text = await registry.metrics();
    expect(text).toContain('vigil_rule_hits_1d{rule_id="big-amount"} 2');
    expect(text).toContain('vigil_rule_precision_30d{rule_id="big-amount"} 0.5');
    expect(text).toContain('vigil_rule_labelled_hits_30d{rule_id="big-amount"} 2');
    expect(text).toMatch(/vigil_rule_decided_share_1d\{rule_id="big-amount"\} [0-9.]+/);
    // The shadow's rule is not an active rule: no series for it.
    expect(text).not.toContain('rule_id="card-testing"');
  });

  it("before any activation, reports the edge's bundled rules (zeros, precision unknown)", async () => {
    const fresh = new PGlite();
    const client = pgliteSqlClient(fresh);
    await applySqlMigrations(client, MIGRATIONS_DIR);
    const registry = new Registry();
    createRuleMetrics(registry, client, { now: () => NOW });
    const text = await registry.metrics();
    await fresh.close();
    for (const r of defaultRuleSet().rules) expect(text).toContain(`vigil_rule_hits_1d{rule_id="${r.id}"} 0`);
    // prom-client writes NaN as "Nan"; Prometheus parses either.
    expect(text).toMatch(new RegExp(`vigil_rule_precision_30d\\{rule_id="${defaultRuleSet().rules[0]?.id}"\\} Nan`, "i"));
  });
});
