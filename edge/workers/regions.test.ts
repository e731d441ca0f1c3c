import { createExecutionContext, listDurableObjectIds, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { ScoredEvent, VerdictResponse } from "../../core/schemas.js";
import { jurisdictionStandIn } from "../testing/jurisdiction.js";
import { BASE, cardHash, ONLINE, STORE, testEnv, txn } from "../testing/helpers.js";
import worker, { type Env } from "./entry.js";

// One card state worldwide, residency by the card's home, through the real worker entry: the
// same Worker code is run with the `us` and the `eu` environments' settings (REGION, location
// hint, EU_CARD_JURISDICTION = "eu", own queue, EU queue), both bound to ONE CardState namespace
// as script_name binds them in production. Local workerd has no jurisdictions, so that namespace
// is a stand-in (edge/testing/jurisdiction.ts) whose EU view derives distinct ids from the same
// real namespace. What this proves and does not: edge/README.md "Regions and residency".

const NEW_YORK = { lat: 40.71, lon: -74.0 };
const PARIS = { lat: 48.86, lon: 2.35 };

/** A Queue that records what it is given and still sends it to the real local queue. */
function recordingQueue(): { queue: Queue<ScoredEvent>; records: ScoredEvent[] } {
  const records: ScoredEvent[] = [];
  const real = testEnv.SCORED_EVENTS;
  const queue: Queue<ScoredEvent> = {
    metrics: () => real.metrics(),
    send: async (body, opts) => {
      records.push(body);
      return real.send(body, opts);
    },
    sendBatch: async (msgs, opts) => {
      const list = [...msgs];
      records.push(...list.map((m) => m.body));
      return real.sendBatch(list, opts);
    },
  };
  return { queue, records };
}

/** The card objects' env (the owner Worker's): its outboxes send by zone and region (durable-objects/outbox.ts). */
const objectEnv = testEnv as unknown as Record<string, unknown>;
afterEach(() => {
  delete objectEnv.SCORED_EVENTS_EU;
  delete objectEnv.SCORED_EVENTS_US;
});

function world(euBins = "") {
  const standIn = jurisdictionStandIn(testEnv.CARD_STATE);
  const euQueue = recordingQueue();
  const usQueue = recordingQueue();
  // As [env.state] binds them: the EU queue and each region's queue.
  objectEnv.SCORED_EVENTS_EU = euQueue.queue;
  objectEnv.SCORED_EVENTS_US = usQueue.queue;
  const region = (name: string, hint: string) => {
    const own = name === "us" ? usQueue : recordingQueue();
    const env = {
      ...testEnv,
      REGION: name,
      DO_LOCATION_HINT: hint,
      EU_CARD_JURISDICTION: "eu",
      EU_CARD_BINS: euBins,
      CARD_STATE: standIn.ns,
      SCORED_EVENTS: name === "eu" ? euQueue.queue : own.queue,
      SCORED_EVENTS_EU: euQueue.queue,
    } as Env;
    const score = async (body: Record<string, unknown>, token: string = ONLINE) => {
      const ctx = createExecutionContext();
      const req = new Request(`${BASE}/v1/transactions/score`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const res = await worker.fetch(req as Request<unknown, IncomingRequestCfProperties>, env, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status, await res.clone().text()).toBe(200);
      return res.json<VerdictResponse>();
    };
    return { score, queue: name === "eu" ? euQueue : own };
  };
  return { standIn, euQueue, us: region("us", "enam"), eu: region("eu", "weur") };
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

async function storedIds(): Promise<Set<string>> {
  return new Set((await listDurableObjectIds(testEnv.CARD_STATE)).map((id) => id.toString()));
}

describe("one card state worldwide, residency by the card's home", () => {
  it("an EU card scored in New York (us) and then in Paris (eu) reaches one EU object with one window", async () => {
    const w = world();
    const card = cardHash();
    await w.us.score(txn({ card_number_hash: card, card_region: "EU", geolocation: NEW_YORK, timestamp_utc: minutesAgo(40) }));
    const second = await w.eu.score(txn({ card_number_hash: card, card_region: "EU", geolocation: PARIS, timestamp_utc: minutesAgo(1) }));

    // The same address from both regions, in the EU jurisdiction; never the plain namespace.
    const mine = w.standIn.addresses.filter((a) => a.name === card);
    expect(mine.map((a) => a.zone)).toEqual(["eu", "eu"]);
    expect(new Set(mine.map((a) => a.id))).toEqual(new Set([w.standIn.idOf("eu", card)]));
    const stored = await storedIds();
    expect(stored.has(w.standIn.idOf("eu", card))).toBe(true);
    expect(stored.has(w.standIn.idOf("default", card))).toBe(false);
    // A US region creating an EU object passes no (non-EU) hint; the EU region passes its own.
    expect(mine.map((a) => a.locationHint)).toEqual([undefined, "weur"]);

    // One window: the Paris event sees the New York one (two events in the hour, impossible travel).
    const forwarded = w.euQueue.records.filter((r) => r.event.card_number_hash === card);
    expect(forwarded.map((r) => r.region)).toEqual(["us", "eu"]);
    // The zone the route decided travels with each envelope: the forwarder does not decide again.
    expect(forwarded.map((r) => r.zone)).toEqual(["eu", "eu"]);
    expect(forwarded[1]?.features.tx_count_1hr).toBe(2);
    expect(forwarded[1]?.features.geo_velocity_kmh).toBeGreaterThan(900);
    expect(JSON.stringify(second)).toContain("IMPOSSIBLE_TRAVEL");

    // Both events went to the EU queue, none to the us region's own queue.
    expect(w.us.queue.records.filter((r) => r.event.card_number_hash === card)).toEqual([]);
  });

  it("a US card used in both regions has one object in the plain namespace, placed by the first region", async () => {
    const w = world();
    const card = cardHash();
    await w.eu.score(txn({ card_number_hash: card, card_region: "US", geolocation: PARIS, timestamp_utc: minutesAgo(40) }));
    await w.us.score(txn({ card_number_hash: card, geolocation: NEW_YORK, timestamp_utc: minutesAgo(1) }));
    const mine = w.standIn.addresses.filter((a) => a.name === card);
    expect(mine.map((a) => a.zone)).toEqual(["default", "default"]);
    expect(new Set(mine.map((a) => a.id)).size).toBe(1);
    // The first call creates the object: the eu region's hint is the one that places it.
    expect(mine[0]?.locationHint).toBe("weur");
    expect((await storedIds()).has(w.standIn.idOf("eu", card))).toBe(false);
    // Each region's events go to its own queue; the second event sees the first.
    expect(w.euQueue.records.filter((r) => r.event.card_number_hash === card).map((r) => r.region)).toEqual(["eu"]);
    const usSide = w.us.queue.records.filter((r) => r.event.card_number_hash === card);
    expect(usSide.map((r) => r.region)).toEqual(["us"]);
    expect(usSide[0]?.features.tx_count_1hr).toBe(2);
  });

  it("the EU BIN table makes a card EU-home without card_region; a request saying US cannot take it out", async () => {
    const w = world("4975, 535110-535119");
    const card = cardHash();
    await w.us.score(txn({ card_number_hash: card, card_bin: "53511234", channel: "IN_STORE" }), STORE);
    await w.us.score(txn({ card_number_hash: card, card_bin: "53511234", card_region: "US", channel: "IN_STORE" }), STORE);
    const other = cardHash();
    await w.us.score(txn({ card_number_hash: other, card_bin: "53512034", channel: "IN_STORE" }), STORE);
    expect(w.standIn.addresses.filter((a) => a.name === card).map((a) => a.zone)).toEqual(["eu", "eu"]);
    expect(w.standIn.addresses.filter((a) => a.name === other).map((a) => a.zone)).toEqual(["default"]);
  });

  it("takes the EU sub-namespace once per isolate, not per card", async () => {
    const w = world();
    for (let i = 0; i < 3; i++) await w.us.score(txn({ card_region: "EU" }));
    expect(w.standIn.jurisdictions).toEqual(["eu"]);
  });
});
