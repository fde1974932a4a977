// UMAP's fuzzy neighbour graph and starting layout on typed arrays: umap-js's initializeFit (smooth kNN distances, membership strengths, fuzzy union, epochs per sample, uniform random start) without its string-keyed sparse matrices.
//
// umap-js builds the graph with a SparseMatrix keyed by "row:col" strings and runs the fuzzy union through five
// element-wise passes over Maps; at 60,000 rows that took 29 s here, longer than the exact neighbour search. This is
// the same arithmetic in the same order on sorted per-row arrays, so the graph, the weights and the random start are
// umap-js's own, bit for bit (test/viz/umap-graph.test.ts checks them against umap-js's initializeFit).
import { findABParams } from "umap-js/dist/umap";
import type { UmapLayout } from "./umap-epochs";

/** umap-js's constants (umap.js): the bisection tolerance and the floor on sigma, as a share of the mean distance. */
const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

/** Each row's neighbour lists, nearest first, the row itself first at distance 0 (as umap-js's searches return them). */
export interface UmapNeighbourLists {
  indices: number[][];
  distances: number[][];
}

/** The options of umap-js that shape the graph and the layout; umap-js's defaults apply where one is undefined. */
export interface UmapGraphOptions {
  /** Dimensions of the layout. */
  dims: number;
  nNeighbors: number;
  /** Epochs (default: 500 up to 2,500 rows, 400 up to 5,000, 300 up to 7,500, else 200; umap-js's rule). */
  nEpochs?: number;
  minDist?: number;
  spread?: number;
  learningRate?: number;
  negativeSampleRate?: number;
  localConnectivity?: number;
  repulsionStrength?: number;
  setOpMixRatio?: number;
}

/** The fuzzy graph's edges in (row, column) order, as umap-js's getAll() lists them. */
interface FuzzyGraph {
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
}

/**
 * The optimisation state umap-js's initializeFit leaves (graph, epochs per sample, a and b, random start drawn from
 * `random` row by row), ready for {@link umapLayoutEpoch}.
 */
export function umapInitialLayout(knn: UmapNeighbourLists, options: UmapGraphOptions, random: () => number): UmapLayout {
  const n = knn.indices.length;
  const localConnectivity = options.localConnectivity ?? 1;
  const nEpochs = options.nEpochs !== undefined && options.nEpochs > 0 ? options.nEpochs : defaultEpochs(n);
  const { sigmas, rhos } = smoothKnnDistance(knn.distances, options.nNeighbors, localConnectivity);
  const graph = fuzzyUnion(knn, sigmas, rhos, options.setOpMixRatio ?? 1);

  // Drop edges too weak to be sampled once in nEpochs (umap-js's map to 0, then its `if (entry.value)` filter).
  let graphMax = 0;
  for (let i = 0; i < graph.values.length; i++) if (graphMax < graph.values[i]) graphMax = graph.values[i];
  const threshold = graphMax / nEpochs;
  const kept: number[] = [];
  for (let i = 0; i < graph.values.length; i++) {
    const v = graph.values[i] < threshold ? 0 : graph.values[i];
    if (v) kept.push(i);
  }

  const dims = options.dims;
  const embedding = new Float64Array(n * dims);
  for (let i = 0; i < n * dims; i++) embedding[i] = random() * 20 + -10;

  const edges = kept.length;
  const head = new Int32Array(edges);
  const tail = new Int32Array(edges);
  const weights = new Float64Array(edges);
  for (let e = 0; e < edges; e++) {
    const i = kept[e];
    weights[e] = graph.values[i];
    tail[e] = graph.rows[i];
    head[e] = graph.cols[i];
  }
  let maxWeight = 0;
  for (let e = 0; e < edges; e++) maxWeight = weights[e] > maxWeight ? weights[e] : maxWeight;
  const negativeSampleRate = options.negativeSampleRate ?? 5;
  const epochsPerSample = new Float64Array(edges);
  const epochsPerNegativeSample = new Float64Array(edges);
  for (let e = 0; e < edges; e++) {
    const samples = (weights[e] / maxWeight) * nEpochs;
    epochsPerSample[e] = samples > 0 ? nEpochs / samples : -1;
    epochsPerNegativeSample[e] = epochsPerSample[e] / negativeSampleRate;
  }
  const { a, b } = findABParams(options.spread ?? 1, options.minDist ?? 0.1);
  const learningRate = options.learningRate ?? 1;
  return {
    rows: n,
    dim: dims,
    nEpochs,
    embedding,
    head,
    tail,
    epochsPerSample,
    epochOfNextSample: Float64Array.from(epochsPerSample),
    epochOfNextNegativeSample: Float64Array.from(epochsPerNegativeSample),
    epochsPerNegativeSample,
    a,
    b,
    gamma: options.repulsionStrength ?? 1,
    initialAlpha: learningRate,
    alpha: learningRate,
    epoch: 0,
  };
}

/** umap-js's epoch count for a graph of `n` rows. */
function defaultEpochs(n: number): number {
  return n <= 2500 ? 500 : n <= 5000 ? 400 : n <= 7500 ? 300 : 200;
}

