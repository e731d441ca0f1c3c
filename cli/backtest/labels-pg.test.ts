import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLabel, type LabelWrite } from "../../aggregator/risk/labels.js";
import { openPglite } from "../../aggregator/stores/open.js";
import { MIGRATIONS_DIR } from "../../aggregator/testing/paths.js";
import { runBacktest } from "../commands/backtest.js";
import { readPgLabels } from "./labels-pg.js";
import type { SqlClient } from "../../aggregator/ports/index.js";

// The fixture's labels written through the ops label path into an embedded PostgreSQL (PGlite,
// the real migrations), then read back by the backtest.
const dir = join(dirname(fileURLToPath(import.meta.url)), "../testing/backtest");
const fx = (f: string) => join(dir, f);
let dataDir: string;
let client: SqlClient;

const label = (transaction_id: string, is_fraud: boolean): LabelWrite => ({ transaction_id, is_fraud, source: "CHARGEBACK", actor: "test" });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "vigil-backtest-pg-"));
  client = (await openPglite(dataDir, MIGRATIONS_DIR)).client;
  // c1 first reported legitimate, then a chargeback: the current version (fraud) counts.
  for (const l of [label("a2", true), label("a3", true), label("a4", true), label("c1", false), label("b3", false), label("zz-not-replayed", true)]) {
    await client.transaction((tx) => writeLabel(tx, l, "2026-03-20T00:00:00Z"));
  }
  await client.transaction((tx) => writeLabel(tx, label("c1", true), "2026-03-25T00:00:00Z"));
}, 180_000); // every migration on PGlite: seconds on an idle machine, much longer on a busy one

afterAll(async () => {
  await client?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("--labels-pg", () => {
  it("reads the current label of the asked transactions only", async () => {
    const labels = await readPgLabels(client, ["a2", "c1", "b3", "nope"]);
    expect([...labels].sort()).toEqual([["a2", true], ["b3", false], ["c1", true]]);
  });

  it("gives the CSV labels' figures", async () => {
    const common = { events: fx("events.jsonl"), rules: fx("rules.json"), config: fx("config.json") };
    const fromCsv = await runBacktest({ ...common, labels: fx("labels.csv") });
    const fromPg = await runBacktest({ ...common, labelsSql: client });
    expect(fromPg.report).toEqual(fromCsv.report);
  });

  it("wants exactly one label source", async () => {
    await expect(runBacktest({ events: fx("events.jsonl"), labels: fx("labels.csv"), labelsSql: client })).rejects.toThrow(/one of --labels and --labels-pg/);
  });
});
