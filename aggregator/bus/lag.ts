/**
 * A partition's consumer lag, the same rule for every Kafka client: messages between the group's
 * committed offset and the high watermark; with no commit yet (a negative offset) the group starts
 * at the oldest retained message, so the lag counts from the low watermark.
 */
export function partitionLag(high: bigint, low: bigint, committed: bigint): number {
  const from = committed < 0n ? low : committed;
  return Math.max(0, Number(high - from));
}
