import type { ResidencyZone, ScoredEvent } from "../core/schemas.js";
import { createSharedSender, type SharedSender } from "./queue-sender.js";

// Where a CardState object's outbox rows go: the queue of the card's residency zone and of the
// region that received the event. The objects run in ONE Worker for every region (vigil-card-state),
// so that Worker binds each region's scored-events queue as SCORED_EVENTS_<REGION> and the EU queue
// as SCORED_EVENTS_EU (wrangler.toml [env.state]); local dev and tests bind SCORED_EVENTS only.

export interface OutboxRow {
  seq: number;
  zone: ResidencyZone;
  record: ScoredEvent;
  /** What the queue counts for the record (its JSON bytes + per-message overhead). */
  size: number;
  /** A send carrying this row is in flight: nobody else sends it meanwhile. */
  inflight: boolean;
}

const isQueue = (v: unknown): v is Queue<ScoredEvent> => typeof v === "object" && v !== null && typeof (v as { sendBatch?: unknown }).sendBatch === "function";

/** Binding name of a region's queue: SCORED_EVENTS_<REGION upper-cased, non-alphanumerics as _>. */
export function regionalBinding(region: string): string {
  return `SCORED_EVENTS_${region.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** The queue binding for a row and its name (for logs); undefined when the env binds none. */
export function queueFor(env: Record<string, unknown>, zone: OutboxRow["zone"], region: string): { name: string; queue: Queue<ScoredEvent> } | undefined {
  const names = [...(zone === "eu" ? ["SCORED_EVENTS_EU"] : []), regionalBinding(region), "SCORED_EVENTS"];
  for (const name of names) {
    const q = env[name];
    if (isQueue(q)) return { name, queue: q };
  }
  return undefined;
}

/** Delay before the outbox retries after `failures` failed sends in a row: 5 s doubling, capped at 10 min. */
export function outboxRetryMs(failures: number): number {
  return Math.min(600_000, 5_000 * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}

/**
 * One object's sharing senders, one per queue binding: rows the object commits while its send is
 * in flight go out together in its next sendBatch. Per object, not per isolate: waiting on another
 * object's send costs a cross-context promise resolution per waiter in workerd, more than the
 * subrequest it saves (measured with npm run bench:edge).
 */
export class OutboxSenders {
  private readonly senders = new Map<Queue<ScoredEvent>, SharedSender>();

  for(queue: Queue<ScoredEvent>): SharedSender {
    let s = this.senders.get(queue);
    if (!s) {
      s = createSharedSender(queue);
      this.senders.set(queue, s);
    }
    return s;
  }
}
