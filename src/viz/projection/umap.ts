// UMAP projection: umap-js's algorithm on typed arrays (umap-graph.ts, umap-epochs.ts) over the lab's exact neighbours, seeded through our Rng, with its traps guarded (tiny inputs, exact duplicates, non-finite values).
import { UMAP } from "umap-js";
import { Rng } from "../../util/random";
import { autoKnnMethod, nearestNeighbours } from "./neighbours";
import { umapLayoutEpoch } from "./umap-epochs";
import { UmapNeighbourLists, umapInitialLayout } from "./umap-graph";
import { UmapEpochThreads } from "./umap-threads";
import { DenseMatrix, MatrixInput, assertFinite, findDuplicateRows, normaliseRows, selectRows, toMatrix, toRows } from "./matrix";
import { RunStepsOptions, Steps, runSteps, runStepsAsync } from "./steps";
import { BaseProjectionOptions, ProjectionResult, checkDim, checkSeed } from "./types";

/** Options for {@link umap} (umap-js's names; its defaults unless noted). */
export interface UmapOptions extends BaseProjectionOptions {
  /** Neighbourhood size (default 15); clamped to (distinct rows - 1). */
  nNeighbors?: number;
  /** Minimum distance between embedded points (default 0.1). */
  minDist?: number;
  /** Scale of embedded points (default 1). */
  spread?: number;
  /** Optimisation epochs (default: umap-js's size-based choice, 500 for ≤ 2,500 rows down to 200). */
  nEpochs?: number;
  learningRate?: number;
  negativeSampleRate?: number;
  localConnectivity?: number;
  repulsionStrength?: number;
  setOpMixRatio?: number;
  /** Input distance: "euclidean" (default) or "cosine" (1 - cosine similarity). */
  metric?: "euclidean" | "cosine";
  /**
   * How the neighbours are found: "exact" (the lab's exact search, also t-SNE's: on native TensorFlow when it is
   * active, else the vantage-point tree) or "nn-descent" (umap-js's own
   * approximate search, with a JS distance callback). Default: exact when the native search runs (see
   * neighbours.ts's NATIVE_KNN_MAX_ROWS) or up to {@link UMAP_EXACT_KNN_MAX_ROWS} distinct rows, else NN-descent;
   * cosine with an all-zero row always uses nn-descent.
   */
  knn?: "exact" | "nn-descent";
  /**
   * Threads for the epochs of a 2-D layout: 1 runs umap-js's sequential epochs (its layout to rounding); 2 or more
   * split the points and their edges between worker threads (umap-threads.ts), an asynchronous variant that is
   * repeatable for a seed and thread count. Default 2 from {@link UMAP_THREADS_MIN_ROWS} distinct rows, else 1.
   */
  threads?: number;
}

/**
 * From this many distinct rows a 2-D UMAP runs its epochs on 2 threads by default (below, a worker's start is not
 * repaid). Measured on stage 1's movie vectors (ml-latest-small, d 50, a worker's start-up included): 1,000 rows
 * 1.7–2.4 → 1.5 s, 2,269 rows 4.8 → 2.8–3.1 s.
 */
export const UMAP_THREADS_MIN_ROWS = 1_000;

/**
 * Without native TensorFlow, above this many distinct rows the default neighbour search is umap-js's NN-descent.
 * Measured on this 2-core machine with the vantage-point tree, exact vs NN-descent time: 1.00× at 3,883 overlapping 32-D points, 1.04× at 10,000, and 1.13–1.21× on ml-latest-small's
 * 9,742 stage-1 vectors (cosine), with the same 10-NN preservation (0.99–1.03×): exact search stops paying off in 32-D.
 */
export const UMAP_EXACT_KNN_MAX_ROWS = 5_000;

/** What {@link umap} reports besides coordinates. */
export interface UmapDiagnostics {
  /** nNeighbors actually used (after clamping). */
  nNeighbors: number;
  requestedNeighbors: number;
  /** Rows that exactly equal an earlier row; they were collapsed before UMAP and share that row's coordinates. */
  duplicates: number;
  /** Distinct rows actually embedded. */
  distinctRows: number;
  /** The neighbour search that ran (null when UMAP did not run). */
  knn: "exact" | "nn-descent" | null;
  /** Epochs run (0 when the input was too small to need it). */
  nEpochs: number;
  /** Threads the epochs ran on. */
  threads: number;
  /**
   * "umap" normally; "trivial" when there were ≤ 2 distinct rows: one distinct row goes to the origin,
   * two go to -1 and +1 on the first axis (UMAP needs at least one real neighbour per point).
   */
  mode: "umap" | "trivial";
}

