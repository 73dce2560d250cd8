/**
 * A small seedable PRNG (mulberry32, a public-domain algorithm): the same seed gives the same
 * sequence on every run, so the local server's synthetic data and fault dice, and the tests that
 * simulate a job, are reproducible.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
