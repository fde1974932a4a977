// Exact k-nearest neighbours on native TensorFlow: blocks of rows scored against every row by one matrix product, the best candidates taken by TopK, then re-ranked in float64.
//
// For Euclidean distance, |x − y|² = |x|² − (2x·y − |y|²), and |x|² is the same for every candidate of row x, so the
// nearest rows are those with the largest 2x·y − |y|²: one product of [x, 1] with [2y, −|y|²] per block of query rows,
// on TensorFlow's BLAS, and its TopK. The float32 scores can misorder candidates whose distances differ in the 7th
// digit, so TopK keeps a margin of extra candidates, whose distances are then computed in float64 in JS and sorted;
// the k best of those are the result (exact up to ties at the k-th distance). The work is n² · (d + 1) multiply-adds
// and an n²-element TopK: 60,000 × 32-D rows in seconds rather than the vantage-point tree's minutes on data that do
// not cluster cleanly, but quadratic, so neighbours.ts switches to NN-descent for larger inputs.
import { tf } from "../../backend";
import { KnnResult } from "./knn";
import { DenseMatrix } from "./matrix";
import { localityOrder } from "./nndescent";

/** Extra TopK candidates per row, re-ranked in float64 (see the file comment). */
const MARGIN = 8;
/** Scores held at once: rows per block = this / rows (16M floats, 64 MB). */
const BLOCK_SCORES = 1 << 24;

/**
 * Exact Euclidean k nearest other rows of every row (k clamped to rows − 1), on the native backend, as steps: yields
 * the rows done after each block. Ties at equal float64 distance are broken by row index. `order` is a
 * locality-preserving order (one random-projection tree's leaves, seeded).
 */
export function* nativeKnnSteps(m: DenseMatrix, k: number, seed = 1): Generator<number, KnnResult, void> {
  const n = m.rows;
  const d = m.cols;
  const kk = Math.max(0, Math.min(Math.floor(k), n - 1));
  const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
  const order = localityOrder(m, 64, seed);
  const indices = new Int32Array(n * kk);
  const distances = new Float64Array(n * kk);
  if (kk === 0) return { indices, distances, rows: n, k: 0, method: "native", order };
  const take = Math.min(n, kk + 1 + MARGIN);
  const [queries, keys] = tf.tidy(() => {
    const x = tf.tensor2d(m.data instanceof Float32Array ? m.data : Float32Array.from(m.data), [n, d]);
    const sq = tf.sum(tf.square(x), 1, true);
    return [tf.concat([x, tf.onesLike(sq)], 1), tf.concat([tf.mul(x, 2), tf.neg(sq)], 1)];
  });
  try {
    const block = Math.max(16, Math.min(4096, Math.floor(BLOCK_SCORES / n)));
    const cand = new Int32Array(take);
    const candDist = new Float64Array(take);
    const perm = new Int32Array(take);
    for (let from = 0; from < n; from += block) {
      const rows = Math.min(block, n - from);
      const top = tf.tidy(() => tf.topk(tf.matMul(queries.slice([from, 0], [rows, d + 1]), keys, false, true), take, false).indices);
      const ids = top.dataSync() as Int32Array;
      top.dispose();
      for (let r = 0; r < rows; r++) {
        const i = from + r;
        let c = 0;
        for (let t = 0; t < take; t++) {
          const j = ids[r * take + t];
          if (j === i) continue;
          let s = 0;
          for (let a = 0; a < d; a++) {
            const diff = data[i * d + a] - data[j * d + a];
            s += diff * diff;
          }
          cand[c] = j;
          candDist[c] = s;
          c++;
        }
        for (let t = 0; t < c; t++) perm[t] = t;
        const sorted = perm.subarray(0, c).sort((a, b) => candDist[a] - candDist[b] || cand[a] - cand[b]);
        for (let t = 0; t < kk; t++) {
          indices[i * kk + t] = cand[sorted[t]];
          distances[i * kk + t] = Math.sqrt(candDist[sorted[t]]);
        }
      }
      yield from + rows;
    }
  } finally {
    tf.dispose([queries, keys]);
  }
  return { indices, distances, rows: n, k: kk, method: "native", order };
}
