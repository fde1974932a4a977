// Tests for src/viz/projection: matrix input, PCA, UMAP (and its traps), fast t-SNE, exact kNN and the Barnes–Hut tree.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BhTree,
  asMatrix,
  exactKL,
  exactKnn,
  exactRepulsion,
  findDuplicateRows,
  gaussianClusters,
  knnLabelPurity,
  knnPreservation,
  pca,
  toMatrix,
  toRows,
  TsneOptions,
  tsne,
  tsneAsync,
  umap,
  umapAsync,
} from "../../src/viz/projection";
import { LogProgress, NotebookProgress, type WorkProgress } from "../../src/util/progress";
import { projectEmbeddings } from "../../src/viz/views";
import { Rng } from "../../src/util/random";

function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

test("toMatrix accepts typed matrices and nested rows, and rejects bad shapes", () => {
  const m = toMatrix([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal(m.rows, 2);
  assert.equal(m.cols, 3);
  assert.deepEqual(Array.from(m.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(toRows({ data: new Float32Array([1, 2, 3, 4]), rows: 2, cols: 2 }), [
    [1, 2],
    [3, 4],
  ]);
  assert.throws(() => toMatrix([[1, 2], [3]]), /row 1 has 1 values/);
  assert.throws(() => toMatrix({ data: new Float32Array(5), rows: 2, cols: 3 }), /expected rows\*cols/);
});

test("findDuplicateRows groups exactly equal rows (-0 equals 0)", () => {
  const d = findDuplicateRows(
    toMatrix([
      [1, 0],
      [2, 2],
      [1, -0],
      [2, 2],
      [3, 1],
    ]),
  );
  assert.deepEqual(Array.from(d.firstOf), [0, 1, 0, 1, 4]);
  assert.deepEqual(Array.from(d.unique), [0, 1, 4]);
  assert.equal(d.duplicates, 2);
});

test("every projection rejects NaN and Infinity with a clear error", () => {
  const rows = toRows(gaussianClusters({ n: 40, dim: 4, seed: 1 }));
  rows[7][2] = NaN;
  for (const f of [pca, umap, tsne]) assert.throws(() => f(rows), /NaN at row 7, column 2/);
  rows[7][2] = 0;
  rows[3][0] = Infinity;
  for (const f of [pca, umap, tsne]) assert.throws(() => f(rows), /Infinity at row 3, column 0/);
});

test("PCA: explained variance ratios match planted variances and the typed/nested inputs agree", () => {
  const rng = new Rng(5);
  const n = 4000;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push([3 * rng.normal(), 2 * rng.normal(), rng.normal()]);
  const r = pca(rows, { dim: 3 });
  const [a, b, c] = r.diagnostics.explainedVarianceRatio;
  assert.ok(Math.abs(a - 9 / 14) < 0.03 && Math.abs(b - 4 / 14) < 0.03 && Math.abs(c - 1 / 14) < 0.01, `${a} ${b} ${c}`);
  assert.ok(Math.abs(r.diagnostics.totalExplainedVarianceRatio - 1) < 1e-9);
  const m = gaussianClusters({ n: 300, seed: 2 });
  const typed = pca(m);
  const nested = pca(toRows(m));
  assert.ok(sameNumbers(typed.coords, nested.coords));
  assert.equal(typed.dims, 2);
  assert.equal(typed.diagnostics.explainedVarianceRatio.length, 2);
  assert.ok(typed.diagnostics.explainedVarianceRatio[0] >= typed.diagnostics.explainedVarianceRatio[1]);
});

test("PCA recovers planted clusters and is deterministic", () => {
  const m = gaussianClusters({ n: 600, seed: 11, clusters: 4, centerStd: 3 });
  const r = pca(m);
  assert.ok(knnLabelPurity(asMatrix(r), m.labels) > 0.9);
  assert.ok(sameNumbers(r.coords, pca(m).coords));
  // Degenerate inputs give zeros, not NaN.
  assert.deepEqual(Array.from(pca([[1, 2, 3]]).coords), [0, 0]);
  assert.equal(pca([]).rows, 0);
});

test("UMAP recovers planted clusters; same seed -> identical coordinates, other seed -> different", () => {
  const m = gaussianClusters({ n: 600, seed: 5, clusters: 6 });
  const a = umap(m, { seed: 3 });
  assert.ok(knnLabelPurity(asMatrix(a), m.labels) > 0.9);
  assert.ok(sameNumbers(a.coords, umap(m, { seed: 3 }).coords));
  assert.ok(!sameNumbers(a.coords, umap(m, { seed: 4 }).coords));
  assert.equal(a.diagnostics.mode, "umap");
  assert.equal(a.diagnostics.nNeighbors, 15);
});

test("UMAP's neighbours: exact search (passed to umap-js) by default, NN-descent on request; both recover clusters; cosine with a zero row falls back", () => {
  const m = gaussianClusters({ n: 600, seed: 6, clusters: 6, centerStd: 1.5 });
  const exact = umap(m, { seed: 3 });
  const descent = umap(m, { seed: 3, knn: "nn-descent" });
  assert.equal(exact.diagnostics.knn, "exact");
  assert.equal(descent.diagnostics.knn, "nn-descent");
  assert.ok(!sameNumbers(exact.coords, descent.coords), "the neighbour lists differ, so the layouts do");
  const [pe, pd] = [knnLabelPurity(asMatrix(exact), m.labels), knnLabelPurity(asMatrix(descent), m.labels)];
  assert.ok(pe > 0.85 && pe >= pd - 0.03, `purity exact ${pe} vs nn-descent ${pd}`);
  assert.equal(umap(m, { seed: 3, metric: "cosine" }).diagnostics.knn, "exact");
  const withZero = { data: Float32Array.from(m.data), rows: m.rows, cols: m.cols };
  withZero.data.fill(0, 0, m.cols);
  assert.equal(umap(withZero, { seed: 3, metric: "cosine" }).diagnostics.knn, "nn-descent");
  assert.throws(() => umap(m, { knn: "annoy" as never }), /option "knn" must be "exact" or "nn-descent"/);
});

test("UMAP trap: fewer points than nNeighbors clamps nNeighbors; ≤ 2 distinct rows are placed without UMAP", () => {
  const small = gaussianClusters({ n: 8, seed: 1, dim: 5 });
  const r = umap(small, { seed: 1 });
  assert.equal(r.diagnostics.nNeighbors, 7);
  assert.equal(r.diagnostics.requestedNeighbors, 15);
  assert.ok(allFinite(r.coords));
  const three = umap(gaussianClusters({ n: 3, seed: 2, dim: 5 }), { seed: 1 });
  assert.equal(three.diagnostics.nNeighbors, 2);
  assert.ok(allFinite(three.coords));
  assert.equal(umap([]).coords.length, 0);
  assert.deepEqual(Array.from(umap([[1, 2]]).coords), [0, 0]);
  const two = umap([
    [0, 0],
    [1, 1],
    [0, 0],
  ]);
  assert.equal(two.diagnostics.mode, "trivial");
  assert.deepEqual(Array.from(two.coords), [-1, 0, 1, 0, -1, 0]);
  assert.throws(() => umap(small, { nNeighbors: 1 }), /nNeighbors must be an integer ≥ 2/);
});

test("UMAP trap: exact duplicates are collapsed and share coordinates; the original keeps its real neighbours", () => {
  const base = gaussianClusters({ n: 300, seed: 2, clusters: 3, dim: 16 });
  const rows = toRows(base);
  for (let i = 0; i < 100; i++) rows.push(rows[0].slice()); // 100 copies of row 0
  const r = umap(rows, { seed: 1 });
  assert.equal(r.diagnostics.duplicates, 100);
  assert.equal(r.diagnostics.distinctRows, 300);
  for (let i = 300; i < 400; i++) {
    assert.equal(r.coords[2 * i], r.coords[0]);
    assert.equal(r.coords[2 * i + 1], r.coords[1]);
  }
  // Row 0 still lands among its own cluster (not in a blob of its copies).
  const distinct = { data: r.coords.subarray(0, 600), rows: 300, cols: 2 };
  assert.ok(knnLabelPurity(distinct, base.labels) > 0.9);
});

test("exact kNN: the vantage-point tree matches brute force (Euclidean and L1)", () => {
  const m = gaussianClusters({ n: 700, seed: 9, dim: 12, clusters: 5 });
  for (const metric of ["euclidean", "manhattan"] as const) {
    const a = exactKnn(m, 20, { metric, method: "vptree", seed: 3 });
    const b = exactKnn(m, 20, { metric, method: "brute" });
    assert.equal(a.k, 20);
    for (let i = 0; i < a.distances.length; i++) assert.ok(Math.abs(a.distances[i] - b.distances[i]) < 1e-9);
    for (let i = 0; i < m.rows; i++) for (let t = 0; t < 20; t++) assert.notEqual(a.indices[i * 20 + t], i);
  }
  assert.equal(exactKnn(toMatrix([[1], [2]]), 10).k, 1);
});

test("Barnes–Hut repulsion: theta 0 equals the exact sum; theta 0.5 is close and no worse than per-point BH", () => {
  const rng = new Rng(4);
  const n = 1500;
  const y = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) y[i] = rng.normal() * 5 + (i % 4 < 2 ? 10 : 0);
  const exact = new Float64Array(2 * n);
  const zExact = exactRepulsion(y, n, 2, exact);
  const tree = new BhTree(n, 2, 8);
  tree.build(y);
  const relErr = (rep: Float64Array): number => {
    let err = 0;
    let norm = 0;
    for (let i = 0; i < 2 * n; i++) {
      err += (rep[i] - exact[i]) ** 2;
      norm += exact[i] ** 2;
    }
    return Math.sqrt(err / norm);
  };
  const rep0 = new Float64Array(2 * n);
  const z0 = tree.repulsion(0, rep0);
  assert.ok(relErr(rep0) < 1e-9 && Math.abs(z0 / zExact - 1) < 1e-9);
  const grouped = new Float64Array(2 * n);
  const zg = tree.repulsion(0.5, grouped);
  const perPoint = new Float64Array(2 * n);
  const zp = tree.repulsionPerPoint(0.5, perPoint);
  assert.ok(relErr(grouped) < 0.03, `force error ${relErr(grouped)}`);
  assert.ok(Math.abs(zg / zExact - 1) < 0.01, `Z error ${zg / zExact - 1}`);
  assert.ok(relErr(grouped) <= relErr(perPoint) && Math.abs(zg / zExact - 1) <= Math.abs(zp / zExact - 1));
});

test("fast t-SNE recovers planted clusters, is repeatable, and reports KL and progress", () => {
  const m = gaussianClusters({ n: 1000, seed: 12 });
  const calls: [number, number, number | undefined][] = [];
  const a = tsne(m, { seed: 1, onProgress: (iter, total, kl) => calls.push([iter, total, kl]), progressEvery: 100 });
  assert.ok(knnLabelPurity(asMatrix(a), m.labels) > 0.9);
  assert.ok(knnPreservation(m, asMatrix(a), 10) > 0.2);
  const b = tsne(toRows(m), { seed: 1 });
  assert.ok(sameNumbers(a.coords, b.coords), "same seed, typed vs nested input, with/without onProgress -> identical coordinates");
  assert.equal(calls.length, 10);
  assert.deepEqual(calls[9].slice(0, 2), [1000, 1000]);
  assert.ok(calls.every((c) => typeof c[2] === "number" && Number.isFinite(c[2])));
  assert.ok(calls[9][2]! < calls[0][2]!, "KL decreases");
  assert.ok(Number.isFinite(a.diagnostics.klDivergence) && a.diagnostics.klDivergence > 0);
  assert.equal(a.diagnostics.neighbors, 90);
  // "auto": rows / exaggeration / 4 in each phase, as openTSNE; the diagnostic is the step after early exaggeration.
  assert.equal(a.diagnostics.learningRate, 1000 / 4);
  // A point moves at most maxStepNorm in an iteration (relative moves ≤ twice that, whatever the recentring).
  const small200 = gaussianClusters({ n: 200, seed: 3 });
  const init = Array.from({ length: 200 }, (_, i) => [Math.cos(i) * 3, Math.sin(i * 1.7) * 3]);
  const maxRelativeMove = (o: TsneOptions): number => {
    const y = tsne(small200, { seed: 1, init, nIter: 1, learningRate: 1e4, ...o }).coords;
    let worst = 0;
    for (let i = 0; i < 200; i++) {
      const dx = y[2 * i] - init[i][0] - (y[0] - init[0][0]);
      const dy = y[2 * i + 1] - init[i][1] - (y[1] - init[0][1]);
      worst = Math.max(worst, Math.hypot(dx, dy));
    }
    return worst;
  };
  assert.ok(maxRelativeMove({ maxStepNorm: 0.5 }) <= 1 + 1e-9);
  assert.ok(maxRelativeMove({ maxStepNorm: Infinity }) > 2, "without the clip, a step of 1e4 moves points far");
  assert.throws(() => tsne(small200, { maxStepNorm: 0 }), /maxStepNorm must be positive/);
  // Random init: seeded.
  const small = gaussianClusters({ n: 200, seed: 3 });
  const r1 = tsne(small, { seed: 5, init: "random", nIter: 300 });
  assert.ok(sameNumbers(r1.coords, tsne(small, { seed: 5, init: "random", nIter: 300 }).coords));
  assert.ok(!sameNumbers(r1.coords, tsne(small, { seed: 6, init: "random", nIter: 300 }).coords));
});

test("fast t-SNE: the sparse-P KL it reports agrees with the exact dense KL on small inputs", () => {
  const s = gaussianClusters({ n: 200, seed: 13, clusters: 4, centerStd: 1 });
  const r = tsne(s, { seed: 1, perplexity: 20 });
  const exact = exactKL(s, asMatrix(r), { perplexity: 20 });
  assert.ok(Math.abs(r.diagnostics.klDivergence / exact - 1) < 0.02, `${r.diagnostics.klDivergence} vs ${exact}`);
});

test("fast t-SNE handles tiny inputs, duplicates, 3-D output and cosine distance", () => {
  assert.equal(tsne([]).coords.length, 0);
  assert.deepEqual(Array.from(tsne([[1, 2]]).coords), [0, 0]);
  const two = tsne([
    [0, 0],
    [1, 1],
  ]);
  assert.ok(allFinite(two.coords));
  assert.equal(two.diagnostics.perplexity, 1);
  const rows = toRows(gaussianClusters({ n: 150, seed: 4, dim: 8 }));
  for (let i = 0; i < 120; i++) rows.push(rows[0].slice());
  const d = tsne(rows, { seed: 1, nIter: 300 });
  assert.ok(allFinite(d.coords));
  const m = gaussianClusters({ n: 400, seed: 8, clusters: 4 });
  const three = tsne(m, { dim: 3, seed: 1, nIter: 400 });
  assert.equal(three.coords.length, 400 * 3);
  assert.ok(knnLabelPurity(asMatrix(three), m.labels) > 0.9);
  const cos = tsne(m, { metric: "cosine", seed: 1, nIter: 400 });
  assert.ok(knnLabelPurity(asMatrix(cos), m.labels) > 0.9);
  assert.throws(() => tsne(m, { metric: "jaccard" as never }), /unsupported metric/);
});

test("t-SNE and UMAP in async form: the same coordinates, progress on one display (iteration, ETA, KL), the event loop kept alive", async () => {
  const m = gaussianClusters({ n: 600, seed: 4 });
  const html: string[] = [];
  const display = new NotebookProgress({ html: (s) => html.push(s) });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const a = await tsneAsync(m, { seed: 2, nIter: 400, progress: display, yieldEveryMs: 10 });
    assert.ok(sameNumbers(a.coords, tsne(m, { seed: 2, nIter: 400 }).coords), "async t-SNE = sync t-SNE");
    assert.ok(ticks > 0, "a timer ran while t-SNE worked: it yields to the event loop");
    assert.ok(html.some((h) => /t-SNE: 600 points, nearest neighbours/.test(h)));
    assert.ok(
      html.some((h) => /t-SNE: 600 points<\/b> — +\d+% \d+\/400 iterations, KL \d+\.\d{3} \d+s&lt;\d+s/.test(h)),
      html.join("\n"),
    );
    assert.match(html.at(-1)!, /400\/400 iterations in \d+s/);
    const drawn = html.length;
    assert.ok(drawn < 60, `${drawn} redraws for 400 iterations`);
    const u = await umapAsync(m, { seed: 2, nEpochs: 120, progress: display, yieldEveryMs: 10 });
    assert.ok(sameNumbers(u.coords, umap(m, { seed: 2, nEpochs: 120 }).coords), "async UMAP = sync UMAP");
    assert.ok(html.slice(drawn).some((h) => /UMAP: 600 points, nearest neighbours \(exact\)/.test(h)));
    assert.match(html.at(-1)!, /UMAP: 600 points<\/b> — 120\/120 epochs in \d+s/);
    // In logs: at most one line per 10 % and a last one.
    const lines: string[] = [];
    await tsneAsync(m, { seed: 2, nIter: 200, progress: new LogProgress((l) => lines.push(l)) });
    assert.ok(lines.length <= 14, lines.join("\n"));
    assert.match(lines.at(-1)!, /^t-SNE: 600 points: 200\/200 iterations in \d+s$/);
  } finally {
    clearInterval(timer);
  }
});

test("projectEmbeddings reuses an earlier t-SNE or UMAP of exactly the same rows and options: a copy, without the work", async () => {
  const m = gaussianClusters({ n: 300, seed: 6 });
  /** A progress sink that counts the pieces of work begun on it. */
  const counting = (): { progress: WorkProgress; begun: () => number } => {
    let begun = 0;
    return { progress: { begin: () => begun++, update() {}, message() {}, finish() {} }, begun: () => begun };
  };
  for (const method of ["tsne", "umap"] as const) {
    const o = { method, seed: 3, nIter: 150 };
    const first = counting();
    const a = await projectEmbeddings(m, { ...o, progress: first.progress });
    assert.ok(first.begun() > 0, `${method}: the first call works`);
    const again = counting();
    const b = await projectEmbeddings(m, { ...o, progress: again.progress });
    assert.equal(again.begun(), 0, `${method}: the same rows and options are not projected again`);
    assert.ok(sameNumbers(a.coords, b.coords) && a.coords !== b.coords, `${method}: the same coordinates, in a copy`);
    b.coords.fill(0);
    assert.ok(sameNumbers((await projectEmbeddings(m, o)).coords, a.coords), `${method}: a caller's edit does not reach the kept result`);

    const edited = { ...m, data: m.data.slice() };
    edited.data[5] += 1e-3;
    for (const [label, input, options] of [
      ["one value changed", edited, o],
      ["another seed", m, { ...o, seed: 4 }],
      ["reuse: false", m, { ...o, reuse: false }],
    ] as const) {
      const run = counting();
      const c = await projectEmbeddings(input, { ...options, progress: run.progress });
      assert.ok(run.begun() > 0, `${method}, ${label}: projected again`);
      if (label === "reuse: false") assert.ok(sameNumbers(c.coords, a.coords), `${method}: recomputing gives the same coordinates`);
    }
  }
});
