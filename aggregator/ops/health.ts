import type { z } from "zod";
import type { HealthProbe, ProbeResult } from "../ports/index.js";
import type { HealthResponseSchema, SinkHealthSchema } from "./schemas.js";

// GET /v1/health: one probe per dependency, each timed and bounded, so the embedded profile
// (PGlite, in-process bus) reports its own dependencies through the same shape as the stack.
// healthy: everything answers; degraded: a dependency or a sink is down but the aggregator still
// accepts and keeps events (the bus holds them); unhealthy: a critical dependency (the bus) is down.

export type SinkHealth = z.infer<typeof SinkHealthSchema>;
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

export interface LagEntry {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

export interface HealthSources {
  probes: HealthProbe[];
  lag: () => Promise<LagEntry[]>;
  throughputTps: () => number;
  sinks: () => Record<string, SinkHealth>;
  startedAtMs: number;
  now: () => number;
  /** Per probe; a probe that takes longer counts as down. */
  timeoutMs?: number;
}

/** Sink states that mean the sink is keeping up. */
const GOOD_SINK_STATES = new Set(["running", "ok", "idle"]);

async function timed(p: HealthProbe, now: () => number, timeoutMs: number) {
  const t0 = now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    const r = await Promise.race([p.check().catch((e: unknown) => ({ ok: false, detail: (e as Error).message })), timeout]);
    return { ...r, latency_ms: Math.max(0, now() - t0) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(src: HealthSources): Promise<HealthResponse> {
  const timeoutMs = src.timeoutMs ?? 2000;
  const reasons: string[] = [];
  const [results, lag] = await Promise.all([
    Promise.all(src.probes.map(async (p) => ({ p, r: await timed(p, src.now, timeoutMs) }))),
    src.lag().then(
      (l) => ({ ok: true as const, l }),
      (e: unknown) => ({ ok: false as const, error: (e as Error).message }),
    ),
  ]);
  let unhealthy = false;
  const dependencies: HealthResponse["dependencies"] = {};
  let hotLatency: number | null = null;
  for (const { p, r } of results) {
    dependencies[p.name] = { ok: r.ok, latency_ms: Math.round(r.latency_ms * 100) / 100, ...(r.detail ? { detail: r.detail } : {}) };
    if (p.hotStore && r.ok) hotLatency = dependencies[p.name]?.latency_ms ?? null;
    if (!r.ok) {
      reasons.push(`DEPENDENCY_DOWN:${p.name}`);
      if (p.critical) unhealthy = true;
    }
  }
  const byGroup: Record<string, number> = {};
  if (lag.ok) for (const e of lag.l) byGroup[e.group] = (byGroup[e.group] ?? 0) + e.lag;
  else reasons.push("LAG_UNKNOWN");
  const sinks = src.sinks();
  for (const [name, s] of Object.entries(sinks)) if (!GOOD_SINK_STATES.has(s.state)) reasons.push(`SINK_${s.state.toUpperCase()}:${name}`);
  return {
    status: unhealthy ? "unhealthy" : reasons.length > 0 ? "degraded" : "healthy",
    kafka_lag: Object.values(byGroup).reduce((a, b) => a + b, 0),
    kafka_lag_by_group: byGroup,
    cassandra_latency_ms: hotLatency,
    throughput_tps: Math.round(src.throughputTps() * 100) / 100,
    uptime_seconds: Math.floor((src.now() - src.startedAtMs) / 1000),
    sinks,
    dependencies,
    reasons,
  };
}

/**
 * Events per second over a sliding window, from a monotonically increasing total (e.g. the ingest
 * counter). Sampled on every read and by `tick`; the first read after start answers 0.
 */
export function createRateMeter(total: () => number, now: () => number, windowMs = 60_000) {
  const samples: Array<[number, number]> = [];
  const tick = () => {
    const t = now();
    samples.push([t, total()]);
    while (samples.length > 2 && (samples[0]?.[0] ?? t) < t - windowMs) samples.shift();
  };
  return {
    tick,
    rate(): number {
      tick();
      const first = samples[0];
      const last = samples[samples.length - 1];
      if (!first || !last || last[0] <= first[0]) return 0;
      return Math.max(0, ((last[1] - first[1]) * 1000) / (last[0] - first[0]));
    },
  };
}
