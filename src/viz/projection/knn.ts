// Exact k-nearest-neighbour search over matrix rows: a vantage-point tree (sub-quadratic on clustered data) or symmetric brute force.
import { Rng } from "../../util/random";
import { DenseMatrix } from "./matrix";

/** Distances the kNN search supports (both are true metrics, as the vantage-point tree needs). */
export type KnnMetric = "euclidean" | "manhattan";

/** Options for {@link exactKnn}. */
export interface KnnOptions {
  /** Distance (default "euclidean"). */
  metric?: KnnMetric;
  /** "auto" (brute force for n ≤ 1500, else the tree), "vptree" or "brute" (default "auto"). */
  method?: "auto" | "vptree" | "brute";
  /** Seed for the vantage-point choices (default 1). Affects only the order of ties. */
  seed?: number;
  /** Vantage-point tree bucket size (default 32). */
  leafSize?: number;
}

/** The k nearest other rows of every row: row-major `rows x k`, nearest first. */
export interface KnnResult {
  /** Neighbour row indices (never the row itself). */
  readonly indices: Int32Array;
  /** Metric distances (not squared), ascending within each row. */
  readonly distances: Float64Array;
  readonly rows: number;
  readonly k: number;
  /** Which search ran. */
  readonly method: "vptree" | "brute" | "nndescent" | "native";
  /** A locality-preserving order of the rows (vantage-point tree order; identity for brute force): nearby rows sit close together. */
  readonly order: Int32Array;
  /** Threads the search ran on (the native search: 2 when its worker computed its half; otherwise 1). */
  readonly threads?: number;
}

const BRUTE_FORCE_MAX_N = 1500;
const LEAF_SIZE = 32;

/**
 * Exact k nearest neighbours of every row of `m` among the other rows (k is clamped to rows-1).
 * Ties at the k-th distance are broken by search order, which is fixed by `seed`.
 */
export function exactKnn(m: DenseMatrix, k: number, options: KnnOptions = {}): KnnResult {
  const n = m.rows;
  const kk = Math.max(0, Math.min(Math.floor(k), n - 1));
  const metric = options.metric ?? "euclidean";
  if (metric !== "euclidean" && metric !== "manhattan") throw new RangeError(`exactKnn: unknown metric ${String(metric)}`);
  const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
  const method = options.method === "brute" || options.method === "vptree" ? options.method : n <= BRUTE_FORCE_MAX_N ? "brute" : "vptree";
  const indices = new Int32Array(n * kk);
  const distances = new Float64Array(n * kk);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (kk === 0) return { indices, distances, rows: n, k: kk, method, order };
  if (method === "brute") bruteForce(data, n, m.cols, kk, metric === "manhattan", indices, distances);
  else
    vpTreeSearch(
      data,
      n,
      m.cols,
      kk,
      metric === "manhattan",
      options.seed ?? 1,
      Math.max(1, options.leafSize ?? LEAF_SIZE),
      indices,
      distances,
      order,
    );
  return { indices, distances, rows: n, k: kk, method, order };
}

/**
 * Squared Euclidean (or L1) distance between the rows starting at offsets a and b, giving up early (returning a value
 * > limit) once the partial sum exceeds `limit` (checked every 16 dimensions). Four accumulators break the add chain.
 */
export function distBounded(data: Float64Array, a: number, b: number, d: number, limit: number, l1: boolean): number {
  return l1 ? l1Bounded(data, a, b, d, limit) : l2Bounded(data, a, b, d, limit);
}

function l2Bounded(data: Float64Array, a: number, b: number, d: number, limit: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  const d4 = d - (d & 3);
  while (j < d4) {
    const t0 = data[a + j] - data[b + j];
    const t1 = data[a + j + 1] - data[b + j + 1];
    const t2 = data[a + j + 2] - data[b + j + 2];
    const t3 = data[a + j + 3] - data[b + j + 3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
    j += 4;
    if ((j & 15) === 0 && s0 + s1 + s2 + s3 > limit) return s0 + s1 + s2 + s3;
  }
  let s = s0 + s1 + s2 + s3;
  for (; j < d; j++) {
    const t = data[a + j] - data[b + j];
    s += t * t;
  }
  return s;
}

function l1Bounded(data: Float64Array, a: number, b: number, d: number, limit: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  const d4 = d - (d & 3);
  while (j < d4) {
    s0 += Math.abs(data[a + j] - data[b + j]);
    s1 += Math.abs(data[a + j + 1] - data[b + j + 1]);
    s2 += Math.abs(data[a + j + 2] - data[b + j + 2]);
    s3 += Math.abs(data[a + j + 3] - data[b + j + 3]);
    j += 4;
    if ((j & 15) === 0 && s0 + s1 + s2 + s3 > limit) return s0 + s1 + s2 + s3;
  }
  let s = s0 + s1 + s2 + s3;
  for (; j < d; j++) s += Math.abs(data[a + j] - data[b + j]);
  return s;
}

/** Pushes (dist, idx) into the max-heap stored at [off, off+size) if it beats the root; returns the new size. */
function heapPush(hd: Float64Array, hi: Int32Array, off: number, size: number, cap: number, dist: number, idx: number): number {
  if (size < cap) {
    let c = size;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (hd[off + p] >= dist) break;
      hd[off + c] = hd[off + p];
      hi[off + c] = hi[off + p];
      c = p;
    }
    hd[off + c] = dist;
    hi[off + c] = idx;
    return size + 1;
  }
  if (dist >= hd[off]) return size;
  siftDownRoot(hd, hi, off, size, dist, idx);
  return size;
}

