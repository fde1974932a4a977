// t-SNE's forces on several threads: worker threads that each rebuild the Barnes–Hut tree from the shared coordinates and compute the repulsive and attractive forces of their share of the points, in step with the main loop.
//
// Each iteration the main thread bumps a generation counter in shared memory; every worker (tsne-worker.ts) rebuilds
// its own BhTree from the shared coordinates (a build is deterministic, so every thread has the same tree and the
// same point order; rebuilding costs a few percent of a traversal) and computes the attraction of its range of rows of
// P's upper triangle (each pair once, pushing both points) into its own buffer. Then every thread takes chunks of
// the repulsion (the groups whose first tree position falls in a chunk's fixed range) from a shared counter until
// none are left, so a thread whose attraction rows were quicker takes more repulsion (with a static half each, the
// main thread waited or the worker idled ~8 s of a 60,000-point run). Each chunk's share of Z goes to its own slot.
// A worker writes its share of the KL term and counts itself done. The main thread does the same meanwhile, waits
// (Atomics.wait, so t-SNE stays synchronous), then adds the attraction buffers in thread order and the chunks' Z in
// chunk order. The attraction reads P once per pair rather than twice: it streams P from memory every
// iteration, and with both threads streaming the full P it was a third of a 60,000-point run. Every point's repulsion
// is the same whatever the split, and whichever thread computes a chunk; Z is summed in chunk order, the KL term and the
// attraction in thread order, so a thread count gives repeatable numbers, and different thread counts differ in the last bits, which t-SNE's iterations amplify
// into different (equally good) layouts: test/viz/tsne-threads.test.ts checks the forces and bounds the difference in
// KL and quality.
import { Worker } from "node:worker_threads";
import { startSiblingWorker } from "../../util/worker";
import { SparseP } from "./affinities";
import { BhTree } from "./bhtree";

/** Control words in the shared Int32Array. */
const GENERATION = 0;
const DONE = 1;
const FAILED = 2;
const STOP = 3;
/** The next repulsion chunk to take (reset to 0 each iteration). */
const NEXT = 4;

/** Repulsion chunks per thread: enough for the faster thread to even out the work, few enough to cost nothing. */
const CHUNKS_PER_THREAD = 24;

/** Chunk c of the repulsion covers first tree positions [bounds[c], bounds[c + 1]). */
export function repulsionChunks(n: number, threads: number): Int32Array {
  const chunks = Math.max(1, Math.min(n, CHUNKS_PER_THREAD * threads));
  return Int32Array.from({ length: chunks + 1 }, (_, c) => Math.round((c * n) / chunks));
}

/**
 * Takes repulsion chunks from the shared counter until none are left: each chunk's forces into `forces` (the tree's
 * own writes) and its share of Z into `zParts[c]`.
 */
export function repulsionChunksLoop(
  tree: BhTree,
  theta: number,
  forces: Float64Array,
  ctrl: Int32Array,
  bounds: Int32Array,
  zParts: Float64Array,
): void {
  const chunks = bounds.length - 1;
  for (let c = Atomics.add(ctrl, NEXT, 1); c < chunks; c = Atomics.add(ctrl, NEXT, 1)) {
    zParts[c] = tree.repulsionPart(theta, forces, bounds[c], bounds[c + 1]);
  }
}

/** What a worker gets at start. */
export interface ForceWorkerData {
  n: number;
  /** Its range of rows of P's upper triangle, [rowFrom, rowTo) (attraction). */
  rowFrom: number;
  rowTo: number;
  /** P's strict upper triangle as CSR: row pointers, columns, values. */
  uRowPtr: SharedArrayBuffer;
  uCols: SharedArrayBuffer;
  uVals: SharedArrayBuffer;
  /** Per thread, n x 2 attraction sums (thread t's at offset t·2n). */
  attraction: SharedArrayBuffer;
  /** Each repulsion chunk's share of Z (float64 per chunk of {@link repulsionChunks}(n, threads)). */
  zParts: SharedArrayBuffer;
  threads: number;
  /** Its index (1..threads-1): where its share of the KL term goes. */
  index: number;
  leafCapacity: number;
  groupSize: number;
  ctrl: SharedArrayBuffer;
  y: SharedArrayBuffer;
  forces: SharedArrayBuffer;
  shared: SharedArrayBuffer;
}

