// Tests for UMAP's epochs on worker threads: the shares give the same coordinates whether they run on workers or one after the other here, a seed and thread count repeat exactly, and one and two threads embed equally well.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  UMAP_THREADS_MIN_ROWS,
  asMatrix,
  gaussianClusters,
  knnLabelPurity,
  knnPreservation,
  nearestNeighbours,
  umap,
} from "../../src/viz/projection";
import { umapLayoutEpoch } from "../../src/viz/projection/umap-epochs";
import { umapInitialLayout } from "../../src/viz/projection/umap-graph";
import { UmapEpochThreads } from "../../src/viz/projection/umap-threads";
import { Rng } from "../../src/util/random";

test("UMAP's threaded epochs: workers and the same shares run one after the other on this thread give identical layouts", () => {
  const m = gaussianClusters({ n: 3_000, dim: 16, clusters: 6, centerStd: 1, seed: 4 });
  const knn = nearestNeighbours(m, 14, { method: "brute" });
  const lists = {
    indices: Array.from({ length: m.rows }, (_, i) => [i, ...knn.indices.subarray(i * 14, i * 14 + 14)]),
    distances: Array.from({ length: m.rows }, (_, i) => [0, ...knn.distances.subarray(i * 14, i * 14 + 14)]),
  };
  const layout = () => {
    const rng = new Rng(9);
    return umapInitialLayout(lists, { dims: 2, nNeighbors: 15, nEpochs: 80 }, () => rng.next());
  };
  const start = layout().embedding;
  const run = (useWorkers: boolean): Float64Array => {
    const L = layout();
    const pool = new UmapEpochThreads(L, 2, 5, useWorkers);
    try {
      for (let e = 0; e < L.nEpochs; e++) pool.epoch();
    } finally {
      pool.close();
    }
    assert.equal(L.epoch, L.nEpochs);
    return Float64Array.from(pool.embedding);
  };
  const workers = run(true);
  const here = run(false);
  assert.deepEqual(workers, here, "the shares do not depend on where or in which order they run");
  let moved = 0;
  for (let i = 0; i < start.length; i++) if (Math.abs(workers[i] - start[i]) > 1) moved++;
  assert.ok(moved > start.length / 2, "the epochs moved the layout");
  // As good as umap-js's sequential epochs on the same start.
  const sequential = layout();
  const rng = new Rng(5);
  for (let e = 0; e < sequential.nEpochs; e++) umapLayoutEpoch(sequential, () => rng.next());
  const purity = knnLabelPurity({ rows: m.rows, cols: 2, data: workers }, m.labels, 10);
  const purityOne = knnLabelPurity({ rows: m.rows, cols: 2, data: sequential.embedding }, m.labels, 10);
  assert.ok(purity > 0.97 * purityOne, `10-NN label purity ${purity} (2 threads) vs ${purityOne} (sequential)`);
  assert.throws(() => new UmapEpochThreads(layout(), 1, 5), /threads must be an integer ≥ 2/);
});

test("threaded UMAP: the default from UMAP_THREADS_MIN_ROWS rows, repeatable for a seed, as good as one thread", () => {
  const m = gaussianClusters({ n: UMAP_THREADS_MIN_ROWS, dim: 32, clusters: 10, centerStd: 1, seed: 6 });
  const a = umap(m, { seed: 2, nEpochs: 150 });
  assert.equal(a.diagnostics.threads, 2);
  const b = umap(m, { seed: 2, nEpochs: 150 });
  assert.deepEqual(b.coords, a.coords, "same seed and thread count, same coordinates");
  const one = umap(m, { seed: 2, nEpochs: 150, threads: 1 });
  assert.equal(one.diagnostics.threads, 1);
  const pa = knnPreservation(m, asMatrix(a), 10);
  const pOne = knnPreservation(m, asMatrix(one), 10);
  assert.ok(Math.abs(pa - pOne) <= 0.02, `10-NN preservation ${pa} (2 threads) vs ${pOne} (1 thread)`);
  assert.ok(knnLabelPurity(asMatrix(a), m.labels, 10) > 0.85 * knnLabelPurity(asMatrix(one), m.labels, 10));
  // 3-D layouts and small inputs run on one thread.
  assert.equal(umap(m, { seed: 2, nEpochs: 5, dim: 3 }).diagnostics.threads, 1);
  assert.equal(umap(gaussianClusters({ n: 300, seed: 1 }), { seed: 2, nEpochs: 5 }).diagnostics.threads, 1);
  assert.throws(() => umap(m, { threads: 0 }), /threads must be a positive integer, got 0/);
});
