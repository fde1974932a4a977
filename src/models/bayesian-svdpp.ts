// Bayesian SVD++ with implicit terms on both sides, fitted by Gibbs sampling: the formula, the sampler and its scorer (the posterior mean over the stored draws).
import { groupUserColumn } from "../data/splits";
import type { Dataset } from "../data/types";
import { backwardSolveInPlace, choleskyInPlace, dotAt, dotAt32, forwardSolveInPlace } from "../util/linalg";
import type { EpochLog, ProgressSink } from "../util/progress";
import { Rng } from "../util/random";
import { defaultTrainingThreads, startSiblingWorker } from "../util/worker";
import type { Worker } from "node:worker_threads";
import { MovieScorer, pairChecker, scoreEach } from "./scorer";

/*
 * The formula, for user u and movie i:
 *
 *   r̂_ui = μ + b_u + b_i + z_uᵀ z_i
 *   z_u  = p_u + |N(u)|^(-1/2) Σ_{j ∈ N(u)} y_j     (N(u): the movies u rated in training: Koren's SVD++ user)
 *   z_i  = q_i + |M(i)|^(-1/2) Σ_{v ∈ M(i)} x_v     (M(i): the users who rated i in training: the same term, flipped)
 *
 * The second line is SVD++'s implicit user term; the third is its mirror on the movie side, so a movie is also described
 * by who rated it (Rendle et al. 2019's "SVD++ flipped"). Instead of fitting one point by SGD, the sampler draws from
 * the posterior of the Bayesian model (as BPMF, Salakhutdinov & Mnih 2008, and libFM's MCMC, Rendle 2012):
 *
 *   r_ui ~ N(r̂_ui, 1/α),  α ~ Gamma(1, 1)
 *   every parameter θ of a group (b_u; b_i; dimension f of p, q, y or x) ~ N(μ_g, 1/λ_g),
 *   μ_g, λ_g ~ Normal-Gamma(μ0 0, γ0 1, shape 1, rate 1)
 *
 * One sweep draws α, then each group's (μ, λ), then every b_u, b_i, q_i (a d-dimensional block, by Cholesky), the x's,
 * every p_u and the y's, each from its exact Gaussian conditional. μ is the mean training rating (fixed). The model's
 * prediction is the mean of r̂ over the stored draws s = 1..S, which is itself one formula:
 *
 *   r̄_ui = μ + b̄_u + b̄_i + Σ_s z_u⁽ˢ⁾ᵀ z_i⁽ˢ⁾ / S
 *
 * so a user's vector (and a movie's) is its S draws side by side: {@link BayesianSvdpp.userVectors} and
 * {@link BayesianSvdpp.movieVectors}, S·d wide, whose dot product is the last term. The scorer predicts with exactly
 * that, and a test checks it against the mean of the draws' own predictions.
 *
 * Cost per sweep: O(ratings · d²) (the d×d Gramians) plus O((users + movies) · d³) (one Cholesky per row), in plain JS.
 */

/**
 * One sweep's numbers (util/progress.ts's EpochLog, an epoch being one sweep): `loss` is the training RMSE of this draw;
 * with `validation`, `valLoss` is the validation RMSE of the posterior mean so far (null until a draw is stored). The
 * last sweep's log reports the mean pooled over every chain: exactly what the scorer predicts.
 */
export type BayesianSvdppSweepLog = EpochLog;

/** Options for {@link fitBayesianSvdpp}; anything left out takes its value from {@link BAYESIAN_SVDPP_DEFAULTS}. */
export interface BayesianSvdppOptions {
  /** Factor dimension d (default 10). */
  dim?: number;
  /** Gibbs sweeps of each chain, its burn-in included (default 175). */
  sweeps?: number;
  /** Sweeps of each chain discarded before it stores draws (default 50). */
  burnIn?: number;
  /**
   * Draws kept for the posterior mean in all, shared between the chains and evenly spaced over each chain's sweeps after
   * burn-in (default 125; at most chains · (sweeps − burnIn)). Memory: (users + movies) · storedDraws · dim floats.
   */
  storedDraws?: number;
  /** Add the movie-side implicit term z_i's x_v (default true; false gives Bayesian SVD++ with the user side only). */
  movieImplicit?: boolean;
  /** Add the user-side implicit term z_u's y_j (default true; false with movieImplicit false gives BPMF with biases). */
  userImplicit?: boolean;
  /** Standard deviation of the normal initial factors (default 0.1); biases and implicit factors start at 0. */
  initStd?: number;
  /**
   * Fix the noise precision α instead of drawing it (BPMF fixes it at 2). A very large α turns every draw into its
   * conditional mean, so the sampler becomes alternating least squares (the tests use that); default: drawn.
   */
  noisePrecision?: number;
  /**
   * Give users and movies their own factors p_u and q_i (default true). Without them a user is only the movies they
   * rated and a movie only who rated it (the asymmetric factor model, NSVD: Paterek 2007); needs both implicit terms.
   */
  ownFactors?: boolean;
  /** Independent chains, each with its own burn-in, whose stored draws are pooled (default 2). */
  chains?: number;
  /**
   * 1 or 2: with 2 the odd chains run on a worker thread (default: MOVIELENS_LAB_TRAINING_THREADS, else 2). The numbers
   * do not depend on it.
   */
  threads?: 1 | 2;
  /** Seed of the chains' seeds, so of the initial factors and of every draw (default 42): same seed, same numbers. */
  seed?: number;
  /** Rating indices to monitor (validation RMSE of the running posterior mean per sweep; never the test fold). */
  validation?: Int32Array;
  /** Per-sweep progress of the chains on this thread (e.g. util/progress.ts's createProgress). */
  progress?: ProgressSink;
}

