/**
 * 32-bit FNV-1a of a string. Merchants and devices are kept per card as these hashes, not as
 * strings, so the state stays small and fixed-width. Two different ids colliding on one card has a
 * probability of ~n²/2³³ (n ≤ 128 here): negligible, and the effect is only an undercount.
 */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
