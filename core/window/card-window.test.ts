import { describe, expect, it } from "vitest";
import { BASE_MS, ev } from "../testing/features.js";
import { CardWindow, DAY_MS, MAX_DEVICES, MAX_RECENT, MINUTE_MS } from "./card-window.js";

const times = (s: CardWindow) => s.recentTimes().map((t) => t - BASE_MS);
const dayOf = (s: CardWindow, day: number) => {
  for (let k = 0; k < s.days.length; k += 4) if (s.days[k] === day) return { count: s.days[k + 1], sum: s.days[k + 2] };
  return undefined;
};

describe("CardWindow", () => {
  it("starts empty", () => {
    const s = CardWindow.empty();
    expect(s.eventCount).toBe(0);
    expect(s.lastEventMs).toBeUndefined();
    expect(s.recentCount).toBe(0);
  });

  it("keeps events in event-time order whatever the arrival order", () => {
    const s = CardWindow.empty();
    for (const off of [5, 1, 9, 3, 3, 0, 7].map((m) => m * MINUTE_MS)) s.apply(ev(off));
    expect(times(s)).toEqual([0, 1, 3, 3, 5, 7, 9].map((m) => m * MINUTE_MS));
    expect(s.lastEventMs).toBe(BASE_MS + 9 * MINUTE_MS);
    expect(s.eventCount).toBe(7);
  });

  it("drops events that leave the 24 h window as the watermark advances (half-open: exactly 24 h goes)", () => {
    const s = CardWindow.empty();
    s.apply(ev(0));
    s.apply(ev(1000));
    s.apply(ev(DAY_MS));
    expect(times(s)).toEqual([1000, DAY_MS]);
    expect(s.evictedMs).toBe(BASE_MS);
  });

  it("late events (≤ watermark − 24 h) update only the 30-day buckets and devices, and are counted", () => {
    const s = CardWindow.empty();
    s.apply(ev(2 * DAY_MS));
    s.apply(ev(DAY_MS, { amount_usd: 70, device_fingerprint: "fp-late" }));
    expect(s.lateCount).toBe(1);
    expect(s.eventCount).toBe(2);
    expect(s.recentCount).toBe(1);
    expect(s.baseline.n).toBe(1);
    expect(s.knowsDevice(-1)).toBe(false);
    const day = Math.floor((BASE_MS + DAY_MS) / DAY_MS);
    expect(dayOf(s, day)).toEqual({ count: 1, sum: 70 });
    // One ms newer than the limit is still placed in the windows.
    s.apply(ev(DAY_MS + 1));
    expect(s.lateCount).toBe(1);
    expect(times(s)).toEqual([DAY_MS + 1, 2 * DAY_MS]);
  });

  it("drops a late event more than 30 days behind from the buckets too", () => {
    const s = CardWindow.empty();
    s.apply(ev(40 * DAY_MS));
    s.apply(ev(0));
    let total = 0;
    for (let k = 0; k < s.days.length; k += 4) if ((s.days[k] ?? -1) >= 0) total += s.days[k + 1] ?? 0;
    expect(total).toBe(1);
    expect(s.lateCount).toBe(1);
  });

  it("holds at most MAX_RECENT events, dropping the oldest", () => {
    const s = CardWindow.empty();
    for (let i = 0; i < MAX_RECENT + 20; i++) s.apply(ev(i * 100));
    expect(s.recentCount).toBe(MAX_RECENT);
    expect(times(s)[0]).toBe(20 * 100);
    expect(s.recentCapacity).toBe(MAX_RECENT);
  });

  it("holds at most MAX_DEVICES devices, replacing the least recently seen", () => {
    const s = CardWindow.empty();
    for (let i = 0; i < MAX_DEVICES; i++) s.apply(ev(i * 1000, { device_fingerprint: `fp-${i}` }));
    s.apply(ev(100_000, { device_fingerprint: "fp-0" })); // fp-0 seen again: fp-1 is now the oldest
    s.apply(ev(200_000, { device_fingerprint: "fp-new" }));
    expect(s.devLen).toBe(MAX_DEVICES);
    const seen = (fp: string) => s.knowsDevice(hash(fp));
    expect(seen("fp-0")).toBe(true);
    expect(seen("fp-1")).toBe(false);
    expect(seen("fp-new")).toBe(true);
  });

  it("keeps the latest evicted located event as the geo anchor", () => {
    const s = CardWindow.empty();
    s.apply(ev(0, { geolocation: { lat: 51.5, lon: -0.12 } }));
    s.apply(ev(2 * DAY_MS, { geolocation: undefined }));
    expect(s.anchorT).toBe(BASE_MS);
    expect(s.anchorLat).toBe(51.5);
  });
});

import { fnv1a as hash } from "./hash.js";
