// The health port: every adapter answers one probe of its dependency, timed and bounded by
// GET /v1/health (ops/health.ts). The probes take the client's one call they need, not its type.

export interface ProbeResult {
  ok: boolean;
  detail?: string;
}

export interface HealthProbe {
  name: string;
  /** Without a critical dependency nothing is accepted: unhealthy rather than degraded. */
  critical?: boolean;
  /** The hot store's probe: its latency is reported as cassandra_latency_ms. */
  hotStore?: boolean;
  check(): Promise<ProbeResult>;
}

/** SELECT 1 on PostgreSQL / PGlite. */
export function sqlProbe(name: string, sql: { query(text: string): Promise<unknown> }, opts: Partial<HealthProbe> = {}): HealthProbe {
  return { name, ...opts, check: async () => (await sql.query("SELECT 1"), { ok: true }) };
}

/** The cheapest Cassandra read: the local node's own row. */
export function cassandraProbe(client: { execute(q: string): Promise<unknown> }, opts: Partial<HealthProbe> = {}): HealthProbe {
  return { name: "cassandra", hotStore: true, ...opts, check: async () => (await client.execute("SELECT release_version FROM system.local"), { ok: true }) };
}

/** PING through the Upstash REST API. */
export function redisProbe(redis: { ping(): Promise<string> }, opts: Partial<HealthProbe> = {}): HealthProbe {
  return {
    name: "redis",
    ...opts,
    check: async () => {
      const r = await redis.ping();
      return r === "PONG" ? { ok: true } : { ok: false, detail: `unexpected reply ${r}` };
    },
  };
}
