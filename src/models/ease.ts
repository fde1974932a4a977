// EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): closed-form item–item weights B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹ over the binary training matrix, P from a blocked Cholesky.
//
// Design notes, measured on the lab's 2-core AMD EPYC (Zen 3, AVX2) with tfjs-node 4.22 and Node 20, while another
// engineer's job kept the second core busy (so single-core figures; whole fitEase, G and B included):
//
// - Inverse: TF by default. Both solvers run the same blocked algorithm (blocked Cholesky G = LLᵀ, then P = L⁻ᵀL⁻¹ by
//   block back-substitution, see invertSpdInPlace). Plain JS (Float64, 2x4 register-blocked, cache-tiled dot products,
//   ~2 GFLOP/s) against TF (tf.matMul for every product larger than a block, ~40 GFLOP/s, diagonal blocks in Float64 JS):
//     ml-100k u1 train, n = 1,650 movies:              js 2.0 s (peak RSS 343 MB), tf 0.37 s (385 MB)
//     ml-latest-small, all ratings, n = 3,650 (>= 5):  js 19.5 s (406 MB),        tf 2.45 s (656 MB)
//     ml-latest-small, every rated movie, n = 9,724:   tf 46.5 s (1.8 GB); js not run (~6 min by n³)
//   (the process holds ~300 MB before the fit: data plus TF). The crossover is near n = 250 (n = 200: js 5 ms, tf 10
//   ms; n = 400: js 31 ms, tf 16 ms), hence EASE_TF_MIN_MOVIES. Same flops, 69 s with 128-blocks and 46.5 s with
//   256-blocks at n = 9,724: the n²-sized slice/concat copies of each block step weigh as much as the matMuls there.
//   Times varied by up to ±30% from run to run on the shared machine.
// - Accuracy of TF's float32 against the Float64 JS result: max |B_tf - B_js| = 2.0e-7 (max |B| 0.12) on ml-100k u1,
//   1.6e-7 (max |B| 0.088) at n = 3,650; u1 Recall@10 and NDCG@10 agree to 4 decimals.
// - Threads: the lab runs TF on one intra-op thread (src/backend.ts). TF_NUM_INTRAOP_THREADS=2 gave no gain here (0.37
//   s and 2.2 s either way), but only one core was free, so the two-core gain is unmeasured.
// - λ = 400 (the paper used 500 on ML-20M): NDCG@10 (full ranking, relevance >= 4) on validation carve-outs of 10%
//   of ml-100k u1's training ratings, mean over 3 seeds: λ 200: 0.2135, 300: 0.2164, 400: 0.2181, 500: 0.2175, 700:
//   0.2159 (2 seeds: λ 10: 0.164, 50: 0.195, 100: 0.206, 1000: 0.211, 2000: 0.206; popularity 0.106). Keeping only
//   ratings >= 4 in X won on one seed and lost on the other, so X keeps every training rating by default.
// - Movies outside the model score a finite constant below any modelled score (Ease.unmodelledScore), not -Infinity:
//   the evaluation accepts both, but recommendation tables and JSON would print -Infinity as null.
// - Do not profile TF runs with node --cpu-prof: tf.matMul on varying shapes corrupts the heap under V8's sampling
//   profiler in this tfjs-node build (reproduced without this file; cf. tensorflow/tfjs#7719).
import { tf } from "../backend";
import { groupUserColumn } from "../data/splits";
import { Dataset } from "../data/types";
import { choleskyInPlace } from "../util/linalg";
import type { MovieScorer } from "./scorer";

/** Which implementation inverts XᵀX + λI: plain JS in Float64, or the blocked form whose big products run in TF.js (float32). */
export type EaseSolver = "js" | "tf";