/**
 * Defaults, chosen on 5% carve-outs of ml-100k u1's and u2's training folds (never a test fold). Validation RMSE
 * u1 / u2: one chain of 300 sweeps at d 10 0.8911 / 0.8862, of 500 0.8902 / 0.8866, at d 16 0.8908 / 0.8908; two chains
 * of 175 at d 10 (these defaults) 0.8913 / 0.8879, in about 40% less wall time on two threads.
 */
export const BAYESIAN_SVDPP_DEFAULTS = {
  dim: 10,
  sweeps: 175,
  burnIn: 50,
  storedDraws: 125,
  chains: 2,
  movieImplicit: true,
  ownFactors: true,
  userImplicit: true,
  initStd: 0.1,
  seed: 42,
} as const;

/** A fitted model: the posterior means of the biases and the stacked draws of z_u and z_i (see the formula). */
export interface BayesianSvdpp {
  readonly dim: number;
  /** Stored draws of all chains. */
  readonly draws: number;
  readonly chains: number;
  /** The threads the chains ran on (1 when the worker could not start). */
  readonly threads: number;
  readonly numUsers: number;
  readonly numMovies: number;
  /** μ: the mean training rating (fixed). */
  readonly mean: number;
  /** b̄_u, b̄_i: the biases averaged over the stored draws. */
  readonly userBias: Float64Array;
  readonly movieBias: Float64Array;
  /** numUsers x (draws·dim): user u's draws of z_u side by side, each scaled by 1/√S (so a dot product averages). */
  readonly userVectors: Float32Array;
  /** numMovies x (draws·dim): movie i's draws of z_i side by side, each scaled by 1/√S. */
  readonly movieVectors: Float32Array;
  readonly ratingScale: { readonly min: number; readonly max: number };
  /** The noise precision α of the first chain's last draw (1/α is the model's estimate of the rating noise variance). */
  readonly noisePrecision: number;
  readonly history: BayesianSvdppSweepLog[];
}

/** One side of the model (users or movies): its biases, own factors, implicit factors and links to the other side. */
interface Side {
  readonly n: number;
  /** Training ratings of entity a: positions pos[offsets[a] .. offsets[a+1]) of the training arrays. */
  readonly offsets: Int32Array;
  readonly pos: Int32Array;
  /** The other side's entity of each of those ratings. */
  readonly other: Int32Array;
  /** |links(a)|^(-1/2), 0 without links. */
  readonly weight: Float64Array;
  readonly bias: Float64Array;
  /** p (users) or q (movies): n x d. */
  readonly own: Float64Array;
  /** y (indexed by movie, for users) or x (indexed by user, for movies): other.n x d; null when switched off. */
  readonly implicit: Float64Array | null;
  /** z = own + weight · Σ implicit over the links: n x d. */
  readonly z: Float64Array;
}

/** A group's prior (μ_g, λ_g) per dimension. */
interface Prior {
  readonly mean: Float64Array;
  readonly precision: Float64Array;
}