/**
 * UMAP of the rows (umap-js's algorithm and defaults), fully seeded: every random draw comes from our {@link Rng}, so the same input, options
 * and seed give identical coordinates.
 *
 * Traps handled:
 * - fewer rows than nNeighbors: nNeighbors is clamped to (distinct rows - 1);
 * - ≤ 2 distinct rows: placed deterministically without running UMAP (see {@link UmapDiagnostics.mode});
 * - exact duplicate rows: deduplicated, embedded once, and expanded back, so identical inputs get identical
 *   coordinates (umap-js otherwise builds disconnected cliques of zero-distance neighbours);
 * - NaN/Infinity: a RangeError naming the first offending cell.
 */
export function umap(input: MatrixInput, options: UmapOptions = {}): ProjectionResult<UmapDiagnostics> {
  return runSteps(umapSteps(input, options));
}

/**
 * {@link umap} that yields to the event loop as it goes and shows the neighbour search and the epochs on `progress`:
 * the same coordinates for the same input, options and seed.
 */
export function umapAsync(input: MatrixInput, options: UmapOptions & RunStepsOptions = {}): Promise<ProjectionResult<UmapDiagnostics>> {
  return runStepsAsync(umapSteps(input, options), options);
}

/** UMAP's body as steps: a report before the neighbour search, and one per epoch. */
function* umapSteps(input: MatrixInput, options: UmapOptions): Steps<ProjectionResult<UmapDiagnostics>> {
  const t0 = performance.now();
  const m = toMatrix(input, "umap");
  assertFinite(m, "umap");
  const dims = checkDim(options.dim, 32, "umap");
  const seed = checkSeed(options.seed, "umap");
  const requestedNeighbors = options.nNeighbors ?? 15;
  if (!Number.isInteger(requestedNeighbors) || requestedNeighbors < 2) {
    throw new RangeError(`umap: nNeighbors must be an integer ≥ 2, got ${options.nNeighbors}`);
  }
  const metric = options.metric ?? "euclidean";
  if (metric !== "euclidean" && metric !== "cosine") throw new RangeError(`umap: unsupported metric ${String(metric)}`);
  if (options.knn !== undefined && options.knn !== "exact" && options.knn !== "nn-descent")
    throw new RangeError(`umap: option "knn" must be "exact" or "nn-descent", got ${String(options.knn)}`);
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1))
    throw new RangeError(`umap: threads must be a positive integer, got ${String(options.threads)}`);
  const n = m.rows;
  const { firstOf, unique, duplicates } = findDuplicateRows(m);
  const u = unique.length;
  const coords = new Float32Array(n * dims);
  const finish = (
    uniqueCoords: ArrayLike<number>,
    nNeighbors: number,
    nEpochs: number,
    mode: "umap" | "trivial",
    knn: "exact" | "nn-descent" | null,
    threads = 1,
  ): ProjectionResult<UmapDiagnostics> => {
    // Expand: row i takes the coordinates of the distinct row it equals.
    const slot = new Int32Array(n);
    for (let r = 0; r < u; r++) slot[unique[r]] = r;
    for (let i = 0; i < n; i++) {
      const r = slot[firstOf[i]];
      for (let a = 0; a < dims; a++) coords[i * dims + a] = uniqueCoords[r * dims + a];
    }
    return {
      method: "umap",
      coords,
      rows: n,
      dims,
      seed,
      seconds: (performance.now() - t0) / 1000,
      diagnostics: { nNeighbors, requestedNeighbors, duplicates, distinctRows: u, nEpochs, threads, mode, knn },
    };
  };

  if (u <= 2) {
    const uc = new Float64Array(u * dims);
    if (u === 2) {
      uc[0] = -1;
      uc[dims] = 1;
    }
    return finish(uc, 0, 0, "trivial", null);
  }

  const nNeighbors = Math.min(requestedNeighbors, u - 1);
  const rng = new Rng(seed);
  const random = () => rng.next();
  const distinct = duplicates > 0 ? selectRows(m, unique) : m;
  const wanted = options.knn ?? (u <= UMAP_EXACT_KNN_MAX_ROWS || autoKnnMethod(u, "euclidean") === "native" ? "exact" : "nn-descent");
  // Cosine goes through unit rows, which an all-zero row does not have.
  const knn = wanted === "exact" && (metric === "euclidean" || !hasZeroRow(distinct)) ? "exact" : "nn-descent";
  const title = `UMAP: ${n.toLocaleString("en-US")} points`;
  yield { task: { title: `${title}, nearest neighbours (${knn})`, total: null, unit: "epochs" }, done: 0 };
  const lists =
    knn === "exact"
      ? umapNeighbours(metric === "euclidean" ? distinct : normaliseRows(distinct), nNeighbors, metric)
      : umapJsNeighbours(distinct, nNeighbors, metric, random);
  // umap-js's graph, random start and epochs on flat arrays (umap-graph.ts, umap-epochs.ts): its layout to rounding, faster.
  const layout = umapInitialLayout(lists, { ...options, dims, nNeighbors }, random);
  const nEpochs = layout.nEpochs;
  const task = { title, total: nEpochs, unit: "epochs" as const };
  const threads = dims === 2 ? (options.threads ?? (u >= UMAP_THREADS_MIN_ROWS ? 2 : 1)) : 1;
  if (threads === 1) {
    for (let e = 0; e < nEpochs; e++) {
      umapLayoutEpoch(layout, random);
      yield { task, done: e + 1 };
    }
    return finish(layout.embedding, nNeighbors, nEpochs, "umap", knn);
  }
  const pool = new UmapEpochThreads(layout, threads, rng.nextUint32());
  try {
    for (let e = 0; e < nEpochs; e++) {
      pool.epoch();
      yield { task, done: e + 1 };
    }
  } finally {
    pool.close();
  }
  return finish(pool.embedding, nNeighbors, nEpochs, "umap", knn, threads);
}

