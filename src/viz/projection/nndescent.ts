// Approximate k-nearest neighbours for large inputs: a random-projection forest to start from, refined by NN-descent (Dong, Moses & Li 2011), seeded and repeatable.
//
// Exact search in 32 dimensions degrades towards brute force when the data do not cluster cleanly (a vantage-point
// tree took 253 s for 60,000 overlapping points), and real embeddings do not. This is the scheme of pynndescent,
// which umap-learn and openTSNE use: each tree of the forest splits the rows by random hyperplanes (the one halfway
// between two random rows, as Annoy does) into leaves of at most `leafSize` rows, and every pair in a leaf is a
// candidate. NN-descent then repeats "a neighbour of my neighbour is likely my neighbour": per row it samples up to
// `maxCandidates` new and old neighbours (forward and reverse), measures every new–new and new–old pair, and keeps
// each row's k best in a max-heap, until fewer than `delta · n · k` heap entries change in a round. Distances are
// computed with an early exit once they exceed both rows' current k-th distance. Recall against the exact search is
// measured in test/viz/nndescent.test.ts and by `npm run bench -- projection`.
import { Rng } from "../../util/random";
import { KnnMetric, KnnResult, distBounded } from "./knn";
import { DenseMatrix } from "./matrix";

/** Options for {@link approximateKnn}. */
export interface ApproximateKnnOptions {
  /** Distance (default "euclidean"). */
  metric?: KnnMetric;
  /** Seeds the forest's hyperplanes and the candidate sampling (default 1). */
  seed?: number;
  /** Random-projection trees (default: 4 + round(rows^0.25 / 2), at most 16). */
  trees?: number;
  /** Largest leaf of a tree (default: max(k + 1, 32), at most 128). */
  leafSize?: number;
  /** New (and old) candidates sampled per row and round (default: min(k, 16)). */
  maxCandidates?: number;
  /** Most NN-descent rounds (default 12). */
  maxRounds?: number;
  /** Stop when a round changes fewer than delta · rows · k heap entries (default 0.005). */
  delta?: number;
}

/** What {@link approximateKnn} reports besides the neighbours. */
export interface ApproximateKnnStats {
  trees: number;
  leafSize: number;
  /** NN-descent rounds run, and the heap entries each changed. */
  rounds: number;
  updates: number[];
  /** Distances computed (forest plus rounds), against rows·(rows−1)/2 for brute force. */
  distanceEvaluations: number;
}

/**
 * Approximate k nearest other rows of every row of `m` (k clamped to rows − 1): see the file comment. Returns the
 * same shape as {@link exactKnn} (method "nndescent"; `order` is the first tree's leaf order, so nearby rows sit close
 * together) plus the search's statistics. Same input, k and options → identical result.
 */
