// t-SNE input affinities: per-point Gaussian bandwidths calibrated to a perplexity, sparse (kNN) or dense, symmetrised into P.
import { KnnResult } from "./knn";

/** A symmetric sparse matrix in compressed-row form (the joint probabilities P, summing to 1). */
export interface SparseP {
  readonly rows: number;
  /** Row `i`'s entries are `cols[rowPtr[i] .. rowPtr[i+1]-1]` with values `vals[...]`. */
  readonly rowPtr: Int32Array;
  readonly cols: Int32Array;
  readonly vals: Float64Array;
}

/** How well the bandwidth search hit the perplexity. */
export interface CalibrationStats {
  /** Rows whose search ended more than the tolerance away from log(perplexity) (e.g. too many duplicates). */
  unconverged: number;
  /** Mean Gaussian precision beta = 1/(2 sigma^2) over rows. */
  meanBeta: number;
}

const ENTROPY_TOL = 1e-5;
const MAX_STEPS = 200;

/**
 * Finds beta for one row so that the entropy of p_j ∝ exp(-beta * (d_j - d_min)) equals log(perplexity),
 * writing the normalised p into `out[outOff .. outOff+len)`. `d` are the row's (already squared where wanted) distances.
 * Uses safeguarded Newton steps on beta inside a bisection bracket. Returns [beta, converged ? 1 : 0].
 */
function calibrateRow(
  d: ArrayLike<number>,
  off: number,
  len: number,
  skip: number,
  logPerp: number,
  out: Float64Array,
  outOff: number,
): [number, number] {
  let dmin = Infinity;
  let dsum = 0;
  let cnt = 0;
  for (let t = 0; t < len; t++) {
    if (off + t === skip) continue;
    const v = d[off + t];
    if (v < dmin) dmin = v;
    dsum += v;
    cnt++;
  }
  if (cnt === 0) return [1, 1];
  const mean = dsum / cnt - dmin;
  let beta = mean > 0 ? 1 / mean : 1;
  let lo = 0;
  let hi = Infinity;
  let converged = 0;
  for (let step = 0; step < MAX_STEPS; step++) {
    let sum = 0;
    let sumD = 0;
    let sumD2 = 0;
    for (let t = 0; t < len; t++) {
      if (off + t === skip) continue;
      const dd = d[off + t] - dmin;
      const w = Math.exp(-beta * dd);
      sum += w;
      sumD += w * dd;
      sumD2 += w * dd * dd;
    }
    const meanD = sumD / sum;
    const varD = sumD2 / sum - meanD * meanD;
    const h = Math.log(sum) + beta * meanD;
    const diff = h - logPerp;
    if (Math.abs(diff) <= ENTROPY_TOL) {
      converged = 1;
      break;
    }
    if (diff > 0)
      lo = beta; // entropy too high -> sharpen
    else hi = beta;
    // Newton: dH/dbeta = -beta * Var(D)
    const slope = -beta * varD;
    let next = slope < 0 ? beta - diff / slope : NaN;
    if (!(next > lo && next < hi)) next = hi === Infinity ? beta * 2 : (lo + hi) / 2;
    if (next === beta) break;
    beta = next;
  }
  let sum = 0;
  for (let t = 0; t < len; t++) {
    if (off + t === skip) {
      out[outOff + t] = 0;
      continue;
    }
    const w = Math.exp(-beta * (d[off + t] - dmin));
    out[outOff + t] = w;
    sum += w;
  }
  for (let t = 0; t < len; t++) out[outOff + t] /= sum;
  return [beta, converged];
}

/**
 * Conditional probabilities p(j|i) over each row's kNN, calibrated to `perplexity`, then symmetrised:
 * P_ij = (p(j|i) + p(i|j)) / (2n). Distances are squared first unless `squareDistances` is false.
 */
