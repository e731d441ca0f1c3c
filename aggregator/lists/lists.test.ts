import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { createSqlSummaryStore } from "../stores/sql-summary-store.js";
import { createSqlVerdictStore } from "../stores/sql-verdict-store.js";
import { createTokenAuth, sha256Hex, type Role } from "../http/auth.js";
import { scoredEvent } from "../testing/ops-fixtures.js";
import { createRiskJob, type RiskJob } from "../risk/job.js";
import { createOpsRoutes } from "../ops/routes.js";
import { createReviewCases } from "../cases/intake.js";
import { insertScoredTransactions } from "../ops/sinks.js";
import { listEventsOf } from "./lists.js";
import { ReferenceSnapshotSchema } from "../../core/contracts/reference.js";
import type { SqlClient } from "../ports/index.js";
import type { ReferenceDelta } from "../reference/target.js";
import { sqlProbe } from "../ports/index.js";

// The allow/block list API on PGlite: auth and bad input of each route, idempotent writes with an
// audit trail, publication to the edge (a recording target: the Redis layout is exercised in
// tests/workers/lists.test.ts), expiry pruning at publish time, and add_to_list in decisions.

const T0 = Date.parse("2026-06-30T12:00:00Z");
let now = T0;
const iso = (ms: number) => new Date(ms).toISOString();
const TOKENS: Record<Role, string> = { reference: "tok-l-reference-0123456789", viewer: "tok-l-viewer-0123456789", analyst: "tok-l-analyst-0123456789", admin: "tok-l-admin-0123456789" };
const PAN = "4111111111111111";

let db: PGlite;
let sql: SqlClient;
let app: ReturnType<typeof createOpsRoutes>;
let riskJob: RiskJob;
const deltas: ReferenceDelta[] = [];
const logs: string[] = [];

beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  await applySqlMigrations(sql, MIGRATIONS_DIR);
  const auth = createTokenAuth({ sql, now: () => now, bootstrap: (["viewer", "analyst", "admin"] as const).map((role) => ({ name: `${role}-alice`, role, sha256: sha256Hex(TOKENS[role]) })) });
  const verdicts = createSqlVerdictStore(sql, { now: () => now });
  riskJob = createRiskJob({ sql, target: { name: "recorder", apply: async (p) => void ("risk" in p && deltas.push(p.risk)) }, now: () => now });
  app = createOpsRoutes({
    sql, verdicts, auth, riskJob, now: () => now,
    summaries: createSqlSummaryStore(sql, { closeClient: false }),
    log: { info: (code, f) => logs.push(JSON.stringify({ code, ...f })), error: (code, f) => logs.push(JSON.stringify({ code, ...f })) },
    health: { probes: [sqlProbe("postgres", sql, { hotStore: true })], lag: async () => [], throughputTps: () => 0, sinks: () => ({}), startedAtMs: T0, now: () => now },
  });
  const withDevice = scoredEvent({ id: "TXN-L1", verdict: "REVIEW", card: "card-hash-list-1", merchant: "MCH-L1", at: iso(T0 - 3_600_000) });
  withDevice.event.device_fingerprint = "dev-fp-list-1";
  const recs = [withDevice, scoredEvent({ id: "TXN-L2", verdict: "REVIEW", card: "card-hash-list-2", at: iso(T0 - 1_800_000) })];
  await verdicts.putVerdicts(recs);
  await insertScoredTransactions(sql, recs);
  await createReviewCases(sql, recs, iso(T0));
}, 240_000);
afterAll(async () => {
  await riskJob.stop();
  await db.close();
});

const req = (method: string, path: string, token?: string, body?: unknown, raw?: string) =>
  app.request(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {}) },
    ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
type Issues = { error: { code: string; issues?: Array<{ path: string; message: string }> } };
const issuesOf = async (res: Response) => {
  expect(res.status).toBe(400);
  const b = (await res.json()) as Issues;
  expect(b.error.code).toBe("VALIDATION_FAILED");
  return (b.error.issues ?? []).map((i) => i.path);
};
const A = TOKENS.analyst;

describe("auth", () => {
  const routes: Array<[string, string, unknown?]> = [
    ["GET", "/v1/lists/allow-device/entries"],
    ["POST", "/v1/lists/allow-device/entries", { value: "dev-auth", reason: "auth" }],
    ["DELETE", "/v1/lists/allow-device/entries?value=dev-auth"],
  ];
  for (const [method, path, body] of routes) {
    it(`${method} ${path}: 401 without or with an unknown token, 403 for a viewer, allowed for analyst and admin`, async () => {
      expect((await req(method, path, undefined, body)).status).toBe(401);
      expect((await req(method, path, "tok-unknown-0123456789", body)).status).toBe(401);
      expect((await req(method, path, TOKENS.viewer, body)).status).toBe(403);
      expect([200, 201]).toContain((await req(method, path, A, body)).status);
      expect([200, 201, 404]).toContain((await req(method, path, TOKENS.admin, body)).status);
    });
  }
});

