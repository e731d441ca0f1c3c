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
