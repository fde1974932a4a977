// Fast t-SNE: kNN affinities (exact on native TensorFlow, or NN-descent for the largest inputs) + Barnes–Hut gradient, seeded and repeatable.
import { Rng } from "../../util/random";
import { SparseP, sparseAffinities, upperTriangle } from "./affinities";
import { BhTree, exactRepulsion } from "./bhtree";
import { KnnResult } from "./knn";
import { DenseMatrix, MatrixInput, assertFinite, normaliseRows, toMatrix } from "./matrix";
import { KnnMethod, NeighbourProgress, autoKnnMethod, neighbourSteps } from "./neighbours";
import { pca } from "./pca";
import { ForceThreads, attractionPairs } from "./tsne-threads";
import { RunStepsOptions, Steps, runSteps, runStepsAsync } from "./steps";
import { BaseProjectionOptions, ProjectionResult, checkDim, checkSeed } from "./types";

/** Input distances fast t-SNE supports; "cosine" is Euclidean distance between L2-normalised rows. */
export type TsneMetric = "euclidean" | "cosine" | "manhattan";

/** Progress callback: `kl` (KL divergence on the sparse P, un-exaggerated) is computed only at reporting iterations. */
export type TsneProgress = (iter: number, total: number, kl?: number) => void;

/** Options for {@link tsne}; names shared with tsne-js (dim, perplexity, earlyExaggeration, learningRate, nIter, metric) mean the same. */
export interface TsneOptions extends BaseProjectionOptions {
  /** Effective number of neighbours (default 30). Clamped to max(1, (rows-1)/3) on small inputs. */
  perplexity?: number;
  /** Factor P is multiplied by during the first `exaggerationIter` iterations (default 12). */
  earlyExaggeration?: number;
  /** Iterations with early exaggeration (default 250). */
  exaggerationIter?: number;
  /**
   * Gradient-descent step; "auto" (default) = max(rows / exaggeration / 4, 50) in each phase, as openTSNE's
   * rows / exaggeration (the gradient here includes the factor 4, as in tsne-js): rows / 48 with early exaggeration
   * 12, then rows / 4. A number is used in both phases.
   */
  learningRate?: number | "auto";
  /** A point moves at most this far in one iteration (default 5, as openTSNE); Infinity turns the clip off. */
  maxStepNorm?: number;
  /** Total iterations (default 1000). */
  nIter?: number;
  /** Input distance (default "euclidean"). */
  metric?: TsneMetric;
  /**
   * Barnes–Hut accuracy of the repulsion after early exaggeration: 0 = exact O(n²) repulsion; default 0.5; keep below
   * ~0.7. The phases around it take their own θ (below), by default scaled from this one.
   */
  theta?: number;
  /**
   * θ during early exaggeration (default min(1, 2·theta)): the layout is still forming clusters there, and a coarse
   * repulsion costs nothing in the result (measured at 60,000 points: see {@link TSNE_THETA_SCHEDULE}).
   */
  exaggerationTheta?: number;
  /** θ of the last `finalIterations` iterations, which settle each point among its nearest neighbours (default 0.6·theta). */
  finalTheta?: number;
  /** Iterations at the end run with `finalTheta` (default 150; never during early exaggeration). */
  finalIterations?: number;
  /** "pca" (default; first PCs scaled to std 1e-4), "random" (seeded N(0, 1e-4²)), or explicit `rows x dim` coordinates. */
  init?: "pca" | "random" | MatrixInput;
  /** Momentum before `momentumSwitchIter` (default 0.5). */
  initialMomentum?: number;
  /** Momentum after `momentumSwitchIter` (default 0.8). */
  finalMomentum?: number;
  /** Iteration at which momentum switches (default 250). */
  momentumSwitchIter?: number;
  /** Lower bound of the per-coordinate adaptive gains (default 0.01). */
  minGain?: number;
  /**
   * kNN search (see neighbours.ts): "auto" (default: brute force up to 1,500 rows, then the exact native search up to
   * 150,000 Euclidean or cosine rows, else NN-descent), "native", "nndescent", "vptree" or "brute".
   */
  knnMethod?: KnnMethod;
  /**
   * Threads for the repulsive forces (2-D Barnes–Hut): 1, or more to split each iteration's work with worker threads
   * (tsne-threads.ts). Default 2 from {@link TSNE_THREADS_MIN_ROWS} rows (fixed rather than the machine's core count,
   * so a seed gives the same numbers on every machine), 1 below; a run is repeatable for a seed and thread count.
   */
  threads?: number;
  /** Called every `progressEvery` iterations and after the last one. */
  onProgress?: TsneProgress;
  /** Reporting interval for `onProgress` (default 50). KL costs about one gradient's attractive pass. */
  progressEvery?: number;
}

