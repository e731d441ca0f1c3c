import type { BatchHandler } from "../sinks/index.js";
import type { SinkHealth } from "./health.js";

// Each sink handler's own view of its health for GET /v1/health: idle until its first write,
// running after a good write, failing after a retriable error until the next good write.

export interface SinkTracker {
  /** The handler, wrapped so its outcome sets the named sink's state. */
  track(name: string, sink: BatchHandler): BatchHandler;
  states(): Record<string, SinkHealth>;
}

const IDLE: SinkHealth = { state: "idle", last_write_at: null, errors: 0 };

export function createSinkTracker(now: () => number): SinkTracker {
  const states = new Map<string, SinkHealth>();
  return {
    track(name, sink) {
      states.set(name, IDLE);
      return async (batch) => {
        const s = states.get(name) ?? IDLE;
        try {
          await sink(batch);
          states.set(name, { state: "running", last_write_at: new Date(now()).toISOString(), errors: s.errors });
        } catch (e) {
          // Retriable failures leave the sink "failing" until its next good write; poison messages
          // are the consumer's to dead-letter and do not mark the sink down.
          const retriable = !(e instanceof Error && "retriable" in e && (e as { retriable: unknown }).retriable === false);
          states.set(name, { ...s, state: retriable ? "failing" : s.state, errors: s.errors + (retriable ? 1 : 0) });
          throw e;
        }
      };
    },
    states: () => Object.fromEntries(states),
  };
}
