import { beforeAll, describe, expect, inject, it } from "vitest";
import { CardWindow, defaultEngine } from "../../core/index.js";
import { REDIS_KEYS } from "../../core/contracts/reference.js";
import type { ScoreItem } from "../../core/contracts/scoring.js";
import { serializeGbdt } from "../../core/ml/gbdt/serialize.js";
import { handModel } from "../../core/testing/learned-model.js";
import { cardHash, stubFor, txn } from "../testing/helpers.js";
import { fixtureRedis } from "../../tests/testing/reference-fixture.js";
import { silentLogger } from "../../core/contracts/logger.js";
import { createUpstashReferenceData } from "./upstash.js";
import { MODEL_VERSION_UNAVAILABLE, createEngineRegistry } from "../../core/kernel/registry.js";

// Promotion as the edge sees it: the aggregator writes the model file under vigil:model:<version>
// (real Redis through the Upstash bridge) and names the version as active; a CardState object in
// workerd then scores with that learned model. The active-version keys are not set here (other
// suites share this Redis); the item names the version as the reference lookup would.

const RUN = Date.now().toString(36);
const CHAMPION = `gbdt-edge-${RUN}-1`;
const SHADOW = `gbdt-edge-${RUN}-2`;
const INVALID = `gbdt-edge-${RUN}-bad`;

beforeAll(async () => {
  const problem = inject("upstashError");
  if (problem) throw new Error(problem);
  const redis = fixtureRedis(inject("upstashUrl"), inject("upstashToken"));
  await redis.set(REDIS_KEYS.model(CHAMPION), serializeGbdt(handModel(CHAMPION)));
  await redis.set(REDIS_KEYS.model(SHADOW), serializeGbdt(handModel(SHADOW, { review: 40, block: 90 }, 2)));
  await redis.set(REDIS_KEYS.model(INVALID), JSON.stringify({ format: "vigil.gbdt", model_version: INVALID }));
});

function item(card: string, modelVersion?: string, amount = 900): ScoreItem {
  const event = txn({ card_number_hash: card, amount_usd: amount, timestamp_utc: "2026-11-28T02:00:00Z" }) as unknown as ScoreItem["event"];
  return { event, refs: { status: "OK" }, ...(modelVersion ? { modelVersion } : {}) };
}

describe("learned champion published by version", () => {
  it("a CardState object scores with the promoted model: the decision names it, no fallback reason", async () => {
    const card = cardHash();
    const [out] = await stubFor(card).scoreEvents([item(card, CHAMPION)]);
    expect(out?.decision?.model_version).toBe(CHAMPION);
    expect(out?.decision?.reasons.some((r) => r.code === MODEL_VERSION_UNAVAILABLE)).toBe(false);
    // A large night-time first purchase: the hand model puts it far above its block threshold.
    expect(out?.decision?.verdict).toBe("BLOCKED");
  });

  it("until a champion is named the bundled model decides", async () => {
    const card = cardHash();
    const [out] = await stubFor(card).scoreEvents([item(card)]);
    expect(out?.decision?.model_version).toBe(defaultEngine().modelVersion);
  });

  it("loads a model once per isolate, scores the shadow beside it, and falls back with a reason for a missing or invalid file", async () => {
    const ref = createUpstashReferenceData({ url: inject("upstashUrl"), token: inject("upstashToken") });
    const calls: string[] = [];
    const reg = createEngineRegistry({ loadRuleSet: (v) => ref.loadRuleSet(v), loadModel: (v) => (calls.push(v), ref.loadModel(v)) }, { retryAfterMs: 60_000, clock: () => Date.now(), log: silentLogger });
    const e = await reg.resolve(undefined, CHAMPION, SHADOW);
    expect(e.modelVersion).toBe(CHAMPION);
    expect(e.shadowVersion).toBe(SHADOW);
    const r = e.score(item("card-hash-models-0001", CHAMPION).event, CardWindow.empty(), { status: "OK" });
    expect(r.decision.model_version).toBe(CHAMPION);
    expect(r.shadow?.model_version).toBe(SHADOW);
    expect(await reg.resolve(undefined, CHAMPION, SHADOW)).toBe(e);
    expect(calls.sort()).toEqual([CHAMPION, SHADOW].sort());
    for (const v of [`gbdt-edge-${RUN}-never`, INVALID]) {
      const f = await reg.resolve(undefined, v);
      expect(f.modelVersion).toBe(defaultEngine().modelVersion);
      const d = f.score(item("card-hash-models-0002").event, CardWindow.empty(), { status: "OK" }).decision;
      expect(d.reasons).toContainEqual(expect.objectContaining({ code: MODEL_VERSION_UNAVAILABLE, tier: "SYSTEM" }));
    }
  });
});
