import { describe, expect, it } from "vitest";
import { defaultConfig, defaultEngine, defaultModel, defaultRuleSet, score } from "./engine-default.js";
import { NO_REFERENCE } from "./engine.js";
import { ev } from "./testing/features.js";
import { CardWindow } from "./window/card-window.js";

describe("defaultEngine", () => {
  it("uses the shipped model, rules and config, built once", () => {
    const e = defaultEngine();
    expect(defaultEngine()).toBe(e);
    expect(e.modelVersion).toBe(defaultModel().model_version);
    expect(e.rulesVersion).toBe("rules-2026.11.3");
    expect(e.configVersion).toBe(defaultConfig().version);
  });

  it("functional score equals the engine's and leaves the state alone", () => {
    const s = CardWindow.empty();
    defaultEngine().process(ev(0), s, NO_REFERENCE);
    const probe = ev(30_000, { amount_usd: 700 });
    const d = score(probe, s, defaultConfig(), defaultModel(), defaultRuleSet());
    expect(d).toEqual(defaultEngine().score(probe, s, NO_REFERENCE).decision);
    expect(s.eventCount).toBe(1);
  });
});

describe("determinism on simulated traffic", () => {
  it("two engines over the same seeded stream give identical decisions and states", async () => {
    const { generateStream } = await import("./sim/index.js");
    const { createEngine } = await import("./engine.js");
    const { encodeCardState } = await import("./window/codec.js");
    const run = () => {
      const e = createEngine({ config: defaultConfig(), ruleSet: defaultRuleSet(), model: defaultModel() });
      const states = new Map<string, CardWindow>();
      const out: unknown[] = [];
      for (const le of generateStream({ seed: 5, cards: 50, events: 3000, startMs: Date.UTC(2026, 10, 1), fraudRate: 0.05 })) {
        let s = states.get(le.event.card_number_hash);
        if (!s) states.set(le.event.card_number_hash, (s = CardWindow.empty()));
        out.push(e.process(le.event, s, le.refs));
      }
      return { out, states: [...states.entries()].map(([k, s]) => [k, encodeCardState(s)]) };
    };
    const a = run();
    const b = run();
    expect(b.out).toEqual(a.out);
    expect(b.states).toEqual(a.states);
  });
});