/** Options for {@link fitEase}. */
export interface EaseOptions {
  /** The ridge λ added to the diagonal of XᵀX (default {@link EASE_DEFAULT_LAMBDA}). */
  lambda?: number;
  /**
   * Only movies with at least this many training interactions (rows of X with a 1 in their column) are modelled
   * (default 1 for catalogues of at most 4,000 movies, else 5). Others get {@link Ease.unmodelledScore}.
   */
  minRatings?: number;
  /** When set, only training ratings >= this are interactions (X[u, i] = 1); default null: every training rating. */
  ratingThreshold?: number | null;
  /**
   * "tf" or "js"; default "auto": "tf" on the native TensorFlow backend once the model has at least
   * {@link EASE_TF_MIN_MOVIES} movies, else "js" (TF.js's pure-JS CPU backend would be slower than plain JS).
   */
  solver?: EaseSolver | "auto";
  /** Block size of the blocked factorisation (default 32 for "js"; for "tf" 128, or 256 above 4,096 movies). */
  blockSize?: number;
}

/** A fitted EASE model: the item–item weights over the modelled movies and each user's training interactions. */
export interface Ease {
  readonly lambda: number;
  readonly minRatings: number;
  readonly ratingThreshold: number | null;
  /** Which implementation computed the inverse. */
  readonly solver: EaseSolver;
  /** Dense index of each modelled movie, ascending; n = movies.length is the size of {@link weights}. */
  readonly movies: Int32Array;
  /** Per dataset movie: its row and column in {@link weights}, or -1 when it is not modelled. */
  readonly column: Int32Array;
  /** B, n x n row-major: row i = a movie the user interacted with, column j = the movie scored; diag(B) = 0. */
  readonly weights: Float32Array;
  /**
   * The score of every movie outside the model: -(largest column sum of |B|) - 1, finite and strictly below any score
   * a modelled movie can get, so unmodelled movies rank after all modelled ones and tie among themselves.
   */
  readonly unmodelledScore: number;
  /** Each user's training interactions as columns of {@link weights}, ascending, at offsets[u]..offsets[u+1]. */
  readonly byUser: { readonly offsets: Int32Array; readonly column: Int32Array };
}

/** Default ridge λ for MovieLens catalogues of a few thousand movies (chosen on a validation carve-out of ml-100k u1). */
export const EASE_DEFAULT_LAMBDA = 400;

/** Below this many modelled movies, "auto" inverts in plain JS even on the native backend (TF's per-call overhead wins). */
export const EASE_TF_MIN_MOVIES = 256;

const JS_BLOCK = 32;
/** TF blocks: 128 up to 4,096 movies, 256 above (fewer steps, so fewer n²-sized slice/concat copies per step). */
const tfBlock = (n: number): number => (n > 4096 ? 256 : 128);
/** k-chunk and j-tile of {@link gemmNT}: a 64 x 256 tile of `b` is 128 KB and stays in L2 while the rows of `a` stream past. */
const KC = 256;
const JC = 64;

/**
 * c[i][j] += alpha · Σ_{k < kLen} a[i][k] · b[j][k] for i < m and j < p (only j <= i when `lower`), on row-major views
 * given by offset and row stride. Dot products over contiguous rows, two rows of `a` against four of `b` at a time, in
 * k-chunks and j-tiles that stay in cache. `c` must not overlap `a` or `b`.
 */
