import type { Registry } from "prom-client";
import { createRateMeter } from "./health.js";

// throughput_tps of GET /v1/health: the ingest counter (vigil_ingest_records_total) sampled every
// few seconds into a sliding-window rate, so a health request never walks the registry itself.

const SAMPLE_MS = 5000;

async function ingestTotal(registry: Registry): Promise<number> {
  const m = registry.getSingleMetric("vigil_ingest_records_total");
  if (!m) return 0;
  const v = await m.get();
  return v.values.reduce((a, x) => a + x.value, 0);
}

export interface IngestRate {
  /** Records per second over the last minute. */
  rate(): number;
  stop(): void;
}

export function startIngestRate(registry: Registry, now: () => number): IngestRate {
  let ingested = 0;
  const meter = createRateMeter(() => ingested, now);
  const sampler = setInterval(() => {
    ingestTotal(registry).then(
      (n) => {
        ingested = n;
        meter.tick();
      },
      () => undefined,
    );
  }, SAMPLE_MS);
  sampler.unref();
  return { rate: () => meter.rate(), stop: () => clearInterval(sampler) };
}
