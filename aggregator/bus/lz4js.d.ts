declare module "lz4js" {
  const lz4: {
    /** Compresses to an LZ4 frame (the format Kafka uses for compression.type=lz4). */
    compress(src: Uint8Array, maxSize?: number): Uint8Array;
    /** Decompresses one LZ4 frame. */
    decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  };
  export default lz4;
}
