import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR } from "../testing/paths.js";
import { applySqlMigrations } from "../schema/migrate.js";
import { pgliteSqlClient } from "../stores/sql-client.js";
import { MODEL_STATUSES, ModelNotFoundError, ModelTransitionError, nextStatus, type ModelAction } from "./lifecycle.js";
import { activeModels, createTraining, getModel, markFailed, markTrained, modelEvents, promote, shadow, type TrainingCounts } from "./registry.js";
import type { SqlClient } from "../ports/index.js";

const AT = "2026-06-30T12:00:00.000Z";
const COUNTS: TrainingCounts = { rows_read: 10, other_layout: 0, not_matured: 0, labels_after_cutoff: 0, train_rows: 8, train_positives: 2, valid_rows: 2, valid_positives: 1 };
const VALIDATION = { auc_roc: 0.9, average_precision: 0.5, logloss: 0.3, review: { recall: 1, fpr: 0.1, precision: 0.5 }, block: { recall: 0.5, fpr: 0, precision: 1 } };
const THRESHOLDS = { review: 50, block: 80, review_source: "config" as const, block_source: "config" as const };

let db: PGlite;
let sql: SqlClient;
beforeAll(async () => {
  db = new PGlite();
  sql = pgliteSqlClient(db);
  await applySqlMigrations(sql, MIGRATIONS_DIR);
}, 120_000);
afterAll(async () => db.close());

async function trained(version: string): Promise<void> {
  await createTraining(sql, { version, trainFrom: "2026-05-01T00:00:00Z", trainTo: "2026-06-01T00:00:00Z", cutoff: "2026-06-08T00:00:00Z", labelDelayDays: 7, actor: "alice", at: AT });
  await markTrained(sql, version, { artifactKey: `models/${version}.json`, sha256: "ab".repeat(32), featureLayout: "mf1-x", counts: COUNTS, validation: VALIDATION, thresholds: THRESHOLDS }, "alice", AT);
}

describe("lifecycle table", () => {
  it("never leaves failed, and never moves a model back into training", () => {
    const actions: ModelAction[] = ["TRAIN", "TRAINED", "FAIL", "SHADOW", "PROMOTE", "RETIRE", "UNSHADOW"];
    for (const a of actions) expect(nextStatus("failed", a)).toBeUndefined();
    for (const s of MODEL_STATUSES) for (const a of actions) expect(nextStatus(s, a)).not.toBe("training");
    expect(nextStatus("retired", "PROMOTE")).toBe("champion");
    expect(nextStatus("champion", "SHADOW")).toBeUndefined();
  });
});

describe("model registry (PGlite)", () => {
  it("moves training → candidate → shadow → champion, retiring the old champion, with an audit row per move", async () => {
    await trained("m1");
    expect((await promote(sql, "m1", "root", AT)).previous).toBeNull();
    await trained("m2");
    expect((await shadow(sql, "m2", "root", AT)).model.status).toBe("shadow");
    expect(await activeModels(sql)).toMatchObject({ champion: { version: "m1" }, shadow: { version: "m2" } });
    const p = await promote(sql, "m2", "root", AT, "better AP");
    expect(p).toMatchObject({ previous: "m1", model: { status: "champion" } });
    expect((await getModel(sql, "m1"))?.status).toBe("retired");
    const act = await activeModels(sql);
    expect(act.champion?.version).toBe("m2");
    expect(act.shadow).toBeUndefined();
    expect((await modelEvents(sql, "m2")).map((e) => [e.action, e.from_status, e.to_status, e.actor])).toEqual([
      ["TRAIN", null, "training", "alice"],
      ["TRAINED", "training", "candidate", "alice"],
      ["SHADOW", "candidate", "shadow", "root"],
      ["PROMOTE", "shadow", "champion", "root"],
    ]);
    expect((await modelEvents(sql, "m1")).at(-1)).toMatchObject({ action: "RETIRE", from_status: "champion", to_status: "retired", note: "replaced by m2" });
  });

  it("rolls back by promoting a retired version", async () => {
    const p = await promote(sql, "m1", "root", AT, "rollback");
    expect(p.previous).toBe("m2");
    expect((await activeModels(sql)).champion?.version).toBe("m1");
    expect((await getModel(sql, "m2"))?.status).toBe("retired");
  });

  it("puts a displaced shadow back to candidate", async () => {
    await trained("m3");
    await trained("m4");
    await shadow(sql, "m3", "root", AT);
    expect((await shadow(sql, "m4", "root", AT)).previous).toBe("m3");
    expect((await getModel(sql, "m3"))?.status).toBe("candidate");
  });

  it("refuses moves the lifecycle does not allow, changing nothing", async () => {
    await createTraining(sql, { version: "m5", trainFrom: "2026-05-01T00:00:00Z", trainTo: "2026-06-01T00:00:00Z", cutoff: "2026-06-08T00:00:00Z", labelDelayDays: 7, actor: "alice", at: AT });
    await expect(promote(sql, "m5", "root", AT)).rejects.toThrow(/training: promote is not allowed/);
    await markFailed(sql, "m5", "validation slice has no fraud", "system", AT, COUNTS);
    await expect(shadow(sql, "m5", "root", AT)).rejects.toThrow(/failed/);
    await expect(promote(sql, "nope", "root", AT)).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(promote(sql, "m5", "root", AT)).rejects.toBeInstanceOf(ModelTransitionError);
    await expect(shadow(sql, "m1", "root", AT)).rejects.toThrow(/champion/);
    expect(await getModel(sql, "m5")).toMatchObject({ status: "failed", error: "validation slice has no fraud", counts: COUNTS });
    expect((await activeModels(sql)).champion?.version).toBe("m1");
    expect((await modelEvents(sql, "m5")).map((e) => e.action)).toEqual(["TRAIN", "FAIL"]);
  });

  it("keeps one champion even when the index is tested directly", async () => {
    await expect(sql.query("UPDATE fraud_ops.models SET status = 'champion' WHERE version = 'm3'")).rejects.toThrow();
  });
});
