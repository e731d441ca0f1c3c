import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RawTransaction } from "../ports/index.js";
import { archiveKey } from "../sinks/archive-sink.js";
import { RAW_TRANSACTION_COLUMNS, toParquet, type Positioned } from "../sinks/parquet.js";
import { RAW_PREFIX } from "../stores/archive-events.js";
import type { Archive } from "../ports/index.js";
import { replay } from "../../core/backtest/replay.js";
import { createEngine, NO_REFERENCE } from "../../core/engine.js";
import { defaultConfig, defaultModel } from "../../core/engine-default.js";
import { ruleIdsOf } from "../../core/rules/hits.js";
import type { RuleSet } from "../../core/rules/schema.js";
import { CardWindow } from "../../core/window/card-window.js";
import { ScoredEventSchema, TransactionEventSchema, type ScoredEvent, type TransactionEvent } from "../../core/schemas.js";

// Test support for the rules API: the CLI backtest fixture's events (hand-checkable: four cards,
// a burst of four on card A, two large amounts) written to an archive the way the archive sink
// writes raw/transactions/, and live traffic scored through core exactly as the edge does
// (active set decides; a shadow set scored beside it with score(), never applied).

const EVENTS = fileURLToPath(new URL("../../cli/testing/backtest/events.jsonl", import.meta.url));

/** The fixture's valid events (its two bad lines skipped). */
export function fixtureEvents(): TransactionEvent[] {
  const out: TransactionEvent[] = [];
  for (const line of readFileSync(EVENTS, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      const r = TransactionEventSchema.safeParse(JSON.parse(line));
      if (r.success) out.push(r.data);
    } catch {
      // the fixture's deliberately broken line
    }
  }
  return out;
}

/**
 * One Parquet file per event hour, rows at offsets 0, 1, … of partition 0. `file` names the files
 * (the sink's batch id): writing some events again under another name makes a retried batch's leftover.
 */
export async function archiveEvents(archive: Archive, events: readonly TransactionEvent[], file = "0"): Promise<void> {
  const byKey = new Map<string, Array<Positioned<RawTransaction>>>();
  events.forEach((event, i) => {
    const key = archiveKey(RAW_PREFIX, event.timestamp_utc, 0, file);
    const row = { payload: { event, region: "eu", received_at: event.timestamp_utc }, position: { topic: "raw-transactions", partition: 0, offset: String(i) } };
    byKey.set(key, [...(byKey.get(key) ?? []), row]);
  });
  for (const [key, rows] of byKey) await archive.put(key, toParquet(RAW_TRANSACTION_COLUMNS, rows), "application/vnd.apache.parquet");
}

/** v2 scored events as the edge would forward them: `active` decides, `shadow` is reported beside. */
export function liveRecords(events: readonly TransactionEvent[], active: RuleSet, shadow?: RuleSet): ScoredEvent[] {
  const engine = createEngine({ config: defaultConfig(), ruleSet: active, model: defaultModel() });
  const shadowEngine = shadow ? createEngine({ config: defaultConfig(), ruleSet: shadow, model: defaultModel() }) : undefined;
  const cards = new Map<string, CardWindow>();
  const sorted = replay(events.map((event) => ({ event })), engine).outcomes.map((o) => events[o.index] as TransactionEvent);
  return sorted.map((event) => {
    let state = cards.get(event.card_number_hash);
    if (!state) cards.set(event.card_number_hash, (state = CardWindow.empty()));
    const s = shadowEngine?.score(event, state, NO_REFERENCE);
    const r = engine.process(event, state, NO_REFERENCE);
    return ScoredEventSchema.parse({
      schema_version: 2,
      event,
      verdict: { ...r.decision, latency_ms: 3 },
      features: r.features,
      region: "eu",
      received_at: event.timestamp_utc,
      model_features: { layout: r.modelFeatureLayout, values: Array.from(r.modelFeatures ?? [], (v) => (Number.isFinite(v) ? v : null)) },
      ...(s ? { shadow_rules: { rules_version: shadowEngine?.rulesVersion, fraud_score: s.decision.fraud_score, verdict: s.decision.verdict, hits: ruleIdsOf(s.decision) } } : {}),
    });
  });
}