/** What {@link tsne} reports besides coordinates. */
export interface TsneDiagnostics {
  /** KL(P || Q) of the final embedding with the sparse (kNN) P; Z is exact for ≤ 5,000 rows, Barnes–Hut above. */
  klDivergence: number;
  iterations: number;
  /** Perplexity actually used (after clamping). */
  perplexity: number;
  /** Neighbours per row used for P (3 x perplexity, at most rows-1). */
  neighbors: number;
  /** Non-zeros of the symmetrised P. */
  nonzeros: number;
  /** The step after early exaggeration (during it, "auto" divides it by the exaggeration). */
  learningRate: number;
  earlyExaggeration: number;
  /** θ after early exaggeration; the schedule's other phases are in `thetaSchedule`. */
  theta: number;
  /** Barnes–Hut θ per phase: during early exaggeration, between, and in the final iterations. */
  thetaSchedule: { exaggeration: number; main: number; final: number; finalIterations: number };
  init: "pca" | "random" | "given";
  knnMethod: KnnResult["method"] | "none";
  /** Rows whose bandwidth search missed the perplexity (e.g. many exact duplicates). */
  unconvergedRows: number;
  /** Threads the repulsive forces were computed on. */
  threads: number;
  /** Seconds per phase. */
  timings: { knn: number; affinities: number; init: number; optimize: number };
  /** KL at each progress report (only when `onProgress` is given). */
  klHistory: { iter: number; kl: number }[];
}

const EXACT_Z_MAX_N = 5000;

/**
 * The default θ schedule, as multiples of `theta` (0.5): 2× (capped at 1) during early exaggeration, 0.6× for the last
 * 150 iterations. Measured on 60,000 overlapping 32-D points, 750 iterations, against openTSNE's FFT gradient on the
 * same input (10-NN preservation on 20,000 sampled rows, openTSNE 0.1405): a flat θ 0.5 gave 0.1361 (0.969×); θ 0.35
 * throughout 0.1403 (0.998×) for 28% more optimisation time; this schedule 0.1422 (1.012×) for about the flat θ 0.5's
 * Barnes–Hut work (on the final layout one repulsion pass costs 28 / 65 / 120 ms at θ 1 / 0.5 / 0.3 on one thread).
 */
export const TSNE_THETA_SCHEDULE = { exaggeration: 2, final: 0.6, finalIterations: 150 } as const;

/**
 * From this many rows t-SNE computes the repulsive forces on 2 threads by default. Measured on stage 1's movie vectors
 * (ml-latest-small, d 50, 1,000 iterations, a worker's start-up included): 1,000 rows 1.53 → 1.17 s, 1,500 rows
 * 2.4 → 1.7 s, 2,269 (notebook 08's movies with 10+ ratings) 3.5 → 2.2 s; at 500 rows the gain (0.88 → 0.72 s) is
 * within run-to-run noise.
 */
export const TSNE_THREADS_MIN_ROWS = 1_000;

/**
 * Fast t-SNE (Barnes–Hut). Affinities use k = 3·perplexity nearest neighbours (exact up to 150,000 rows; see `knnMethod`),
 * per-row bandwidths calibrated to the perplexity, and symmetrised P. Optimisation: early exaggeration,
 * momentum switch, delta-bar-delta gains, re-centring each iteration. Same input, options and seed -> identical output.
 * @throws RangeError on NaN/Infinity input or invalid options.
 */
export function tsne(input: MatrixInput, options: TsneOptions = {}): ProjectionResult<TsneDiagnostics> {
  return runSteps(tsneSteps(input, options, false));
}

