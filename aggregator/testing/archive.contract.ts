import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PortError, type Archive } from "../ports/index.js";
import { uniq } from "./scored-events.js";

// One behaviour contract for every Archive adapter (S3 via S3Proxy, local folder). Each run
// works under its own random prefix, so runs can share a bucket or folder.

export interface ArchiveHarness {
  /** `pageSize` asks the adapter to list in pages that small, to exercise pagination. */
  setup(options: { pageSize: number }): Promise<Archive>;
  teardown(): Promise<void>;
  /** An archive that cannot be reached (closed port): its errors must be retriable. */
  unreachable?(): Promise<Archive>;
  /** An archive whose target refuses the write for good (missing bucket, root is a file): fatal. */
  misconfigured?(): Promise<Archive>;
}

const bytes = (s: string) => new TextEncoder().encode(s);

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => undefined, (e: unknown) => e);
}

export function archiveContract(name: string, harness: ArchiveHarness): void {
  describe(`Archive contract: ${name}`, () => {
    let archive: Archive;
    const run = `contract-${uniq()}`;
    beforeAll(async () => {
      archive = await harness.setup({ pageSize: 3 });
    }, 240_000);
    afterAll(() => harness.teardown(), 60_000);

    it("puts and gets bytes unchanged; a missing key reads as undefined", async () => {
      const body = new Uint8Array(256).map((_, i) => i);
      const key = `${run}/raw/transactions/year=2024/month=06/day=15/hour=14/part-1-100.parquet`;
      await archive.put(key, body, "application/vnd.apache.parquet");
      expect(await archive.get(key)).toEqual(body);
      expect(await archive.get(`${run}/nothing/here.parquet`)).toBeUndefined();
    });

    it("overwrites an existing key: one object, the last body", async () => {
      const key = `${run}/overwrite/part-0-7.parquet`;
      await archive.put(key, bytes("first, longer body"), "application/octet-stream");
      await archive.put(key, bytes("second"), "application/octet-stream");
      expect(new TextDecoder().decode(await archive.get(key))).toBe("second");
      expect(await archive.list(`${run}/overwrite/`)).toEqual([key]);
    });

    it("lists every key under a prefix, sorted, across several pages, and nothing outside it", async () => {
      const keys = Array.from({ length: 11 }, (_, i) => `${run}/list/hour=${String(i % 3).padStart(2, "0")}/part-${i}.bin`);
      await Promise.all(keys.map((k, i) => archive.put(k, bytes(String(i)), "application/octet-stream")));
      await archive.put(`${run}/listing-sibling/x.bin`, bytes("x"), "application/octet-stream");
      expect(await archive.list(`${run}/list/`)).toEqual([...keys].sort());
      expect(await archive.list(`${run}/list/hour=01/`)).toEqual(keys.filter((k) => k.includes("hour=01/")).sort());
      expect(await archive.list(`${run}/list/hour=0`)).toHaveLength(11);
      expect(await archive.list(`${run}/nope/`)).toEqual([]);
    });

    it("refuses keys that are not plain relative paths, as fatal errors, before any I/O", async () => {
      for (const key of ["", "/abs/key", "a/../b", "a//b", "trailing/", "back\\slash"]) {
        const err = await failure(archive.put(key, bytes("x"), "text/plain"));
        expect(err, key).toBeInstanceOf(PortError);
        expect((err as PortError).retriable, key).toBe(false);
      }
    });

    if (harness.unreachable) {
      const make = harness.unreachable;
      it("reports an unreachable store as a retriable PortError", async () => {
        const down = await make();
        const calls = [() => down.put(`${run}/x.bin`, bytes("x"), "text/plain"), () => down.get(`${run}/x.bin`), () => down.list(`${run}/`)];
        for (const call of calls) {
          const err = await failure(call());
          expect(err).toBeInstanceOf(PortError);
          expect((err as PortError).retriable).toBe(true);
        }
      });
    }

    if (harness.misconfigured) {
      const make = harness.misconfigured;
      it("reports a permanently refused write as a fatal PortError", async () => {
        const bad = await make();
        const err = await failure(bad.put(`${run}/x.bin`, bytes("x"), "text/plain"));
        expect(err).toBeInstanceOf(PortError);
        expect((err as PortError).retriable).toBe(false);
      });
    }
  });
}