function checkOptions(o: BayesianSvdppOptions): void {
  const positiveInt = (name: keyof BayesianSvdppOptions, v: number | undefined): void => {
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      throw new RangeError(`fitBayesianSvdpp: ${name} must be a positive integer, got ${v}`);
  };
  positiveInt("dim", o.dim);
  positiveInt("sweeps", o.sweeps);
  positiveInt("storedDraws", o.storedDraws);
  positiveInt("chains", o.chains);
  if (o.noisePrecision !== undefined && !(Number.isFinite(o.noisePrecision) && o.noisePrecision > 0))
    throw new RangeError(`fitBayesianSvdpp: noisePrecision must be a finite number > 0, got ${o.noisePrecision}`);
  if (o.threads !== undefined && o.threads !== 1 && o.threads !== 2)
    throw new RangeError(`fitBayesianSvdpp: threads must be 1 or 2, got ${o.threads}`);
  if (o.burnIn !== undefined && !(Number.isInteger(o.burnIn) && o.burnIn >= 0))
    throw new RangeError(`fitBayesianSvdpp: burnIn must be an integer >= 0, got ${o.burnIn}`);
  if (o.initStd !== undefined && !(Number.isFinite(o.initStd) && o.initStd >= 0))
    throw new RangeError(`fitBayesianSvdpp: initStd must be a finite number >= 0, got ${o.initStd}`);
  if (o.seed !== undefined && !Number.isFinite(o.seed))
    throw new RangeError(`fitBayesianSvdpp: seed must be a finite number, got ${o.seed}`);
  const sweeps = o.sweeps ?? BAYESIAN_SVDPP_DEFAULTS.sweeps;
  const burnIn = o.burnIn ?? BAYESIAN_SVDPP_DEFAULTS.burnIn;
  if (o.ownFactors === false && (o.userImplicit === false || o.movieImplicit === false))
    throw new RangeError("fitBayesianSvdpp: ownFactors false needs both implicit terms (userImplicit and movieImplicit true)");
  if (burnIn >= sweeps) throw new RangeError(`fitBayesianSvdpp: burnIn (${burnIn}) must be below sweeps (${sweeps})`);
}

function checkIndices(name: string, idx: Int32Array, n: number): void {
  for (let k = 0; k < idx.length; k++) {
    if (!(idx[k] >= 0 && idx[k] < n)) throw new RangeError(`fitBayesianSvdpp: ${name}[${k}] = ${idx[k]} is not a rating index 0..${n - 1}`);
  }
}

function makeSide(n: number, otherN: number, entity: Int32Array, otherEntity: Int32Array, d: number, implicit: boolean): Side {
  const g = groupUserColumn(entity, n);
  const weight = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const c = g.offsets[a + 1] - g.offsets[a];
    weight[a] = c > 0 ? 1 / Math.sqrt(c) : 0;
  }
  return {
    n,
    offsets: g.offsets,
    pos: g.order,
    other: Int32Array.from(g.order, (k) => otherEntity[k]),
    weight,
    bias: new Float64Array(n),
    own: new Float64Array(n * d),
    implicit: implicit ? new Float64Array(otherN * d) : null,
    z: new Float64Array(n * d),
  };
}

/** z = own + weight · Σ implicit over the links, for every entity of the side. */
function computeZ(side: Side, d: number): void {
  side.z.set(side.own);
  const Y = side.implicit;
  if (!Y) return;
  for (let a = 0; a < side.n; a++) {
    const w = side.weight[a];
    const za = a * d;
    for (let k = side.offsets[a]; k < side.offsets[a + 1]; k++) {
      const yj = side.other[k] * d;
      for (let f = 0; f < d; f++) side.z[za + f] += w * Y[yj + f];
    }
  }
}

/**
 * Draws (μ_g, λ_g) of a Normal-Gamma(0, 1, 1, 1) prior per dimension f, given the count, sums and sums of squares of
 * the group's values over the entities that have data ({@link rowMoments}).
 */
function drawPrior(prior: Prior, rng: Rng, count: number, sums: Float64Array, sumSquares: Float64Array): void {
  const gamma0 = 1;
  for (let f = 0; f < prior.mean.length; f++) {
    const m = count;
    const mean = m > 0 ? sums[f] / m : 0;
    const ss = Math.max(sumSquares[f] - m * mean * mean, 0);
    const rate = 1 + 0.5 * (ss + (m * gamma0 * mean * mean) / (m + gamma0));
    const lambda = rng.gamma(1 + m / 2) / rate;
    prior.precision[f] = lambda;
    prior.mean[f] = (m * mean) / (m + gamma0) + rng.normal() / Math.sqrt((m + gamma0) * lambda);
  }
}

/** The sums and sums of squares per dimension of the rows of `values` (n x d) whose entity has links. */
function rowMoments(values: Float64Array, d: number, active: Uint8Array): { count: number; sums: Float64Array; squares: Float64Array } {
  const sums = new Float64Array(d);
  const squares = new Float64Array(d);
  let count = 0;
  for (let a = 0; a < active.length; a++) {
    if (!active[a]) continue;
    count++;
    for (let f = 0; f < d; f++) {
      const v = values[a * d + f];
      sums[f] += v;
      squares[f] += v * v;
    }
  }
  return { count, sums, squares };
}

/** Scratch buffers of the block draws: the d x d precision (then its factor), the linear term, an own factor's step. */
interface Scratch {
  readonly A: Float64Array;
  readonly b: Float64Array;
  readonly step: Float64Array;
}

/**
 * Draws x ~ N(A⁻¹b, A⁻¹) into `out` at `at`: A = LLᵀ, x = L⁻ᵀ(L⁻¹b + ξ). `A` is overwritten by its factor and `b` by x.
 */
