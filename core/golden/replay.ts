import { defaultEngine } from "../engine-default.js";
import { CardWindow } from "../window/card-window.js";
import { GOLDEN } from "./scenario.js";

export interface GoldenExpectation {
  transaction_id: string;
  note: string;
  verdict: string;
  fraud_score: number;
  rule_triggers: string[];
}

/** Replays the golden steps through the default engine, one CardWindow per card. */
export function replayGolden(): GoldenExpectation[] {
  const engine = defaultEngine();
  const states = new Map<string, CardWindow>();
  return GOLDEN.map(({ note, event, refs }) => {
    let s = states.get(event.card_number_hash);
    if (!s) states.set(event.card_number_hash, (s = CardWindow.empty()));
    const d = engine.process(event, s, refs).decision;
    return { transaction_id: d.transaction_id, note, verdict: d.verdict, fraud_score: d.fraud_score, rule_triggers: d.rule_triggers };
  });
}

/**
 * The text of core/golden/expected.json for the current engine (`npm run golden:update` writes
 * it): the versions that decided, then every decision. Kept here, pure, so the writer is only I/O.
 */
export function goldenFileText(): string {
  const e = defaultEngine();
  const out = { rules_version: e.rulesVersion, model_version: e.modelVersion, config_version: e.configVersion, decisions: replayGolden() };
  return JSON.stringify(out, null, 2) + "\n";
}
