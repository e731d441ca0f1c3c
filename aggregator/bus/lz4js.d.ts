declare module "lz4js" {
  const lz4: {
    /** Compresses to an LZ4 frame (the format Kafka uses for compression.type=lz4). */
    compress(src: Uint8Array, maxSize?: number): Uint8Array;
    /** Decompresses one LZ4 frame. */
    decompress(src: Uint8Array, maxSize?: number): Uint8Array;
    /** Upper bound of one frame's decompressed size (its blocks' maximum sizes, or the content size). */
    decompressBound(src: Uint8Array): number;
    /** Decompresses one frame into `dst` (at least decompressBound long); returns the bytes written. */
    decompressFrame(src: Uint8Array, dst: Uint8Array): number;
  };
  export default lz4;
}
