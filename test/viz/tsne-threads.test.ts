// Tests for t-SNE on worker threads: the split forces equal the one-thread forces, a seed and thread count repeat exactly, and one and two threads give equally good embeddings.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  BhTree,
  TSNE_THREADS_MIN_ROWS,
  asMatrix,
  gaussianClusters,
  knnLabelPurity,
  knnPreservation,
  sparseAffinities,
  upperTriangle,
  exactKnn,
  tsne,
} from "../../src/viz/projection";
import { ForceThreads } from "../../src/viz/projection/tsne-threads";
import { Rng } from "../../src/util/random";

test("the forces split over two threads equal the one-thread forces: repulsion exactly, Z and the attraction to rounding", () => {
  const n = 3_000;
  const m = gaussianClusters({ n, dim: 8, clusters: 6, centerStd: 1, seed: 2 });
  const knn = exactKnn(m, 30, { method: "brute" });
  const { P } = sparseAffinities(knn, 10, true);
  const rng = new Rng(5);
  const y = Float64Array.from({ length: 2 * n }, () => rng.normal() * 10);
  // One thread: the tree's repulsion over every point, and the attraction from P's rows written out here.
  const tree = new BhTree(n, 2, 8);
  tree.build(y);
  const rep1 = new Float64Array(2 * n);
  const z1 = tree.repulsion(0.5, rep1);
  const att1 = new Float64Array(2 * n);
  let kl1 = 0;
  for (let i = 0; i < n; i++)
    for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) {
      const j = P.cols[e];
      const dx = y[2 * i] - y[2 * j];
      const dy = y[2 * i + 1] - y[2 * j + 1];
      const w = P.vals[e] / (1 + dx * dx + dy * dy);
      att1[2 * i] += 12 * w * dx;
      att1[2 * i + 1] += 12 * w * dy;
      kl1 += P.vals[e] * Math.log1p(dx * dx + dy * dy);
    }
  const pool = new ForceThreads(n, 2, new BhTree(n, 2, 8), upperTriangle(P));
  try {
    pool.y.set(y);
    const { z, klPart } = pool.forcesFor(0.5, 12, true);
    assert.deepEqual(pool.forces, rep1, "each point's repulsion does not depend on the split");
    assert.ok(Math.abs(z - z1) <= 1e-12 * z1, `Z ${z} vs ${z1}`);
    assert.ok(Math.abs(klPart - kl1) <= 1e-12 * Math.abs(kl1), `KL term ${klPart} vs ${kl1}`);
    for (let i = 0; i < 2 * n; i++) assert.ok(Math.abs(pool.gradient[i] - att1[i]) <= 1e-12 * (1 + Math.abs(att1[i])), `attraction ${i}`);
    // A second iteration on moved points still agrees.
    for (let i = 0; i < 2 * n; i++) pool.y[i] = y[i] * 0.9 + 0.1;
    tree.build(pool.y);
    const z1b = tree.repulsion(0.5, rep1);
    assert.ok(Math.abs(pool.forcesFor(0.5, 1, false).z - z1b) <= 1e-12 * z1b);
    assert.deepEqual(pool.forces, rep1);
  } finally {
    pool.close();
  }
});

test("threaded t-SNE: the same seed and thread count give the same coordinates; one and two threads embed equally well", () => {
  const n = TSNE_THREADS_MIN_ROWS;
  const m = gaussianClusters({ n, dim: 16, clusters: 8, centerStd: 1.5, seed: 6 });
  const a = tsne(m, { seed: 4, nIter: 400 });
  const b = tsne(m, { seed: 4, nIter: 400 });
  assert.equal(a.diagnostics.threads, 2, "2 threads by default from TSNE_THREADS_MIN_ROWS rows");
  assert.deepEqual(b.coords, a.coords);
  const one = tsne(m, { seed: 4, nIter: 400, threads: 1 });
  assert.equal(one.diagnostics.threads, 1);
  // Rounding differs (Z and the attraction are summed in another order) and t-SNE amplifies it, so the layouts differ;
  // their quality must not: KL within 2 %, 10-NN preservation within 0.02, clusters recovered by both.
  const klA = a.diagnostics.klDivergence;
  const klOne = one.diagnostics.klDivergence;
  assert.ok(Math.abs(klA - klOne) <= 0.02 * klOne, `KL ${klA} (2 threads) vs ${klOne} (1 thread)`);
  const pa = knnPreservation(m, asMatrix(a), 10);
  const pOne = knnPreservation(m, asMatrix(one), 10);
  assert.ok(Math.abs(pa - pOne) <= 0.02, `10-NN preservation ${pa} vs ${pOne}`);
  assert.ok(knnLabelPurity(asMatrix(a), m.labels, 10) > 0.9);
  assert.ok(knnLabelPurity(asMatrix(one), m.labels, 10) > 0.9);
  assert.equal(
    tsne(gaussianClusters({ n: 500, dim: 4, seed: 1 }), { seed: 1, nIter: 10 }).diagnostics.threads,
    1,
    "1 thread below the threshold",
  );
  assert.throws(() => tsne(m, { threads: 0 }), /threads must be a positive integer/);
});

test("the compiled lib/ that notebooks import starts its own .js worker, and its forces equal src/'s", () => {
  const root = path.resolve(__dirname, "..", "..");
  // npm test's set-up builds lib/; this makes the test stand alone after an edit of src/.
  (require(path.join(root, "scripts", "build-lib.cjs")) as { ensureLibrary: (o: { root: string }) => string }).ensureLibrary({ root });
  const compiled = require(path.join(root, "lib", "viz", "projection", "tsne-threads.js")) as { ForceThreads: typeof ForceThreads };
  const compiledTree = require(path.join(root, "lib", "viz", "projection", "bhtree.js")) as { BhTree: typeof BhTree };
  const n = 2_000;
  const m = gaussianClusters({ n, dim: 8, clusters: 4, centerStd: 1, seed: 3 });
  const { P } = sparseAffinities(exactKnn(m, 30, { method: "brute" }), 10, true);
  const rng = new Rng(7);
  const y = Float64Array.from({ length: 2 * n }, () => rng.normal() * 10);
  const ours = new ForceThreads(n, 2, new BhTree(n, 2, 8), upperTriangle(P));
  const theirs = new compiled.ForceThreads(n, 2, new compiledTree.BhTree(n, 2, 8), upperTriangle(P));
  try {
    ours.y.set(y);
    theirs.y.set(y);
    assert.equal(theirs.forcesFor(0.5, 12, true).z, ours.forcesFor(0.5, 12, true).z);
    assert.deepEqual(theirs.forces, ours.forces);
  } finally {
    ours.close();
    theirs.close();
  }
});