describe("bad input names the field, and nothing is written", () => {
  it("unknown list, bad values, card numbers, past expiry, unknown fields", async () => {
    expect(await issuesOf(await req("GET", "/v1/lists/block-people/entries", A))).toEqual(["params.list"]);
    expect(await issuesOf(await req("POST", "/v1/lists/greylist/entries", A, { value: "x", reason: "r" }))).toEqual(["params.list"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-bin/entries", A, { value: "41111", reason: "short" }))).toEqual(["value"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, { value: PAN, reason: "raw" }))).toEqual(["value"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, { value: "card-x", reason: `customer ${PAN}` }))).toEqual(["reason"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, { value: "card x", reason: "space" }))).toEqual(["value"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, { value: "card-x", reason: "  " }))).toEqual(["reason"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, { value: "card-x", reason: "r", expires_at: iso(now - 1000) }))).toEqual(["expires_at"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, { value: "card-x", reason: "r", expires_at: "tomorrow" }))).toEqual(["expires_at"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, { value: "card-x", reason: "r", author: "mallory" }))).toEqual(["(body)"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, undefined, "{not json"))).toEqual(["(body)"]);
    const batch = { entries: [{ value: "card-ok", reason: "r" }, { value: "c", reason: "" }] };
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, batch))).toEqual(["entries.1.reason"]);
    const dup = { entries: [{ value: "card-ok", reason: "r" }, { value: "card-ok", reason: "again" }, { value: "card y", reason: "r" }] };
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, dup))).toEqual(["entries.1.value", "entries.2.value"]);
    expect(await issuesOf(await req("POST", "/v1/lists/block-card/entries", A, { entries: [] }))).toEqual(["entries"]);
    expect(await issuesOf(await req("GET", "/v1/lists/block-card/entries?limit=0", A))).toEqual(["query.limit"]);
    expect(await issuesOf(await req("DELETE", "/v1/lists/block-card/entries", A))).toEqual(["query.value"]);
    const list = (await (await req("GET", "/v1/lists/block-card/entries?include_expired=true", A)).json()) as { entries: unknown[] };
    expect(list.entries).toEqual([]);
    expect(logs.join("\n")).not.toContain(PAN);
  });
});

describe("writes: idempotent, audited, published", () => {
  it("creates (201, author from the token), repeats unchanged (200), updates, deletes; each change in the audit trail", async () => {
    const first = await req("POST", "/v1/lists/block-card/entries", A, { value: "card-hash-bad-1", reason: "confirmed fraud ring" });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ created: 1, updated: 0, unchanged: 0, entries: [{ list: "block-card", value: "card-hash-bad-1", author: "analyst-alice", expires_at: null, expired: false }] });
    const again = await req("POST", "/v1/lists/block-card/entries", A, { value: "card-hash-bad-1", reason: "confirmed fraud ring" });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    const until = iso(now + 86_400_000);
    const upd = await req("POST", "/v1/lists/block-card/entries", TOKENS.admin, { value: "card-hash-bad-1", reason: "ring, one day", expires_at: until });
    expect(await upd.json()).toMatchObject({ updated: 1, entries: [{ author: "analyst-alice", updated_by: "admin-alice", expires_at: until }] });
    const got = (await (await req("GET", "/v1/lists/block-card/entries?value=card-hash-bad-1", A)).json()) as { entries: Array<{ reason: string }> };
    expect(got.entries.map((e) => e.reason)).toEqual(["ring, one day"]);
    const del = await req("DELETE", "/v1/lists/block-card/entries?value=card-hash-bad-1", A);
    expect(del.status).toBe(200);
    expect((await req("DELETE", "/v1/lists/block-card/entries?value=card-hash-bad-1", A)).status).toBe(404);
    const events = await listEventsOf(sql, "block-card", "card-hash-bad-1");
    expect(events.map((e) => [e.action, e.actor, e.source, e.reason, e.previous_reason])).toEqual([
      ["ADD", "analyst-alice", "api", "confirmed fraud ring", null],
      ["UPDATE", "admin-alice", "api", "ring, one day", "confirmed fraud ring"],
      ["DELETE", "analyst-alice", "api", null, "ring, one day"],
    ]);
  });

  it("a batch is applied whole; pages by value", async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ value: `MCH-B${i}`, reason: "bulk" }));
    const res = await req("POST", "/v1/lists/allow-merchant/entries", A, { entries });
    expect(await res.json()).toMatchObject({ created: 5 });
    const p1 = (await (await req("GET", "/v1/lists/allow-merchant/entries?limit=3", A)).json()) as { entries: Array<{ value: string }>; next_cursor: string };
    expect(p1.entries.map((e) => e.value)).toEqual(["MCH-B0", "MCH-B1", "MCH-B2"]);
    const p2 = (await (await req("GET", `/v1/lists/allow-merchant/entries?limit=3&cursor=${p1.next_cursor}`, A)).json()) as { entries: Array<{ value: string }>; next_cursor: string | null };
    expect(p2.entries.map((e) => e.value)).toEqual(["MCH-B3", "MCH-B4"]);
    expect(p2.next_cursor).toBeNull();
  });

  it("publishes entries in force, prunes them once expired (no deploy), and the snapshot follows", async () => {
    await riskJob.run();
    deltas.length = 0;
    const until = iso(now + 3_600_000);
    await req("POST", "/v1/lists/block-bin/entries", A, { value: "4111119", reason: "compromised BIN", expires_at: until });
    await req("POST", "/v1/lists/allow-card/entries", A, { value: "card-hash-vip", reason: "VIP, verified" });
    await riskJob.run();
    const d = deltas.at(-1);
    expect(d?.lists?.set).toEqual({ block: { "bin:4111119": until }, allow: { "card:card-hash-vip": "" } });
    let snap = ReferenceSnapshotSchema.parse(await (await req("GET", "/v1/reference/snapshot", TOKENS.viewer)).json());
    expect(snap.lists?.["block-bin"]).toEqual({ "4111119": until });
    expect(snap.lists?.["allow-card"]).toEqual({ "card-hash-vip": null });
    expect(snap.lists?.["allow-merchant"]).toMatchObject({ "MCH-B0": null });

    now += 3_600_000; // the BIN entry's expiry
    await riskJob.run();
    expect(deltas.at(-1)?.lists).toMatchObject({ del: { block: ["bin:4111119"], allow: [] }, changes: 1 });
    snap = ReferenceSnapshotSchema.parse(await (await req("GET", "/v1/reference/snapshot", TOKENS.viewer)).json());
    expect(snap.lists?.["block-bin"]).toBeUndefined();
    const shown = (await (await req("GET", "/v1/lists/block-bin/entries", A)).json()) as { entries: unknown[] };
    expect(shown.entries).toEqual([]);
    const all = (await (await req("GET", "/v1/lists/block-bin/entries?include_expired=true", A)).json()) as { entries: Array<{ expired: boolean }> };
    expect(all.entries).toMatchObject([{ expired: true }]);
    deltas.length = 0;
    await riskJob.run();
    expect(deltas).toEqual([]); // nothing changed: nothing sent
  });
});

