// ISO 8601 timestamps without a Date object per event: the date part is cached per UTC day and
// the time of day is assembled from lookup tables (the simulator formats millions of them).

const DAY_MS = 86_400_000;
const P2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const P3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

export type IsoFormatter = (ms: number) => string;

/** A formatter of integer epoch milliseconds to `YYYY-MM-DDTHH:MM:SS.mmmZ`, same as toISOString. */
export function isoFormatter(): IsoFormatter {
  let day = NaN;
  let prefix = "";
  return (ms: number) => {
    const d = Math.floor(ms / DAY_MS);
    if (d !== day) {
      day = d;
      prefix = new Date(d * DAY_MS).toISOString().slice(0, 11);
    }
    let r = ms - d * DAY_MS;
    const h = Math.floor(r / 3_600_000);
    r -= h * 3_600_000;
    const m = Math.floor(r / 60_000);
    r -= m * 60_000;
    const s = Math.floor(r / 1000);
    return `${prefix}${P2[h]}:${P2[m]}:${P2[s]}.${P3[r - s * 1000]}Z`;
  };
}