export function approximateKnn(m: DenseMatrix, k: number, options: ApproximateKnnOptions = {}): KnnResult & { stats: ApproximateKnnStats } {
  const n = m.rows;
  const d = m.cols;
  const kk = Math.max(0, Math.min(Math.floor(k), n - 1));
  const metric = options.metric ?? "euclidean";
  if (metric !== "euclidean" && metric !== "manhattan") throw new RangeError(`approximateKnn: unknown metric ${String(metric)}`);
  const l1 = metric === "manhattan";
  const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
  const rng = new Rng(options.seed ?? 1);
  // Fewer trees and candidates than pynndescent's defaults (5 + n^0.25 trees, 60 candidates), which are tuned for
  // compiled code: in JS each distance costs ~80–160 ns, and these measured 0.97 recall at k 90 on 60,000 overlapping
  // 32-D points in about 40 s (pynndescent's: 0.999 at 10,000 points, but 2.5× the time).
  const trees = positiveInt("trees", options.trees ?? Math.min(16, 4 + Math.round(Math.pow(n, 0.25) / 2)));
  const leafSize = positiveInt("leafSize", options.leafSize ?? Math.min(128, Math.max(kk + 1, 32)));
  const maxCandidates = positiveInt("maxCandidates", options.maxCandidates ?? Math.max(1, Math.min(kk, 16)));
  const maxRounds = nonNegativeInt("maxRounds", options.maxRounds ?? 12);
  const delta = options.delta ?? 0.005;
  if (!(delta >= 0)) throw new RangeError(`approximateKnn: delta must be ≥ 0, got ${String(options.delta)}`);

  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const stats: ApproximateKnnStats = { trees, leafSize, rounds: 0, updates: [], distanceEvaluations: 0 };
  if (kk === 0) return { indices: new Int32Array(0), distances: new Float64Array(0), rows: n, k: 0, method: "nndescent", order, stats };

  // Work on the rows copied into the first tree's leaf order: rows near each other in space then sit near each other
  // in memory, so the random-looking reads of neighbours-of-neighbours mostly hit the cache. Position p holds row
  // order[p]; the result is mapped back at the end.
  const rows = new Int32Array(n);
  let leaves: [number, number][] = [];
  splitRows(data, d, order, 0, n, leafSize, rng, leaves);
  const x = new Float64Array(n * d);
  for (let p = 0; p < n; p++) x.set(data.subarray(order[p] * d, order[p] * d + d), p * d);
  const heap = new NeighbourHeaps(n, kk);
  let evaluations = 0;
  const dist = (a: number, b: number, limit: number): number => {
    evaluations++;
    return distBounded(x, a * d, b * d, d, limit, l1);
  };

  // 1. The forest: every pair within a leaf is a candidate. The first tree's leaves are the consecutive ranges above.
  for (let t = 0; t < trees; t++) {
    for (let i = 0; i < n; i++) rows[i] = i;
    if (t > 0) {
      leaves = [];
      splitRows(x, d, rows, 0, n, leafSize, rng, leaves);
    }
    for (const [from, to] of leaves) {
      for (let u = from; u < to; u++) {
        const a = rows[u];
        for (let v = u + 1; v < to; v++) {
          const b = rows[v];
          const limit = Math.max(heap.worst(a), heap.worst(b));
          const dd = dist(a, b, limit);
          if (dd < limit) {
            heap.push(a, b, dd);
            heap.push(b, a, dd);
          }
        }
      }
    }
  }
  // Rows the forest left short of k (leaves smaller than k + 1) start with random others.
  for (let i = 0; i < n; i++) {
    for (let tries = 0; heap.worst(i) === Infinity && tries < 4 * kk; tries++) {
      const j = rng.int(n);
      if (j !== i) heap.push(i, j, dist(i, j, Infinity));
    }
  }

  // 2. NN-descent rounds.
  const C = maxCandidates;
  const newIdx = new Int32Array(n * C);
  const newPri = new Float64Array(n * C);
  const oldIdx = new Int32Array(n * C);
  const oldPri = new Float64Array(n * C);
  for (let round = 0; round < maxRounds; round++) {
    newIdx.fill(-1);
    oldIdx.fill(-1);
    newPri.fill(Infinity);
    oldPri.fill(Infinity);
    for (let i = 0; i < n; i++) {
      const base = i * kk;
      for (let s = 0; s < kk; s++) {
        const j = heap.idx[base + s];
        if (j < 0) continue;
        const p = rng.next();
        if (heap.isNew[base + s]) {
          candidatePush(newIdx, newPri, i * C, C, j, p);
          candidatePush(newIdx, newPri, j * C, C, i, p);
        } else {
          candidatePush(oldIdx, oldPri, i * C, C, j, p);
          candidatePush(oldIdx, oldPri, j * C, C, i, p);
        }
      }
    }
    // The sampled new neighbours become old.
    for (let i = 0; i < n; i++) {
      const base = i * kk;
      for (let s = 0; s < kk; s++) {
        if (!heap.isNew[base + s]) continue;
        const j = heap.idx[base + s];
        for (let c = 0; c < C; c++)
          if (newIdx[i * C + c] === j) {
            heap.isNew[base + s] = 0;
            break;
          }
      }
    }
    let updates = 0;
    for (let i = 0; i < n; i++) {
      const nb = i * C;
      for (let u = 0; u < C; u++) {
        const a = newIdx[nb + u];
        if (a < 0) continue;
        for (let y = u + 1; y < C; y++) {
          const b = newIdx[nb + y];
          if (b < 0 || b === a) continue;
          updates += tryPair(a, b);
        }
        for (let y = 0; y < C; y++) {
          const b = oldIdx[nb + y];
          if (b < 0 || b === a) continue;
          updates += tryPair(a, b);
        }
      }
    }
    stats.rounds = round + 1;
    stats.updates.push(updates);
    if (updates <= delta * n * kk) break;
  }

  // 3. Sorted output in the input's row numbers, true distances.
  stats.distanceEvaluations = evaluations;
  const byPosition = new Int32Array(n * kk);
  const distByPosition = new Float64Array(n * kk);
  heap.sortedInto(byPosition, distByPosition, l1);
  const indices = new Int32Array(n * kk);
  const distances = new Float64Array(n * kk);
  for (let p = 0; p < n; p++) {
    const row = order[p];
    for (let s = 0; s < kk; s++) {
      indices[row * kk + s] = order[byPosition[p * kk + s]];
      distances[row * kk + s] = distByPosition[p * kk + s];
    }
  }
  return { indices, distances, rows: n, k: kk, method: "nndescent", order, stats };

  function tryPair(a: number, b: number): number {
    const limit = Math.max(heap.worst(a), heap.worst(b));
    const dd = dist(a, b, limit);
    if (!(dd < limit)) return 0;
    return heap.push(a, b, dd) + heap.push(b, a, dd);
  }
}

/** Per row, a max-heap of its k best (squared distance, index, new flag); empty slots hold (Infinity, −1). */
class NeighbourHeaps {
  readonly idx: Int32Array;
  readonly dist: Float64Array;
  readonly isNew: Uint8Array;

  constructor(
    n: number,
    private readonly k: number,
  ) {
    this.idx = new Int32Array(n * k).fill(-1);
    this.dist = new Float64Array(n * k).fill(Infinity);
    this.isNew = new Uint8Array(n * k);
  }

  /** Row i's current k-th distance (Infinity while its heap has empty slots). */
  worst(i: number): number {
    return this.dist[i * this.k];
  }

