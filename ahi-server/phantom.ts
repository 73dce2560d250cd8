/**
 * A deterministic 3-D CT phantom: ellipsoids of tissue, lung, bone and contrast in air, with
 * Gaussian noise, sampled into 512×512 slices of 12-bit unsigned values (HU + 1024). It stands in
 * for a real CT series of thousands of slices, which no public fixture offers, while compressing
 * like one (about 150–200 KB per lossless HTJ2K slice).
 */
import { mulberry32 } from '../src/core/random';

interface Ellipsoid {
  /** centre, in the normalised cube [-1, 1]³ */
  x: number;
  y: number;
  z: number;
  /** semi-axes */
  a: number;
  b: number;
  c: number;
  /** in-plane rotation, radians */
  theta: number;
  /** Hounsfield units inside */
  hu: number;
}

const BODY: Ellipsoid[] = [
  { x: 0, y: 0.05, z: 0, a: 0.78, b: 0.6, c: 1.2, theta: 0, hu: -110 }, // subcutaneous fat
  { x: 0, y: 0.05, z: 0, a: 0.72, b: 0.54, c: 1.2, theta: 0, hu: 38 }, // soft tissue
  { x: -0.32, y: -0.02, z: 0.45, a: 0.22, b: 0.34, c: 0.55, theta: 0.15, hu: -840 }, // right lung
  { x: 0.32, y: -0.02, z: 0.45, a: 0.21, b: 0.33, c: 0.52, theta: -0.15, hu: -850 }, // left lung
  { x: 0.04, y: -0.1, z: 0.35, a: 0.14, b: 0.12, c: 0.25, theta: 0.4, hu: 45 }, // heart
  { x: -0.24, y: 0.04, z: -0.38, a: 0.32, b: 0.26, c: 0.3, theta: 0.2, hu: 62 }, // liver
  { x: 0.3, y: 0.0, z: -0.35, a: 0.12, b: 0.1, c: 0.18, theta: -0.3, hu: 48 }, // spleen
  { x: -0.28, y: 0.3, z: -0.62, a: 0.09, b: 0.12, c: 0.14, theta: 0.3, hu: 32 }, // kidney
  { x: 0.28, y: 0.3, z: -0.6, a: 0.09, b: 0.12, c: 0.14, theta: -0.3, hu: 32 }, // kidney
  { x: 0.05, y: 0.24, z: 0, a: 0.045, b: 0.045, c: 1.3, theta: 0, hu: 190 }, // aorta (contrast)
  { x: 0, y: 0.42, z: 0, a: 0.075, b: 0.07, c: 1.3, theta: 0, hu: 720 }, // vertebral bodies
  { x: 0, y: 0.42, z: 0, a: 0.035, b: 0.03, c: 1.3, theta: 0, hu: 25 }, // spinal canal
  { x: -0.2, y: 0.1, z: -0.3, a: 0.03, b: 0.03, c: 0.03, theta: 0, hu: 95 }, // lesion
  { x: 0.35, y: -0.1, z: 0.55, a: 0.025, b: 0.025, c: 0.025, theta: 0, hu: -20 }, // nodule
];

export const PHANTOM_SIZE = 512;
const NOISE_TABLE_SIZE = 1 << 16;
const NOISE_SIGMA_HU = 7;

let noiseTable: Int16Array | undefined;
function gaussianTable(): Int16Array {
  if (noiseTable) return noiseTable;
  const rand = mulberry32(0x5eed);
  const table = new Int16Array(NOISE_TABLE_SIZE);
  for (let i = 0; i < NOISE_TABLE_SIZE; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * NOISE_SIGMA_HU;
    table[i] = Math.round(r * Math.cos(2 * Math.PI * v));
    table[i + 1] = Math.round(r * Math.sin(2 * Math.PI * v));
  }
  noiseTable = table;
  return table;
}

/**
 * Renders slice `index` of `count` into `out` (PHANTOM_SIZE² samples, stored value = HU + 1024,
 * clamped to 12 bits). The result depends only on (index, count).
 */
export function renderSlice(index: number, count: number, out: Uint16Array): void {
  const n = PHANTOM_SIZE;
  const z = count <= 1 ? 0 : -1 + (2 * index) / (count - 1);
  const hu = new Int16Array(n * n).fill(-1000);
  for (const e of BODY) {
    const dz = (z - e.z) / e.c;
    if (dz * dz >= 1) continue;
    const s = Math.sqrt(1 - dz * dz);
    const a = e.a * s;
    const b = e.b * s;
    const cos = Math.cos(e.theta);
    const sin = Math.sin(e.theta);
    // Inside test ((dx cos + dy sin)/a)² + ((-dx sin + dy cos)/b)² ≤ 1, solved per row for dx.
    const qa = (cos * cos) / (a * a) + (sin * sin) / (b * b);
    for (let row = 0; row < n; row++) {
      const dy = -1 + (2 * row + 1) / n - e.y;
      const qb = 2 * dy * cos * sin * (1 / (a * a) - 1 / (b * b));
      const qc = dy * dy * ((sin * sin) / (a * a) + (cos * cos) / (b * b)) - 1;
      const disc = qb * qb - 4 * qa * qc;
      if (disc < 0) continue;
      const root = Math.sqrt(disc);
      const x0 = e.x + (-qb - root) / (2 * qa);
      const x1 = e.x + (-qb + root) / (2 * qa);
      const c0 = Math.max(0, Math.ceil(((x0 + 1) * n - 1) / 2));
      const c1 = Math.min(n - 1, Math.floor(((x1 + 1) * n - 1) / 2));
      if (c1 >= c0) hu.fill(e.hu, row * n + c0, row * n + c1 + 1);
    }
  }
  const table = gaussianTable();
  const rand = mulberry32(0x9e3779b9 ^ Math.imul(index + 1, 0x85ebca6b));
  let bits = 0;
  let have = 0;
  for (let i = 0; i < hu.length; i++) {
    if (have === 0) {
      bits = (rand() * 4294967296) >>> 0;
      have = 2;
    }
    const noise = table[bits & 0xffff] ?? 0;
    bits >>>= 16;
    have--;
    const v = (hu[i] ?? -1000) + 1024 + noise;
    out[i] = v < 0 ? 0 : v > 4095 ? 4095 : v;
  }
}