/**
 * {@link tsne} that yields to the event loop as it goes and shows the kNN search and the iterations (with the KL at
 * every `progressEvery`-th) on `progress`: the same coordinates for the same input, options and seed.
 */
export function tsneAsync(input: MatrixInput, options: TsneOptions & RunStepsOptions = {}): Promise<ProjectionResult<TsneDiagnostics>> {
  return runStepsAsync(tsneSteps(input, options, Boolean(options.progress)), options);
}

/** t-SNE's body as steps: a report before the kNN search, and one per iteration (`klReports`: compute the KL to show). */
function* tsneSteps(input: MatrixInput, options: TsneOptions, klReports: boolean): Steps<ProjectionResult<TsneDiagnostics>> {
  const t0 = performance.now();
  const m0 = toMatrix(input, "tsne");
  assertFinite(m0, "tsne");
  const dim = checkDim(options.dim, 3, "tsne");
  const seed = checkSeed(options.seed, "tsne");
  const n = m0.rows;
  const requestedPerplexity = options.perplexity ?? 30;
  if (!(requestedPerplexity > 0)) throw new RangeError(`tsne: perplexity must be positive, got ${options.perplexity}`);
  const ee = options.earlyExaggeration ?? 12;
  if (!(ee >= 1)) throw new RangeError(`tsne: earlyExaggeration must be ≥ 1, got ${options.earlyExaggeration}`);
  const nIter = options.nIter ?? 1000;
  if (!Number.isInteger(nIter) || nIter < 0) throw new RangeError(`tsne: nIter must be a non-negative integer, got ${options.nIter}`);
  const theta = options.theta ?? 0.5;
  if (!(theta >= 0 && theta <= 1)) throw new RangeError(`tsne: theta must be in [0, 1], got ${options.theta}`);
  const exaggerationTheta = options.exaggerationTheta ?? Math.min(1, TSNE_THETA_SCHEDULE.exaggeration * theta);
  const finalTheta = options.finalTheta ?? TSNE_THETA_SCHEDULE.final * theta;
  for (const [name, v] of [
    ["exaggerationTheta", exaggerationTheta],
    ["finalTheta", finalTheta],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`tsne: ${name} must be in [0, 1], got ${v}`);
    if (theta === 0 && v !== 0)
      throw new RangeError(`tsne: theta 0 asks for the exact repulsion throughout, so ${name} must be 0 or left out, got ${v}`);
  }
  const finalIterations = options.finalIterations ?? TSNE_THETA_SCHEDULE.finalIterations;
  if (!Number.isInteger(finalIterations) || finalIterations < 0)
    throw new RangeError(`tsne: finalIterations must be a non-negative integer, got ${options.finalIterations}`);
  const metric = options.metric ?? "euclidean";
  if (metric !== "euclidean" && metric !== "cosine" && metric !== "manhattan") {
    throw new RangeError(`tsne: unsupported metric ${String(metric)} (use euclidean, cosine or manhattan)`);
  }
  const lrOpt = options.learningRate ?? "auto";
  /** The step at an exaggeration (see TsneOptions.learningRate). */
  const stepAt = (exaggeration: number): number => (lrOpt === "auto" ? Math.max(n / exaggeration / 4, 50) : lrOpt);
  const learningRate = stepAt(1);
  if (!(learningRate > 0)) throw new RangeError(`tsne: learningRate must be positive, got ${options.learningRate}`);
  const maxStepNorm = options.maxStepNorm ?? 5;
  if (!(maxStepNorm > 0)) throw new RangeError(`tsne: maxStepNorm must be positive, got ${options.maxStepNorm}`);
  const exaggerationIter = options.exaggerationIter ?? 250;
  const momentumSwitchIter = options.momentumSwitchIter ?? 250;
  const mom0 = options.initialMomentum ?? 0.5;
  const mom1 = options.finalMomentum ?? 0.8;
  const minGain = options.minGain ?? 0.01;
  const progressEvery = Math.max(1, Math.floor(options.progressEvery ?? 50));
  const threads = options.threads ?? (n >= TSNE_THREADS_MIN_ROWS ? 2 : 1);
  if (!(Number.isInteger(threads) && threads >= 1))
    throw new RangeError(`tsne: threads must be a positive integer, got ${String(options.threads)}`);
  const onProgress = options.onProgress;
  const initKind: "pca" | "random" | "given" =
    options.init === undefined || options.init === "pca" ? "pca" : options.init === "random" ? "random" : "given";

  const timings = { knn: 0, affinities: 0, init: 0, optimize: 0 };
  const klHistory: { iter: number; kl: number }[] = [];
  const coords = new Float32Array(n * dim);
  const perplexity = n > 1 ? Math.min(requestedPerplexity, Math.max(1, (n - 1) / 3)) : requestedPerplexity;
  const k = n > 1 ? Math.min(n - 1, Math.max(1, Math.floor(3 * perplexity))) : 0;
  const base = {
    threads: 1,
    perplexity,
    neighbors: k,
    learningRate,
    earlyExaggeration: ee,
    theta,
    thetaSchedule: { exaggeration: exaggerationTheta, main: theta, final: finalTheta, finalIterations },
    init: initKind,
    timings,
    klHistory,
  };
  if (n <= 1) {
    return result(coords, n, dim, seed, t0, {
      ...base,
      klDivergence: 0,
      iterations: 0,
      nonzeros: 0,
      knnMethod: "none",
      unconvergedRows: 0,
    });
  }

  // 1. kNN and calibrated, symmetrised P.
  let tPhase = performance.now();
  const m = metric === "cosine" ? normaliseRows(m0) : m0;
  const knnMetric = metric === "manhattan" ? "manhattan" : "euclidean";
  const knnMethod = options.knnMethod === undefined || options.knnMethod === "auto" ? autoKnnMethod(n, knnMetric) : options.knnMethod;
  const knnTask = {
    title: `t-SNE: ${n.toLocaleString("en-US")} points, nearest neighbours (${knnMethod})`,
    total: null,
    unit: "rows" as const,
  };
  const search = neighbourSteps(m, k, { metric: knnMetric, method: knnMethod, seed });
  let knn: KnnResult;
  for (;;) {
    const r = search.next();
    // Explicit casts: tslab's TypeScript does not narrow IteratorResult on `done`.
    if (r.done === true) {
      knn = r.value as KnnResult;
      break;
    }
    const p = r.value as NeighbourProgress;
    yield { task: { ...knnTask, total: p.total }, done: p.done };
  }
  timings.knn = (performance.now() - tPhase) / 1000;
  tPhase = performance.now();
  // Work in the kNN search's locality order (nearby rows get nearby labels) so the attractive pass reads memory locally.
  const order = knn.order;
  const { P, stats } = sparseAffinities(relabel(knn.indices, knn.distances, order, n, k), perplexity, true);
  let pLogP = 0;
  for (let e = 0; e < P.vals.length; e++) if (P.vals[e] > 0) pLogP += P.vals[e] * Math.log(P.vals[e]);
  const U = upperTriangle(P);
  timings.affinities = (performance.now() - tPhase) / 1000;

  // 2. Initial layout (computed in input order, then relabelled).
  tPhase = performance.now();
  const y0 = initialLayout(m0, n, dim, initKind, options.init, new Rng(seed));
  // Worker threads for the repulsion (2-D Barnes–Hut only); `y` and `rep` then live in memory they share.
  const tree = theta > 0 ? new BhTree(n, dim, 8) : null;
  const pool = threads > 1 && tree && dim === 2 && n > 1 ? startThreads(n, threads, tree, U) : null;
  const y = pool ? pool.y : new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) y[i * dim + a] = y0[order[i] * dim + a];
  timings.init = (performance.now() - tPhase) / 1000;

  // 3. Gradient descent.
  tPhase = performance.now();
  const len = n * dim;
  const update = new Float64Array(len);
  const gains = new Float64Array(len).fill(1);
  const rep = pool ? pool.forces : new Float64Array(len);
  const grad = pool ? pool.gradient : new Float64Array(len);
  const task = { title: `t-SNE: ${n.toLocaleString("en-US")} points`, total: nIter, unit: "iterations" as const };
  let lastKl = "";
  // Early exaggeration first, then the main phase, then the final iterations (never inside early exaggeration).
  const finalFrom = Math.max(exaggerationIter, nIter - finalIterations);
  try {
    for (let iter = 0; iter < nIter; iter++) {
      const exaggeration = iter < exaggerationIter ? ee : 1;
      const th = iter < exaggerationIter ? exaggerationTheta : iter >= finalFrom ? finalTheta : theta;
      const momentum = iter < momentumSwitchIter ? mom0 : mom1;
      const report = (onProgress !== undefined || klReports) && ((iter + 1) % progressEvery === 0 || iter === nIter - 1);
      let z: number;
      let pLogOneD2 = 0;
      if (pool) {
        const f = pool.forcesFor(th, exaggeration, report);
        z = f.z;
        pLogOneD2 = f.klPart;
      } else {
        if (tree) {
          tree.build(y);
          z = tree.repulsion(th, rep);
        } else z = exactRepulsion(y, n, dim, rep);
        pLogOneD2 = attraction(y, n, dim, U, exaggeration, grad, report);
      }
      if (report) {
        const kl = pLogP + pLogOneD2 + Math.log(z);
        klHistory.push({ iter: iter + 1, kl });
        onProgress?.(iter + 1, nIter, kl);
        lastKl = `KL ${kl.toFixed(3)}`;
      }
      const invZ = 1 / z;
      const step = stepAt(exaggeration);
      for (let i = 0; i < len; i++) {
        const g = 4 * (grad[i] - rep[i] * invZ);
        const u = update[i];
        let gain = gains[i];
        gain = u * g < 0 ? gain + 0.2 : gain * 0.8;
        if (gain < minGain) gain = minGain;
        gains[i] = gain;
        update[i] = momentum * u - step * gain * g;
      }
      clipSteps(update, n, dim, maxStepNorm);
      for (let i = 0; i < len; i++) y[i] += update[i];
      recentre(y, n, dim);
      yield { task, done: iter + 1, detail: lastKl };
    }
  } finally {
    pool?.close();
  }
  if (onProgress !== undefined && nIter === 0) onProgress(0, 0, undefined);

  // 4. Final KL on the sparse P.
  let z: number;
  if (n <= EXACT_Z_MAX_N || !tree) z = exactRepulsion(y, n, dim, rep);
  else {
    tree.build(y);
    z = tree.repulsion(finalTheta, rep);
  }
  const kl = pLogP + attraction(y, n, dim, U, 1, grad, true) + Math.log(z);
  timings.optimize = (performance.now() - tPhase) / 1000;

  for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) coords[order[i] * dim + a] = y[i * dim + a];
  return result(coords, n, dim, seed, t0, {
    ...base,
    klDivergence: kl,
    iterations: nIter,
    nonzeros: P.vals.length,
    knnMethod: knn.method,
    unconvergedRows: stats.unconverged,
    threads: pool ? threads : 1,
  });
}

