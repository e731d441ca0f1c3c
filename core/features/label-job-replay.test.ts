import { describe, expect, it } from "vitest";
import { ev } from "../testing/features.js";
import { DAY_MS } from "../window/card-window.js";
import { LabelJobReplay } from "./label-job-replay.js";

// Hand-worked: D = 7 days, k = 2. Terminal POS-1 / merchant MCH-1 get a fraud at day 0 and
// legitimate transactions at days 1 and 2 (the population is the same three).
const T0 = Date.UTC(2026, 0, 10);
const at = (days: number) => T0 + days * DAY_MS;
const tx = (days: number, over: Parameters<typeof ev>[1] = {}) => ev(days * DAY_MS, { terminal_id: "POS-1", merchant_id: "MCH-1", ...over });

function fed(): LabelJobReplay {
  const j = new LabelJobReplay({ labelDelayMs: 7 * DAY_MS, priorStrength: 2 });
  j.record(tx(0), at(0), true);
  j.record(tx(1), at(1), false);
  j.record(tx(2), at(2), false);
  return j;
}

describe("LabelJobReplay: the label job's terminal/merchant stats as of a past instant", () => {
  it("counts only transactions matured by T, windows [T − D − w, T − D), smoothed toward the population rate at T", () => {
    const j = fed();
    // T = day 8.5: window end day 1.5 → days 0 and 1 matured; day 2 not yet. Prior = 1/2.
    expect(j.priorAt(at(8.5))).toBe(0.5);
    const s = j.signals(tx(8.5), at(8.5));
    const expected = { tx_1d: 1, fraud_1d: 0, rate_1d: (0 + 2 * 0.5) / (1 + 2), tx_7d: 2, fraud_7d: 1, rate_7d: 0.5, tx_30d: 2, fraud_30d: 1, rate_30d: 0.5 };
    expect(s.terminal_stats).toEqual(expected);
    expect(s.merchant_stats).toEqual(expected);
    expect(s.status).toBe("OK");
  });

  it("knows an entity with only young transactions (zeros and the prior), not one it never saw or saw over 37 days ago", () => {
    const j = fed();
    // Day 2.5: nothing matured anywhere yet, so the prior is 0 and every rate is 0.
    expect(j.signals(tx(2.5), at(2.5)).terminal_stats).toEqual({ tx_1d: 0, fraud_1d: 0, rate_1d: 0, tx_7d: 0, fraud_7d: 0, rate_7d: 0, tx_30d: 0, fraud_30d: 0, rate_30d: 0 });
    const other = j.signals(tx(8.5, { terminal_id: "POS-2", merchant_id: "MCH-2" }), at(8.5));
    expect(other.terminal_stats).toBeUndefined();
    expect(other.merchant_stats).toBeUndefined();
    // Last seen day 2; at day 39.5 the job's 30-day window starts at day 2.5: gone from its table.
    expect(j.signals(tx(39.5), at(39.5)).terminal_stats).toBeUndefined();
    // Day 38.5: window [1.5, 31.5) holds only day 2.
    expect(j.signals(tx(38.5), at(38.5)).terminal_stats).toMatchObject({ tx_30d: 1, fraud_30d: 0 });
  });

  it("keeps recorded list lookups and does not let a label reach back before it matured", () => {
    const j = fed();
    const s = j.signals(tx(7.5), at(7.5), { status: "OK", bin_blocked: true });
    expect(s.bin_blocked).toBe(true);
    // Day 7.5: only day 0 matured (end day 0.5): the fraud is counted, days 1, 2 are not.
    expect(s.terminal_stats).toMatchObject({ tx_30d: 1, fraud_30d: 1, tx_1d: 1 });
    // The same question asked at day 6.9 sees nothing: the fraud was not matured then.
    expect(j.signals(tx(6.9), at(6.9)).terminal_stats).toMatchObject({ tx_30d: 0, fraud_30d: 0 });
  });
});
