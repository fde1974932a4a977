// Tests for the projections' neighbour searches: the native exact search against brute force, NN-descent's recall at t-SNE's k, the "auto" choice, and that t-SNE and UMAP use them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { backendInfo } from "../../src/backend";
import {
  BRUTE_FORCE_MAX_ROWS,
  KnnResult,
  NATIVE_KNN_MAX_ROWS,
  approximateKnn,
  autoKnnMethod,
  exactKnn,
  gaussianClusters,
  nearestNeighbours,
  toMatrix,
  tsne,
} from "../../src/viz/projection";

/** The fraction of `b`'s neighbour lists found in `truth`'s (recall at k). */
function recall(truth: KnnResult, b: KnnResult): number {
  const k = truth.k;
  let hit = 0;
  for (let i = 0; i < truth.rows; i++) {
    const s = new Set(truth.indices.subarray(i * k, i * k + k));
    for (let t = 0; t < k; t++) if (s.has(b.indices[i * k + t])) hit++;
  }
  return hit / (truth.rows * k);
}

test("native exact kNN: the same neighbours and distances as brute force, never the row itself, on overlapping clusters", () => {
  assert.equal(backendInfo.name, "tensorflow");
  // Overlapping clusters (centerStd 1) in 32-D, the hard case for trees; with exact duplicates, whose ties break by index.
  const base = gaussianClusters({ n: 2_000, dim: 32, clusters: 10, centerStd: 1, seed: 5 });
  const data = Float64Array.from(base.data);
  data.copyWithin(7 * 32, 3 * 32, 4 * 32); // row 7 = row 3
  const m = { data, rows: base.rows, cols: 32 };
  const k = 90;
  const a = nearestNeighbours(m, k, { method: "native" });
  const b = exactKnn(m, k, { method: "brute" });
  assert.equal(a.method, "native");
  assert.equal(a.k, k);
  for (let i = 0; i < a.distances.length; i++) assert.ok(Math.abs(a.distances[i] - b.distances[i]) < 1e-9, `distance ${i}`);
  assert.equal(recall(b, a), 1);
  for (let i = 0; i < m.rows; i++) for (let t = 0; t < k; t++) assert.notEqual(a.indices[i * k + t], i);
  assert.equal(a.indices[3 * k], 7, "a duplicate is its copy's nearest neighbour");
  assert.equal(a.distances[3 * k], 0);
  // k is clamped to rows − 1; a permutation of 0..n−1 as the locality order.
  const small = nearestNeighbours(toMatrix([[0], [1], [3]]), 10, { method: "native" });
  assert.deepEqual([small.k, [...small.indices]], [2, [1, 2, 0, 2, 1, 0]]);
  assert.deepEqual(
    [...a.order].sort((x, y) => x - y),
    Array.from({ length: m.rows }, (_, i) => i),
  );
});

test("native exact kNN on two threads: a worker with its own TensorFlow takes half the rows, and the lists are brute force's", () => {
  const m = gaussianClusters({ n: 3_001, dim: 32, clusters: 10, centerStd: 1, seed: 9 });
  const k = 90;
  const two = nearestNeighbours(m, k, { method: "native", threads: 2 });
  const one = nearestNeighbours(m, k, { method: "native", threads: 1 });
  assert.deepEqual([two.threads, one.threads], [2, 1], "the worker computed its half");
  const brute = exactKnn(m, k, { method: "brute" });
  assert.deepEqual(two.indices, one.indices);
  assert.deepEqual(two.distances, one.distances);
  assert.equal(recall(brute, two), 1);
  // Both halves were filled: the last row's list is its brute-force list.
  const last = (r: KnnResult) => [...r.indices.subarray((m.rows - 1) * k)];
  assert.deepEqual(last(two), last(brute));
  assert.throws(() => nearestNeighbours(m, k, { method: "native", threads: 3 }), /threads must be 1 or 2, got 3/);
});

test("NN-descent: recall ≥ 0.95 at k = 90 against the exact search on a fixed input, repeatable for a seed", () => {
  const m = gaussianClusters({ n: 4_000, dim: 32, clusters: 10, centerStd: 1, seed: 11 });
  const truth = exactKnn(m, 90, { method: "brute" });
  const a = approximateKnn(m, 90, { seed: 2 });
  const r = recall(truth, a);
  assert.ok(r >= 0.95, `recall ${r.toFixed(4)}`);
  assert.ok(a.stats.rounds >= 1 && a.stats.updates.length === a.stats.rounds);
  const again = approximateKnn(m, 90, { seed: 2 });
  assert.deepEqual(again.indices, a.indices);
  assert.deepEqual(again.distances, a.distances);
  // Distances are the true ones of the neighbours returned, ascending.
  for (let t = 1; t < 90; t++) assert.ok(a.distances[t] >= a.distances[t - 1]);
  const j = a.indices[0];
  let s = 0;
  for (let c = 0; c < 32; c++) s += (m.data[c] - m.data[j * 32 + c]) ** 2;
  assert.ok(Math.abs(Math.sqrt(s) - a.distances[0]) < 1e-9);
  // L1 works too, and bad options are named.
  assert.ok(recall(exactKnn(m, 15, { method: "brute", metric: "manhattan" }), approximateKnn(m, 15, { metric: "manhattan" })) >= 0.95);
  assert.throws(() => approximateKnn(m, 5, { trees: 0 }), /trees must be a positive integer/);
});

test('"auto" picks brute force for small inputs, the native exact search up to its limit, NN-descent above or for L1', () => {
  assert.equal(autoKnnMethod(BRUTE_FORCE_MAX_ROWS, "euclidean"), "brute");
  assert.equal(autoKnnMethod(BRUTE_FORCE_MAX_ROWS + 1, "euclidean"), "native");
  assert.equal(autoKnnMethod(NATIVE_KNN_MAX_ROWS, "euclidean"), "native");
  assert.equal(autoKnnMethod(NATIVE_KNN_MAX_ROWS + 1, "euclidean"), "nndescent");
  assert.equal(autoKnnMethod(10_000, "manhattan"), "nndescent");
  assert.throws(() => nearestNeighbours(toMatrix([[0], [1]]), 1, { method: "native", metric: "manhattan" }), /euclidean metric only/);
  assert.throws(() => nearestNeighbours(toMatrix([[0], [1]]), 1, { method: "annoy" as never }), /unknown method annoy/);
});

test("t-SNE reports the search it used; the native and brute-force searches give the same embedding", () => {
  const m = gaussianClusters({ n: 1_600, dim: 16, clusters: 6, centerStd: 1, seed: 4 });
  const native = tsne(m, { seed: 3, nIter: 300 });
  assert.equal(native.diagnostics.knnMethod, "native");
  const brute = tsne(m, { seed: 3, nIter: 300, knnMethod: "brute" });
  // Same neighbours and distances, the same P; the locality order differs, so the BH sums round differently.
  assert.ok(Math.abs(native.diagnostics.klDivergence - brute.diagnostics.klDivergence) < 0.02);
  const approx = tsne(m, { seed: 3, nIter: 300, knnMethod: "nndescent" });
  assert.equal(approx.diagnostics.knnMethod, "nndescent");
  assert.ok(Math.abs(approx.diagnostics.klDivergence - brute.diagnostics.klDivergence) < 0.05);
});
