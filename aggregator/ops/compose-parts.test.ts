import { describe, expect, it } from "vitest";
import type { SqlQueryable } from "../ports/index.js";
import { PoisonMessageError } from "../sinks/index.js";
import { opsHealthSources } from "./health-sources.js";
import { createLearningClock } from "./learning-clock.js";
import { createSinkTracker } from "./sink-tracker.js";

// The parts composeOps wires together (compose.ts): sink tracking, the learning clock, the health sources.

const batch = { topic: "fraud-verdicts", partition: 0, messages: [] };
const position = { topic: "fraud-verdicts", partition: 0, offset: "0" };
const retriable = Object.assign(new Error("store down"), { retriable: true });

describe("sink tracker", () => {
  it("idle until a write, running after a good one, failing after a retriable error; poison leaves the state", async () => {
    let t = Date.parse("2026-11-28T12:00:00.000Z");
    const tracker = createSinkTracker(() => t);
    let fail: Error | undefined;
    const sink = tracker.track("hot", async () => {
      if (fail) throw fail;
    });
    expect(tracker.states()).toEqual({ hot: { state: "idle", last_write_at: null, errors: 0 } });
    await sink(batch);
    expect(tracker.states().hot).toEqual({ state: "running", last_write_at: "2026-11-28T12:00:00.000Z", errors: 0 });
    fail = new PoisonMessageError("bad message", position, 0);
    await expect(sink(batch)).rejects.toBe(fail);
    expect(tracker.states().hot).toMatchObject({ state: "running", errors: 0 });
    fail = retriable;
    await expect(sink(batch)).rejects.toBe(retriable);
    expect(tracker.states().hot).toEqual({ state: "failing", last_write_at: "2026-11-28T12:00:00.000Z", errors: 1 });
    fail = undefined;
    t += 1000;
    await sink(batch);
    expect(tracker.states().hot).toEqual({ state: "running", last_write_at: "2026-11-28T12:00:01.000Z", errors: 1 });
  });
});

describe("learning clock", () => {
  const sqlAnswering = (t: string | null | Error): SqlQueryable =>
    ({ query: async () => (t instanceof Error ? Promise.reject(t) : { rows: [{ t }] }) }) as unknown as SqlQueryable;
  const errors: string[] = [];
  const log = { error: (code: string) => void errors.push(code) };

  it("wall: the wall clock, ready at once, nothing to advance", () => {
    const clock = createLearningClock("wall", () => 42);
    let ready = false;
    clock.whenReady(sqlAnswering(new Error("not asked")), log, () => (ready = true));
    expect([clock.now(), ready, clock.advance]).toEqual([42, true, undefined]);
  });

  it("events: the stored watermark after a restart, then only forward; a failed read is logged, never ready", async () => {
    const clock = createLearningClock("events", () => 42);
    expect(clock.now()).toBe(0);
    const ready = await new Promise<boolean>((resolve) => clock.whenReady(sqlAnswering("2026-11-28T12:00:00.000Z"), log, () => resolve(true)));
    expect([ready, clock.now()]).toEqual([true, Date.parse("2026-11-28T12:00:00.000Z")]);
    clock.advance?.(Date.parse("2026-11-28T11:00:00.000Z"));
    expect(clock.now()).toBe(Date.parse("2026-11-28T12:00:00.000Z"));
    clock.advance?.(Date.parse("2026-11-28T13:00:00.000Z"));
    expect(clock.now()).toBe(Date.parse("2026-11-28T13:00:00.000Z"));
    const other = createLearningClock("events", () => 42);
    other.whenReady(sqlAnswering(new Error("pg down")), log, () => errors.push("READY"));
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual(["LEARNING_CLOCK_UNAVAILABLE"]);
  });
});

describe("health sources", () => {
  it("add the bus as a critical probe (lag answering), and a consumer's own status wins over its tracked handler", async () => {
    const tracker = createSinkTracker(() => 0);
    tracker.track("hot_store", async () => undefined);
    tracker.track("archive", async () => undefined);
    const consumers = [{ name: "hot_store", groupId: "g-hot", lag: async () => [{ topic: "fraud-verdicts", partition: 0, lag: 3 }], status: () => ({ state: "stalled", last_write_at: null, errors: 2 }) }];
    const h = opsHealthSources({ probes: [], consumers: () => consumers, sinks: tracker, throughputTps: () => 7, startedAtMs: 0, now: () => 0 });
    expect(h.probes.map((p) => [p.name, p.critical])).toEqual([["bus", true]]);
    expect(await h.probes[0]!.check()).toEqual({ ok: true });
    expect(await h.lag()).toEqual([{ group: "g-hot", topic: "fraud-verdicts", partition: 0, lag: 3 }]);
    expect(h.sinks()).toEqual({ hot_store: { state: "stalled", last_write_at: null, errors: 2 }, archive: { state: "idle", last_write_at: null, errors: 0 } });
    expect(h.throughputTps()).toBe(7);
  });
});