/** How long the main thread waits for a worker before giving up with an error (a worker stuck or killed). */
const WORKER_TIMEOUT_MS = 120_000;

/** Worker threads sharing one t-SNE run's coordinates and forces; see the file comment. */
export class ForceThreads {
  /** Coordinates, original order, n x 2: the t-SNE loop works on this array. */
  readonly y: Float64Array;
  /** Repulsive forces, original order, n x 2 (as {@link BhTree.repulsion} writes them). */
  readonly forces: Float64Array;
  /** Attractive forces, original order, n x 2 (exaggeration included). */
  readonly gradient: Float64Array;
  /** Each thread's attraction sums, threads x n x 2. */
  private readonly parts: Float64Array;
  private readonly ctrl: Int32Array;
  /** [theta, exaggeration, KL wanted (1/0), then per thread t ≥ 1: its KL-term share at 2 + t]. */
  private readonly shared: Float64Array;
  private readonly workers: Worker[] = [];
  private readonly rowTo0: number;
  private readonly bounds: Int32Array;
  private readonly zParts: Float64Array;
  private readonly U: SparseP;

  /** `upper`: the strict upper triangle of the symmetric affinities P (affinities.ts's upperTriangle), whose rows the threads split. */
  constructor(
    readonly n: number,
    readonly threads: number,
    private readonly tree: BhTree,
    upper: SparseP,
  ) {
    if (!(Number.isInteger(threads) && threads >= 2)) throw new RangeError(`ForceThreads: threads must be an integer ≥ 2, got ${threads}`);
    const sab = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
    const ctrl = sab(4 * 5);
    const y = sab(8 * n * 2);
    const forces = sab(8 * n * 2);
    const gradient = new Float64Array(n * 2);
    const parts = sab(8 * n * 2 * threads);
    const shared = sab(8 * (threads + 2));
    this.ctrl = new Int32Array(ctrl);
    this.y = new Float64Array(y);
    this.forces = new Float64Array(forces);
    this.gradient = gradient;
    this.parts = new Float64Array(parts);
    this.shared = new Float64Array(shared);
    // P's upper triangle in shared memory, once.
    const uRowPtr = sab(4 * (n + 1));
    const uCols = sab(4 * upper.cols.length);
    const uVals = sab(8 * upper.vals.length);
    new Int32Array(uRowPtr).set(upper.rowPtr);
    new Int32Array(uCols).set(upper.cols);
    new Float64Array(uVals).set(upper.vals);
    this.U = { rows: n, rowPtr: new Int32Array(uRowPtr), cols: new Int32Array(uCols), vals: new Float64Array(uVals) };
    this.bounds = repulsionChunks(n, threads);
    const zParts = sab(8 * (this.bounds.length - 1));
    this.zParts = new Float64Array(zParts);
    // Rows split by non-zeros, so each thread gets the same attraction work.
    const nnz = upper.rowPtr[n];
    const rowBounds = [0];
    for (let t = 1, i = 0; t < threads; t++) {
      while (i < n && upper.rowPtr[i] < (t * nnz) / threads) i++;
      rowBounds.push(i);
    }
    rowBounds.push(n);
    this.rowTo0 = rowBounds[1];
    for (let t = 1; t < threads; t++) {
      const workerData: ForceWorkerData = {
        n,
        rowFrom: rowBounds[t],
        rowTo: rowBounds[t + 1],
        uRowPtr,
        uCols,
        uVals,
        attraction: parts,
        zParts,
        threads,
        index: t,
        leafCapacity: tree.leafCapacity,
        groupSize: tree.groupSize,
        ctrl,
        y,
        forces,
        shared,
      };
      // The worker's stderr goes to this process's, so a failure's stack is seen there.
      this.workers.push(startSiblingWorker(__dirname, "tsne-worker", workerData, { failed: FAILED, done: DONE }));
    }
  }