describe("a case decision adds to a list in the same transaction", () => {
  const caseOf = async (tx: string) => (await sql.query<{ case_id: number }>("SELECT case_id::float8 AS case_id FROM fraud_ops.review_cases WHERE transaction_id = $1", [tx])).rows[0]?.case_id ?? -1;

  it("refuses a bad add_to_list (400 naming the field) before anything changes", async () => {
    const id = await caseOf("TXN-L1");
    expect(await issuesOf(await req("POST", `/v1/review/cases/${id}/decision`, TOKENS.admin, { decision: "FRAUD", note: "n", add_to_list: { list: "block-person" } }))).toEqual(["add_to_list.list"]);
    expect(await issuesOf(await req("POST", `/v1/review/cases/${id}/decision`, TOKENS.admin, { decision: "FRAUD", note: "n", add_to_list: { list: "block-card", expires_at: iso(now - 1) } }))).toEqual(["add_to_list.expires_at"]);
  });

  it("rolls the decision back when the case has no value for the list (409), then decides and lists the device", async () => {
    const id = await caseOf("TXN-L1");
    expect((await req("POST", `/v1/review/cases/${id}/claim`, A)).status).toBe(200);
    const noIp = await req("POST", `/v1/review/cases/${id}/decision`, A, { decision: "FRAUD", note: "stolen", add_to_list: { list: "block-ip" } });
    expect(noIp.status).toBe(409);
    expect(((await noIp.json()) as Issues).error.code).toBe("LIST_VALUE_UNAVAILABLE");
    const still = (await (await req("GET", `/v1/review/cases/${id}`, A)).json()) as { case: { status: string } };
    expect(still.case.status).toBe("CLAIMED");
    expect((await sql.query("SELECT 1 FROM fraud_ops.labels WHERE transaction_id = 'TXN-L1'")).rows).toEqual([]);

    const res = await req("POST", `/v1/review/cases/${id}/decision`, A, { decision: "FRAUD", note: "stolen", add_to_list: { list: "block-device" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { case: { status: string }; label_version: number; list_entry: Record<string, unknown> };
    expect(body.case.status).toBe("DECIDED");
    expect(body.label_version).toBe(1);
    expect(body.list_entry).toMatchObject({ list: "block-device", value: "dev-fp-list-1", author: "analyst-alice", reason: `case ${id} decided FRAUD: stolen` });
    expect((await listEventsOf(sql, "block-device", "dev-fp-list-1")).map((e) => e.source)).toEqual([`case:${id}`]);
  });

  it("adds the case's card or merchant from the case row", async () => {
    const id = await caseOf("TXN-L2");
    const res = await req("POST", `/v1/review/cases/${id}/decision`, TOKENS.admin, { decision: "LEGIT", note: "customer confirmed", add_to_list: { list: "allow-card", reason: "verified by phone", expires_at: iso(now + 30 * 86_400_000) } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { list_entry: unknown }).list_entry).toMatchObject({ list: "allow-card", value: "card-hash-list-2", reason: "verified by phone" });
  });
});
