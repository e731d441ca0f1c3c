import kafkajs from "kafkajs";
import lz4 from "lz4js";

const { CompressionCodecs, CompressionTypes } = kafkajs;

// The topics use compression.type=lz4 (the spec's layout), so the broker stores LZ4 batches even
// when the producer sends them uncompressed, and kafkajs ships no LZ4 codec: without this, every
// fetch fails (kafkajs reports LZ4 as an unsupported codec). lz4js is pure JS (no native build) and
// handles the LZ4 frame format Kafka writes. Decoding only in practice: the producer sends
// uncompressed batches (the broker compresses them); a broker refused lz4js-compressed produce
// requests in a quick trial, so producer-side LZ4 stays off until that is understood.
let registered = false;

export function registerLz4Codec(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => Buffer.from(lz4.compress(encoder.buffer)),
    // Straight into one uninitialised Buffer: lz4.decompress would zero a bound-sized array, copy
    // the written part out, and Buffer.from would copy it again (three allocations per batch).
    decompress: async (buffer: Buffer) => {
      const out = Buffer.allocUnsafe(lz4.decompressBound(buffer));
      return out.subarray(0, lz4.decompressFrame(buffer, out));
    },
  });
}
