import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/contracts/canonical-json.js";
import { eventFingerprint } from "../../core/contracts/fingerprint.js";
import { ScoredEventSchema } from "../../core/schemas.js";
import { scoredRecords } from "../testing/ingest-fixtures.js";
import { fingerprintsOf } from "./fingerprint.js";

const at = "2026-11-28T12:00:00.000Z";
const records = () => scoredRecords(0, 50, { run: "fp", cards: 7, baseMs: Date.parse(at), receivedAt: at });
/** The digest as the aggregator computed it before fingerprints travelled (Node's hash): pinned. */
const nodeDigest = (event: unknown) => createHash("sha256").update(canonicalJson(event)).digest("hex").slice(0, 32);

describe("event fingerprint at ingest", () => {
  it("an envelope without one: the first 128 bits of SHA-256 over the canonical event, in hex (the ledger keeps these across deploys)", async () => {
    const old = records();
    for (const r of old) expect(r).not.toHaveProperty("fingerprint");
    const odd = old.map((r) => ({ ...r, event: { ...r.event, merchant_id: "é日本" } }));
    expect(fingerprintsOf(old)).toEqual(old.map((r) => nodeDigest(r.event)));
    expect(fingerprintsOf(odd)).toEqual(odd.map((r) => nodeDigest(r.event)));
  });

  it("an envelope carrying one: used as carried, nothing recomputed; the edge's function gives the same digest", async () => {
    const rs = records().slice(0, 5);
    // The edge's fingerprint of an event is the digest an old envelope gets here.
    for (const r of rs) expect(await eventFingerprint(r.event)).toBe(nodeDigest(r.event));
    // A carried value wins even where it is not the event's digest: proof it is not recomputed.
    const carried = rs.map((r, i) => ({ ...r, fingerprint: `${String(i).padStart(2, "0")}${"ab".repeat(15)}` }));
    const mixed = [carried[0], rs[1], carried[2]].map((r) => ScoredEventSchema.parse(r));
    expect(fingerprintsOf(mixed)).toEqual([carried[0]?.fingerprint, nodeDigest(rs[1]?.event), carried[2]?.fingerprint]);
  });

  it("a carried fingerprint of another shape is refused by the envelope's schema", () => {
    const [r] = records();
    for (const bad of ["ABCDEF0123456789abcdef0123456789", "abc", `${"0".repeat(32)}0`]) {
      expect(ScoredEventSchema.safeParse({ ...r, fingerprint: bad }).success, bad).toBe(false);
    }
    expect(ScoredEventSchema.safeParse({ ...r, zone: "mars" }).success).toBe(false);
    expect(ScoredEventSchema.safeParse({ ...r, zone: "eu", fingerprint: "0".repeat(32) }).success).toBe(true);
  });
});
