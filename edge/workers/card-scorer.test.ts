import { afterEach, describe, expect, it, vi } from "vitest";
import { cardHash, testEnv, txn } from "../testing/helpers.js";
import type { ScoreItem } from "../../core/contracts/scoring.js";
import type { CardState } from "./card-state.js";
import { durableObjectScorer } from "./card-scorer.js";

afterEach(() => vi.restoreAllMocks());

const item = (card: string): ScoreItem => ({ event: txn({ card_number_hash: card }) as unknown as ScoreItem["event"], refs: { status: "OK" } });

describe("durableObjectScorer placement", () => {
  it("EU deployments address card objects through jurisdiction(\"eu\"), with the location hint", async () => {
    // local workerd refuses jurisdictions (it has no jurisdiction restrictions to enforce), so the EU sub-namespace is stood in for by the real namespace, observed.
    const real = testEnv.CARD_STATE;
    const eu = { idFromName: vi.fn((n: string) => real.idFromName(n)), get: vi.fn((id: DurableObjectId, o?: DurableObjectNamespaceGetDurableObjectOptions) => real.get(id, o)) };
    const ns = { jurisdiction: vi.fn(() => eu) } as unknown as DurableObjectNamespace<CardState>;
    const card = cardHash();
    const [out] = await durableObjectScorer(ns, { jurisdiction: "eu", locationHint: "weur" }).scoreCard(card, [item(card)]);
    expect(out?.duplicate).toBe(false);
    expect(ns.jurisdiction).toHaveBeenCalledWith("eu");
    expect(eu.idFromName).toHaveBeenCalledWith(card);
    expect(eu.get).toHaveBeenCalledWith(expect.anything(), { locationHint: "weur" });
  });

  it("without placement settings it uses the plain namespace and no options", async () => {
    const ns = testEnv.CARD_STATE;
    const get = vi.spyOn(ns, "get");
    const jurisdiction = vi.spyOn(ns, "jurisdiction");
    const card = cardHash();
    await durableObjectScorer(ns).scoreCard(card, [item(card)]);
    expect(jurisdiction).not.toHaveBeenCalled();
    expect(get).toHaveBeenCalledWith(expect.anything(), undefined);
  });
});
