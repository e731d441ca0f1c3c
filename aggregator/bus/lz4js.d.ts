declare module "lz4js" {
  /** Compresses to an LZ4 frame (the format Kafka uses for compression.type=lz4). */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Decompresses one LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
