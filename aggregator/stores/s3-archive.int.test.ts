import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { archiveContract } from "../testing/archive.contract.js";
import { deletePrefix, ensureBucket, s3Config } from "../testing/s3-harness.js";
import { createS3Archive, s3ClientFrom } from "./s3-archive.js";

// The production archive against the real S3Proxy (http://127.0.0.1:9000).
let s3: S3Client;
archiveContract("S3 (S3Proxy)", {
  async setup({ pageSize }) {
    s3 = s3ClientFrom(s3Config);
    await ensureBucket(s3, s3Config.S3_BUCKET);
    return createS3Archive(s3, { bucket: s3Config.S3_BUCKET, pageSize });
  },
  async teardown() {
    await deletePrefix(s3, s3Config.S3_BUCKET, "contract-");
    s3.destroy();
  },
  unreachable: async () => createS3Archive(s3ClientFrom({ ...s3Config, S3_ENDPOINT: "http://127.0.0.1:1" }, { maxAttempts: 1 }), { bucket: s3Config.S3_BUCKET }),
  misconfigured: async () => createS3Archive(s3, { bucket: "vigil-no-such-bucket" }),
});

describe("S3 list pagination", () => {
  it("follows continuation tokens page by page (MaxKeys 2, 5 keys → 3 requests)", async () => {
    const client = s3ClientFrom(s3Config);
    const prefix = `contract-pages-${Date.now()}/`;
    let listCalls = 0;
    const counting = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== "send") return Reflect.get(target, prop, receiver) as unknown;
        return (cmd: Parameters<S3Client["send"]>[0]) => {
          if (cmd instanceof ListObjectsV2Command) listCalls++;
          return target.send(cmd);
        };
      },
    });
    try {
      const archive = createS3Archive(counting, { bucket: s3Config.S3_BUCKET, pageSize: 2 });
      const keys = [0, 1, 2, 3, 4].map((i) => `${prefix}k${i}`);
      for (const k of keys) await archive.put(k, new Uint8Array([1]), "application/octet-stream");
      expect(await archive.list(prefix)).toEqual(keys);
      expect(listCalls).toBe(3);
    } finally {
      await deletePrefix(client, s3Config.S3_BUCKET, prefix);
      client.destroy();
    }
  });
});

describe("S3 list beyond one server page", () => {
  it("returns all 1,050 keys under a prefix with the default page size (S3 caps a page at 1,000)", async () => {
    const client = s3ClientFrom(s3Config);
    const prefix = `contract-1k-${Date.now()}/`;
    try {
      const archive = createS3Archive(client, { bucket: s3Config.S3_BUCKET });
      const keys = Array.from({ length: 1050 }, (_, i) => `${prefix}hour=${String(i % 24).padStart(2, "0")}/part-${String(i).padStart(5, "0")}.bin`);
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < keys.length) await archive.put(keys[next++]!, new Uint8Array([7]), "application/octet-stream");
        }),
      );
      expect(await archive.list(prefix)).toEqual([...keys].sort());
    } finally {
      await deletePrefix(client, s3Config.S3_BUCKET, prefix);
      client.destroy();
    }
  });
});
