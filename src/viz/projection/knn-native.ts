// Exact k-nearest neighbours on native TensorFlow: blocks of rows scored against every row by one matrix product, the best candidates taken by TopK, then re-ranked in float64; large inputs split between this thread and a worker.
//
// For Euclidean distance, |x − y|² = |x|² − (2x·y − |y|²), and |x|² is the same for every candidate of row x, so the
// nearest rows are those with the largest 2x·y − |y|²: one product of [x, 1] with [2y, −|y|²] per block of query rows,
// on TensorFlow's BLAS, and its TopK. The float32 scores can misorder candidates whose distances differ in the 7th
// digit, so TopK keeps a margin of extra candidates, whose distances are then computed in float64 in JS and sorted;
// the k best of those are the result (exact up to ties at the k-th distance). The work is n² · (d + 1) multiply-adds
// and an n²-element TopK: 60,000 × 32-D rows in seconds rather than the vantage-point tree's minutes on data that do
// not cluster cleanly, but quadratic, so neighbours.ts switches to NN-descent for larger inputs.
//
// TensorFlow runs each kernel on the calling thread (backend.ts sets one intra-op thread), so from
// NATIVE_KNN_THREADS_MIN_ROWS rows a worker thread (knn-native-worker.ts) with its own TensorFlow takes the second
// half of the rows, writing into shared memory. Every row's neighbours are computed the same way whoever computes
// them, so the result does not depend on the thread count. If the worker cannot start, this thread does its rows.
import { Worker } from "node:worker_threads";
import { tf } from "../../backend";
import { startSiblingWorker } from "../../util/worker";
import { KnnResult } from "./knn";
import { DenseMatrix } from "./matrix";
import { localityOrder } from "./nndescent";

/** Extra TopK candidates per row, re-ranked in float64 (see the file comment). */
const MARGIN = 8;
/** Scores held at once: rows per block = this / rows (16M floats, 64 MB). */
const BLOCK_SCORES = 1 << 24;

/**
 * From this many rows the search runs on 2 threads by default: a worker takes ~1 s to load TensorFlow, which the
 * search repays from about here (60,000 rows: ~14 s on one thread on the 2-core machine).
 */
export const NATIVE_KNN_THREADS_MIN_ROWS = 20_000;

/** Control words of the shared Int32Array between this thread and the worker. */
export const KNN_CONTROL = { DONE: 0, FAILED: 1, ROWS_DONE: 2 } as const;

/** What the worker gets (see knn-native-worker.ts). */
export interface NativeKnnWorkerData {
  /** The rows, n x d float64, row-major. */
  data: SharedArrayBuffer;
  n: number;
  d: number;
  k: number;
  /** Its rows, [from, to). */
  from: number;
  to: number;
  /** Outputs, n x k: neighbour ids (int32) and distances (float64). */
  indices: SharedArrayBuffer;
  distances: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
}

/** One search's inputs on the backend: queries [x, 1] and keys [2x, −|x|²], with the rows in float64 for the re-ranking. */
export class NativeKnnSearch {
  private readonly queries: tf.Tensor2D;
  private readonly keys: tf.Tensor2D;
  private readonly take: number;
  private readonly block: number;
  private readonly cand: Int32Array;
  private readonly candDist: Float64Array;
  private readonly perm: Int32Array;

  constructor(
    private readonly data: Float64Array,
    private readonly n: number,
    private readonly d: number,
    private readonly k: number,
    private readonly indices: Int32Array,
    private readonly distances: Float64Array,
  ) {
    this.take = Math.min(n, k + 1 + MARGIN);
    this.block = Math.max(16, Math.min(4096, Math.floor(BLOCK_SCORES / n)));
    [this.queries, this.keys] = tf.tidy(() => {
      const x = tf.tensor2d(Float32Array.from(data), [n, d]);
      const sq = tf.sum(tf.square(x), 1, true);
      return [tf.concat([x, tf.onesLike(sq)], 1) as tf.Tensor2D, tf.concat([tf.mul(x, 2), tf.neg(sq)], 1) as tf.Tensor2D];
    });
    this.cand = new Int32Array(this.take);
    this.candDist = new Float64Array(this.take);
    this.perm = new Int32Array(this.take);
  }