function result(
  coords: Float32Array,
  rows: number,
  dims: number,
  seed: number,
  t0: number,
  diagnostics: TsneDiagnostics,
): ProjectionResult<TsneDiagnostics> {
  return { method: "tsne", coords, rows, dims, seed, seconds: (performance.now() - t0) / 1000, diagnostics };
}

/**
 * The worker threads for a run, or null (one thread) when they cannot start here, e.g. without tsx to load their
 * TypeScript module: the forces are then computed on this thread, with the same result as `threads: 1`.
 */
function startThreads(n: number, threads: number, tree: BhTree, U: SparseP): ForceThreads | null {
  try {
    return new ForceThreads(n, threads, tree, U);
  } catch {
    return null;
  }
}

/**
 * Attractive term: writes exaggeration · Σ_j P_ij q_ij (y_i - y_j) into `out` from P's upper triangle `U`, visiting
 * each pair once (in 2-D with tsne-threads.ts's attractionPairs, which the worker threads split). When
 * `withKl`, also returns Σ_{i≠j} P_ij log(1 + |y_i - y_j|²) (the -Σ P log q part of the KL); otherwise returns 0.
 */
function attraction(y: Float64Array, n: number, dim: number, U: SparseP, exaggeration: number, out: Float64Array, withKl: boolean): number {
  if (dim === 2) {
    // The formula the worker threads split (tsne-threads.ts).
    const klPart = attractionPairs(y, U, 0, n, out, withKl);
    if (exaggeration !== 1) for (let i = 0; i < 2 * n; i++) out[i] *= exaggeration;
    return klPart;
  }
  const { rowPtr, cols, vals } = U;
  let klPart = 0;
  out.fill(0);
  for (let i = 0; i < n; i++) {
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      const j = cols[e];
      let d2 = 0;
      for (let a = 0; a < dim; a++) {
        const v = y[i * dim + a] - y[j * dim + a];
        d2 += v * v;
      }
      const w = vals[e] / (1 + d2);
      for (let a = 0; a < dim; a++) {
        const f = w * (y[i * dim + a] - y[j * dim + a]);
        out[i * dim + a] += f;
        out[j * dim + a] -= f;
      }
      if (withKl) klPart += vals[e] * Math.log1p(d2);
    }
  }
  if (exaggeration !== 1) for (let i = 0; i < n * dim; i++) out[i] *= exaggeration;
  return 2 * klPart;
}

