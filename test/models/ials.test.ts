// Tests iALS: an ALS half-step against the loss's exact minimiser (normal equations assembled from the loss, Gauss–Jordan), monotone training loss, seeded determinism, and ml-100k u1 full ranking against popularity.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadDataset } from "../../src/data/load";
import { predefinedSplit } from "../../src/data/splits";
import { Dataset } from "../../src/data/types";
import { evaluationData } from "../../src/evaluation/data";
import { evaluateFullRanking } from "../../src/evaluation/full-ranking";
import { popularityScorer } from "../../src/models/baselines";
import {
  IalsConfidence,
  IalsHyper,
  fitIals,
  ialsHalfStep,
  ialsLoss,
  ialsProblem,
  ialsScorer,
  ialsWork,
  initIalsFactors,
} from "../../src/models/ials";
import { tinyDataset, tinySplit } from "../helpers/tiny";

interface LossSetup {
  hyper: IalsHyper;
  minRating: number | null;
  confidence: IalsConfidence | null;
}

/**
 * The iALS loss written out pair by pair over the whole users x movies grid (no Gramian trick, no CSR):
 * observed pairs (rating >= minRating) pull the score to 1 with weight c, every pair pulls it to 0 with weight α0, and
 * each vector has L2 λ·(its observed count + α0·other side's size)^ν.
 */
function referenceLoss(ds: Dataset, train: Int32Array, s: LossSetup): (W: Float64Array, H: Float64Array) => number {
  const nU = ds.numUsers;
  const nM = ds.numMovies;
  const conf = new Float64Array(nU * nM);
  const userCount = new Float64Array(nU);
  const movieCount = new Float64Array(nM);
  for (const k of train) {
    const r = ds.ratings.rating[k];
    if (s.minRating !== null && r < s.minRating) continue;
    const u = ds.ratings.user[k];
    const m = ds.ratings.movie[k];
    const c =
      s.confidence === null ? 1 : 1 + s.confidence.alpha * (s.confidence.scale === "linear" ? r : Math.log(1 + r / s.confidence.epsilon));
    conf[u * nM + m] += c;
    userCount[u]++;
    movieCount[m]++;
  }
  const { reg, unobservedWeight: a0, regExponent: nu } = s.hyper;
  return (W, H) => {
    const d = W.length / nU;
    let loss = 0;
    for (let u = 0; u < nU; u++) {
      for (let m = 0; m < nM; m++) {
        let y = 0;
        for (let k = 0; k < d; k++) y += W[u * d + k] * H[m * d + k];
        const c = conf[u * nM + m];
        if (c > 0) loss += c * (1 - y) ** 2;
        loss += a0 * y * y;
      }
    }
    for (let u = 0; u < nU; u++) for (let k = 0; k < d; k++) loss += reg * (userCount[u] + a0 * nM) ** nu * W[u * d + k] ** 2;
    for (let m = 0; m < nM; m++) for (let k = 0; k < d; k++) loss += reg * (movieCount[m] + a0 * nU) ** nu * H[m * d + k] ** 2;
    return loss;
  };
}

/** Solves A x = b (A n x n, row-major) by Gauss–Jordan elimination with partial pivoting. */
function gaussJordan(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const M = new Float64Array(n * (n + 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) M[i * (n + 1) + j] = A[i * n + j];
    M[i * (n + 1) + n] = b[i];
  }
  const w = n + 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r * w + col]) > Math.abs(M[pivot * w + col])) pivot = r;
    for (let j = 0; j < w; j++) [M[col * w + j], M[pivot * w + j]] = [M[pivot * w + j], M[col * w + j]];
    const p = M[col * w + col];
    assert.ok(Math.abs(p) > 1e-12, "singular normal equations");
    for (let j = 0; j < w; j++) M[col * w + j] /= p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = M[r * w + col];
      if (f !== 0) for (let j = 0; j < w; j++) M[r * w + j] -= f * M[col * w + j];
    }
  }
  return Float64Array.from({ length: n }, (_, i) => M[i * w + n]);
}

/**
 * The exact minimiser of a quadratic f over all of x (length n), with the normal equations A x = g read off f itself:
 * A_jj = f(e_j) + f(-e_j) - 2 f(0), A_jk = f(e_j + e_k) - f(e_j) - f(e_k) + f(0), g_j = (f(-e_j) - f(e_j)) / 2.
 */