  /** Neighbours of rows [from, to), a block at a time: yields the rows done so far (of this range). */
  *rows(from: number, to: number): Generator<number, void, void> {
    const { data, d, k, take, cand, candDist, perm, indices, distances } = this;
    for (let start = from; start < to; start += this.block) {
      const rows = Math.min(this.block, to - start);
      const top = tf.tidy(
        () => tf.topk(tf.matMul(this.queries.slice([start, 0], [rows, d + 1]), this.keys, false, true), take, false).indices,
      );
      const ids = top.dataSync() as Int32Array;
      top.dispose();
      for (let r = 0; r < rows; r++) {
        const i = start + r;
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
        for (let t = 0; t < k; t++) {
          indices[i * k + t] = cand[sorted[t]];
          distances[i * k + t] = Math.sqrt(candDist[sorted[t]]);
        }
      }
      yield start + rows - from;
    }
  }

  dispose(): void {
    tf.dispose([this.queries, this.keys]);
  }
}

/** How long this thread waits for the worker between progress reports, and in all before giving up. */
const WAIT_SLICE_MS = 250;
const WORKER_TIMEOUT_MS = 600_000;

/**
 * Exact Euclidean k nearest other rows of every row (k clamped to rows − 1), on the native backend, as steps: yields
 * the rows done so far. Ties at equal float64 distance are broken by row index. `order` is a locality-preserving order
 * (one random-projection tree's leaves, seeded). `threads` (1 or 2; default 2 from {@link NATIVE_KNN_THREADS_MIN_ROWS}
 * rows) does not change the result.
 */
export function* nativeKnnSteps(m: DenseMatrix, k: number, seed = 1, threads?: number): Generator<number, KnnResult, void> {
  const n = m.rows;
  const d = m.cols;
  const kk = Math.max(0, Math.min(Math.floor(k), n - 1));
  const nThreads = threads ?? (n >= NATIVE_KNN_THREADS_MIN_ROWS ? 2 : 1);
  if (nThreads !== 1 && nThreads !== 2) throw new RangeError(`nearest neighbours: threads must be 1 or 2, got ${String(threads)}`);
  const order = localityOrder(m, 64, seed);
  const split = nThreads === 2 && kk > 0 && n >= 2;
  const buffer = (bytes: number) => (split ? new SharedArrayBuffer(Math.max(8, bytes)) : new ArrayBuffer(bytes));
  const data = new Float64Array(buffer(8 * n * d));
  data.set(m.data);
  const indices = new Int32Array(buffer(4 * n * kk));
  const distances = new Float64Array(buffer(8 * n * kk));
  if (kk === 0) return { indices, distances, rows: n, k: 0, method: "native", order };
  const search = new NativeKnnSearch(data, n, d, kk, indices, distances);
  let ranOn = 1;
  try {
    const half = split ? Math.ceil(n / 2) : n;
    const ctrl = split ? new Int32Array(new SharedArrayBuffer(4 * 3)) : null;
    let worker: Worker | null = null;
    if (ctrl) {
      const job: NativeKnnWorkerData = {
        data: data.buffer as SharedArrayBuffer,
        n,
        d,
        k: kk,
        from: half,
        to: n,
        indices: indices.buffer as SharedArrayBuffer,
        distances: distances.buffer as SharedArrayBuffer,
        ctrl: ctrl.buffer as SharedArrayBuffer,
      };
      worker = startSiblingWorker(__dirname, "knn-native-worker", job, { failed: KNN_CONTROL.FAILED, done: KNN_CONTROL.DONE });
    }
    const theirs = () => (ctrl ? Atomics.load(ctrl, KNN_CONTROL.ROWS_DONE) : 0);
    for (const done of search.rows(0, half)) yield done + theirs();
    if (ctrl) {
      const start = Date.now();
      while (Atomics.load(ctrl, KNN_CONTROL.DONE) === 0) {
        if (Date.now() - start > WORKER_TIMEOUT_MS) {
          void worker?.terminate();
          throw new Error(`nearest neighbours: the worker thread did not finish in ${WORKER_TIMEOUT_MS / 1000} s`);
        }
        Atomics.wait(ctrl, KNN_CONTROL.DONE, 0, WAIT_SLICE_MS);
        yield half + theirs();
      }
      if (Atomics.load(ctrl, KNN_CONTROL.FAILED)) {
        // It failed to start or stopped (its error is printed): do its rows here, the same way.
        for (const done of search.rows(half, n)) yield half + done;
      } else ranOn = 2;
    }
  } finally {
    search.dispose();
  }
  return { indices, distances, rows: n, k: kk, method: "native", order, threads: ranOn };
}