function drawGaussian(s: Scratch, d: number, rng: Rng, out: Float64Array, at: number): void {
  choleskyInPlace(s.A, d, "fitBayesianSvdpp: a conditional precision is not positive definite");
  forwardSolveInPlace(s.A, s.b, d);
  for (let f = 0; f < d; f++) s.b[f] += rng.normal();
  backwardSolveInPlace(s.A, s.b, d);
  for (let f = 0; f < d; f++) out[at + f] = s.b[f];
}

/** Draws every bias of the side given the residuals e (e = r − r̂), updating e. */
function drawBiases(side: Side, e: Float64Array, alpha: number, prior: Prior, rng: Rng): void {
  const mu = prior.mean[0];
  const lambda = prior.precision[0];
  for (let a = 0; a < side.n; a++) {
    const from = side.offsets[a];
    const to = side.offsets[a + 1];
    if (from === to) continue;
    const old = side.bias[a];
    let t = 0;
    for (let k = from; k < to; k++) t += e[side.pos[k]] + old;
    const precision = lambda + alpha * (to - from);
    const b = (lambda * mu + alpha * t) / precision + rng.normal() / Math.sqrt(precision);
    side.bias[a] = b;
    const delta = b - old;
    for (let k = from; k < to; k++) e[side.pos[k]] -= delta;
  }
}

/**
 * Draws one side's own factors, then its implicit factors, given the other side's z (fixed during this half-sweep) and
 * the residuals e, which are kept current. Returns nothing; e and the side's z are up to date afterwards.
 */
function drawSide(
  side: Side,
  otherSide: Side,
  e: Float64Array,
  alpha: number,
  ownPrior: Prior | null,
  implicitPrior: Prior | null,
  d: number,
  rng: Rng,
  gram: Float64Array,
  g: Float64Array,
  s: Scratch,
): void {
  const Z = otherSide.z;
  const dd = d * d;
  // Own factors: target t = e + ownᵀ z_b, precision diag(λ) + α Σ z_b z_bᵀ (that Gramian is kept for the implicit draw).
  // Without own factors (ownPrior null) only the Gramian and g are computed.
  for (let a = 0; a < side.n; a++) {
    const from = side.offsets[a];
    const to = side.offsets[a + 1];
    if (from === to) continue;
    const G = a * dd;
    gram.fill(0, G, G + dd);
    const oa = a * d;
    for (let f = 0; f < d; f++) s.b[f] = ownPrior ? ownPrior.precision[f] * ownPrior.mean[f] : 0;
    for (let k = from; k < to; k++) {
      const zb = side.other[k] * d;
      let t = e[side.pos[k]];
      for (let f = 0; f < d; f++) t += side.own[oa + f] * Z[zb + f];
      for (let f = 0; f < d; f++) {
        const zf = Z[zb + f];
        s.b[f] += alpha * zf * t;
        const row = G + f * d;
        for (let h = 0; h <= f; h++) gram[row + h] += zf * Z[zb + h];
      }
    }
    for (let f = 0; f < d; f++) {
      for (let h = 0; h < f; h++) gram[G + h * d + f] = gram[G + f * d + h];
      for (let h = 0; h <= f; h++) s.A[f * d + h] = alpha * gram[G + f * d + h];
      s.A[f * d + f] += ownPrior ? ownPrior.precision[f] : 0;
    }
    // Keep e current (this side's z is recomputed after the half-sweep; nothing here reads it); then g_a = Σ_b z_b e_ab.
    const step = s.step;
    if (ownPrior) {
      for (let f = 0; f < d; f++) step[f] = side.own[oa + f];
      drawGaussian(s, d, rng, side.own, oa);
      for (let f = 0; f < d; f++) step[f] = side.own[oa + f] - step[f];
    }
    const ga = a * d;
    g.fill(0, ga, ga + d);
    for (let k = from; k < to; k++) {
      const zb = side.other[k] * d;
      const p = side.pos[k];
      if (ownPrior) {
        let change = 0;
        for (let f = 0; f < d; f++) change += step[f] * Z[zb + f];
        e[p] -= change;
      }
      const ep = e[p];
      for (let f = 0; f < d; f++) g[ga + f] += Z[zb + f] * ep;
    }
  }
  const Y = side.implicit;
  if (!Y || !implicitPrior) return;
  // Implicit factor j (an entity of the other side) enters z_a with weight w_a for every a linked to j, that is every a
  // in the other side's links of j. Precision diag(λ) + α Σ_a w_a² Gram_a; linear term α Σ_a w_a (g_a + w_a Gram_a y_j).
  const delta = new Float64Array(d);
  for (let j = 0; j < otherSide.n; j++) {
    const from = otherSide.offsets[j];
    const to = otherSide.offsets[j + 1];
    if (from === to) continue;
    const yj = j * d;
    s.A.fill(0);
    for (let f = 0; f < d; f++) s.b[f] = implicitPrior.precision[f] * implicitPrior.mean[f];
    for (let k = from; k < to; k++) {
      const a = otherSide.other[k];
      const w = side.weight[a];
      const G = a * dd;
      const ga = a * d;
      for (let f = 0; f < d; f++) {
        const row = G + f * d;
        s.b[f] += alpha * w * (g[ga + f] + w * dotAt(gram, row, Y, yj, d));
        const aw = alpha * w * w;
        for (let h = 0; h <= f; h++) s.A[f * d + h] += aw * gram[row + h];
      }
    }
    for (let f = 0; f < d; f++) s.A[f * d + f] += implicitPrior.precision[f];
    for (let f = 0; f < d; f++) delta[f] = Y[yj + f];
    drawGaussian(s, d, rng, Y, yj);
    for (let f = 0; f < d; f++) delta[f] = Y[yj + f] - delta[f];
    for (let k = from; k < to; k++) {
      const a = otherSide.other[k];
      const w = side.weight[a];
      const G = a * dd;
      const ga = a * d;
      for (let f = 0; f < d; f++) {
        g[ga + f] -= w * dotAt(gram, G + f * d, delta, 0, d);
      }
    }
  }
}