/** The kNN lists renamed so that row `order[i]` becomes row `i` (neighbour ids renamed the same way). */
function relabel(
  indices: Int32Array,
  distances: Float64Array,
  order: Int32Array,
  n: number,
  k: number,
): Pick<KnnResult, "rows" | "k" | "indices" | "distances"> {
  const inv = new Int32Array(n);
  for (let i = 0; i < n; i++) inv[order[i]] = i;
  const ri = new Int32Array(n * k);
  const rd = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const src = order[i] * k;
    for (let t = 0; t < k; t++) {
      ri[i * k + t] = inv[indices[src + t]];
      rd[i * k + t] = distances[src + t];
    }
  }
  return { indices: ri, distances: rd, rows: n, k };
}

/** Scales down every point's update whose length exceeds `max` to length `max` (openTSNE's max_step_norm). */
function clipSteps(update: Float64Array, n: number, dim: number, max: number): void {
  if (max === Infinity) return;
  const max2 = max * max;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let a = 0; a < dim; a++) s += update[i * dim + a] ** 2;
    if (s > max2) {
      const f = max / Math.sqrt(s);
      for (let a = 0; a < dim; a++) update[i * dim + a] *= f;
    }
  }
}

/** Subtracts the mean from every coordinate column. */
function recentre(y: Float64Array, n: number, dim: number): void {
  for (let a = 0; a < dim; a++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += y[i * dim + a];
    s /= n;
    for (let i = 0; i < n; i++) y[i * dim + a] -= s;
  }
}

