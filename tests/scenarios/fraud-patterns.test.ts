import { beforeAll, describe as group, expect, inject, it } from "vitest";
import { accountTakeover, bigUsualPurchase, impossibleTravel, legitTraveller, merchantCompromise, velocityAttack, type LabelledEvent } from "../../core/sim/index.js";
import { testCardHash } from "../../core/testing/card-hash.js";
import { caseOf, codes, describe, freshCard, publishScenarioReference, replay, startDaysAgo, type Scored } from "../testing/scenarios.js";

// The four fraud patterns and two legitimate look-alikes, through the edge API: the real worker
// entry, the CardState Durable Object (SQLite storage) and reference data read from Redis through
// the Upstash bridge, holding the risk values each scenario's events carry. Verdicts and reason
// codes are asserted, never exact scores. Each pattern runs with three simulator seeds.

const SEEDS = [1, 2, 3] as const;
const START = startDaysAgo(5);

type Builder = (card: string, startMs: number, opts: { seed: number; historyDays?: number }) => LabelledEvent[];
const BUILDERS: Record<string, Builder> = {
  velocity: velocityAttack,
  travel: impossibleTravel,
  takeover: accountTakeover,
  breach: merchantCompromise,
  traveller: legitTraveller,
  // 20 days of history (not the builder's default 30) keeps every event inside MAX_EVENT_AGE_DAYS.
  big: (card, start, o) => bigUsualPurchase(card, start, { ...o, historyDays: 20 }),
};

const events = new Map<string, LabelledEvent[]>();
const key = (name: string, seed: number) => `${name}:${seed}`;
for (const [name, build] of Object.entries(BUILDERS)) {
  for (const seed of SEEDS) {
    // The simulator forks the card's randomness on its hash: generate from a stable hash so each
    // seed is the same scenario on every run, then move the events to a fresh card (a fresh
    // Durable Object per run). A draw that leaves the traveller no purchase on the trip is skipped.
    let built: LabelledEvent[] = [];
    for (let draw = 0; draw < 20; draw++) {
      built = build(testCardHash(`scn_${name}_${seed}_${draw}`), START, { seed });
      if (name !== "traveller" || built.some((e) => Date.parse(e.event.timestamp_utc) >= START)) break;
    }
    const card = freshCard(name);
    events.set(key(name, seed), built.map((e) => ({ ...e, event: { ...e.event, card_number_hash: card } })));
  }
}

beforeAll(async () => {
  const problem = inject("upstashError");
  if (problem) throw new Error(problem);
  await publishScenarioReference([...events.values()].flat(), inject("upstashUrl"), inject("upstashToken"));
});

const run = (name: string, seed: number): Promise<Scored[]> => replay(events.get(key(name, seed)) ?? []);
const blocked = (s: Scored[]) => s.filter((x) => x.verdict.verdict === "BLOCKED");
const allCodes = (s: Scored[]) => new Set(s.flatMap(codes));
const history = (s: Scored[]) => s.filter((x) => Date.parse(x.labelled.event.timestamp_utc) < START - 3 * 86_400_000);

group.each(SEEDS)("seed %i", (seed) => {
  it("velocity attack: the burst is BLOCKED, with a VELOCITY_* reason", async () => {
    const scored = await run("velocity", seed);
    const burst = caseOf(scored);
    expect(burst.length).toBeGreaterThanOrEqual(8);
    expect(blocked(burst).length, describe(burst)).toBeGreaterThan(0);
    expect([...allCodes(burst)].some((c) => c.startsWith("VELOCITY_") || c === "SPEND_VELOCITY_EXCEEDED"), describe(burst)).toBe(true);
    expect(blocked(history(scored)), describe(history(scored))).toEqual([]);
  });

  it("impossible travel: the first use abroad is BLOCKED with IMPOSSIBLE_TRAVEL / CROSS_COUNTRY_MISMATCH; the home purchase is not", async () => {
    const scored = await run("travel", seed);
    const [first] = caseOf(scored);
    expect(first, describe(scored)).toBeDefined();
    expect(first!.verdict.verdict, describe([first!])).toBe("BLOCKED");
    expect(codes(first!)).toContain("IMPOSSIBLE_TRAVEL");
    expect(codes(first!)).toContain("CROSS_COUNTRY_MISMATCH");
    const anchor = scored.filter((s) => !s.labelled.is_fraud).at(-1)!;
    expect(anchor.verdict.verdict).toBe("APPROVED");
  });

  // Account takeover: the first hours of a device and a network new to the card, with amounts far
  // above its usual or a poorly reputed network (NEW_DEVICE_NEW_IP_* rules, rules-2026.11.3).
  it("account takeover: every event is scored and answered", async () => {
    const scored = await run("takeover", seed);
    expect(caseOf(scored).length).toBeGreaterThan(0);
    expect(caseOf(scored).every((s) => s.verdict.transaction_id === s.labelled.event.transaction_id)).toBe(true);
  });
  it("account takeover: at least one event is not APPROVED, with new-device (rule or learned-model ML_NEW_DEVICE_*) or amount deviation reasons", async () => {
    const scored = caseOf(await run("takeover", seed));
    const flagged = scored.filter((s) => s.verdict.verdict !== "APPROVED");
    expect(flagged.length, describe(scored)).toBeGreaterThan(0);
    expect([...allCodes(flagged)].some((c) => c.includes("NEW_DEVICE") || c.includes("AMOUNT_DEVIATION")), describe(flagged)).toBe(true);
  });

  // Merchant compromise: the cash-out happens at ordinary, low-risk merchants (the compromised shop
  // is where the card was skimmed, two days before), so merchant and terminal risk cannot catch it.
  // What does is common point of purchase: the shop is known compromised, the ops risk job has put
  // the card in an elevated tier, and COMPROMISED_CARD_UNUSUAL_USE fires when such a card is used
  // far from its last location or at a new kind of merchant for an unusual amount.
  it("merchant compromise: every event is scored and answered", async () => {
    const scored = await run("breach", seed);
    expect(caseOf(scored).length).toBeGreaterThan(0);
    expect(caseOf(scored).every((s) => s.verdict.transaction_id === s.labelled.event.transaction_id)).toBe(true);
  });
  it("merchant compromise: the cash-out is flagged with COMPROMISED_CARD_UNUSUAL_USE", async () => {
    const scored = caseOf(await run("breach", seed));
    const flagged = scored.filter((s) => s.verdict.verdict !== "APPROVED");
    expect(flagged.length, describe(scored)).toBeGreaterThan(0);
    expect(allCodes(flagged).has("COMPROMISED_CARD_UNUSUAL_USE"), describe(scored)).toBe(true);
  });

  it("legitimate traveller: nothing on the trip is BLOCKED", async () => {
    const scored = await run("traveller", seed);
    const trip = caseOf(scored, START);
    expect(trip.length).toBeGreaterThan(0);
    expect(blocked(scored), describe(trip)).toEqual([]);
  });

  it("big but usual purchase: not BLOCKED (and no card history event is)", async () => {
    const scored = await run("big", seed);
    const big = scored.at(-1)!;
    expect(big.verdict.verdict, describe([big])).not.toBe("BLOCKED");
    expect(blocked(scored)).toEqual([]);
  });
});
