import { describe, expect, it } from "vitest";
import type { CardScorer, ScoreItem } from "../core/contracts/scoring.js";
import type { ScoredEvent } from "../core/schemas.js";
import { binInTable, cardZone, homeZone, parseBinTable, residentForwarder, residentScorer, splitByZone } from "./residency.js";

const rules = { euBins: parseBinTable("4975, 535110-535119,400000-400099") };

describe("EU BIN table", () => {
  it("reads prefixes and equal-length ranges, separated by commas or spaces", () => {
    expect(parseBinTable("")).toEqual([]);
    expect(parseBinTable("4975 535110-535119")).toEqual([{ lo: "4975", hi: "4975" }, { lo: "535110", hi: "535119" }]);
    for (const bad of ["12-345", "5-4", "abc", "123456789", "4975-"]) expect(() => parseBinTable(bad), bad).toThrow(bad);
  });

  it("matches a 6–8 digit BIN on its leading digits", () => {
    expect(binInTable("497512", rules.euBins)).toBe(true);
    expect(binInTable("53511999", rules.euBins)).toBe(true);
    expect(binInTable("535120", rules.euBins)).toBe(false);
    expect(binInTable("400100", rules.euBins)).toBe(false);
    expect(binInTable("400042", rules.euBins)).toBe(true);
  });
});

describe("card home", () => {
  it("EU when the request says EU or the BIN is in the EU table; the stricter answer wins", () => {
    expect(homeZone({ card_region: "EU" }, rules)).toBe("eu");
    expect(homeZone({ card_bin: "497599" }, rules)).toBe("eu");
    expect(homeZone({ card_bin: "497599", card_region: "US" }, rules)).toBe("eu");
    expect(homeZone({ card_bin: "411111", card_region: "US" }, rules)).toBe("default");
    expect(homeZone({}, rules)).toBe("default");
    expect(homeZone({ card_region: "APAC" }, { euBins: [] })).toBe("default");
  });

  it("one card's events are EU when any of them is", () => {
    expect(cardZone([{}, { card_region: "EU" }], rules)).toBe("eu");
    expect(cardZone([{}, { card_region: "OTHER" }], rules)).toBe("default");
  });
});

const rec = (card: string, extra: Record<string, unknown> = {}) => ({ event: { card_number_hash: card, ...extra } }) as unknown as ScoredEvent;

describe("routing by zone", () => {
  it("splitByZone keeps a card's records together and in order", () => {
    const a1 = rec("a");
    const a2 = rec("a", { card_region: "EU" });
    const b = rec("b");
    expect(splitByZone([a1, b, a2], rules)).toEqual({ default: [b], eu: [a1, a2] });
  });

  it("splitByZone uses the zone the envelope carries, computing it only when there is none", () => {
    // Carried: the route's decision stands, whatever the BIN table here says (no second opinion).
    const carriedEu = { ...rec("c"), zone: "eu" as const };
    const carriedDefault = { ...rec("d", { card_bin: "49750000" }), zone: "default" as const };
    // Old envelope without a zone: computed from its event, as before.
    const old = rec("e", { card_bin: "49750000" });
    expect(splitByZone([carriedEu, carriedDefault, old], rules)).toEqual({ default: [carriedDefault], eu: [carriedEu, old] });
  });

  it("residentScorer calls the card's zone's scorer", async () => {
    const calls: string[] = [];
    const scorer = (zone: string): CardScorer => ({
      scoreCard: (card, items) => {
        calls.push(`${zone}:${card}`);
        return Promise.resolve(items.map(() => ({ duplicate: true as const, decision: {} as never })));
      },
    });
    const s = residentScorer({ default: scorer("default"), eu: scorer("eu") }, rules);
    const item = (extra: Record<string, unknown>) => ({ event: extra, refs: { status: "OK" } }) as unknown as ScoreItem;
    await s.scoreCard("x", [item({}), item({ card_bin: "49750000" })]);
    await s.scoreCard("y", [item({ card_region: "US" })]);
    expect(calls).toEqual(["eu:x", "default:y"]);
  });

  it("residentForwarder sends each zone's records to its forwarder", async () => {
    const got: Record<string, string[]> = { default: [], eu: [] };
    const fwd = (zone: string) => ({
      forward: (r: ScoredEvent[]) => {
        got[zone]?.push(...r.map((x) => x.event.card_number_hash));
        return Promise.resolve();
      },
    });
    await residentForwarder({ default: fwd("default"), eu: fwd("eu") }, rules).forward([rec("a"), rec("b", { card_region: "EU" })]);
    expect(got).toEqual({ default: ["a"], eu: ["b"] });
  });
});