/** Replaces the heap root with (dist, idx) and restores the max-heap order. */
function siftDownRoot(hd: Float64Array, hi: Int32Array, off: number, size: number, dist: number, idx: number): void {
  let c = 0;
  for (;;) {
    const l = 2 * c + 1;
    if (l >= size) break;
    const r = l + 1;
    const m = r < size && hd[off + r] > hd[off + l] ? r : l;
    if (hd[off + m] <= dist) break;
    hd[off + c] = hd[off + m];
    hi[off + c] = hi[off + m];
    c = m;
  }
  hd[off + c] = dist;
  hi[off + c] = idx;
}

/** Sorts a full max-heap at [off, off+size) ascending in place (heap sort). */
function heapSortAscending(hd: Float64Array, hi: Int32Array, off: number, size: number): void {
  for (let end = size - 1; end > 0; end--) {
    const d = hd[off + end];
    const x = hi[off + end];
    hd[off + end] = hd[off];
    hi[off + end] = hi[off];
    siftDownRoot(hd, hi, off, end, d, x);
  }
}

function bruteForce(data: Float64Array, n: number, d: number, k: number, l1: boolean, outI: Int32Array, outD: Float64Array): void {
  const sizes = new Int32Array(n);
  // Heaps hold squared distances (L2) or plain L1 distances; the root is the current k-th best.
  for (let i = 0; i < n; i++) {
    const ai = i * d;
    const offI = i * k;
    for (let j = i + 1; j < n; j++) {
      const offJ = j * k;
      const limI = sizes[i] < k ? Infinity : outD[offI];
      const limJ = sizes[j] < k ? Infinity : outD[offJ];
      const lim = limI > limJ ? limI : limJ;
      const s = distBounded(data, ai, j * d, d, lim, l1);
      if (s < limI) sizes[i] = heapPush(outD, outI, offI, sizes[i], k, s, j);
      if (s < limJ) sizes[j] = heapPush(outD, outI, offJ, sizes[j], k, s, i);
    }
  }
  for (let i = 0; i < n; i++) {
    heapSortAscending(outD, outI, i * k, k);
    if (!l1) for (let t = i * k; t < (i + 1) * k; t++) outD[t] = Math.sqrt(outD[t]);
  }
}