function quadraticMinimiser(f: (x: Float64Array) => number, n: number): Float64Array {
  const x = new Float64Array(n);
  const f0 = f(x);
  const at = (entries: [number, number][]): number => {
    x.fill(0);
    for (const [j, v] of entries) x[j] += v;
    return f(x);
  };
  const plus = Float64Array.from({ length: n }, (_, j) => at([[j, 1]]));
  const minus = Float64Array.from({ length: n }, (_, j) => at([[j, -1]]));
  const A = new Float64Array(n * n);
  const g = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    A[j * n + j] = plus[j] + minus[j] - 2 * f0;
    g[j] = (minus[j] - plus[j]) / 2;
    for (let k = 0; k < j; k++) {
      A[j * n + k] = A[k * n + j] =
        at([
          [j, 1],
          [k, 1],
        ]) -
        plus[j] -
        plus[k] +
        f0;
    }
  }
  return gaussJordan(A, g, n);
}

const setups: [string, LossSetup][] = [
  ["plain L2, unit weights", { hyper: { reg: 0.3, unobservedWeight: 0.2, regExponent: 0 }, minRating: null, confidence: null }],
  [
    "frequency-scaled L2, log confidence, ratings >= 3",
    { hyper: { reg: 0.05, unobservedWeight: 0.5, regExponent: 1 }, minRating: 3, confidence: { scale: "log", alpha: 2, epsilon: 1 } },
  ],
  [
    "ν = 0.5, linear confidence",
    { hyper: { reg: 0.1, unobservedWeight: 0.1, regExponent: 0.5 }, minRating: null, confidence: { scale: "linear", alpha: 0.4 } },
  ],
];

test("one ALS half-step (either side) equals the loss's exact minimiser from its full normal equations (Gauss–Jordan), to 1e-8", () => {
  const ds = tinyDataset({ users: 9, movies: 12, density: 0.4, seed: 3 });
  const { train } = tinySplit(ds, 2);
  const d = 5; // one 4-wide block of the Gramian kernel plus a tail row; Cholesky row pairs plus a tail row
  for (const [label, s] of setups) {
    const L = referenceLoss(ds, train, s);
    const problem = ialsProblem(ds, train, s);
    const { W, H } = initIalsFactors(problem, d, 11, 0.7);
    assert.ok(Math.abs(ialsLoss(problem, W, H, s.hyper) - L(W, H)) < 1e-9 * L(W, H), `${label}: ialsLoss vs the pair-by-pair loss`);

    const expectedW = quadraticMinimiser((x) => L(x, H), W.length);
    const W1 = W.slice();
    ialsHalfStep(problem, "users", W1, H, s.hyper);
    for (let k = 0; k < W.length; k++) assert.ok(Math.abs(W1[k] - expectedW[k]) < 1e-8, `${label}: W[${k}] ${W1[k]} vs ${expectedW[k]}`);

    const expectedH = quadraticMinimiser((x) => L(W1, x), H.length);
    const H1 = H.slice();
    ialsHalfStep(problem, "movies", W1, H1, s.hyper);
    for (let k = 0; k < H.length; k++) assert.ok(Math.abs(H1[k] - expectedH[k]) < 1e-8, `${label}: H[${k}] ${H1[k]} vs ${expectedH[k]}`);
    assert.ok(L(W1, H1) < L(W, H), `${label}: the two half-steps lower the loss`);

    // Every row through a d x d Cholesky, and every row through the Woodbury identity (with the shared M⁻¹x cache
    // under ν = 0, per-ridge inverses otherwise): the same minimiser as the default mix of both.
    for (const woodburyBelow of [0, Infinity]) {
      const W2 = W.slice();
      const H2 = H.slice();
      ialsHalfStep(problem, "users", W2, H, s.hyper, ialsWork(d, woodburyBelow));
      ialsHalfStep(problem, "movies", W2, H2, s.hyper, ialsWork(d, woodburyBelow));
      for (let k = 0; k < W.length; k++)
        assert.ok(Math.abs(W2[k] - expectedW[k]) < 1e-8, `${label}, Woodbury below ${woodburyBelow}: W[${k}]`);
      for (let k = 0; k < H.length; k++) assert.ok(Math.abs(H2[k] - H1[k]) < 1e-10, `${label}, Woodbury below ${woodburyBelow}: H[${k}]`);
    }
  }
});