export function sparseAffinities(
  knn: Pick<KnnResult, "rows" | "k" | "indices" | "distances">,
  perplexity: number,
  squareDistances = true,
): { P: SparseP; stats: CalibrationStats } {
  const { rows: n, k, indices } = knn;
  const d = squareDistances ? knn.distances.map((x) => x * x) : knn.distances;
  const cond = new Float64Array(n * k);
  const logPerp = Math.log(perplexity);
  let unconverged = 0;
  let betaSum = 0;
  for (let i = 0; i < n; i++) {
    const [beta, ok] = calibrateRow(d, i * k, k, -1, logPerp, cond, i * k);
    betaSum += beta;
    if (!ok) unconverged++;
  }
  return { P: symmetrise(n, k, indices, cond), stats: { unconverged, meanBeta: n > 0 ? betaSum / n : 0 } };
}

/** Symmetrises row-wise conditional probabilities (n rows of k neighbours) into a CSR P summing to 1. */
export function symmetrise(n: number, k: number, indices: Int32Array, cond: Float64Array): SparseP {
  const count = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      count[i]++;
      count[indices[i * k + t]]++;
    }
  }
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + count[i];
  const fill = start.slice(0, n);
  const rawCols = new Int32Array(start[n]);
  const rawVals = new Float64Array(start[n]);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const j = indices[i * k + t];
      const v = cond[i * k + t];
      rawCols[fill[i]] = j;
      rawVals[fill[i]++] = v;
      rawCols[fill[j]] = i;
      rawVals[fill[j]++] = v;
    }
  }
  // Merge duplicate (i, j) entries row by row with a position marker; keep first-seen column order.
  const marker = new Int32Array(n).fill(-1);
  const rowPtr = new Int32Array(n + 1);
  const cols = new Int32Array(start[n]);
  const vals = new Float64Array(start[n]);
  const scale = 1 / (2 * n);
  let w = 0;
  for (let i = 0; i < n; i++) {
    rowPtr[i] = w;
    for (let e = start[i]; e < start[i + 1]; e++) {
      const j = rawCols[e];
      const at = marker[j];
      if (at >= rowPtr[i]) vals[at] += rawVals[e] * scale;
      else {
        marker[j] = w;
        cols[w] = j;
        vals[w] = rawVals[e] * scale;
        w++;
      }
    }
  }
  rowPtr[n] = w;
  return { rows: n, rowPtr, cols: cols.slice(0, w), vals: vals.slice(0, w) };
}

/**
 * Dense joint probabilities over all pairs (O(n^2) memory; for small n), calibrated to `perplexity`:
 * row-major n x n, zero diagonal, summing to 1. `distances` is the dense n x n distance matrix; it is squared first
 * unless `squareDistances` is false (tsne-js calibrates on plain Euclidean distances).
 */
export function denseAffinities(distances: Float64Array, n: number, perplexity: number, squareDistances = true): Float64Array {
  const d = squareDistances ? distances.map((x) => x * x) : distances;
  const cond = new Float64Array(n * n);
  const logPerp = Math.log(perplexity);
  for (let i = 0; i < n; i++) calibrateRow(d, i * n, n, i * n + i, logPerp, cond, i * n);
  const P = new Float64Array(n * n);
  const scale = 1 / (2 * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) P[i * n + j] = (cond[i * n + j] + cond[j * n + i]) * scale;
  return P;
}

/** The strict upper triangle (j > i) of a symmetric CSR matrix, so each pair is visited once. */
export function upperTriangle(P: SparseP): SparseP {
  const { rows: n, rowPtr, cols, vals } = P;
  const up = new Int32Array(n + 1);
  let w = 0;
  for (let i = 0; i < n; i++) for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) if (cols[e] > i) w++;
  const uc = new Int32Array(w);
  const uv = new Float64Array(w);
  w = 0;
  for (let i = 0; i < n; i++) {
    up[i] = w;
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      if (cols[e] > i) {
        uc[w] = cols[e];
        uv[w++] = vals[e];
      }
    }
  }
  up[n] = w;
  return { rows: n, rowPtr: up, cols: uc, vals: uv };
}