/** e = r − (μ + b_u + b_i + z_uᵀ z_i) for every training rating; returns Σ e². */
function residuals(e: Float64Array, target: Float64Array, users: Int32Array, movies: Int32Array, U: Side, M: Side, d: number): number {
  let sse = 0;
  for (let k = 0; k < e.length; k++) {
    const u = users[k] * d;
    const i = movies[k] * d;
    let dot = 0;
    for (let f = 0; f < d; f++) dot += U.z[u + f] * M.z[i + f];
    const r = target[k] - U.bias[users[k]] - M.bias[movies[k]] - dot;
    e[k] = r;
    sse += r * r;
  }
  return sse;
}

/** One chain's work: the training data, its seed and sweeps, and where its stored draws go (shared between threads). */
export interface BayesianSvdppChain {
  readonly users: Int32Array;
  readonly movies: Int32Array;
  /** r − μ of every training rating. */
  readonly target: Float64Array;
  readonly numUsers: number;
  readonly numMovies: number;
  readonly validationUsers: Int32Array;
  readonly validationMovies: Int32Array;
  readonly dim: number;
  readonly sweeps: number;
  readonly burnIn: number;
  /** This chain's stored draws, written to columns [column, column + draws) of the stacked vectors. */
  readonly draws: number;
  readonly column: number;
  /** 1/√(all chains' stored draws). */
  readonly scale: number;
  readonly ownFactors: boolean;
  readonly userImplicit: boolean;
  readonly movieImplicit: boolean;
  readonly initStd: number;
  readonly seed: number;
  /** numUsers x (allDraws·dim) and numMovies x (allDraws·dim): every chain writes its own columns. */
  readonly userVectors: Float32Array;
  readonly movieVectors: Float32Array;
  /** This chain's sums of b_u, b_i and of r̂ − μ at the validation pairs over its stored draws. */
  readonly userBiasSum: Float64Array;
  readonly movieBiasSum: Float64Array;
  readonly validationSum: Float64Array;
  /** The fixed α, or 0 to draw it. */
  readonly fixedNoisePrecision: number;
  /** The noise precision α of the chain's last draw (written when it ends). */
  readonly noisePrecision: Float64Array;
}

/**
 * Runs one Gibbs chain (see the formula at the top of the file), writing its stored draws into the job's outputs.
 * `onSweep(sweep, trainingRmse, stored)` follows it. Everything random comes from the chain's seed.
 */
