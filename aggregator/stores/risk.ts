import { iso1A2Code } from "@rapideditor/country-coder";
import { z } from "zod";
import type { ScoredEvent } from "../../core/schemas.js";
import type { UserRiskState } from "../ports/index.js";

// The per-card 24-hour counters and risk tier, computed the same way by every VerdictStore.
// They are derived from an idempotent activity log (one row per transaction, keyed by event time
// and transaction id), never incremented in place, so re-delivery and replay cannot double-count.

export const DAY_MS = 24 * 3600 * 1000;

/**
 * Risk tier thresholds: alerts (REVIEW or BLOCKED verdicts) for the card over the lookback,
 * counted up to the card's latest event. Defaults: 1 alert in 90 days → MEDIUM, 3 → HIGH,
 * and any BLOCKED verdict in the last 24 h → HIGH.
 */
export const RiskTierConfigSchema = z.object({
  lookbackDays: z.number().int().positive().default(90),
  mediumAlerts: z.number().int().positive().default(1),
  highAlerts: z.number().int().positive().default(3),
  highOnBlocked24h: z.boolean().default(true),
});
export type RiskTierConfig = z.infer<typeof RiskTierConfigSchema>;
export const DEFAULT_RISK_TIERS: RiskTierConfig = RiskTierConfigSchema.parse({});

/** One row of the card_activity log. */
export interface CardActivity {
  card_number_hash: string;
  event_ms: number;
  transaction_id: string;
  amount_usd: number;
  verdict: string;
  device_id: string | null;
  country: string | null;
}

export function activityOf(r: ScoredEvent): CardActivity {
  const g = r.event.geolocation;
  return {
    card_number_hash: r.event.card_number_hash,
    event_ms: Date.parse(r.event.timestamp_utc),
    transaction_id: r.event.transaction_id,
    amount_usd: r.event.amount_usd,
    verdict: r.verdict.verdict,
    device_id: r.event.device_fingerprint ?? null,
    country: g ? iso1A2Code([g.lon, g.lat]) : null,
  };
}

export function tierOf(alerts: number, blocked24h: boolean, cfg: RiskTierConfig): UserRiskState["risk_tier"] {
  if (alerts >= cfg.highAlerts || (cfg.highOnBlocked24h && blocked24h)) return "HIGH";
  if (alerts >= cfg.mediumAlerts) return "MEDIUM";
  return "LOW";
}

/**
 * The card's state as of its latest known event: `window` holds its activity in
 * (asOf − 24 h, asOf], newest first; `alerts` its alert count over the lookback.
 */
export function riskStateOf(cardHash: string, window: CardActivity[], alerts: number, cfg: RiskTierConfig): UserRiskState | undefined {
  const latest = window[0];
  if (latest === undefined) return undefined;
  let cents = 0;
  for (const a of window) cents += Math.round(a.amount_usd * 100);
  const lastCountry = window.find((a) => a.country !== null)?.country ?? null;
  const lastDevice = window.find((a) => a.device_id !== null)?.device_id ?? null;
  return {
    user_id: cardHash,
    risk_tier: tierOf(alerts, window.some((a) => a.verdict === "BLOCKED"), cfg),
    tx_count_24hr: window.length,
    spend_total_24hr: cents / 100,
    last_seen_country: lastCountry,
    last_device_id: lastDevice,
    last_updated: new Date(latest.event_ms).toISOString(),
  };
}

/**
 * Write version of a state, used as Cassandra's write timestamp (µs) and as the SQL row version:
 * later event time wins; for the same latest event, the state that has seen more of the window
 * (a late, out-of-order event) wins. Up to 999 events per window are told apart.
 */
export function stateVersion(s: Pick<UserRiskState, "last_updated" | "tx_count_24hr">): number {
  return Date.parse(s.last_updated) * 1000 + Math.min(Math.max(s.tx_count_24hr, 0), 999);
}

/** Distinct cards of a batch: each card's state is refreshed once per batch. */
export function cardsIn(records: ScoredEvent[]): string[] {
  return [...new Set(records.map((r) => r.event.card_number_hash))];
}
