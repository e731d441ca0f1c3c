import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { RawTransaction } from "../../aggregator/ports/index.js";
import { archiveKey } from "../../aggregator/sinks/archive-sink.js";
import { RAW_TRANSACTION_COLUMNS, toParquet, type Positioned } from "../../aggregator/sinks/parquet.js";
import { createLocalArchive } from "../../aggregator/stores/local-archive.js";
import { runBacktest } from "../commands/backtest.js";
import { parseEventsJsonl } from "./inputs.js";
import { RAW_PREFIX, readArchiveEvents } from "../../aggregator/stores/archive-events.js";

// The fixture's 12 good events written as the archive sink writes raw/transactions/ (one file
// per event hour), read back: the same replay, so the same figures as from the JSONL file.
const dir = join(dirname(fileURLToPath(import.meta.url)), "../testing/backtest");
const fx = (f: string) => join(dir, f);

async function archiveOfFixture(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), "vigil-backtest-archive-"));
  const archive = createLocalArchive(root);
  const { events } = parseEventsJsonl(readFileSync(fx("events.jsonl"), "utf8"));
  const rows: Array<Positioned<RawTransaction>> = events.map((event, i) => ({
    payload: { event, region: "eu", received_at: event.timestamp_utc },
    position: { topic: "raw-transactions", partition: 0, offset: String(i) },
  }));
  const byKey = new Map<string, Array<Positioned<RawTransaction>>>();
  for (const r of rows) {
    const key = archiveKey(RAW_PREFIX, r.payload.event.timestamp_utc, 0, "0");
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  for (const [key, list] of byKey) await archive.put(key, toParquet(RAW_TRANSACTION_COLUMNS, list), "application/vnd.apache.parquet");
  // A retried batch's leftover: a row again at the same log position, in another file of its hour.
  const first = rows[0]!;
  await archive.put(archiveKey(RAW_PREFIX, first.payload.event.timestamp_utc, 0, "99"), toParquet(RAW_TRANSACTION_COLUMNS, [first]), "application/vnd.apache.parquet");
  return root;
}

describe("--archive", () => {
  it("reads raw/transactions back as the events that were written, dropping repeated log positions", async () => {
    const root = await archiveOfFixture();
    const r = await readArchiveEvents(createLocalArchive(root));
    expect(r).toMatchObject({ duplicates: 1, bad: [] });
    const written = parseEventsJsonl(readFileSync(fx("events.jsonl"), "utf8")).events;
    // Parquet keeps milliseconds: the same instant comes back as …00.000Z.
    const byId = (xs: typeof written) =>
      xs.map((e) => ({ ...e, timestamp_utc: new Date(e.timestamp_utc).toISOString() })).sort((a, b) => (a.transaction_id < b.transaction_id ? -1 : 1));
    expect(byId(r.events)).toEqual(byId(written));
  });

  it("gives the JSONL file's figures (no bad lines), and prunes hour folders by --from/--to", async () => {
    const archive = await archiveOfFixture();
    const common = { labels: fx("labels.csv"), rules: fx("rules.json"), config: fx("config.json") };
    const fromFile = await runBacktest({ ...common, events: fx("events.jsonl") });
    const fromArchive = await runBacktest({ ...common, archive });
    expect(fromArchive.report).toEqual({ ...fromFile.report, skipped: 0 });
    const window = await runBacktest({ ...common, archive, from: "2026-03-02T10:00:15Z", to: "2026-03-02T16:00:00Z" });
    // Hour folders 10:00–15:00 only: a3, a4, c1, b2, c2, d2; a1 and a2 sit in the 10:00 folder and are cut by the replay.
    expect(window.report).toMatchObject({ events: 6, outOfRange: 2 });
  });

  it("wants exactly one event source", async () => {
    await expect(runBacktest({ labels: fx("labels.csv") })).rejects.toThrow(/one of --events and --archive/);
  });
});