function gemmNT(
  m: number,
  p: number,
  kLen: number,
  a: Float64Array,
  aOff: number,
  aStride: number,
  b: Float64Array,
  bOff: number,
  bStride: number,
  c: Float64Array,
  cOff: number,
  cStride: number,
  alpha: number,
  lower: boolean,
): void {
  const dot = (ai: number, bj: number, kn: number): number => {
    let s = 0;
    for (let k = 0; k < kn; k++) s += a[ai + k] * b[bj + k];
    return s;
  };
  for (let k0 = 0; k0 < kLen; k0 += KC) {
    const kn = Math.min(KC, kLen - k0);
    for (let j0 = 0; j0 < p; j0 += JC) {
      const j1 = Math.min(j0 + JC, p);
      for (let i = lower ? j0 - (j0 & 1) : 0; i < m; i += 2) {
        const ai = aOff + i * aStride + k0;
        const ci = cOff + i * cStride;
        if (i + 1 < m) {
          // Rows i and i + 1; with `lower`, row i needs j <= i and row i + 1 needs j <= i + 1.
          const jEnd = lower ? Math.min(j1, i + 2) : j1;
          const ai2 = ai + aStride;
          const ci2 = ci + cStride;
          let j = j0;
          // Two rows by four columns (eight accumulators), then by two, then one column.
          for (; j + 3 < jEnd && (!lower || j + 3 <= i); j += 4) {
            const bj = bOff + j * bStride + k0;
            const bj2 = bj + bStride;
            const bj3 = bj2 + bStride;
            const bj4 = bj3 + bStride;
            let s00 = 0;
            let s01 = 0;
            let s02 = 0;
            let s03 = 0;
            let s10 = 0;
            let s11 = 0;
            let s12 = 0;
            let s13 = 0;
            for (let k = 0; k < kn; k++) {
              const x0 = a[ai + k];
              const x1 = a[ai2 + k];
              const y0 = b[bj + k];
              const y1 = b[bj2 + k];
              const y2 = b[bj3 + k];
              const y3 = b[bj4 + k];
              s00 += x0 * y0;
              s01 += x0 * y1;
              s02 += x0 * y2;
              s03 += x0 * y3;
              s10 += x1 * y0;
              s11 += x1 * y1;
              s12 += x1 * y2;
              s13 += x1 * y3;
            }
            c[ci + j] += alpha * s00;
            c[ci + j + 1] += alpha * s01;
            c[ci + j + 2] += alpha * s02;
            c[ci + j + 3] += alpha * s03;
            c[ci2 + j] += alpha * s10;
            c[ci2 + j + 1] += alpha * s11;
            c[ci2 + j + 2] += alpha * s12;
            c[ci2 + j + 3] += alpha * s13;
          }
          for (; j + 1 < jEnd; j += 2) {
            const bj = bOff + j * bStride + k0;
            const bj2 = bj + bStride;
            let s00 = 0;
            let s01 = 0;
            let s10 = 0;
            let s11 = 0;
            for (let k = 0; k < kn; k++) {
              const x0 = a[ai + k];
              const x1 = a[ai2 + k];
              const y0 = b[bj + k];
              const y1 = b[bj2 + k];
              s00 += x0 * y0;
              s01 += x0 * y1;
              s10 += x1 * y0;
              s11 += x1 * y1;
            }
            c[ci + j] += alpha * s00;
            if (!lower || j + 1 <= i) c[ci + j + 1] += alpha * s01;
            c[ci2 + j] += alpha * s10;
            c[ci2 + j + 1] += alpha * s11;
          }
          if (j < jEnd) {
            const bj = bOff + j * bStride + k0;
            if (!lower || j <= i) c[ci + j] += alpha * dot(ai, bj, kn);
            c[ci2 + j] += alpha * dot(ai2, bj, kn);
          }
        } else {
          const jEnd = lower ? Math.min(j1, i + 1) : j1;
          for (let j = j0; j < jEnd; j++) c[ci + j] += alpha * dot(ai, bOff + j * bStride + k0, kn);
        }
      }
    }
  }
}

/** What a factorisation throws when EASE's Gram matrix plus λI is not positive definite. */
const EASE_INDEFINITE = "EASE: the Gram matrix is not positive definite; increase lambda";

/** A diagonal block's Cholesky inverse L⁻¹ (lower) and the block's own inverse L⁻ᵀL⁻¹ (full), both b x b in Float64. */
interface DiagonalBlock {
  readonly linv: Float64Array;
  readonly inv: Float64Array;
}

/**
 * Factors one b x b diagonal block (its lower triangle is read; `d` is overwritten with L in its lower triangle):
 * L = chol(d), L⁻¹ by forward substitution, and d⁻¹ = L⁻ᵀL⁻¹ (about b³ flops, over contiguous rows). Throws
 * `Error(indefinite + " (pivot …)")` when the block is not positive definite.
 */
