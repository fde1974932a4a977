// Tests EASE: its weights against the direct formula with an independent Gauss–Jordan inverse, the blocked Cholesky and SPD inverses against known matrices, and its quality on ml-100k u1 against popularity.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadDataset } from "../../src/data/load";
import { predefinedSplit } from "../../src/data/splits";
import { Dataset } from "../../src/data/types";
import { evaluateFullRanking, evaluationData, metricsAt } from "../../src/evaluation";
import { popularityScorer } from "../../src/models/baselines";
import { EaseSolver, cholesky, easeScorer, fitEase, invertSpdInPlace, invertSpdTf } from "../../src/models/ease";
import { tinyDataset, tinySplit } from "../helpers/tiny";

/** Inverse of a dense n x n matrix by Gauss–Jordan elimination with partial pivoting (independent of the model's code). */
function gaussJordanInverse(a0: number[][]): number[][] {
  const n = a0.length;
  const a = a0.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    const d = a[c][c];
    for (let k = 0; k < 2 * n; k++) a[c][k] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c];
      for (let k = 0; k < 2 * n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row) => row.slice(n));
}

/** The direct EASE formula on the dataset's ratings at `train`: X over the movies with >= minRatings interactions, B = I - P diag(1/diag P). */
function directEase(ds: Dataset, train: Int32Array, lambda: number, minRatings: number, threshold: number | null) {
  const X = Array.from({ length: ds.numUsers }, () => new Array<number>(ds.numMovies).fill(0));
  for (const i of train) if (threshold === null || ds.ratings.rating[i] >= threshold) X[ds.ratings.user[i]][ds.ratings.movie[i]] = 1;
  const movies = Array.from({ length: ds.numMovies }, (_, m) => m).filter((m) => X.reduce((s, row) => s + row[m], 0) >= minRatings);
  const G = movies.map((a, i) => movies.map((b, j) => X.reduce((s, row) => s + row[a] * row[b], 0) + (i === j ? lambda : 0)));
  const P = gaussJordanInverse(G);
  const B = P.map((row, i) => row.map((v, j) => (i === j ? 0 : -v / P[j][j])));
  return { X, movies, B };
}

for (const solver of ["js", "tf"] as EaseSolver[]) {
  test(`EASE weights (${solver}) equal the direct formula with a Gauss–Jordan inverse, and diag(B) = 0`, () => {
    const ds = tinyDataset({ users: 40, movies: 12, density: 0.45, seed: 11 });
    const train = Int32Array.from({ length: ds.ratings.length }, (_, i) => i);
    const lambda = 3;
    const model = fitEase(ds, train, { lambda, solver, blockSize: 5 });
    const { movies, B } = directEase(ds, train, lambda, 1, null);
    assert.equal(model.solver, solver);
    assert.deepEqual(Array.from(model.movies), movies);
    const n = movies.length;
    assert.ok(n >= 10, `only ${n} movies rated`);
    let largest = 0;
    for (let i = 0; i < n; i++) {
      assert.equal(model.weights[i * n + i], 0, `diag(B)[${i}]`);
      for (let j = 0; j < n; j++) {
        largest = Math.max(largest, Math.abs(B[i][j]));
        assert.ok(Math.abs(model.weights[i * n + j] - B[i][j]) < 1e-6, `B[${i}][${j}] = ${model.weights[i * n + j]} vs ${B[i][j]}`);
      }
    }
    assert.ok(largest > 0.05, `B is too small to test anything (max |B| ${largest})`);
  });
}

test("EASE with minRatings and a rating threshold: B over the kept movies, scores = X·B, unmodelled movies below every modelled one", () => {
  const ds = tinyDataset({ users: 50, movies: 30, density: 0.3, seed: 4 });
  const { train } = tinySplit(ds, 2);
  const model = fitEase(ds, train, { lambda: 2, minRatings: 4, ratingThreshold: 4, solver: "js", blockSize: 4 });
  const { X, movies, B } = directEase(ds, train, 2, 4, 4);
  assert.deepEqual(Array.from(model.movies), movies);
  assert.ok(movies.length > 5 && movies.length < ds.numMovies, `${movies.length} of ${ds.numMovies} movies kept`);
  const n = movies.length;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(model.weights[i * n + j] - B[i][j]) < 1e-6);
  const scorer = easeScorer(model);
  const all = Int32Array.from({ length: ds.numMovies }, (_, m) => m);
  for (let u = 0; u < ds.numUsers; u++) {
    const scores = scorer.scoreMovies(u, all);
    let lowestModelled = Infinity;
    for (let m = 0; m < ds.numMovies; m++) {
      assert.ok(Number.isFinite(scores[m]), `score of user ${u}, movie ${m} is ${scores[m]}`);
      const c = movies.indexOf(m);
      if (c < 0) {
        assert.equal(scores[m], model.unmodelledScore);
        continue;
      }
      const expected = movies.reduce((s, i, r) => s + X[u][i] * B[r][c], 0);
      assert.ok(Math.abs(scores[m] - expected) < 1e-5, `user ${u} movie ${m}: ${scores[m]} vs ${expected}`);
      lowestModelled = Math.min(lowestModelled, scores[m]);
    }
    assert.ok(model.unmodelledScore < lowestModelled);
  }
  assert.throws(() => scorer.scoreMovies(0, Int32Array.of(ds.numMovies)), RangeError);
  // A new user is one more row of X: scored from a training user's own interactions, they get that user's scores.
  for (let u = 0; u < ds.numUsers; u++) {
    const liked = Int32Array.from(movies.filter((m) => X[u][m] === 1));
    assert.deepEqual(Array.from(scorer.scoreNewUser!(liked, all)), Array.from(scorer.scoreMovies(u, all)), `user ${u}`);
  }
  assert.throws(() => scorer.scoreNewUser!(Int32Array.of(-1), all), RangeError);
});