/** Per row: rho (distance to the local-connectivity-th nonzero neighbour) and sigma, found by bisection so the memberships sum to log2(k). */
function smoothKnnDistance(distances: number[][], k: number, localConnectivity: number): { sigmas: Float64Array; rhos: Float64Array } {
  const n = distances.length;
  const target = Math.log(k) / Math.log(2);
  const rhos = new Float64Array(n);
  const sigmas = new Float64Array(n);
  let meanOfMeans: number | null = null;
  for (let i = 0; i < n; i++) {
    const row = distances[i];
    const nonZero = row.filter((d) => d > 0);
    if (nonZero.length >= localConnectivity) {
      const index = Math.floor(localConnectivity);
      const interpolation = localConnectivity - index;
      if (index > 0) {
        rhos[i] = nonZero[index - 1];
        if (interpolation > SMOOTH_K_TOLERANCE) rhos[i] += interpolation * (nonZero[index] - nonZero[index - 1]);
      } else rhos[i] = interpolation * nonZero[0];
    } else if (nonZero.length > 0) {
      let max = 0;
      for (const d of nonZero) max = d > max ? d : max;
      rhos[i] = max;
    }
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    const rho = rhos[i];
    for (let iter = 0; iter < 64; iter++) {
      let psum = 0;
      for (let j = 1; j < row.length; j++) {
        const d = row[j] - rho;
        psum += d > 0 ? Math.exp(-(d / mid)) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    sigmas[i] = mid;
    if (rho > 0) {
      const floor = MIN_K_DIST_SCALE * mean(row);
      if (sigmas[i] < floor) sigmas[i] = floor;
    } else {
      meanOfMeans ??= mean(distances.map(mean));
      if (sigmas[i] < MIN_K_DIST_SCALE * meanOfMeans) sigmas[i] = MIN_K_DIST_SCALE * meanOfMeans;
    }
  }
  return { sigmas, rhos };
}

/** umap-js's utils.mean: a left-to-right sum over the length. */
function mean(values: number[]): number {
  let s = values[0];
  for (let i = 1; i < values.length; i++) s += values[i];
  return s / values.length;
}

/**
 * The membership strengths S (row i to its neighbours) and their fuzzy union
 * ((S + Sᵀ) − S∘Sᵀ)·mix + S∘Sᵀ·(1 − mix), over the union of both patterns, in (row, column) order, zeros dropped.
 */
function fuzzyUnion(knn: UmapNeighbourLists, sigmas: Float64Array, rhos: Float64Array, mix: number): FuzzyGraph {
  const s = membershipRows(knn, sigmas, rhos);
  const t = transpose(s);
  const n = s.start.length - 1;
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    // Merge row i of S and of Sᵀ (both sorted by column); a missing entry is 0, as umap-js's get() returns.
    let p = s.start[i];
    let q = t.start[i];
    const pEnd = s.start[i + 1];
    const qEnd = t.start[i + 1];
    while (p < pEnd || q < qEnd) {
      const cp = p < pEnd ? s.col[p] : Infinity;
      const cq = q < qEnd ? t.col[q] : Infinity;
      const c = cp < cq ? cp : cq;
      const x = cp === c ? s.val[p++] : 0;
      const y = cq === c ? t.val[q++] : 0;
      const prod = x * y;
      const v = (x + y - prod) * mix + prod * (1.0 - mix);
      if (v) {
        rows.push(i);
        cols.push(c);
        values.push(v);
      }
    }
  }
  return { rows: Int32Array.from(rows), cols: Int32Array.from(cols), values: Float64Array.from(values) };
}

/** A sparse matrix by rows: row i's entries are start[i] .. start[i + 1] − 1, sorted by column. */
interface SparseRows {
  start: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

/**
 * S by rows: row i's membership strengths to its neighbours, sorted by column. A neighbour listed twice keeps its
 * later strength (umap-js's Map.set overwrites); a -1 slot is left out (umap-js stores it as a 0 at (0, 0), which
 * adds nothing to the union).
 */
function membershipRows(knn: UmapNeighbourLists, sigmas: Float64Array, rhos: Float64Array): SparseRows {
  const n = knn.indices.length;
  const k = n > 0 ? knn.indices[0].length : 0;
  const start = new Int32Array(n + 1);
  const col = new Int32Array(n * k);
  const val = new Float64Array(n * k);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const idx = knn.indices[i];
    const dist = knn.distances[i];
    const rowStart = at;
    for (let j = 0; j < k; j++) {
      const c = idx[j];
      if (c === -1) continue;
      const v = c === i ? 0 : dist[j] - rhos[i] <= 0 ? 1 : Math.exp(-((dist[j] - rhos[i]) / sigmas[i]));
      // Insert by column into the row so far.
      let b = at - 1;
      while (b >= rowStart && col[b] > c) b--;
      if (b >= rowStart && col[b] === c) {
        val[b] = v;
        continue;
      }
      col.copyWithin(b + 2, b + 1, at);
      val.copyWithin(b + 2, b + 1, at);
      col[b + 1] = c;
      val[b + 1] = v;
      at++;
    }
    start[i + 1] = at;
  }
  return { start, col: col.subarray(0, at), val: val.subarray(0, at) };
}

/** The transpose of a square {@link SparseRows}; scanning the rows in order leaves each column's entries sorted. */
function transpose(s: SparseRows): SparseRows {
  const n = s.start.length - 1;
  const m = s.col.length;
  const start = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) start[s.col[e] + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const col = new Int32Array(m);
  const val = new Float64Array(m);
  for (let i = 0; i < n; i++)
    for (let e = s.start[i]; e < s.start[i + 1]; e++) {
      const at = fill[s.col[e]]++;
      col[at] = i;
      val[at] = s.val[e];
    }
  return { start, col, val };
}