function factorDiagonalBlock(d: Float64Array, b: number, indefinite = EASE_INDEFINITE): DiagonalBlock {
  choleskyInPlace(d, b, indefinite);
  // L⁻¹ row by row (row i = -(Σ_{k<i} L[i][k]·row k) / L[i][i]), and L⁻ᵀL⁻¹ as a sum of rank-1 rows: all contiguous.
  const linv = new Float64Array(b * b);
  for (let i = 0; i < b; i++) {
    const wi = i * b;
    for (let k = 0; k < i; k++) {
      const lik = d[wi + k];
      const wk = k * b;
      for (let j = 0; j <= k; j++) linv[wi + j] -= lik * linv[wk + j];
    }
    const inv = 1 / d[wi + i];
    for (let j = 0; j < i; j++) linv[wi + j] *= inv;
    linv[wi + i] = inv;
  }
  const inv = new Float64Array(b * b);
  for (let k = 0; k < b; k++) {
    const wk = k * b;
    for (let i = 0; i <= k; i++) {
      const w = linv[wk + i];
      const ri = i * b;
      for (let j = 0; j <= i; j++) inv[ri + j] += w * linv[wk + j];
    }
  }
  for (let i = 0; i < b; i++) for (let j = 0; j < i; j++) inv[j * b + i] = inv[i * b + j];
  return { linv, inv };
}

/** The b x b lower triangle of `a` at (k0, k0) (row stride n), copied into `d`. */
function copyDiagonalBlock(a: ArrayLike<number>, n: number, k0: number, b: number, d: Float64Array): void {
  for (let i = 0; i < b; i++) for (let j = 0; j <= i; j++) d[i * b + j] = a[(k0 + i) * n + k0 + j];
}

