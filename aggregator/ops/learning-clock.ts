import type { Logger } from "../../core/contracts/logger.js";
import type { SqlQueryable } from "../ports/index.js";
import type { OpsConfig } from "./config.js";

// The learning loop's clock (OPS_LEARNING_CLOCK, see config.ts): the wall clock, or the event-time
// watermark of the transactions stored for the label job, so a replay of history labels, windows
// and trains as if it were happening now.

export interface LearningClock {
  now: () => number;
  /** Feeds the watermark (the risk-facts sink's event times); absent on the wall clock. */
  advance?: (eventMs: number) => void;
  /** Calls `ready` once the clock can be read: at once on the wall clock, after the stored watermark is restored on event time. */
  whenReady(sql: SqlQueryable, log: Pick<Logger, "error">, ready: () => void): void;
}

export function createLearningClock(mode: OpsConfig["learningClock"], now: () => number): LearningClock {
  if (mode !== "events") return { now, whenReady: (_sql, _log, ready) => ready() };
  let watermarkMs = Number.NEGATIVE_INFINITY;
  const advance = (ms: number) => {
    if (ms > watermarkMs) watermarkMs = ms;
  };
  return {
    now: () => (Number.isFinite(watermarkMs) ? watermarkMs : 0),
    advance,
    whenReady(sql, log, ready) {
      // After a restart the watermark is what was stored before it.
      sql
        .query<{ t: string | Date | null }>("SELECT max(event_time) AS t FROM fraud_ops.scored_transactions")
        .then((r) => {
          const t = r.rows[0]?.t;
          if (t !== null && t !== undefined) advance(new Date(t).getTime());
          ready();
        })
        .catch((e: unknown) => log.error("LEARNING_CLOCK_UNAVAILABLE", { error: e instanceof Error ? e.message : String(e) }));
    },
  };
}