test("the exact training loss never increases over half-steps and epochs (ALS), and fitIals reports it", () => {
  const ds = tinyDataset({ users: 20, movies: 25, density: 0.3, seed: 8 });
  const { train } = tinySplit(ds, 4);
  for (const [label, s] of setups) {
    const L = referenceLoss(ds, train, s);
    const problem = ialsProblem(ds, train, s);
    const { W, H } = initIalsFactors(problem, 4, 5);
    let previous = L(W, H);
    const trace = [previous];
    for (let e = 0; e < 12; e++) {
      for (const side of ["users", "movies"] as const) {
        ialsHalfStep(problem, side, W, H, s.hyper);
        const now = L(W, H);
        assert.ok(now <= previous * (1 + 1e-12), `${label}: epoch ${e + 1} ${side}: loss ${now} after ${previous}`);
        previous = now;
      }
      trace.push(previous);
    }
    assert.ok(trace[trace.length - 1] < trace[0] * 0.9, `${label}: the loss falls (${trace[0]} -> ${previous})`);

    const seen: number[] = [];
    const model = fitIals(ds, train, {
      dim: 4,
      epochs: 12,
      seed: 5,
      ...s.hyper,
      minRating: s.minRating,
      confidence: s.confidence,
      onEpoch: (_e, _s, l) => seen.push(l),
    });
    assert.deepEqual(seen, model.losses);
    assert.equal(model.losses.length, 12);
    for (let e = 0; e < 12; e++)
      assert.ok(Math.abs(model.losses[e] - trace[e + 1]) < 1e-9 * trace[e + 1], `${label}: fitIals loss at epoch ${e + 1}`);
    assert.ok(Math.abs(L(model.userFactors, model.movieFactors) - previous) < 1e-9 * previous);
  }
});

test("same seed, same factors (bit for bit); another seed, other factors; scores are ⟨w_u, h_i⟩", () => {
  const ds = tinyDataset({ users: 30, movies: 40, density: 0.3, seed: 5 });
  const { train } = tinySplit(ds, 1);
  const a = fitIals(ds, train, { dim: 8, epochs: 5, seed: 7 });
  const b = fitIals(ds, train, { dim: 8, epochs: 5, seed: 7 });
  const c = fitIals(ds, train, { dim: 8, epochs: 5, seed: 8 });
  assert.deepEqual(a.userFactors, b.userFactors);
  assert.deepEqual(a.movieFactors, b.movieFactors);
  assert.notDeepEqual(a.movieFactors, c.movieFactors);
  const scorer = ialsScorer(a);
  assert.equal(scorer.predictRatings, undefined);
  const movies = Int32Array.from({ length: ds.numMovies }, (_, i) => i);
  for (const u of [0, 13, 29]) {
    const scores = scorer.scoreMovies(u, movies);
    for (const m of movies) {
      let s = 0;
      for (let k = 0; k < 8; k++) s += a.userFactors[u * 8 + k] * a.movieFactors[m * 8 + k];
      assert.ok(Math.abs(scores[m] - s) < 1e-6);
    }
  }
  assert.throws(() => fitIals(ds, train, { reg: 0 }), RangeError);
});

test("on ml-100k u1 full ranking, iALS (defaults) beats popularity on NDCG@10 (by > 0.1) and Recall@10", async () => {
  const shared = process.env.MOVIELENS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "data", "movielens");
  assert.ok(fs.existsSync(path.join(shared, "ml-100k")), `ml-100k not found under ${shared} (set MOVIELENS_DIR)`);
  const ds = await loadDataset("ml-100k", { movielensDir: shared });
  const split = predefinedSplit(ds, "u1");
  const t0 = performance.now();
  const model = fitIals(ds, split.train);
  const seconds = (performance.now() - t0) / 1000;
  const data = evaluationData(ds, split);
  const opts = { ks: [10], relevanceThreshold: 4 };
  const [ials] = (await evaluateFullRanking(data, ialsScorer(model), opts)).metrics;
  const [pop] = (await evaluateFullRanking(data, popularityScorer(ds, split.train), opts)).metrics;
  console.log(
    `iALS u1 (d ${model.dim}, ${model.losses.length} epochs, fit ${seconds.toFixed(2)} s): NDCG@10 ${ials.ndcg.toFixed(4)}, Recall@10 ${ials.recall.toFixed(4)}; ` +
      `popularity NDCG@10 ${pop.ndcg.toFixed(4)}, Recall@10 ${pop.recall.toFixed(4)}`,
  );
  assert.ok(ials.ndcg > pop.ndcg + 0.1, `iALS NDCG@10 ${ials.ndcg} vs popularity ${pop.ndcg}`);
  assert.ok(ials.recall > pop.recall, `iALS Recall@10 ${ials.recall} vs popularity ${pop.recall}`);
});