  /** Adds j to row i's heap (as new) if it beats the worst and is not already there; 1 if it was added. */
  push(i: number, j: number, dd: number): number {
    const k = this.k;
    const base = i * k;
    const { idx, dist, isNew } = this;
    if (!(dd < dist[base])) return 0;
    for (let s = 0; s < k; s++) if (idx[base + s] === j) return 0;
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= k) break;
      const r = l + 1;
      const c = r < k && dist[base + r] > dist[base + l] ? r : l;
      if (!(dist[base + c] > dd)) break;
      idx[base + pos] = idx[base + c];
      dist[base + pos] = dist[base + c];
      isNew[base + pos] = isNew[base + c];
      pos = c;
    }
    idx[base + pos] = j;
    dist[base + pos] = dd;
    isNew[base + pos] = 1;
    return 1;
  }

  /** Each row's neighbours nearest first, with metric distances (square roots unless `l1`). */
  sortedInto(outIdx: Int32Array, outDist: Float64Array, l1: boolean): void {
    const k = this.k;
    const n = this.idx.length / k;
    const perm = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const base = i * k;
      for (let s = 0; s < k; s++) perm[s] = s;
      perm.sort((a, b) => this.dist[base + a] - this.dist[base + b] || this.idx[base + a] - this.idx[base + b]);
      for (let s = 0; s < k; s++) {
        const dd = this.dist[base + perm[s]];
        outIdx[base + s] = this.idx[base + perm[s]];
        outDist[base + s] = l1 ? dd : Math.sqrt(dd);
      }
    }
  }
}

/** Keeps the C candidates of smallest priority at [base, base + C) (a max-heap on priority); skips duplicates. */
function candidatePush(idx: Int32Array, pri: Float64Array, base: number, C: number, j: number, p: number): void {
  if (!(p < pri[base])) return;
  for (let s = 0; s < C; s++) if (idx[base + s] === j) return;
  let pos = 0;
  for (;;) {
    const l = 2 * pos + 1;
    if (l >= C) break;
    const r = l + 1;
    const c = r < C && pri[base + r] > pri[base + l] ? r : l;
    if (!(pri[base + c] > p)) break;
    idx[base + pos] = idx[base + c];
    pri[base + pos] = pri[base + c];
    pos = c;
  }
  idx[base + pos] = j;
  pri[base + pos] = p;
}

/**
 * Splits rows[from, to) in place by random hyperplanes until each part has at most `leafSize` rows, appending the
 * parts as [from, to) ranges of `rows` (so `rows` ends in leaf order). A hyperplane is the one halfway between two
 * random rows; when it leaves one side empty (duplicates), the rows are halved at random instead.
 */
export function splitRows(
  data: Float64Array,
  d: number,
  rows: Int32Array,
  from: number,
  to: number,
  leafSize: number,
  rng: Rng,
  leaves: [number, number][],
): void {
  const stack: [number, number][] = [[from, to]];
  const normal = new Float64Array(d);
  while (stack.length > 0) {
    const [lo, hi] = stack.pop()!;
    const size = hi - lo;
    if (size <= leafSize) {
      leaves.push([lo, hi]);
      continue;
    }
    const a = rows[lo + rng.int(size)];
    let b = rows[lo + rng.int(size)];
    for (let tries = 0; b === a && tries < 8; tries++) b = rows[lo + rng.int(size)];
    let offset = 0;
    for (let j = 0; j < d; j++) {
      const x = data[a * d + j];
      const y = data[b * d + j];
      normal[j] = x - y;
      offset += (x - y) * (x + y) * 0.5;
    }
    // Partition: rows with normal·x > offset first.
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      const r = rows[i];
      let s = -offset;
      for (let c = 0; c < d; c++) s += normal[c] * data[r * d + c];
      if (s > 0 || (s === 0 && rng.next() < 0.5)) i++;
      else {
        rows[i] = rows[j];
        rows[j] = r;
        j--;
      }
    }
    let mid = i;
    if (mid === lo || mid === hi) {
      // Degenerate split (duplicate rows): shuffle and halve.
      for (let x = hi - 1; x > lo; x--) {
        const y = lo + rng.int(x - lo + 1);
        const t = rows[x];
        rows[x] = rows[y];
        rows[y] = t;
      }
      mid = lo + (size >> 1);
    }
    // Right part pushed first so the left is split (and its leaves listed) first: leaves come out in order.
    stack.push([mid, hi], [lo, mid]);
  }
}

function positiveInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`approximateKnn: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function nonNegativeInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`approximateKnn: ${name} must be a non-negative integer, got ${String(v)}`);
  return v;
}

/**
 * A locality-preserving order of the rows of `m` (one random-projection tree's leaf order): rows near each other in
 * space come out near each other, so work that walks neighbours (t-SNE's attractive pass) reads memory locally.
 */
export function localityOrder(m: DenseMatrix, leafSize: number, seed: number): Int32Array {
  const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
  const order = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) order[i] = i;
  splitRows(data, m.cols, order, 0, m.rows, Math.max(1, leafSize), new Rng(seed), []);
  return order;
}