function checkSquare(fn: string, a: ArrayLike<number>, n: number, blockSize: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${fn}: n must be a non-negative integer, got ${n}`);
  if (a.length !== n * n) throw new RangeError(`${fn}: expected an ${n}x${n} matrix (${n * n} entries), got ${a.length}`);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`${fn}: blockSize must be a positive integer, got ${blockSize}`);
}

/**
 * The Cholesky factor L (lower triangular, zeros above, row-major n x n) of a symmetric positive-definite matrix, of
 * which only the lower triangle is read: blocked right-looking form in Float64 (O(n³/3)). Throws when `a` is not
 * positive definite.
 */
export function cholesky(a: Float64Array, n: number, blockSize = JS_BLOCK): Float64Array {
  checkSquare("cholesky", a, n, blockSize);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) l[i * n + j] = a[i * n + j];
  const nb = blockSize;
  const d = new Float64Array(nb * nb);
  const pan = new Float64Array(n * nb);
  for (let k0 = 0; k0 < n; k0 += nb) {
    const b = Math.min(nb, n - k0);
    const k1 = k0 + b;
    const mr = n - k1;
    copyDiagonalBlock(l, n, k0, b, d);
    const { linv } = factorDiagonalBlock(d, b);
    for (let i = 0; i < b; i++) for (let j = 0; j <= i; j++) l[(k0 + i) * n + k0 + j] = d[i * b + j];
    panelTimesLinvT(l, n, k0, b, mr, linv, pan);
    for (let r = 0; r < mr; r++) for (let j = 0; j < b; j++) l[(k1 + r) * n + k0 + j] = pan[r * b + j];
    gemmNT(mr, mr, b, pan, 0, b, pan, 0, b, l, k1 * n + k1, n, -1, true);
  }
  return l;
}

/** pan (mr x b) = A21 · L⁻ᵀ, where A21 = rows k0 + b.. of block column k0 of `a`: the panel of L below the diagonal block. */
function panelTimesLinvT(a: Float64Array, n: number, k0: number, b: number, mr: number, linv: Float64Array, pan: Float64Array): void {
  const k1 = k0 + b;
  for (let r = 0; r < mr; r++) {
    const row = (k1 + r) * n + k0;
    for (let j = 0; j < b; j++) {
      let s = 0;
      for (let k = 0; k <= j; k++) s += a[row + k] * linv[j * b + k];
      pan[r * b + j] = s;
    }
  }
}

/**
 * Inverts a symmetric positive-definite matrix in place, in Float64: on return `a` holds the full symmetric inverse
 * (only its lower triangle is read on entry). Blocked Cholesky G = LLᵀ, then P = L⁻ᵀL⁻¹ by block back-substitution:
 * with L = [L11 0; L21 L22], Y = L21·L11⁻¹ and P22 = (L22L22ᵀ)⁻¹, P21 = -P22·Y and P11 = L11⁻ᵀL11⁻¹ + Yᵀ·P22·Y.
 * About n³ flops (n³/3 factorisation, 2n³/3 back-substitution); extra memory O(n · blockSize). Throws
 * `Error(indefinite + " (pivot …)")` when `a` is not positive definite (by default EASE's message). Returns `a`.
 */
export function invertSpdInPlace(a: Float64Array, n: number, blockSize = JS_BLOCK, indefinite = EASE_INDEFINITE): Float64Array {
  checkSquare("invertSpdInPlace", a, n, blockSize);
  const nb = blockSize;
  const d = new Float64Array(nb * nb);
  const pan = new Float64Array(n * nb);
  const invs: Float64Array[] = [];
  // Forward: factor, leaving Y = L21·L11⁻¹ in each block column below the diagonal.
  for (let k0 = 0; k0 < n; k0 += nb) {
    const b = Math.min(nb, n - k0);
    const k1 = k0 + b;
    const mr = n - k1;
    copyDiagonalBlock(a, n, k0, b, d);
    const { linv, inv } = factorDiagonalBlock(d, b, indefinite);
    invs.push(inv);
    panelTimesLinvT(a, n, k0, b, mr, linv, pan);
    gemmNT(mr, mr, b, pan, 0, b, pan, 0, b, a, k1 * n + k1, n, -1, true);
    for (let r = 0; r < mr; r++) {
      const row = (k1 + r) * n + k0;
      for (let j = 0; j < b; j++) {
        let s = 0;
        for (let k = j; k < b; k++) s += pan[r * b + k] * linv[k * b + j];
        a[row + j] = s;
      }
    }
  }
  // Backward: block columns from the last, each from the finished (full symmetric) trailing inverse P22.
  const yt = new Float64Array(n * nb);
  const cb = new Float64Array(n * nb);
  const ct = new Float64Array(n * nb);
  for (let step = invs.length - 1; step >= 0; step--) {
    const k0 = step * nb;
    const b = Math.min(nb, n - k0);
    const k1 = k0 + b;
    const mr = n - k1;
    const p11 = invs[step];
    if (mr > 0) {
      for (let s = 0; s < mr; s++) for (let j = 0; j < b; j++) yt[j * mr + s] = a[(k1 + s) * n + k0 + j];
      cb.fill(0, 0, mr * b);
      gemmNT(mr, b, mr, a, k1 * n + k1, n, yt, 0, mr, cb, 0, b, 1, false);
      for (let s = 0; s < mr; s++) for (let j = 0; j < b; j++) ct[j * mr + s] = cb[s * b + j];
      gemmNT(b, b, mr, yt, 0, mr, ct, 0, mr, p11, 0, b, 1, false);
      for (let s = 0; s < mr; s++) {
        for (let j = 0; j < b; j++) {
          const v = -cb[s * b + j];
          a[(k1 + s) * n + k0 + j] = v;
          a[(k0 + j) * n + k1 + s] = v;
        }
      }
    }
    for (let i = 0; i < b; i++) {
      for (let j = 0; j <= i; j++) {
        const v = 0.5 * (p11[i * b + j] + p11[j * b + i]);
        a[(k0 + i) * n + k0 + j] = v;
        a[(k0 + j) * n + k0 + i] = v;
      }
    }
  }
  return a;
}

/**
 * The full symmetric inverse of a symmetric positive-definite matrix (only its lower triangle is read), with the
 * same blocked algorithm as {@link invertSpdInPlace} but every product bigger than a block (the trailing updates
 * A22 - L21·L21ᵀ and the back-substitution P22·Y) done by tf.matMul in float32; the diagonal blocks are factored and
 * inverted in Float64 JS. About 4n³/3 flops in TF (its products do not exploit symmetry). Tensor memory peaks near
 * 3n² floats. Throws when `a` is not positive definite.
 */
export function invertSpdTf(a: Float32Array | Float64Array, n: number, blockSize = tfBlock(n)): Float32Array {
  checkSquare("invertSpdTf", a, n, blockSize);
  if (n === 0) return new Float32Array(0);
  const nb = blockSize;
  const d = new Float64Array(nb * nb);
  const invs: Float64Array[] = [];
  const ys: tf.Tensor2D[] = [];
  let t: tf.Tensor2D | null = tf.tensor2d(a instanceof Float32Array ? a : Float32Array.from(a), [n, n]);
  let p: tf.Tensor2D | null = null;
  try {
    for (let k0 = 0; k0 < n; k0 += nb) {
      const m = n - k0;
      const b = Math.min(nb, m);
      const mr = m - b;
      const cur: tf.Tensor2D = t!;
      if (mr === 0) {
        copyDiagonalBlock(cur.dataSync(), b, 0, b, d);
      } else {
        const top = cur.slice([0, 0], [b, b]);
        copyDiagonalBlock(top.dataSync(), b, 0, b, d);
        top.dispose();
      }
      const { linv, inv } = factorDiagonalBlock(d, b);
      invs.push(inv);
      if (mr === 0) break;
      const a21 = cur.slice([b, 0], [mr, b]);
      const a22 = cur.slice([b, b], [mr, mr]);
      cur.dispose();
      t = null;
      const [y, s] = tf.tidy(() => {
        const linvT = new Float32Array(b * b);
        for (let i = 0; i < b; i++) for (let j = 0; j <= i; j++) linvT[j * b + i] = linv[i * b + j];
        const l21 = tf.matMul(a21, tf.tensor2d(linvT, [b, b]));
        return [tf.matMul(l21, tf.tensor2d(Float32Array.from(linv), [b, b])), tf.sub(a22, tf.matMul(l21, l21, false, true))];
      });
      a21.dispose();
      a22.dispose();
      ys.push(y as tf.Tensor2D);
      t = s as tf.Tensor2D;
    }
    if (t) t.dispose();
    t = null;
    const last = invs.length - 1;
    const bLast = n - last * nb;
    p = tf.tensor2d(Float32Array.from(invs[last]), [bLast, bLast]);
    for (let step = last - 1; step >= 0; step--) {
      const y = ys[step];
      const prev: tf.Tensor2D = p;
      const inv = invs[step];
      const b = Math.min(nb, n - step * nb);
      const next = tf.tidy(() => {
        const c = tf.matMul(prev, y);
        const p11 = tf.add(tf.tensor2d(Float32Array.from(inv), [b, b]), tf.matMul(y, c, true, false));
        const sym = tf.mul(tf.add(p11, tf.transpose(p11)), 0.5);
        const negC = tf.neg(c);
        return tf.concat([tf.concat([sym, tf.transpose(negC)], 1), tf.concat([negC, prev], 1)], 0) as tf.Tensor2D;
      });
      prev.dispose();
      y.dispose();
      p = next;
    }
    const out = p.dataSync() as Float32Array;
    p.dispose();
    p = null;
    return out;
  } finally {
    if (t) t.dispose();
    if (p) p.dispose();
    for (const y of ys) if (!y.isDisposed) y.dispose();
  }
}

/** The movies of the model, each user's interactions as model columns, and the per-movie interaction counts. */
function interactions(
  ds: Dataset,
  train: Int32Array,
  minRatings: number,
  threshold: number | null,
): { movies: Int32Array; column: Int32Array; offsets: Int32Array; cols: Int32Array } {
  const r = ds.ratings;
  const kept: number[] = [];
  for (let k = 0; k < train.length; k++) {
    const i = train[k];
    if (!(Number.isInteger(i) && i >= 0 && i < r.length)) throw new RangeError(`fitEase: train[${k}] = ${i} is not a rating index`);
    if (threshold === null || r.rating[i] >= threshold) kept.push(i);
  }
  const users = Int32Array.from(kept, (i) => r.user[i]);
  const byU = groupUserColumn(users, ds.numUsers);
  // Distinct (user, movie) pairs: a movie rated twice by one user is still one 1 in X.
  const stamp = new Int32Array(ds.numMovies).fill(-1);
  const count = new Int32Array(ds.numMovies);
  const pairMovie: number[] = [];
  const pairOffsets = new Int32Array(ds.numUsers + 1);
  for (let u = 0; u < ds.numUsers; u++) {
    for (let q = byU.offsets[u]; q < byU.offsets[u + 1]; q++) {
      const m = r.movie[kept[byU.order[q]]];
      if (stamp[m] === u) continue;
      stamp[m] = u;
      count[m]++;
      pairMovie.push(m);
    }
    pairOffsets[u + 1] = pairMovie.length;
  }
  const column = new Int32Array(ds.numMovies).fill(-1);
  const movieList: number[] = [];
  for (let m = 0; m < ds.numMovies; m++) {
    if (count[m] >= minRatings) {
      column[m] = movieList.length;
      movieList.push(m);
    }
  }
  const offsets = new Int32Array(ds.numUsers + 1);
  const colList: number[] = [];
  for (let u = 0; u < ds.numUsers; u++) {
    const from = colList.length;
    for (let q = pairOffsets[u]; q < pairOffsets[u + 1]; q++) {
      const c = column[pairMovie[q]];
      if (c >= 0) colList.push(c);
    }
    const sorted = colList.slice(from).sort((x, y) => x - y);
    for (let q = 0; q < sorted.length; q++) colList[from + q] = sorted[q];
    offsets[u + 1] = colList.length;
  }
  return { movies: Int32Array.from(movieList), column, offsets, cols: Int32Array.from(colList) };
}

/**
 * Fits EASE on the dataset's ratings at `train`: X = the binary user x movie matrix of the training interactions over
 * the modelled movies (see {@link EaseOptions.minRatings}), G = XᵀX + λI (built sparsely, O(Σ_u interactions_u²)),
 * P = G⁻¹ (see {@link invertSpdInPlace} / {@link invertSpdTf}), B = I - P·diag(1/diag P), so diag(B) = 0 and
 * B[i][j] = -P[i][j] / P[j][j]. Memory: one n x n Float64 (js) or Float32 (tf) Gram matrix plus B (n x n Float32).
 */
export function fitEase(ds: Dataset, train: Int32Array, o: EaseOptions = {}): Ease {
  const lambda = o.lambda ?? EASE_DEFAULT_LAMBDA;
  const minRatings = o.minRatings ?? (ds.numMovies <= 4000 ? 1 : 5);
  const threshold = o.ratingThreshold ?? null;
  if (!(lambda > 0 && Number.isFinite(lambda))) throw new RangeError(`fitEase: lambda must be a positive number, got ${lambda}`);
  if (!Number.isInteger(minRatings) || minRatings < 1)
    throw new RangeError(`fitEase: minRatings must be a positive integer, got ${minRatings}`);
  const { movies, column, offsets, cols } = interactions(ds, train, minRatings, threshold);
  const n = movies.length;
  const requested = o.solver ?? "auto";
  const solver: EaseSolver = requested === "auto" ? (tf.getBackend() === "tensorflow" && n >= EASE_TF_MIN_MOVIES ? "tf" : "js") : requested;
  if (solver !== "js" && solver !== "tf") throw new RangeError(`fitEase: solver must be "js", "tf" or "auto", got ${String(requested)}`);
  const blockSize = o.blockSize ?? (solver === "tf" ? tfBlock(n) : JS_BLOCK);
  // G's lower triangle: each user's columns are ascending, so (later, earlier) pairs land at or below the diagonal.
  const g = solver === "tf" ? new Float32Array(n * n) : new Float64Array(n * n);
  for (let u = 0; u < offsets.length - 1; u++) {
    for (let q = offsets[u]; q < offsets[u + 1]; q++) {
      const row = cols[q] * n;
      for (let s = offsets[u]; s <= q; s++) g[row + cols[s]] += 1;
    }
  }
  for (let i = 0; i < n; i++) g[i * n + i] += lambda;
  const p = solver === "tf" ? invertSpdTf(g, n, blockSize) : invertSpdInPlace(g as Float64Array, n, blockSize);
  // B in place of P when P is already float32; column sums of |B| for the unmodelled score on the way.
  const weights = p instanceof Float32Array ? p : new Float32Array(n * n);
  const invDiag = new Float64Array(n);
  for (let j = 0; j < n; j++) invDiag[j] = 1 / p[j * n + j];
  const colAbs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      const v = i === j ? 0 : -p[row + j] * invDiag[j];
      weights[row + j] = v;
      colAbs[j] += Math.abs(v);
    }
  }
  let maxColAbs = 0;
  for (let j = 0; j < n; j++) if (colAbs[j] > maxColAbs) maxColAbs = colAbs[j];
  return {
    lambda,
    minRatings,
    ratingThreshold: threshold,
    solver,
    movies,
    column,
    weights,
    unmodelledScore: Math.fround(-maxColAbs - 1),
    byUser: { offsets, column: cols },
  };
}

/**
 * The EASE scorer (ranking only, no rating predictions): movie j's score for user u is Σ_i X[u, i]·B[i, j], the sum of
 * the B rows of u's training interactions (computed once per user, O(interactions · n)); movies outside the model
 * score {@link Ease.unmodelledScore}. Scores are never NaN or infinite.
 */
export function easeScorer(model: Ease, name = "EASE"): MovieScorer {
  const { weights, column, byUser, unmodelledScore } = model;
  const n = model.movies.length;
  const numUsers = byUser.offsets.length - 1;
  const scores = new Float64Array(n);
  let current = -1;
  /** scores = the sum of B's rows at these columns (a user's interactions). */
  const sumRows = (columns: ArrayLike<number>): void => {
    scores.fill(0);
    const n4 = n & ~3;
    for (let q = 0; q < columns.length; q++) {
      const row = columns[q] * n;
      // Four columns per iteration (a full ranking sums every user's rows: the EASE report on ml-latest-small went from
      // 1.44 to 0.91 s).
      let j = 0;
      for (; j < n4; j += 4) {
        scores[j] += weights[row + j];
        scores[j + 1] += weights[row + j + 1];
        scores[j + 2] += weights[row + j + 2];
        scores[j + 3] += weights[row + j + 3];
      }
      for (; j < n; j++) scores[j] += weights[row + j];
    }
  };
  const load = (user: number): void => {
    if (user === current) return;
    if (!(Number.isInteger(user) && user >= 0 && user < numUsers)) throw new RangeError(`EASE: user ${user} is outside 0..${numUsers - 1}`);
    sumRows(byUser.column.subarray(byUser.offsets[user], byUser.offsets[user + 1]));
    current = user;
  };
  const read = (movies: Int32Array): Float32Array => {
    const out = new Float32Array(movies.length);
    for (let t = 0; t < movies.length; t++) {
      const m = movies[t];
      if (!(m >= 0 && m < column.length)) throw new RangeError(`EASE: movie ${m} is outside 0..${column.length - 1}`);
      const c = column[m];
      out[t] = c >= 0 ? scores[c] : unmodelledScore;
    }
    return out;
  };
  return {
    name,
    scoreMovies: (user, movies) => {
      load(user);
      return read(movies);
    },
    // A new user is one more row of X: their score is the same sum of B rows, over the modelled movies they liked.
    scoreNewUser: (liked, movies) => {
      const cols: number[] = [];
      for (const m of liked) {
        if (!(m >= 0 && m < column.length)) throw new RangeError(`EASE: movie ${m} is outside 0..${column.length - 1}`);
        if (column[m] >= 0 && !cols.includes(column[m])) cols.push(column[m]);
      }
      sumRows(cols);
      current = -1;
      return read(movies);
    },
  };
}
