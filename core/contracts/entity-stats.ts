import { EntityRiskStatsSchema, type EntityRiskStats } from "../schemas.js";

// How one entity's EntityRiskStats travels as a Redis hash value: nine numbers, comma-separated,
// in a fixed order. Not JSON: ~30 bytes instead of ~130 per entity, and the text is canonical
// (rates rounded to 6 decimals) so the publisher can tell "unchanged" by comparing strings.

export const ENTITY_STATS_FIELDS = [
  "tx_1d", "fraud_1d", "rate_1d",
  "tx_7d", "fraud_7d", "rate_7d",
  "tx_30d", "fraud_30d", "rate_30d",
] as const satisfies readonly (keyof EntityRiskStats)[];

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export function encodeEntityStats(s: EntityRiskStats): string {
  return ENTITY_STATS_FIELDS.map((f) => String(f.startsWith("rate_") ? round6(s[f]) : s[f])).join(",");
}

/** The stats, or undefined when the text is not nine valid numbers (the reader counts it as bad). */
export function decodeEntityStats(text: unknown): EntityRiskStats | undefined {
  if (typeof text !== "string") return undefined;
  const parts = text.split(",");
  if (parts.length !== ENTITY_STATS_FIELDS.length || parts.some((p) => p.trim() === "")) return undefined;
  const r = EntityRiskStatsSchema.safeParse(Object.fromEntries(ENTITY_STATS_FIELDS.map((f, i) => [f, Number(parts[i])])));
  return r.success ? r.data : undefined;
}