/** The vantage-point tree over row indices: internal nodes split by distance to a vantage row; leaves hold buckets. */
function vpTreeSearch(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  l1: boolean,
  seed: number,
  leafSize: number,
  outI: Int32Array,
  outD: Float64Array,
  outOrder: Int32Array,
): void {
  const rng = new Rng(seed);
  const items = new Int32Array(n);
  for (let i = 0; i < n; i++) items[i] = i;
  const tmpDist = new Float64Array(n);
  const maxNodes = 2 * Math.ceil(n / 2) + 8;
  const vp = new Int32Array(maxNodes); // vantage row, or -1 for a leaf
  const thr = new Float64Array(maxNodes);
  const inside = new Int32Array(maxNodes);
  const outside = new Int32Array(maxNodes);
  const lo = new Int32Array(maxNodes); // leaf bucket range in `items`
  const hi = new Int32Array(maxNodes);
  let nNodes = 0;

  const dist = (a: number, b: number): number => {
    const s = distBounded(data, a * d, b * d, d, Infinity, l1);
    return l1 ? s : Math.sqrt(s);
  };

  // Build: returns the node index for items[start, end).
  const build = (start: number, end: number): number => {
    const node = nNodes++;
    if (end - start <= leafSize) {
      vp[node] = -1;
      lo[node] = start;
      hi[node] = end;
      return node;
    }
    const pick = start + rng.int(end - start);
    const tmp = items[start];
    items[start] = items[pick];
    items[pick] = tmp;
    const v = items[start];
    for (let t = start + 1; t < end; t++) tmpDist[t] = dist(v, items[t]);
    const mid = (start + 1 + end) >> 1;
    quickSelect(items, tmpDist, start + 1, end - 1, mid);
    vp[node] = v;
    thr[node] = tmpDist[mid];
    inside[node] = build(start + 1, mid);
    outside[node] = build(mid, end);
    return node;
  };
  build(0, n);

  // Rows copied into tree order, so a leaf's bucket is one contiguous block and positions replace row ids below.
  const sorted = new Float64Array(n * d);
  for (let t = 0; t < n; t++) sorted.set(data.subarray(items[t] * d, items[t] * d + d), t * d);
  const vpPos = new Int32Array(nNodes); // position of a node's vantage row (it sits first in the node's range), -1 for leaves
  const fillPos = (node: number, start: number): number => {
    if (vp[node] < 0) {
      vpPos[node] = -1;
      return hi[node];
    }
    vpPos[node] = start;
    const end = fillPos(inside[node], start + 1);
    return fillPos(outside[node], end);
  };
  fillPos(0, 0);

  // Search, visiting queries in tree order for locality. Stack entries carry a lower bound on their subtree's distances.
  const stackNode = new Int32Array(256);
  const stackBound = new Float64Array(256);
  const hd = new Float64Array(k);
  const hx = new Int32Array(k);
  for (let qi = 0; qi < n; qi++) {
    const qa = qi * d;
    let size = 0;
    let tau = Infinity; // k-th best metric distance so far
    let sp = 0;
    stackNode[sp] = 0;
    stackBound[sp] = 0;
    sp++;
    while (sp > 0) {
      sp--;
      const node = stackNode[sp];
      if (stackBound[sp] > tau) continue;
      const v = vpPos[node];
      if (v < 0) {
        const end = hi[node];
        for (let t = lo[node]; t < end; t++) {
          if (t === qi) continue;
          const lim = size < k ? Infinity : hd[0]; // same units as the heap (squared L2 or L1)
          const s = distBounded(sorted, qa, t * d, d, lim, l1);
          if (s < lim) {
            size = heapPush(hd, hx, 0, size, k, s, t);
            if (size === k) tau = l1 ? hd[0] : Math.sqrt(hd[0]);
          }
        }
        continue;
      }
      const s = distBounded(sorted, qa, v * d, d, Infinity, l1);
      const dv = l1 ? s : Math.sqrt(s);
      if (v !== qi && (size < k || s < hd[0])) {
        size = heapPush(hd, hx, 0, size, k, s, v);
        if (size === k) tau = l1 ? hd[0] : Math.sqrt(hd[0]);
      }
      const th = thr[node];
      const inBound = dv - th > 0 ? dv - th : 0;
      const outBound = th - dv > 0 ? th - dv : 0;
      // Push the farther child first so the nearer one is searched first.
      if (sp + 2 > stackNode.length) throw new Error("exactKnn: vantage-point tree deeper than expected");
      if (dv < th) {
        stackNode[sp] = outside[node];
        stackBound[sp] = outBound;
        sp++;
        stackNode[sp] = inside[node];
        stackBound[sp] = inBound;
        sp++;
      } else {
        stackNode[sp] = inside[node];
        stackBound[sp] = inBound;
        sp++;
        stackNode[sp] = outside[node];
        stackBound[sp] = outBound;
        sp++;
      }
    }
    heapSortAscending(hd, hx, 0, k);
    const off = items[qi] * k;
    for (let t = 0; t < k; t++) {
      outI[off + t] = items[hx[t]];
      outD[off + t] = l1 ? hd[t] : Math.sqrt(hd[t]);
    }
  }
  outOrder.set(items);
}

/** Partially sorts items[lo..hi] (inclusive) by dist so that position `kth` holds the kth smallest, smaller ones before it. */
function quickSelect(items: Int32Array, dist: Float64Array, lo: number, hi: number, kth: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three as pivot
    const a = dist[lo];
    const b = dist[mid];
    const c = dist[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (dist[i] < pivot) i++;
      while (dist[j] > pivot) j--;
      if (i <= j) {
        const td = dist[i];
        dist[i] = dist[j];
        dist[j] = td;
        const ti = items[i];
        items[i] = items[j];
        items[j] = ti;
        i++;
        j--;
      }
    }
    if (kth <= j) hi = j;
    else if (kth >= i) lo = i;
    else return;
  }
}
