// Seeded randomness for everything in core/ that needs it (training, simulation, tests).
// sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes PractRand,
// and uses only 32-bit integer operations (Math.imul, >>>, |0), so a seed gives the same
// integer sequence in every conforming JavaScript engine. Seeds are expanded with splitmix32 so
// nearby seeds (1, 2, 3 …) start from unrelated states. normal/logNormal/exponential go through
// Math.log/sqrt/cos, which ECMAScript lets engines round differently: they are bit-identical
// across V8-based runtimes (Node, Deno, workerd), which is what the shipped model relies on.

export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Raw 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform integer in [0, n) for 1 ≤ n ≤ 2^32. */
  int(n: number): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Normal (Gaussian) variate, Box–Muller. */
  normal(mean?: number, sd?: number): number;
  /** Log-normal variate: exp(normal(mu, sigma)). */
  logNormal(mu: number, sigma: number): number;
  /** Exponential variate with the given mean (e.g. Poisson inter-arrival gaps). */
  exponential(mean: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(arr: readonly T[]): T;
  /** Index chosen with probability proportional to weights[i] (non-negative, not all zero). */
  weighted(weights: readonly number[]): number;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(arr: T[]): T[];
  /**
   * An independent sub-stream named by `label`. It depends only on this generator's seed and
   * the label (not on how many numbers were drawn before), so adding draws in one part of a
   * simulation does not shift the numbers of another.
   */
  fork(label: string): Rng;
}

const TWO_POW_32 = 4294967296;

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return [s, z >>> 0];
}

/** murmur3's finaliser: a bijective 32-bit mix. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of a label. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function seedWords(seed: number): [number, number] {
  if (!Number.isFinite(seed)) throw new RangeError("seed must be a finite number");
  // Integers up to 2^53 keep all their bits; fractions are truncated.
  const s = Math.trunc(Math.abs(seed));
  const lo = s % TWO_POW_32 >>> 0;
  const hi = Math.floor(s / TWO_POW_32) >>> 0;
  return [lo ^ (seed < 0 ? 0x5bd1e995 : 0), hi];
}

function makeRng(k0: number, k1: number, k2: number): Rng {
  let st = (k0 ^ Math.imul(k1, 0x85ebca6b) ^ Math.imul(k2, 0xc2b2ae35)) | 0;
  let a: number, b: number, c: number;
  [st, a] = splitmix32(st);
  [st, b] = splitmix32(st);
  [st, c] = splitmix32(st);
  let d = 1;
  let spare = 0;
  let hasSpare = false;

  const uint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  const next = (): number => uint32() / TWO_POW_32;
  // Warm-up: sfc32 needs a few rounds before the state is well mixed.
  for (let i = 0; i < 12; i++) uint32();

  const normal = (mean = 0, sd = 1): number => {
    if (hasSpare) {
      hasSpare = false;
      return mean + sd * spare;
    }
    let u = next();
    while (u === 0) u = next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    hasSpare = true;
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  };

  const int = (n: number): number => {
    if (!(n >= 1 && n <= TWO_POW_32)) throw new RangeError(`int(n) needs 1 ≤ n ≤ 2^32, got ${n}`);
    return Math.floor(next() * n);
  };

  const rng: Rng = {
    next,
    uint32,
    int,
    range: (lo, hi) => lo + (hi - lo) * next(),
    normal,
    logNormal: (mu, sigma) => Math.exp(normal(mu, sigma)),
    exponential: (mean) => -mean * Math.log(1 - next()),
    chance: (p) => next() < p,
    pick<T>(arr: readonly T[]): T {
      if (arr.length === 0) throw new RangeError("pick from an empty array");
      return arr[int(arr.length)] as T;
    },
    weighted(weights: readonly number[]): number {
      let total = 0;
      for (let i = 0; i < weights.length; i++) total += weights[i]!;
      if (!(total > 0)) throw new RangeError("weighted() needs a positive total weight");
      let x = next() * total;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i] ?? 0;
        if (x < 0) return i;
      }
      return weights.length - 1;
    },
    shuffle<T>(arr: T[]): T[] {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = arr[i] as T;
        arr[i] = arr[j] as T;
        arr[j] = tmp;
      }
      return arr;
    },
    fork: (label) => makeRng(k0, fmix32(k1 ^ 0x27d4eb2f ^ Math.imul(k2, 0x165667b1)), fmix32(k2 ^ hashLabel(label))),
  };
  return rng;
}

/** A seeded generator: the same seed gives the same sequence in every runtime. */
export function createRng(seed: number): Rng {
  const [lo, hi] = seedWords(seed);
  return makeRng(lo, hi, 0);
}
