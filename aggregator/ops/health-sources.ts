import type { HealthProbe } from "../ports/index.js";
import type { HealthSources, LagEntry, SinkHealth } from "./health.js";
import type { SinkTracker } from "./sink-tracker.js";

// What GET /v1/health reads, gathered from the running aggregator: the profile's probes plus the
// bus, the consumers' lag and the sinks' states.

/** A running consumer as health sees it (read at request time). */
export interface ObservedConsumer {
  name?: string;
  groupId: string;
  lag(): Promise<Array<{ topic: string; partition: number; lag: number }>>;
  status?(): SinkHealth;
}

export interface HealthInput {
  probes: HealthProbe[];
  consumers: () => ObservedConsumer[];
  sinks: SinkTracker;
  throughputTps: () => number;
  startedAtMs: number;
  now: () => number;
}

export function opsHealthSources(input: HealthInput): HealthSources {
  const lag = async (): Promise<LagEntry[]> => {
    const all = await Promise.all(input.consumers().map(async (c) => (await c.lag()).map((l) => ({ group: c.groupId, ...l }))));
    return all.flat();
  };
  return {
    // The bus answering lag() is what ingest needs: without it nothing is accepted.
    probes: [...input.probes, { name: "bus", critical: true, check: async () => (await lag(), { ok: true }) }],
    lag,
    throughputTps: input.throughputTps,
    // The consumer's own view wins: it sees deadlines and stalls the wrapped handler cannot.
    sinks: () => {
      const out = input.sinks.states();
      for (const c of input.consumers()) if (c.name !== undefined && c.status) out[c.name] = c.status();
      return out;
    },
    startedAtMs: input.startedAtMs,
    now: input.now,
  };
}
