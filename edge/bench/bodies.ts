import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { generateStream } from "../../core/sim/index.js";

// Request bodies for the edge benchmark: the seeded simulator's events (legitimate and fraud, many
// cards interleaved in event-time order), shifted so the newest is a minute old (the edge refuses
// events from the future and older than MAX_EVENT_AGE_DAYS), one JSON per line with "__TX__" where
// load.lua puts a fresh transaction id.

export interface BodiesOptions {
  cards: number;
  events: number;
  seed: number;
  /** Event-time span of the whole file, roughly. */
  spanHours: number;
  nowMs: number;
}

export async function writeBodies(path: string, o: BodiesOptions): Promise<{ events: number; cards: number }> {
  const meanGapSeconds = Math.max(1, (o.cards * o.spanHours * 3600) / o.events);
  const events = [
    ...generateStream({
      seed: o.seed,
      cards: o.cards,
      events: o.events,
      startMs: o.nowMs - o.spanHours * 3_600_000,
      fraudRate: 0.01,
      meanGapSeconds,
    }),
  ];
  const last = Date.parse(events[events.length - 1]?.event.timestamp_utc ?? new Date(o.nowMs).toISOString());
  const shift = o.nowMs - 60_000 - last;
  const out = createWriteStream(path);
  const cards = new Set<string>();
  for (const { event } of events) {
    cards.add(event.card_number_hash);
    const body = JSON.stringify({
      ...event,
      transaction_id: "bench-__TX__",
      timestamp_utc: new Date(Date.parse(event.timestamp_utc) + shift).toISOString(),
    });
    if (!out.write(body + "\n")) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return { events: events.length, cards: cards.size };
}

/**
 * Batch bodies from a single-event bodies file: `size` consecutive events per line as
 * {"transactions":[…]}, item k's id "bench-__TX__-k" (load.lua puts one fresh prefix per request).
 */
export async function writeBatchBodies(singleFile: string, path: string, size: number): Promise<{ batches: number }> {
  const { readFileSync } = await import("node:fs");
  const lines = readFileSync(singleFile, "utf8").split("\n").filter((l) => l !== "");
  const out = createWriteStream(path);
  let batches = 0;
  for (let i = 0; i + size <= lines.length; i += size) {
    const items = lines.slice(i, i + size).map((l, k) => l.replace("bench-__TX__", `bench-__TX__-${k}`));
    if (!out.write(`{"transactions":[${items.join(",")}]}\n`)) await once(out, "drain");
    batches++;
  }
  out.end();
  await once(out, "finish");
  return { batches };
}