  /**
   * The forces for the coordinates in {@link y}: repulsion into {@link forces} (returning Z) and attraction times
   * `exaggeration` into {@link gradient} (returning, when `withKl`, Σ P_ij log(1 + |y_i − y_j|²)), split between the
   * workers and this thread. Throws if a worker failed or stopped answering.
   */
  forcesFor(theta: number, exaggeration: number, withKl: boolean): { z: number; klPart: number } {
    const { ctrl, shared } = this;
    shared[0] = theta;
    shared[1] = exaggeration;
    shared[2] = withKl ? 1 : 0;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, NEXT, 0);
    Atomics.add(ctrl, GENERATION, 1);
    Atomics.notify(ctrl, GENERATION);
    this.tree.build(this.y);
    const n2 = 2 * this.n;
    let klPart = attractionPairs(this.y, this.U, 0, this.rowTo0, this.parts.subarray(0, n2), withKl);
    repulsionChunksLoop(this.tree, theta, this.forces, ctrl, this.bounds, this.zParts);
    const others = this.threads - 1;
    const start = Date.now();
    for (let done = Atomics.load(ctrl, DONE); done < others; done = Atomics.load(ctrl, DONE)) {
      if (Atomics.load(ctrl, FAILED)) throw new Error("t-SNE: a worker thread failed (run with threads: 1 to use this thread only)");
      if (Date.now() - start > WORKER_TIMEOUT_MS) throw new Error(`t-SNE: a worker thread did not answer in ${WORKER_TIMEOUT_MS / 1000} s`);
      Atomics.wait(ctrl, DONE, done, 1000);
    }
    if (Atomics.load(ctrl, FAILED)) throw new Error("t-SNE: a worker thread failed (run with threads: 1 to use this thread only)");
    let z = 0;
    for (const part of this.zParts) z += part;
    for (let t = 1; t < this.threads; t++) klPart += shared[2 + t];
    const { parts, gradient } = this;
    for (let i = 0; i < n2; i++) {
      let g = parts[i];
      for (let t = 1; t < this.threads; t++) g += parts[t * n2 + i];
      gradient[i] = exaggeration * g;
    }
    return { z, klPart };
  }

  /** Stops the workers. */
  close(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GENERATION, 1);
    Atomics.notify(this.ctrl, GENERATION);
    for (const w of this.workers) void w.terminate();
  }
}

export const CONTROL = { GENERATION, DONE, FAILED, STOP, NEXT } as const;

/**
 * The attraction of rows [from, to) of P's strict upper triangle `U` in 2-D, each pair once: zeroes `out` (n x 2),
 * then adds P_ij q_ij (y_i − y_j) to out[i] and subtracts it from out[j], with q_ij = 1 / (1 + |y_i − y_j|²). Over
 * every row, out is Σ_j P_ij q_ij (y_i − y_j) for the symmetric P. Returns Σ P_ij log(1 + |y_i − y_j|²) over both
 * triangles of those rows' pairs when `withKl` (the −Σ P log q part of the KL), else 0.
 */
export function attractionPairs(y: Float64Array, U: SparseP, from: number, to: number, out: Float64Array, withKl: boolean): number {
  const { rowPtr, cols, vals } = U;
  out.fill(0);
  let klPart = 0;
  for (let i = from; i < to; i++) {
    const xi = y[2 * i];
    const yi = y[2 * i + 1];
    let ax = 0;
    let ay = 0;
    const end = rowPtr[i + 1];
    for (let e = rowPtr[i]; e < end; e++) {
      const j = cols[e];
      const dx = xi - y[2 * j];
      const dy = yi - y[2 * j + 1];
      const d2 = dx * dx + dy * dy;
      const w = vals[e] / (1 + d2);
      const fx = w * dx;
      const fy = w * dy;
      ax += fx;
      ay += fy;
      out[2 * j] -= fx;
      out[2 * j + 1] -= fy;
      if (withKl) klPart += vals[e] * Math.log1p(d2);
    }
    out[2 * i] += ax;
    out[2 * i + 1] += ay;
  }
  return 2 * klPart;
}