/**
 * UMAP's neighbour lists from the exact search: each row's own index first at distance 0 (as umap-learn's and umap-js's
 * searches return it), then its k − 1 nearest other rows. Cosine distances come from unit rows: 1 − cos = |a − b|² / 2.
 */
export function umapNeighbours(m: DenseMatrix, k: number, metric: "euclidean" | "cosine"): UmapNeighbourLists {
  const auto = autoKnnMethod(m.rows, "euclidean");
  const r = nearestNeighbours(m, k - 1, { method: auto === "nndescent" ? "vptree" : auto }); // exact, as asked
  const indices: number[][] = new Array(m.rows);
  const distances: number[][] = new Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const idx = [i];
    const dist = [0];
    for (let j = 0; j < r.k; j++) {
      const d = r.distances[i * r.k + j];
      idx.push(r.indices[i * r.k + j]);
      dist.push(metric === "cosine" ? (d * d) / 2 : d);
    }
    indices[i] = idx;
    distances[i] = dist;
  }
  return { indices, distances };
}

/** umap-js's own NN-descent (random-projection forest, a JS distance callback), drawing from `random` as its initializeFit does. */
function umapJsNeighbours(m: DenseMatrix, k: number, metric: "euclidean" | "cosine", random: () => number): UmapNeighbourLists {
  const model = new UMAP({ nNeighbors: k, distanceFn: metric === "cosine" ? cosineDistance : undefined, random });
  const search = (model as unknown as { nearestNeighbors?: (x: number[][]) => { knnIndices: number[][]; knnDistances: number[][] } })
    .nearestNeighbors;
  if (typeof search !== "function") throw new Error("umap: umap-js's nearestNeighbors is missing; its internals differ from umap-js 1.x");
  const r = search.call(model, toRows(m));
  return { indices: r.knnIndices, distances: r.knnDistances };
}

/** Whether some row is all zeros. */
function hasZeroRow(m: DenseMatrix): boolean {
  for (let i = 0; i < m.rows; i++) {
    let zero = true;
    for (let j = 0; j < m.cols && zero; j++) zero = m.data[i * m.cols + j] === 0;
    if (zero) return true;
  }
  return false;
}

/** 1 - cosine similarity; 1 when either vector is zero. */
function cosineDistance(x: number[], y: number[]): number {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i] * y[i];
    nx += x[i] * x[i];
    ny += y[i] * y[i];
  }
  if (nx === 0 || ny === 0) return 1;
  return 1 - dot / Math.sqrt(nx * ny);
}
