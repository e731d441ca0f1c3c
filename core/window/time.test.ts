import { describe, expect, it } from "vitest";
import { createRng } from "../random.js";
import { parseEventTime } from "./time.js";

describe("parseEventTime", () => {
  it("equals Date.parse on the fast shapes and on everything it hands over", () => {
    const rng = createRng(11);
    const cases = [
      "2024-06-15T14:32:01.123Z", "2024-06-15T14:32:01Z", "2024-06-15T14:32:01+02:00", "2024-06-15T14:32:01.5-05:30",
      "2024-02-29T23:59:59.999Z", "2000-01-01T00:00:00.000+14:00", "2099-12-31T23:59:59.999-12:00", "2024-06-15T14:32Z",
      "2024-06-15T14:32:01.123456Z", "2024-13-01T00:00:00Z", "not a date", "2024-06-15T14:32:01.123+0200",
      // Month ends on the fast path, and days past them that Date.parse rolls over.
      "2023-02-28T10:00:00Z", "2023-02-29T10:00:00Z", "2024-02-30T10:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z",
      "2026-04-30T12:00:00.000Z", "2026-04-31T12:00:00.000Z", "2026-01-31T23:59:59+05:00", "2026-12-31T23:59:59.999-12:00",
      "2026-06-32T00:00:00Z",
    ];
    for (let i = 0; i < 2000; i++) {
      const ms = Date.UTC(2000, 0, 1) + rng.int(100 * 365) * 86_400_000 + rng.int(86_400_000);
      const iso = new Date(ms).toISOString();
      cases.push(iso, iso.replace(/\.\d{3}Z$/, "Z"));
      const oh = rng.int(15), om = rng.pick([0, 30, 45]);
      cases.push(iso.replace("Z", `${rng.chance(0.5) ? "+" : "-"}${String(oh).padStart(2, "0")}:${String(om).padStart(2, "0")}`));
    }
    for (const c of cases) expect(parseEventTime(c), c).toBe(Date.parse(c));
  });
});