export function runBayesianSvdppChain(job: BayesianSvdppChain, onSweep?: (sweep: number, rmse: number, stored: number) => void): void {
  const d = job.dim;
  const { users, movies, target } = job;
  const U = makeSide(job.numUsers, job.numMovies, users, movies, d, job.userImplicit);
  const M = makeSide(job.numMovies, job.numUsers, movies, users, d, job.movieImplicit);
  const activeU = Uint8Array.from({ length: U.n }, (_, a) => (U.offsets[a + 1] > U.offsets[a] ? 1 : 0));
  const activeM = Uint8Array.from({ length: M.n }, (_, a) => (M.offsets[a + 1] > M.offsets[a] ? 1 : 0));
  const rng = new Rng(job.seed);
  // Without own factors the implicit ones start random instead (all-zero z would be a fixed point of the bilinear model).
  const [startU, startM] = job.ownFactors ? [U.own, M.own] : [U.implicit!, M.implicit!];
  const [fromU, fromM] = job.ownFactors ? [activeU, activeM] : [activeM, activeU];
  for (let a = 0; a < fromU.length; a++) if (fromU[a]) for (let f = 0; f < d; f++) startU[a * d + f] = rng.normal() * job.initStd;
  for (let a = 0; a < fromM.length; a++) if (fromM[a]) for (let f = 0; f < d; f++) startM[a * d + f] = rng.normal() * job.initStd;
  computeZ(U, d);
  computeZ(M, d);
  const prior = (dims: number): Prior => ({ mean: new Float64Array(dims), precision: new Float64Array(dims).fill(1) });
  const priors = {
    userBias: prior(1),
    movieBias: prior(1),
    p: job.ownFactors ? prior(d) : null,
    q: job.ownFactors ? prior(d) : null,
    y: U.implicit ? prior(d) : null,
    x: M.implicit ? prior(d) : null,
  };
  const gram = new Float64Array(Math.max(U.n, M.n) * d * d);
  const g = new Float64Array(Math.max(U.n, M.n) * d);
  const scratch: Scratch = { A: new Float64Array(d * d), b: new Float64Array(d), step: new Float64Array(d) };
  const e = new Float64Array(users.length);
  // Σ e² of the current residuals: recomputed with them after every half-sweep.
  let sse = residuals(e, target, users, movies, U, M, d);
  job.userBiasSum.fill(0);
  job.movieBiasSum.fill(0);
  job.validationSum.fill(0);

  const afterBurnIn = job.sweeps - job.burnIn;
  // Store at sweeps burnIn + ⌈(s+1)·afterBurnIn/draws⌉ − 1: evenly spaced, the last sweep always included.
  const storeAt = new Set(Array.from({ length: job.draws }, (_, s) => job.burnIn + Math.ceil(((s + 1) * afterBurnIn) / job.draws) - 1));
  const width = job.userVectors.length / Math.max(U.n, 1);
  let alpha = 1;
  let stored = 0;
  for (let sweep = 0; sweep < job.sweeps; sweep++) {
    alpha = job.fixedNoisePrecision > 0 ? job.fixedNoisePrecision : rng.gamma(1 + users.length / 2) / (1 + sse / 2);
    const bu = rowMoments(U.bias, 1, activeU);
    drawPrior(priors.userBias, rng, bu.count, bu.sums, bu.squares);
    const bi = rowMoments(M.bias, 1, activeM);
    drawPrior(priors.movieBias, rng, bi.count, bi.sums, bi.squares);
    drawBiases(U, e, alpha, priors.userBias, rng);
    drawBiases(M, e, alpha, priors.movieBias, rng);
    for (const [side, other, active, otherActive, own, imp] of [
      [M, U, activeM, activeU, priors.q, priors.x],
      [U, M, activeU, activeM, priors.p, priors.y],
    ] as const) {
      if (own) {
        const om = rowMoments(side.own, d, active);
        drawPrior(own, rng, om.count, om.sums, om.squares);
      }
      if (side.implicit && imp) {
        const im = rowMoments(side.implicit, d, otherActive);
        drawPrior(imp, rng, im.count, im.sums, im.squares);
      }
      drawSide(side, other, e, alpha, own, imp, d, rng, gram, g, scratch);
      // Fresh residuals (and z) after each half-sweep: the implicit draws kept g current, not e.
      computeZ(side, d);
      sse = residuals(e, target, users, movies, U, M, d);
    }
    const rmse = Math.sqrt(sse / Math.max(users.length, 1));
    if (!Number.isFinite(rmse)) throw new Error(`fitBayesianSvdpp: the sampler diverged in sweep ${sweep + 1} (chain seed ${job.seed})`);
    if (storeAt.has(sweep)) {
      const col = (job.column + stored) * d;
      for (const [side, out] of [
        [U, job.userVectors],
        [M, job.movieVectors],
      ] as const) {
        for (let a = 0; a < side.n; a++) {
          const to = a * width + col;
          for (let f = 0; f < d; f++) out[to + f] = side.z[a * d + f] * job.scale;
        }
      }
      for (let a = 0; a < U.n; a++) job.userBiasSum[a] += U.bias[a];
      for (let a = 0; a < M.n; a++) job.movieBiasSum[a] += M.bias[a];
      for (let k = 0; k < job.validationUsers.length; k++) {
        const u = job.validationUsers[k];
        const i = job.validationMovies[k];
        let dot = 0;
        for (let f = 0; f < d; f++) dot += U.z[u * d + f] * M.z[i * d + f];
        job.validationSum[k] += U.bias[u] + M.bias[i] + dot;
      }
      stored++;
    }
    onSweep?.(sweep, rmse, stored);
  }
  job.noisePrecision[0] = alpha;
}

/** The worker's control slots (Int32 in a SharedArrayBuffer): failure flag, done count, sweeps done. */
export const BAYESIAN_CONTROL = { FAILED: 0, DONE: 1, SWEEPS: 2 } as const;

/** What the worker thread (bayesian-svdpp-worker.ts) gets: its chains, run one after the other, and the control slots. */
export interface BayesianSvdppWorkerData {
  readonly chains: BayesianSvdppChain[];
  readonly ctrl: SharedArrayBuffer;
}