/** The starting layout, `n x dim` Float64: scaled PCA, seeded Gaussian noise, or the given coordinates. */
function initialLayout(
  m: DenseMatrix,
  n: number,
  dim: number,
  kind: "pca" | "random" | "given",
  given: TsneOptions["init"],
  rng: Rng,
): Float64Array {
  const y = new Float64Array(n * dim);
  if (kind === "given") {
    const g = toMatrix(given as MatrixInput, "tsne init");
    if (g.rows !== n || g.cols !== dim) throw new RangeError(`tsne: init must be ${n}x${dim}, got ${g.rows}x${g.cols}`);
    assertFinite(g, "tsne init");
    for (let i = 0; i < n * dim; i++) y[i] = g.data[i];
    return y;
  }
  if (kind === "pca" && m.cols >= 1) {
    const p = pca(m, { dim: Math.min(dim, m.cols) });
    const pd = p.dims;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += p.coords[i * pd];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (p.coords[i * pd] - mean) ** 2;
    const sd = Math.sqrt(v / n);
    if (sd > 0) {
      const scale = 1e-4 / sd;
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < pd; a++) y[i * dim + a] = p.coords[i * pd + a] * scale;
        for (let a = pd; a < dim; a++) y[i * dim + a] = rng.normal() * 1e-4; // more output dims than input columns
      }
      return y;
    }
  }
  for (let i = 0; i < n * dim; i++) y[i] = rng.normal() * 1e-4;
  return y;
}