test("Cholesky and the SPD inverses (js, tf) reproduce known matrices, read only the lower triangle, and reject indefinite ones", () => {
  // The textbook example: [[4, 12, -16], [12, 37, -43], [-16, -43, 98]] = L Lᵀ with L = [[2, 0, 0], [6, 1, 0], [-8, 5, 3]].
  const a3 = Float64Array.of(4, NaN, NaN, 12, 37, NaN, -16, -43, 98);
  assert.deepEqual(Array.from(cholesky(a3, 3, 2)), [2, 0, 0, 6, 1, 0, -8, 5, 3]);
  // tridiag(-1, 2, -1) of size n: (A⁻¹)[i][j] = min(i, j) (n + 1 - max(i, j)) / (n + 1), 1-based.
  const n = 70;
  const a = new Float64Array(n * n).fill(NaN);
  for (let i = 0; i < n; i++) {
    a[i * n + i] = 2;
    if (i > 0) a[i * n + i - 1] = -1;
    for (let j = 0; j < i - 1; j++) a[i * n + j] = 0;
  }
  const expected = (i: number, j: number): number => ((Math.min(i, j) + 1) * (n - Math.max(i, j))) / (n + 1);
  const l = cholesky(a, n, 16);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += l[i * n + k] * l[j * n + k];
      assert.ok(Math.abs(s - (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)) < 1e-12, `LLᵀ[${i}][${j}] = ${s}`);
    }
  }
  for (const blockSize of [1, 8, 32, 64, 128]) {
    const js = invertSpdInPlace(Float64Array.from(a), n, blockSize);
    const tf = invertSpdTf(a, n, blockSize);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        assert.ok(Math.abs(js[i * n + j] - expected(i, j)) < 1e-10, `js (block ${blockSize}) P[${i}][${j}] = ${js[i * n + j]}`);
        // float32: the largest entry is ~18 and the condition number ~2,000.
        assert.ok(Math.abs(tf[i * n + j] - expected(i, j)) < 2e-3, `tf (block ${blockSize}) P[${i}][${j}] = ${tf[i * n + j]}`);
      }
    }
  }
  const indefinite = Float64Array.of(1, 0, 2, 1);
  assert.throws(() => cholesky(indefinite, 2), /not positive definite/);
  assert.throws(() => invertSpdInPlace(Float64Array.from(indefinite), 2), /not positive definite/);
  assert.throws(() => invertSpdTf(indefinite, 2), /not positive definite/);
});

test("EASE on ml-100k u1 (full ranking, relevance >= 4): NDCG@10 beats popularity's", async () => {
  const shared = process.env.MOVIELENS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "data", "movielens");
  assert.ok(fs.existsSync(path.join(shared, "ml-100k")), `ml-100k not found under ${shared} (set MOVIELENS_DIR)`);
  const ds = await loadDataset("ml-100k", { movielensDir: shared });
  const split = predefinedSplit(ds, "u1");
  const t0 = Date.now();
  const model = fitEase(ds, split.train);
  const seconds = (Date.now() - t0) / 1000;
  const data = evaluationData(ds, split);
  const ease = metricsAt(await evaluateFullRanking(data, easeScorer(model), { ks: [10], relevanceThreshold: 4 }), 10);
  const pop = metricsAt(await evaluateFullRanking(data, popularityScorer(ds, split.train), { ks: [10], relevanceThreshold: 4 }), 10);
  console.log(
    `EASE u1 (lambda ${model.lambda}, ${model.movies.length} movies, ${model.solver}, fit ${seconds.toFixed(2)} s): ` +
      `NDCG@10 ${ease.ndcg.toFixed(4)}, Recall@10 ${ease.recall.toFixed(4)}; popularity NDCG@10 ${pop.ndcg.toFixed(4)}, Recall@10 ${pop.recall.toFixed(4)}`,
  );
  assert.ok(ease.ndcg > pop.ndcg, `EASE NDCG@10 ${ease.ndcg} vs popularity ${pop.ndcg}`);
});