/**
 * Fits Bayesian SVD++ (see the formula at the top of the file) to the ratings at `train` by Gibbs sampling: `chains`
 * independent chains (seeds derived from `seed`), each with its own burn-in, their stored draws pooled into one posterior
 * mean. With two threads the odd chains run on a worker thread; the result is the same on one thread or two (a test
 * checks it), and if the worker cannot start its chains run here. O(chains · sweeps · (ratings · d² + (users + movies) · d³)).
 */
export function fitBayesianSvdpp(ds: Dataset, train: Int32Array, options: BayesianSvdppOptions = {}): BayesianSvdpp {
  checkOptions(options);
  const o = {
    ...BAYESIAN_SVDPP_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as typeof BAYESIAN_SVDPP_DEFAULTS & BayesianSvdppOptions;
  const n = ds.ratings.length;
  checkIndices("train", train, n);
  if (o.validation) checkIndices("validation", o.validation, n);
  const threads = o.threads ?? defaultTrainingThreads();
  const r = ds.ratings;
  const d = o.dim;
  let mean = 0;
  for (const k of train) mean += r.rating[k];
  mean = train.length ? mean / train.length : (ds.ratingScale.min + ds.ratingScale.max) / 2;
  const validation = o.validation ?? new Int32Array(0);
  const draws = Math.min(o.storedDraws, o.chains * (o.sweeps - o.burnIn));
  const shareOf = (c: number): number => Math.floor(draws / o.chains) + (c < draws % o.chains ? 1 : 0);
  const useWorker = threads === 2 && o.chains > 1;
  const buffer = (bytes: number): ArrayBufferLike => (useWorker ? new SharedArrayBuffer(Math.max(bytes, 8)) : new ArrayBuffer(bytes));
  const userVectors = new Float32Array(buffer(4 * ds.numUsers * draws * d));
  const movieVectors = new Float32Array(buffer(4 * ds.numMovies * draws * d));
  const common = {
    users: Int32Array.from(train, (k) => r.user[k]),
    movies: Int32Array.from(train, (k) => r.movie[k]),
    target: Float64Array.from(train, (k) => r.rating[k] - mean),
    numUsers: ds.numUsers,
    numMovies: ds.numMovies,
    validationUsers: Int32Array.from(validation, (k) => r.user[k]),
    validationMovies: Int32Array.from(validation, (k) => r.movie[k]),
    dim: d,
    sweeps: o.sweeps,
    burnIn: o.burnIn,
    scale: 1 / Math.sqrt(draws),
    ownFactors: o.ownFactors,
    userImplicit: o.userImplicit,
    movieImplicit: o.movieImplicit,
    initStd: o.initStd,
    fixedNoisePrecision: o.noisePrecision ?? 0,
    userVectors,
    movieVectors,
  };
  const seeds = new Rng(o.seed);
  let column = 0;
  const chains: BayesianSvdppChain[] = Array.from({ length: o.chains }, (_, c) => {
    const chain: BayesianSvdppChain = {
      ...common,
      seed: seeds.nextUint32(),
      draws: shareOf(c),
      column,
      userBiasSum: new Float64Array(buffer(8 * ds.numUsers)),
      movieBiasSum: new Float64Array(buffer(8 * ds.numMovies)),
      validationSum: new Float64Array(buffer(8 * validation.length)),
      noisePrecision: new Float64Array(buffer(8)),
    };
    column += chain.draws;
    return chain;
  });

  const history: BayesianSvdppSweepLog[] = [];
  const here = chains.filter((_, c) => !useWorker || c % 2 === 0);
  const there = chains.filter((_, c) => useWorker && c % 2 === 1);
  const ctrl = there.length ? new Int32Array(new SharedArrayBuffer(4 * 3)) : null;
  let worker: Worker | null = null;
  if (ctrl) {
    const job: BayesianSvdppWorkerData = { chains: there, ctrl: ctrl.buffer as SharedArrayBuffer };
    worker = startSiblingWorker(__dirname, "bayesian-svdpp-worker", job, { failed: BAYESIAN_CONTROL.FAILED, done: BAYESIAN_CONTROL.DONE });
  }
  const ranOn = (): number => (ctrl && !Atomics.load(ctrl, BAYESIAN_CONTROL.FAILED) ? 2 : 1);
  const title = `Bayesian SVD++ (d ${d}, ${o.chains} chain${o.chains > 1 ? "s" : ""} of ${o.sweeps} sweeps)`;
  o.progress?.start({ title, epochs: o.sweeps * here.length, batchesPerEpoch: 1 });
  const started = Date.now();
  let last = started;
  here.forEach((chain, h) =>
    runBayesianSvdppChain(chain, (sweep, rmse, stored) => {
      const now = Date.now();
      const log: BayesianSvdppSweepLog = {
        epoch: h * o.sweeps + sweep,
        loss: rmse,
        valLoss: null,
        metrics: {},
        seconds: (now - last) / 1000,
      };
      last = now;
      if (validation.length && stored > 0) Object.assign(log, validationLog(ds, validation, mean, [chain], stored));
      history.push(log);
      o.progress?.batch(log.epoch, 0, rmse);
      o.progress?.epochEnd(log, history);
    }),
  );
  if (ctrl) {
    // The worker's chains take about as long as ours: wait up to twice our time (and at least a minute) for them.
    const limit = Math.max(60_000, 2 * (Date.now() - started));
    const waitFrom = Date.now();
    while (Atomics.load(ctrl, BAYESIAN_CONTROL.DONE) === 0) {
      if (Date.now() - waitFrom > limit) {
        void worker?.terminate();
        throw new Error(
          `fitBayesianSvdpp: the second thread's chains did not finish in ${Math.round(limit / 1000)} s (threads: 1 runs them here)`,
        );
      }
      Atomics.wait(ctrl, BAYESIAN_CONTROL.DONE, 0, 200);
    }
    // It failed to start or stopped (its error is printed): run its chains here, the same way.
    if (Atomics.load(ctrl, BAYESIAN_CONTROL.FAILED)) for (const chain of there) runBayesianSvdppChain(chain);
  }
  const userBias = new Float64Array(ds.numUsers);
  const movieBias = new Float64Array(ds.numMovies);
  for (const chain of chains) {
    for (let a = 0; a < userBias.length; a++) userBias[a] += chain.userBiasSum[a] / draws;
    for (let a = 0; a < movieBias.length; a++) movieBias[a] += chain.movieBiasSum[a] / draws;
  }
  let note = `posterior mean of ${draws} draws from ${o.chains} chain${o.chains > 1 ? "s" : ""} on ${ranOn()} thread${ranOn() > 1 ? "s" : ""}`;
  if (validation.length && history.length) {
    // The last log reports the pooled posterior mean: exactly what the scorer predicts.
    Object.assign(history[history.length - 1], validationLog(ds, validation, mean, chains, draws));
    note += `; validation RMSE ${history[history.length - 1].valLoss!.toFixed(4)}`;
  }
  o.progress?.end(history, note);
  return {
    dim: d,
    draws,
    chains: o.chains,
    threads: ranOn(),
    numUsers: ds.numUsers,
    numMovies: ds.numMovies,
    mean,
    userBias,
    movieBias,
    userVectors: new Float32Array(userVectors),
    movieVectors: new Float32Array(movieVectors),
    ratingScale: { ...ds.ratingScale },
    noisePrecision: chains[0].noisePrecision[0],
    history,
  };
}

/** Validation RMSE and MAE of the mean of `stored` draws summed in the chains' validation sums. */
function validationLog(
  ds: Dataset,
  validation: Int32Array,
  mean: number,
  chains: readonly BayesianSvdppChain[],
  stored: number,
): Pick<BayesianSvdppSweepLog, "valLoss" | "metrics"> {
  let se = 0;
  let ae = 0;
  for (let k = 0; k < validation.length; k++) {
    let sum = 0;
    for (const chain of chains) sum += chain.validationSum[k];
    const err = clip(mean + sum / stored, ds.ratingScale) - ds.ratings.rating[validation[k]];
    se += err * err;
    ae += Math.abs(err);
  }
  const rmse = Math.sqrt(se / validation.length);
  return { valLoss: rmse, metrics: { rmse, mae: ae / validation.length } };
}

function clip(x: number, scale: { readonly min: number; readonly max: number }): number {
  return x < scale.min ? scale.min : x > scale.max ? scale.max : x;
}

/** r̄_ui, the posterior mean prediction (unclipped): μ + b̄_u + b̄_i + the stacked vectors' dot product. */
export function bayesianSvdppPredict(model: BayesianSvdpp, user: number, movie: number): number {
  const w = model.draws * model.dim;
  return (
    model.mean + model.userBias[user] + model.movieBias[movie] + dotAt32(model.userVectors, user * w, model.movieVectors, movie * w, w)
  );
}

/** The scorer: ranking by the posterior mean r̄_ui, ratings r̄_ui clipped to the rating scale. */
export function bayesianSvdppScorer(model: BayesianSvdpp, name = "Bayesian SVD++"): MovieScorer {
  const check = pairChecker(name, model.numUsers, model.numMovies);
  return {
    name,
    scoreMovies: (user, movies) =>
      scoreEach(movies, (m) => {
        check(user, m);
        return bayesianSvdppPredict(model, user, m);
      }),
    predictRatings: (users, movies) =>
      scoreEach(users, (u, k) => {
        check(u, movies[k]);
        return clip(bayesianSvdppPredict(model, u, movies[k]), model.ratingScale);
      }),
  };
}
