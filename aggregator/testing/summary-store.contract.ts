import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PortError, type SummaryStore } from "../ports/index.js";
import { scoredEvent } from "./scored-events.js";

// One behaviour contract for every SummaryStore adapter (PostgreSQL, PGlite) on real instances.
// The harness gives each run an empty database; tests use distinct report dates.

export interface SummaryStoreHarness {
  setup(): Promise<SummaryStore>;
  teardown(): Promise<void>;
  /** A second store on the same database, as a second consumer process would have. */
  second?(): Promise<SummaryStore>;
  withoutSchema?(): Promise<SummaryStore>;
  unreachable?(): Promise<SummaryStore>;
}

export function summaryStoreContract(name: string, harness: SummaryStoreHarness): void {
  describe(`SummaryStore contract: ${name}`, () => {
    let store: SummaryStore;
    beforeAll(async () => {
      store = await harness.setup();
    }, 240_000);
    afterAll(() => harness.teardown(), 60_000);

    it("counts each transaction exactly once however often and however batched it is delivered", async () => {
      const ts = "2025-01-10T12:00:00.000Z";
      const a = scoredEvent({ ts, mcc: "5411", verdict: "APPROVED", score: 10, amount: 10 });
      const b = scoredEvent({ ts, mcc: "5411", verdict: "REVIEW", score: 60, amount: 20 });
      const c = scoredEvent({ ts, mcc: "5411", verdict: "BLOCKED", score: 90, amount: 30.1 });
      const d = scoredEvent({ ts, mcc: "5411", verdict: "BLOCKED", score: 100, amount: 0.2 });
      const e = scoredEvent({ ts, mcc: "5999", verdict: "APPROVED", score: 5, amount: 99.99 });
      await store.applyVerdicts([a, b, c]);
      await store.applyVerdicts([b, c, d, e]);
      await store.applyVerdicts([a, a, e]);
      expect(await store.summaryForDate("2025-01-10")).toEqual([
        { report_date: "2025-01-10", merchant_category: "5411", total_transactions: 4, flagged_count: 3, blocked_count: 2,
          false_positive_rate: 0, avg_fraud_score: 65, total_fraud_amount: 30.3 },
        { report_date: "2025-01-10", merchant_category: "5999", total_transactions: 1, flagged_count: 0, blocked_count: 0,
          false_positive_rate: 0, avg_fraud_score: 5, total_fraud_amount: 0 },
      ]);
    });

    it("keeps the average a running mean across batches (4 decimals) and money exact", async () => {
      const ts = "2025-02-01T00:00:00.000Z";
      await store.applyVerdicts([scoredEvent({ ts, score: 10, verdict: "BLOCKED", amount: 0.1 })]);
      await store.applyVerdicts([scoredEvent({ ts, score: 20, verdict: "BLOCKED", amount: 0.2 })]);
      await store.applyVerdicts([scoredEvent({ ts, score: 25, verdict: "REVIEW", amount: 1000 })]);
      const [row] = await store.summaryForDate("2025-02-01");
      expect(row).toMatchObject({ total_transactions: 3, flagged_count: 3, blocked_count: 2, avg_fraud_score: 18.3333, total_fraud_amount: 0.3 });
    });

    it("assigns the report date from the event time in UTC, whatever the offset", async () => {
      await store.applyVerdicts([
        scoredEvent({ ts: "2025-03-15T23:59:59.999Z" }),
        scoredEvent({ ts: "2025-03-16T00:30:00.000+02:00" }), // 22:30 UTC on the 15th
        scoredEvent({ ts: "2025-03-16T00:00:00.000Z" }),
        scoredEvent({ ts: "2025-03-15T20:00:00.000-05:00" }), // 01:00 UTC on the 16th
      ]);
      expect((await store.summaryForDate("2025-03-15"))[0]?.total_transactions).toBe(2);
      expect((await store.summaryForDate("2025-03-16"))[0]?.total_transactions).toBe(2);
      expect(await store.summaryForDate("2025-03-14")).toEqual([]);
    });

    it("counts once when two writers apply overlapping batches at the same time", async () => {
      const ts = "2025-04-20T10:00:00.000Z";
      const events = Array.from({ length: 40 }, (_, i) => scoredEvent({ ts, score: i, verdict: i % 4 === 0 ? "BLOCKED" : "APPROVED", amount: 1.5 }));
      const other = harness.second ? await harness.second() : store;
      try {
        await Promise.all([
          store.applyVerdicts(events.slice(0, 30)),
          other.applyVerdicts(events.slice(10, 40)),
          store.applyVerdicts(events.slice(5, 25)),
        ]);
      } finally {
        if (other !== store) await other.close();
      }
      const [row] = await store.summaryForDate("2025-04-20");
      expect(row).toMatchObject({ total_transactions: 40, blocked_count: 10, flagged_count: 10, total_fraud_amount: 15, avg_fraud_score: 19.5 });
    });

    it("refuses a malformed date with a fatal PortError", async () => {
      const err = await store.summaryForDate("2025-13-45' OR 1=1").then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(PortError);
      expect((err as PortError).retriable).toBe(false);
    });

    if (harness.withoutSchema) {
      const make = harness.withoutSchema;
      it("reports missing tables as a fatal PortError", async () => {
        const broken = await make();
        try {
          const err = await broken.applyVerdicts([scoredEvent({ ts: "2025-05-01T00:00:00Z" })]).then(() => undefined, (e: unknown) => e);
          expect(err).toBeInstanceOf(PortError);
          expect((err as PortError).retriable).toBe(false);
        } finally {
          await broken.close();
        }
      });
    }

    if (harness.unreachable) {
      const make = harness.unreachable;
      it("reports an unreachable database as a retriable PortError", async () => {
        const down = await make();
        try {
          const err = await down.applyVerdicts([scoredEvent({ ts: "2025-05-01T00:00:00Z" })]).then(() => undefined, (e: unknown) => e);
          expect(err).toBeInstanceOf(PortError);
          expect((err as PortError).retriable).toBe(true);
        } finally {
          await down.close();
        }
      });
    }
  });
}
