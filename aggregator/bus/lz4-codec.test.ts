import { randomBytes } from "node:crypto";
import kafkajs from "kafkajs";
import lz4 from "lz4js";
import { describe, expect, it } from "vitest";
import { registerLz4Codec } from "./lz4-codec.js";

const { CompressionCodecs, CompressionTypes } = kafkajs;

describe("kafkajs LZ4 codec", () => {
  registerLz4Codec();
  const codec = CompressionCodecs[CompressionTypes.LZ4]!();

  it("decompresses frames to exactly the original bytes: compressible, incompressible, empty", async () => {
    const text = Buffer.from(JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ i, card: "ab".repeat(32), amount: i * 1.5 }))));
    for (const original of [text, randomBytes(300_000), Buffer.alloc(0), Buffer.from("x")]) {
      const frame = Buffer.from(lz4.compress(original));
      const out = await codec.decompress(frame);
      expect(Buffer.isBuffer(out)).toBe(true);
      expect(out.length).toBe(original.length);
      expect(out.equals(original)).toBe(true);
    }
  });

  it("round-trips through its own compress", async () => {
    const original = Buffer.from("vigil ".repeat(10_000));
    const frame = await codec.compress({ buffer: original } as never);
    expect((await codec.decompress(frame)).equals(original)).toBe(true);
  });
});
