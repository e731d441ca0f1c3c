import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PortError, type VerdictStore } from "../ports/index.js";
import { alertOf, HOUR_MS, iso, scoredEvent, uniq } from "./scored-events.js";

// One behaviour contract for every VerdictStore adapter (Cassandra, PostgreSQL, PGlite), run on
// real instances. Every test uses its own card hashes and transaction ids, so adapters may share
// one server between tests and runs.

export interface VerdictStoreHarness {
  setup(): Promise<VerdictStore>;
  teardown(): Promise<void>;
  /** A store whose tables do not exist: its errors must be fatal (retrying cannot help). */
  withoutSchema?(): Promise<{ store: VerdictStore; close(): Promise<void> }>;
  /** A store pointed at a closed port: its errors must be retriable. */
  unreachable?(): Promise<{ store: VerdictStore; close(): Promise<void> }>;
}

const T0 = Date.parse("2026-03-10T08:00:00.000Z");

export function verdictStoreContract(name: string, harness: VerdictStoreHarness): void {
  describe(`VerdictStore contract: ${name}`, () => {
    let store: VerdictStore;
    beforeAll(async () => {
      store = await harness.setup();
    }, 240_000);
    afterAll(() => harness.teardown(), 60_000);

    it("stores a verdict by transaction id; writing it again (also twice in one batch) leaves one equal row", async () => {
      const r = scoredEvent({ ts: iso(T0), verdict: "REVIEW" });
      await store.putVerdicts([r, r]);
      await store.putVerdicts([r]);
      const got = await store.getVerdict(r.event.transaction_id);
      expect(got?.record).toEqual(r);
      expect(Number.isNaN(Date.parse(got?.processed_at ?? "x"))).toBe(false);
      expect(await store.getVerdict(`TXN-missing-${uniq()}`)).toBeUndefined();
      const risk = await store.getUserRisk(r.event.card_number_hash);
      expect(risk?.tx_count_24hr).toBe(1);
    });

    it("returns a card's alerts newest first, honours limit and since, counts each alert once", async () => {
      const card = `card_${uniq()}`;
      const events = [0, 3, 1, 2].map((h) => scoredEvent({ card, ts: iso(T0 + h * HOUR_MS), verdict: h % 2 ? "BLOCKED" : "REVIEW" }));
      const alerts = events.map((e) => alertOf(e));
      await store.putAlerts(alerts);
      await store.putAlerts([alerts[1]!, alerts[2]!]); // re-delivery
      const all = await store.alertsForCard(card, { limit: 10 });
      expect(all.map((a) => a.alert_timestamp)).toEqual([3, 2, 1, 0].map((h) => iso(T0 + h * HOUR_MS)));
      expect(all[0]).toEqual(alerts[1]);
      const two = await store.alertsForCard(card, { limit: 2 });
      expect(two.map((a) => a.transaction_id)).toEqual([events[1]!.event.transaction_id, events[3]!.event.transaction_id]);
      const since = await store.alertsForCard(card, { limit: 10, sinceMs: T0 + 2 * HOUR_MS });
      expect(since).toHaveLength(2);
      expect(await store.countAlertsForCard(card, T0)).toBe(4);
      expect(await store.countAlertsForCard(card, T0 + HOUR_MS + 1)).toBe(2);
      expect(await store.alertsForCard(`card_${uniq()}`, { limit: 5 })).toEqual([]);
    });

    it("keeps 24 h counters exact under replay and re-batching", async () => {
      const card = `card_${uniq()}`;
      const e1 = scoredEvent({ card, ts: iso(T0), amount: 10.1, device: "dev-1" });
      const e2 = scoredEvent({ card, ts: iso(T0 + HOUR_MS), amount: 20.2, device: "dev-2" });
      const e3 = scoredEvent({ card, ts: iso(T0 + 25 * HOUR_MS), amount: 5.05, device: "dev-3", geo: { lat: 48.8566, lon: 2.3522 } });
      await store.putVerdicts([e1, e2]);
      expect(await store.getUserRisk(card)).toMatchObject({ tx_count_24hr: 2, spend_total_24hr: 30.3, last_device_id: "dev-2", last_seen_country: "US", last_updated: iso(T0 + HOUR_MS) });
      await store.putVerdicts([e1, e2, e3]); // replay plus one new event, batched differently
      await store.putVerdicts([e2]);
      await store.putVerdicts([e3, e1]);
      // window (T0+1h, T0+25h]: e2 sits exactly on the open end, so only e3 counts
      expect(await store.getUserRisk(card)).toMatchObject({
        user_id: card, tx_count_24hr: 1, spend_total_24hr: 5.05, last_device_id: "dev-3", last_seen_country: "FR", last_updated: iso(T0 + 25 * HOUR_MS), risk_tier: "LOW",
      });
    });

    it("settles out-of-order arrivals on the latest event time, counting late events in its window", async () => {
      const card = `card_${uniq()}`;
      const e1 = scoredEvent({ card, ts: iso(T0), amount: 1 });
      const e2 = scoredEvent({ card, ts: iso(T0 + 2 * HOUR_MS), amount: 2, device: "dev-2" });
      const e3 = scoredEvent({ card, ts: iso(T0 + 20 * HOUR_MS), amount: 4, device: "dev-3" });
      const e4 = scoredEvent({ card, ts: iso(T0 + 25 * HOUR_MS), amount: 8, device: "dev-4" });
      for (const e of [e4, e2, e3, e1]) await store.putVerdicts([e]);
      expect(await store.getUserRisk(card)).toMatchObject({ tx_count_24hr: 3, spend_total_24hr: 14, last_device_id: "dev-4", last_updated: iso(T0 + 25 * HOUR_MS) });
    });

    it("derives the risk tier from alerts over the lookback (written before the verdicts)", async () => {
      const card = `card_${uniq()}`;
      const review = scoredEvent({ card, ts: iso(T0), verdict: "REVIEW" });
      await store.putAlerts([alertOf(review)]);
      await store.putVerdicts([review]);
      expect((await store.getUserRisk(card))?.risk_tier).toBe("MEDIUM");
      const more = [1, 2].map((h) => scoredEvent({ card, ts: iso(T0 + h * HOUR_MS), verdict: "REVIEW" }));
      await store.putAlerts(more.map((e) => alertOf(e)));
      await store.putVerdicts(more);
      expect((await store.getUserRisk(card))?.risk_tier).toBe("HIGH");
      const blockedCard = `card_${uniq()}`;
      const blocked = scoredEvent({ card: blockedCard, ts: iso(T0), verdict: "BLOCKED" });
      await store.putAlerts([alertOf(blocked)]);
      await store.putVerdicts([blocked]);
      expect((await store.getUserRisk(blockedCard))?.risk_tier).toBe("HIGH");
    });

    it("upsertUserRisk: a newer state replaces an older one, an older one never replaces a newer one", async () => {
      const card = `card_${uniq()}`;
      const newer = { user_id: card, risk_tier: "HIGH" as const, tx_count_24hr: 7, spend_total_24hr: 1234.56, last_seen_country: "DE", last_device_id: "dev-9", last_updated: iso(T0 + HOUR_MS) };
      const older = { ...newer, risk_tier: "LOW" as const, tx_count_24hr: 1, spend_total_24hr: 1, last_updated: iso(T0) };
      await store.upsertUserRisk(older);
      expect(await store.getUserRisk(card)).toEqual(older);
      await store.upsertUserRisk(newer);
      await store.upsertUserRisk(older);
      expect(await store.getUserRisk(card)).toEqual(newer);
      expect(await store.getUserRisk(`card_${uniq()}`)).toBeUndefined();
    });

    if (harness.withoutSchema) {
      const make = harness.withoutSchema;
      it("reports a missing table as a fatal (non-retriable) PortError", async () => {
        const { store: broken, close } = await make();
        try {
          const err = await broken.getVerdict("TXN-x").then(() => undefined, (e: unknown) => e);
          expect(err).toBeInstanceOf(PortError);
          expect((err as PortError).retriable).toBe(false);
        } finally {
          await close();
        }
      });
    }

    if (harness.unreachable) {
      const make = harness.unreachable;
      it("reports an unreachable server as a retriable PortError", async () => {
        const { store: down, close } = await make();
        try {
          const err = await down.putVerdicts([scoredEvent({ ts: iso(T0) })]).then(() => undefined, (e: unknown) => e);
          expect(err).toBeInstanceOf(PortError);
          expect((err as PortError).retriable).toBe(true);
        } finally {
          await close();
        }
      });
    }
  });
}
