import { describe, expect, it } from "vitest";
import { defaultConfig, defaultEngine, defaultModel, defaultRuleSet, score } from "./engine-default.js";
import { NO_REFERENCE } from "./engine.js";
import { ev } from "./features/fixtures.js";
import { CardState } from "./window/card-state.js";

describe("defaultEngine", () => {
  it("uses the shipped model, rules and config, built once", () => {
    const e = defaultEngine();
    expect(defaultEngine()).toBe(e);
    expect(e.modelVersion).toBe(defaultModel().model_version);
    expect(e.rulesVersion).toBe("rules-2026.11.1");
    expect(e.configVersion).toBe(defaultConfig().version);
  });

  it("functional score equals the engine's and leaves the state alone", () => {
    const s = CardState.empty();
    defaultEngine().process(ev(0), s, NO_REFERENCE);
    const probe = ev(30_000, { amount_usd: 700 });
    const d = score(probe, s, defaultConfig(), defaultModel(), defaultRuleSet());
    expect(d).toEqual(defaultEngine().score(probe, s, NO_REFERENCE).decision);
    expect(s.eventCount).toBe(1);
  });
});
