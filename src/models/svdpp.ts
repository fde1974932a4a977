// SVD++ (Koren 2008) with an optional per-day session bias: one formula written three ways (a fast plain-JS SGD pass, a TF.js version for the gradient tape, and the scorer).
import { tf } from "../backend";
import { groupUserColumn } from "../data/splits";
import { ratingSessions } from "../data/sessions";
import type { Dataset, Ratings } from "../data/types";
import { dotAt32 } from "../util/linalg";
import { Rng } from "../util/random";
import { MovieScorer, pairChecker, scoreEach } from "./scorer";

/*
 * The formula, for user u, movie i and the rating's session t (a user's ratings on one UTC day, data's `ratingSessions`):
 *
 *   r̂_uit = μ + b_u + b_i + b_t + q_iᵀ z_u,    z_u = p_u + |N(u)|^(-1/2) Σ_{j ∈ N(u)} y_j
 *
 * N(u) = the movies u rated in training (each training rating once). b_t exists only with `sessionBias`; a session
 * without training ratings has b_t = 0. The training loss of one user's ratings R(u) is
 *
 *   L_u = Σ_{(i,t) ∈ R(u)} [ ½ e² + ½ λ_b (b_u² + b_i²) + ½ λ_s b_t² + ½ λ (‖p_u‖² + ‖q_i‖²) ] + ½ λ_y Σ_{j ∈ N(u)} ‖y_j‖²
 *
 * with e = r̂ − r: L2 counted once per rating a parameter takes part in (as Koren's and Surprise's SGD do), and once per
 * user for the implicit factors. {@link userPass} computes its gradient (and takes SGD steps), {@link svdppLossTf} writes
 * the same loss in TF.js for the gradient tape (tests check they agree), and {@link svdppScorer} predicts with it.
 */

/** Where per-epoch progress goes: any object with these methods (util/progress.ts's ProgressSink fits). */
export interface SvdppProgress {
  start(info: { title: string; epochs: number; batchesPerEpoch: number }): void;
  batch(epoch: number, batch: number, loss: number): void;
  epochEnd(log: SvdppEpochLog, history: SvdppEpochLog[]): void;
  end(history: SvdppEpochLog[], note?: string): void;
}

/** One epoch's numbers: training RMSE (of the SGD pass) as `loss`, validation RMSE and MAE when there is validation. */
export interface SvdppEpochLog {
  epoch: number;
  loss: number;
  valLoss: number | null;
  metrics: Record<string, number>;
  seconds: number;
}

/** The L2 weights of the loss (see the formula at the top of the file). */
export interface SvdppHyper {
  /** λ on p_u and q_i (default 0.1). */
  readonly l2: number;
  /** λ_y on the implicit factors y_j (default 0.3). */
  readonly implicitL2: number;
  /** λ_b on b_u and b_i (default 0.02). */
  readonly biasL2: number;
  /** λ_s on the session biases b_t (default 0.05). */
  readonly sessionL2: number;
}

/** Options for {@link fitSvdpp}; anything left out takes its value from {@link SVDPP_DEFAULTS}. */
export interface SvdppOptions extends Partial<SvdppHyper> {
  /** Factor dimension d (default 128). */
  dim?: number;
  /** SGD epochs, one pass over every training rating each (default 25). */
  epochs?: number;
  /** SGD step size of the first epoch (default 0.02). */
  learningRate?: number;
  /** The step size is multiplied by this after every epoch (default 0.9). */
  decay?: number;
  /** Standard deviation of the normal initial p_u and q_i (default 0.1); b's and y's start at 0. */
  initStd?: number;
  /** Learn a bias per rating session (a user's ratings on one day; default true). */
  sessionBias?: boolean;
  /** Session bucket length in seconds (default 86,400: a UTC day). */
  sessionSeconds?: number;
  /** Seed of the initial factors and of the visiting order (default 42): same seed, same numbers. */
  seed?: number;
  /**
   * Rating indices to monitor (validation RMSE per epoch; never the test fold). With them, training stops after
   * `patience` epochs without a better validation RMSE and keeps the best epoch's parameters.
   */
  validation?: Int32Array;
  /** Epochs without improvement before stopping (default 4); only with `validation`. */
  patience?: number;
  /** Per-epoch progress (e.g. a ProgressSink from util/progress.ts). */
  progress?: SvdppProgress;
}

/**
 * Defaults, chosen by validation RMSE on 5% carve-outs of ml-100k u1's and u2's training folds (never a test fold):
 * d 128 (0.8977 mean validation RMSE; d 32/64 about 0.003 worse, d 200 no better), λ 0.1 with a stronger λ_y 0.3
 * (λ 0.05 overfits after ~15 epochs), step 0.02 decaying by 0.9 per epoch, 25 epochs (the validation RMSE is flat
 * from about epoch 16 on, so no early stopping is needed). The session bias lowers validation RMSE by about 0.002.
 */
export const SVDPP_DEFAULTS = {
  dim: 128,
  epochs: 25,
  learningRate: 0.02,
  decay: 0.9,
  initStd: 0.1,
  l2: 0.1,
  implicitL2: 0.3,
  biasL2: 0.02,
  sessionL2: 0.05,
  sessionBias: true,
  sessionSeconds: 86_400,
  seed: 42,
  patience: 4,
} as const;

/** The learned parameters (row-major Float32Arrays), the implicit sets N(u) and what scoring needs. */
export interface SvdppParams {
  readonly dim: number;
  readonly numUsers: number;
  readonly numMovies: number;
  /** μ: the mean training rating (fixed, not learned). */
  readonly mean: number;
  readonly userBias: Float32Array;
  readonly movieBias: Float32Array;
  /** p: numUsers x dim. */
  readonly userFactors: Float32Array;
  /** q: numMovies x dim. */
  readonly movieFactors: Float32Array;
  /** y: numMovies x dim. */
  readonly implicitFactors: Float32Array;
  /** b_t per session id (data's `ratingSessions` with `sessionSeconds`), or null without session biases. */
  readonly sessionBias: Float32Array | null;
  /** N(u) in CSR form: the movies of user u are movie[offsets[u] .. offsets[u+1]). */
  readonly implicit: { readonly offsets: Int32Array; readonly movie: Int32Array };
}

/** A fitted SVD++ model: its parameters plus the context its scorer needs. */
export interface Svdpp extends SvdppParams {
  readonly hyper: SvdppHyper;
  readonly sessionSeconds: number;
  /** Session id of every rating of the dataset (null without session biases). */
  readonly sessions: Int32Array | null;
  /** The dataset's rating columns (for {@link MovieScorer.predictRatingsAt}). */
  readonly ratings: Pick<Ratings, "user" | "movie">;
  readonly ratingScale: { readonly min: number; readonly max: number };
  /** Epochs trained (the best epoch's count with early stopping). */
  readonly epochs: number;
  readonly history: SvdppEpochLog[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function checkOptions(o: SvdppOptions): void {
  const positiveInt = (name: keyof SvdppOptions, v: number | undefined): void => {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new RangeError(`fitSvdpp: ${name} must be a positive integer, got ${v}`);
  };
  const nonNegative = (name: keyof SvdppOptions, v: number | undefined): void => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      throw new RangeError(`fitSvdpp: ${name} must be a finite number >= 0, got ${v}`);
  };
  positiveInt("dim", o.dim);
  positiveInt("epochs", o.epochs);
  positiveInt("patience", o.patience);
  if (o.learningRate !== undefined && !(Number.isFinite(o.learningRate) && o.learningRate > 0))
    throw new RangeError(`fitSvdpp: learningRate must be a finite number > 0, got ${o.learningRate}`);
  if (o.decay !== undefined && !(o.decay > 0 && o.decay <= 1)) throw new RangeError(`fitSvdpp: decay must be in (0, 1], got ${o.decay}`);
  if (o.sessionSeconds !== undefined && !(Number.isFinite(o.sessionSeconds) && o.sessionSeconds > 0))
    throw new RangeError(`fitSvdpp: sessionSeconds must be a positive number, got ${o.sessionSeconds}`);
  if (o.seed !== undefined && !Number.isFinite(o.seed)) throw new RangeError(`fitSvdpp: seed must be a finite number, got ${o.seed}`);
  for (const k of ["l2", "implicitL2", "biasL2", "sessionL2", "initStd"] as const) nonNegative(k, o[k]);
}

function checkIndices(name: string, idx: Int32Array, n: number): void {
  for (let k = 0; k < idx.length; k++) {
    if (!(idx[k] >= 0 && idx[k] < n)) throw new RangeError(`fitSvdpp: ${name}[${k}] = ${idx[k]} is not a rating index 0..${n - 1}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The fast path: one user's ratings at a time, the implicit sum computed once per user

/** The loss gradient, one array per parameter with its shape (float64: accumulated by {@link userPass} in gradient mode). */
export interface SvdppGradients {
  readonly userBias: Float64Array;
  readonly movieBias: Float64Array;
  readonly userFactors: Float64Array;
  readonly movieFactors: Float64Array;
  readonly implicitFactors: Float64Array;
  readonly sessionBias: Float64Array | null;
}

/** Scratch vectors of length dim reused across users. */
interface Scratch {
  readonly sum: Float64Array;
  readonly acc: Float64Array;
}

/** s = |N(u)|^(-1/2) Σ_{j ∈ N(u)} y_j into `out`; returns |N(u)|^(-1/2) (0 when N(u) is empty). */
function implicitSum(p: SvdppParams, u: number, out: Float64Array): number {
  const d = p.dim;
  const { offsets, movie } = p.implicit;
  out.fill(0);
  const n = offsets[u + 1] - offsets[u];
  if (n === 0) return 0;
  const Y = p.implicitFactors;
  for (let a = offsets[u]; a < offsets[u + 1]; a++) {
    const at = movie[a] * d;
    for (let k = 0; k < d; k++) out[k] += Y[at + k];
  }
  const norm = 1 / Math.sqrt(n);
  for (let k = 0; k < d; k++) out[k] *= norm;
  return norm;
}

/**
 * One user's ratings (`items`: rating indices of user u): the gradient of L_u. With `grads`, adds it there at fixed
 * parameters. Without, takes plain SGD steps of size `lr`: b_u, b_i, b_t, p_u and q_i after each rating (the implicit
 * sum held fixed for the user), and each y_j once after the user's ratings with the gradient they accumulated. Returns
 * the sum of squared errors (before each step).
 */
function userPass(
  p: SvdppParams,
  h: SvdppHyper,
  u: number,
  items: ArrayLike<number>,
  r: Pick<Ratings, "movie" | "rating">,
  sessions: Int32Array | null,
  lr: number,
  grads: SvdppGradients | null,
  s: Scratch,
): number {
  const d = p.dim;
  const { userBias: bu, movieBias: bi, userFactors: P, movieFactors: Q, implicitFactors: Y, sessionBias: bs } = p;
  const norm = implicitSum(p, u, s.sum);
  const z = s.sum; // the implicit part; p_u is added on the fly (it moves during SGD)
  const acc = s.acc;
  acc.fill(0);
  const pu = u * d;
  let sse = 0;
  for (let t = 0; t < items.length; t++) {
    const idx = items[t];
    const i = r.movie[idx];
    const qi = i * d;
    const sess = bs && sessions ? sessions[idx] : -1;
    let pred = p.mean + bu[u] + bi[i] + (sess >= 0 ? bs![sess] : 0);
    for (let k = 0; k < d; k++) pred += Q[qi + k] * (P[pu + k] + z[k]);
    const e = pred - r.rating[idx];
    sse += e * e;
    const gu = e + h.biasL2 * bu[u];
    const gi = e + h.biasL2 * bi[i];
    if (grads) {
      grads.userBias[u] += gu;
      grads.movieBias[i] += gi;
      if (sess >= 0) grads.sessionBias![sess] += e + h.sessionL2 * bs![sess];
      for (let k = 0; k < d; k++) {
        const q = Q[qi + k];
        const pk = P[pu + k];
        acc[k] += e * q;
        grads.userFactors[pu + k] += e * q + h.l2 * pk;
        grads.movieFactors[qi + k] += e * (pk + z[k]) + h.l2 * q;
      }
    } else {
      bu[u] -= lr * gu;
      bi[i] -= lr * gi;
      if (sess >= 0) bs![sess] -= lr * (e + h.sessionL2 * bs![sess]);
      for (let k = 0; k < d; k++) {
        const q = Q[qi + k];
        const pk = P[pu + k];
        acc[k] += e * q;
        P[pu + k] = pk - lr * (e * q + h.l2 * pk);
        Q[qi + k] = q - lr * (e * (pk + z[k]) + h.l2 * q);
      }
    }
  }
  // y_j for j ∈ N(u): ∂L_u/∂y_j = |N(u)|^(-1/2) Σ_i e_i q_i + λ_y y_j.
  const { offsets, movie } = p.implicit;
  const G = grads ? grads.implicitFactors : null;
  for (let a = offsets[u]; a < offsets[u + 1]; a++) {
    const at = movie[a] * d;
    for (let k = 0; k < d; k++) {
      const g = norm * acc[k] + h.implicitL2 * Y[at + k];
      if (G) G[at + k] += g;
      else Y[at + k] -= lr * g;
    }
  }
  return sse;
}

/** The rating indices of `indices` grouped by user (CSR over users, in the order given). */
function byUser(r: Pick<Ratings, "user">, numUsers: number, indices: Int32Array): { offsets: Int32Array; items: Int32Array } {
  const users = Int32Array.from(indices, (i) => r.user[i]);
  const g = groupUserColumn(users, numUsers);
  return { offsets: g.offsets, items: Int32Array.from(g.order, (k) => indices[k]) };
}

/** The implicit sets N(u) of the training ratings at `train`. */
export function svdppImplicitSets(ds: Pick<Dataset, "ratings" | "numUsers">, train: Int32Array): SvdppParams["implicit"] {
  const g = byUser(ds.ratings, ds.numUsers, train);
  return { offsets: g.offsets, movie: Int32Array.from(g.items, (i) => ds.ratings.movie[i]) };
}

/**
 * The loss Σ_u L_u over the ratings at `indices` (each user's L_u over that user's ratings among them, with λ_y once
 * for every user that has some) and its gradient, by the fast path at fixed parameters. `sessions` gives the session
 * id of every rating of the dataset (needed when the parameters have session biases).
 */
export function svdppLossAndGradients(
  p: SvdppParams,
  h: SvdppHyper,
  ratings: Pick<Ratings, "user" | "movie" | "rating">,
  sessions: Int32Array | null,
  indices: Int32Array,
): { loss: number; grads: SvdppGradients } {
  const grads: SvdppGradients = {
    userBias: new Float64Array(p.userBias.length),
    movieBias: new Float64Array(p.movieBias.length),
    userFactors: new Float64Array(p.userFactors.length),
    movieFactors: new Float64Array(p.movieFactors.length),
    implicitFactors: new Float64Array(p.implicitFactors.length),
    sessionBias: p.sessionBias ? new Float64Array(p.sessionBias.length) : null,
  };
  const s: Scratch = { sum: new Float64Array(p.dim), acc: new Float64Array(p.dim) };
  const groups = byUser(ratings, p.numUsers, indices);
  let loss = 0;
  for (let u = 0; u < p.numUsers; u++) {
    const items = groups.items.subarray(groups.offsets[u], groups.offsets[u + 1]);
    if (items.length === 0) continue;
    loss += 0.5 * userPass(p, h, u, items, ratings, sessions, 0, grads, s);
    const sq = (a: Float32Array, at: number, n: number): number => {
      let t = 0;
      for (let k = at; k < at + n; k++) t += a[k] * a[k];
      return t;
    };
    for (const idx of items) {
      const i = ratings.movie[idx];
      loss += 0.5 * h.biasL2 * (p.userBias[u] ** 2 + p.movieBias[i] ** 2);
      loss += 0.5 * h.l2 * (sq(p.userFactors, u * p.dim, p.dim) + sq(p.movieFactors, i * p.dim, p.dim));
      if (p.sessionBias && sessions) loss += 0.5 * h.sessionL2 * p.sessionBias[sessions[idx]] ** 2;
    }
    for (let a = p.implicit.offsets[u]; a < p.implicit.offsets[u + 1]; a++)
      loss += 0.5 * h.implicitL2 * sq(p.implicitFactors, p.implicit.movie[a] * p.dim, p.dim);
  }
  return { loss, grads };
}

/** Fills `out` (numUsers x dim) with z_u = p_u + |N(u)|^(-1/2) Σ y_j for every user. */
function userVectors(p: SvdppParams, out: Float32Array): Float32Array {
  const d = p.dim;
  const sum = new Float64Array(d);
  for (let u = 0; u < p.numUsers; u++) {
    implicitSum(p, u, sum);
    for (let k = 0; k < d; k++) out[u * d + k] = p.userFactors[u * d + k] + sum[k];
  }
  return out;
}

/** r̂ (unclipped) for user u and movie i with user vector z (numUsers x dim) and an extra bias (the session's). */
function predictOne(p: SvdppParams, z: Float32Array, u: number, i: number, extra: number): number {
  const d = p.dim;
  return p.mean + p.userBias[u] + p.movieBias[i] + extra + dotAt32(p.movieFactors, i * d, z, u * d, d);
}

/**
 * Fits SVD++ by SGD on the dataset's ratings at `train` (N(u) = the movies of u among them): each epoch visits users
 * in a seeded random order and each user's ratings in a seeded random order, with the implicit sum computed once per
 * user and the y's updated once per user ({@link userPass}). O(epochs · ratings · dim).
 */
export function fitSvdpp(ds: Dataset, train: Int32Array, options: SvdppOptions = {}): Svdpp {
  checkOptions(options);
  const o = {
    ...SVDPP_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as typeof SVDPP_DEFAULTS & SvdppOptions;
  const n = ds.ratings.length;
  checkIndices("train", train, n);
  if (o.validation) checkIndices("validation", o.validation, n);
  const r = ds.ratings;
  const d = o.dim;
  const hyper: SvdppHyper = { l2: o.l2, implicitL2: o.implicitL2, biasL2: o.biasL2, sessionL2: o.sessionL2 };
  const sess = o.sessionBias ? ratingSessions(ds, { bucketSeconds: o.sessionSeconds }) : null;
  let mean = 0;
  for (const i of train) mean += r.rating[i];
  mean = train.length ? mean / train.length : (ds.ratingScale.min + ds.ratingScale.max) / 2;

  const rng = new Rng(o.seed);
  const p: Mutable<SvdppParams> = {
    dim: d,
    numUsers: ds.numUsers,
    numMovies: ds.numMovies,
    mean,
    userBias: new Float32Array(ds.numUsers),
    movieBias: new Float32Array(ds.numMovies),
    userFactors: Float32Array.from({ length: ds.numUsers * d }, () => rng.normal() * o.initStd),
    movieFactors: Float32Array.from({ length: ds.numMovies * d }, () => rng.normal() * o.initStd),
    implicitFactors: new Float32Array(ds.numMovies * d),
    sessionBias: sess ? new Float32Array(sess.count) : null,
    implicit: svdppImplicitSets(ds, train),
  };
  // Users and movies without training ratings keep zero factors (their prediction is then μ + the other side's bias).
  const seenMovie = new Uint8Array(ds.numMovies);
  for (const i of train) seenMovie[r.movie[i]] = 1;
  for (let m = 0; m < ds.numMovies; m++) if (!seenMovie[m]) p.movieFactors.fill(0, m * d, (m + 1) * d);
  for (let u = 0; u < ds.numUsers; u++) if (p.implicit.offsets[u + 1] === p.implicit.offsets[u]) p.userFactors.fill(0, u * d, (u + 1) * d);

  const groups = byUser(r, ds.numUsers, train);
  const activeUsers = Int32Array.from({ length: ds.numUsers }, (_, u) => u).filter((u) => groups.offsets[u + 1] > groups.offsets[u]);
  const scratch: Scratch = { sum: new Float64Array(d), acc: new Float64Array(d) };
  const z = new Float32Array(ds.numUsers * d);
  const validation = o.validation?.length ? o.validation : null;
  const history: SvdppEpochLog[] = [];
  let best: { rmse: number; epoch: number; snapshot: Float32Array[] } | null = null;
  const tensors = (): Float32Array[] =>
    [p.userBias, p.movieBias, p.userFactors, p.movieFactors, p.implicitFactors, p.sessionBias].filter((a): a is Float32Array => a !== null);
  o.progress?.start({ title: `SVD++ (d ${d})`, epochs: o.epochs, batchesPerEpoch: 1 });
  let lr = o.learningRate;
  let epochsRun = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const t0 = Date.now();
    rng.shuffle(activeUsers);
    let sse = 0;
    for (const u of activeUsers) {
      const items = groups.items.subarray(groups.offsets[u], groups.offsets[u + 1]);
      rng.shuffle(items);
      sse += userPass(p, hyper, u, items, r, sess?.session ?? null, lr, null, scratch);
    }
    lr *= o.decay;
    epochsRun = epoch + 1;
    const loss = Math.sqrt(sse / Math.max(train.length, 1));
    if (!Number.isFinite(loss))
      throw new Error(`fitSvdpp: training diverged in epoch ${epoch + 1} (learningRate ${o.learningRate} too large?)`);
    const log: SvdppEpochLog = { epoch, loss, valLoss: null, metrics: {}, seconds: 0 };
    if (validation) {
      userVectors(p, z);
      let se = 0;
      let ae = 0;
      for (const idx of validation) {
        const t = sess && sess.session[idx] < p.sessionBias!.length ? p.sessionBias![sess.session[idx]] : 0;
        const e = clip(predictOne(p, z, r.user[idx], r.movie[idx], t), ds.ratingScale) - r.rating[idx];
        se += e * e;
        ae += Math.abs(e);
      }
      const rmse = Math.sqrt(se / validation.length);
      log.valLoss = rmse;
      log.metrics = { rmse, mae: ae / validation.length };
      if (!best || rmse < best.rmse) best = { rmse, epoch, snapshot: tensors().map((a) => a.slice()) };
    }
    log.seconds = (Date.now() - t0) / 1000;
    history.push(log);
    o.progress?.batch(epoch, 0, loss);
    o.progress?.epochEnd(log, history);
    if (best && epoch - best.epoch >= o.patience) break;
  }
  let note: string | undefined;
  if (best && best.epoch + 1 < epochsRun) {
    tensors().forEach((a, k) => a.set(best!.snapshot[k]));
    note = `kept epoch ${best.epoch + 1} (validation RMSE ${best.rmse.toFixed(4)})`;
  }
  o.progress?.end(history, note);
  return {
    ...p,
    hyper,
    sessionSeconds: o.sessionSeconds,
    sessions: sess?.session ?? null,
    ratings: { user: r.user, movie: r.movie },
    ratingScale: { ...ds.ratingScale },
    epochs: best ? best.epoch + 1 : epochsRun,
    history,
  };
}

function clip(x: number, scale: { readonly min: number; readonly max: number }): number {
  return x < scale.min ? scale.min : x > scale.max ? scale.max : x;
}

// ---------------------------------------------------------------------------------------------------------------
// The same formula in TF.js: for the gradient tape (and for anyone who wants the model as tensors)

/** The parameters as TF.js variables (the implicit sets and μ stay plain). Dispose them when done. */
export interface SvdppVariables {
  readonly userBias: tf.Variable;
  readonly movieBias: tf.Variable;
  readonly userFactors: tf.Variable;
  readonly movieFactors: tf.Variable;
  readonly implicitFactors: tf.Variable;
  readonly sessionBias: tf.Variable | null;
}

/** Copies the parameters into TF.js variables. */
export function svdppVariables(p: SvdppParams): SvdppVariables {
  const d = p.dim;
  return {
    userBias: tf.variable(tf.tensor1d(p.userBias), true, "svdpp_user_bias"),
    movieBias: tf.variable(tf.tensor1d(p.movieBias), true, "svdpp_movie_bias"),
    userFactors: tf.variable(tf.tensor2d(p.userFactors, [p.numUsers, d]), true, "svdpp_user_factors"),
    movieFactors: tf.variable(tf.tensor2d(p.movieFactors, [p.numMovies, d]), true, "svdpp_movie_factors"),
    implicitFactors: tf.variable(tf.tensor2d(p.implicitFactors, [p.numMovies, d]), true, "svdpp_implicit_factors"),
    sessionBias: p.sessionBias ? tf.variable(tf.tensor1d(p.sessionBias), true, "svdpp_session_bias") : null,
  };
}

/** A batch of (user, movie[, session]) rows for the TF.js formula; sessions only for parameters with session biases. */
export interface SvdppBatch {
  readonly user: Int32Array;
  readonly movie: Int32Array;
  readonly session?: Int32Array;
}

/**
 * z_u = p_u + |N(u)|^(-1/2) Σ_{j ∈ N(u)} y_j for the given users, as a [users.length, dim] tensor: a gather of y over
 * those users' implicit sets and a segment sum.
 */
export function svdppUserVectorsTf(v: SvdppVariables, implicit: SvdppParams["implicit"], users: Int32Array): tf.Tensor2D {
  return tf.tidy(() => {
    const rows: number[] = [];
    const seg: number[] = [];
    const norm = new Float32Array(users.length);
    users.forEach((u, b) => {
      const n = implicit.offsets[u + 1] - implicit.offsets[u];
      norm[b] = n ? 1 / Math.sqrt(n) : 0;
      for (let a = implicit.offsets[u]; a < implicit.offsets[u + 1]; a++) {
        rows.push(implicit.movie[a]);
        seg.push(b);
      }
    });
    const summed = tf.unsortedSegmentSum(
      tf.gather(v.implicitFactors, tf.tensor1d(rows, "int32")),
      tf.tensor1d(seg, "int32"),
      users.length,
    ) as tf.Tensor2D;
    return tf.gather(v.userFactors, tf.tensor1d(users, "int32")).add(summed.mul(tf.tensor2d(norm, [users.length, 1]))) as tf.Tensor2D;
  });
}

/** r̂ = μ + b_u + b_i (+ b_t) + q_iᵀ z_u for every row of the batch, as a [B] tensor (unclipped). */
export function svdppPredictTf(v: SvdppVariables, p: Pick<SvdppParams, "mean" | "implicit">, batch: SvdppBatch): tf.Tensor1D {
  return tf.tidy(() => {
    const distinct = Int32Array.from(new Set(batch.user));
    const position = new Map(Array.from(distinct, (u, k) => [u, k] as const));
    const z = tf.gather(
      svdppUserVectorsTf(v, p.implicit, distinct),
      tf.tensor1d(
        Int32Array.from(batch.user, (u) => position.get(u)!),
        "int32",
      ),
    );
    const users = tf.tensor1d(batch.user, "int32");
    const movies = tf.tensor1d(batch.movie, "int32");
    let s = tf
      .gather(v.movieFactors, movies)
      .mul(z)
      .sum(1)
      .add(tf.gather(v.userBias, users))
      .add(tf.gather(v.movieBias, movies))
      .add(p.mean);
    if (v.sessionBias) {
      if (!batch.session) throw new RangeError("svdppPredictTf: batch.session is needed for parameters with session biases");
      s = s.add(tf.gather(v.sessionBias, tf.tensor1d(batch.session, "int32")));
    }
    return s as tf.Tensor1D;
  });
}

/** The loss Σ_u L_u of the file's formula over a batch with ratings, as a scalar tensor (differentiable in `v`). */
export function svdppLossTf(
  v: SvdppVariables,
  p: Pick<SvdppParams, "mean" | "implicit">,
  h: SvdppHyper,
  batch: SvdppBatch & { readonly rating: Float32Array },
): tf.Scalar {
  return tf.tidy(() => {
    const users = tf.tensor1d(batch.user, "int32");
    const movies = tf.tensor1d(batch.movie, "int32");
    const e = svdppPredictTf(v, p, batch).sub(tf.tensor1d(batch.rating));
    const sq = (t: tf.Tensor): tf.Scalar => t.square().sum();
    let loss = sq(e).mul(0.5);
    loss = loss.add(
      sq(tf.gather(v.userBias, users))
        .add(sq(tf.gather(v.movieBias, movies)))
        .mul(0.5 * h.biasL2),
    );
    loss = loss.add(
      sq(tf.gather(v.userFactors, users))
        .add(sq(tf.gather(v.movieFactors, movies)))
        .mul(0.5 * h.l2),
    );
    if (v.sessionBias && batch.session)
      loss = loss.add(sq(tf.gather(v.sessionBias, tf.tensor1d(batch.session, "int32"))).mul(0.5 * h.sessionL2));
    const implicitRows: number[] = [];
    for (const u of new Set(batch.user))
      for (let a = p.implicit.offsets[u]; a < p.implicit.offsets[u + 1]; a++) implicitRows.push(p.implicit.movie[a]);
    if (implicitRows.length) loss = loss.add(sq(tf.gather(v.implicitFactors, tf.tensor1d(implicitRows, "int32"))).mul(0.5 * h.implicitL2));
    return loss as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring

/**
 * The SVD++ scorer: ranking by r̂ without the session bias, ratings r̂ clipped to the rating scale, and held-out
 * ratings of the dataset in their session (`predictRatingsAt`) when the model has session biases.
 */
export function svdppScorer(model: Svdpp, name = "SVD++"): MovieScorer {
  const z = userVectors(model, new Float32Array(model.numUsers * model.dim));
  const check = pairChecker(name, model.numUsers, model.numMovies);
  const scorer: MovieScorer = {
    name,
    scoreMovies: (user, movies) => {
      const out = new Float32Array(movies.length);
      for (let k = 0; k < movies.length; k++) {
        check(user, movies[k]);
        out[k] = predictOne(model, z, user, movies[k], 0);
      }
      return out;
    },
    predictRatings: (users, movies) =>
      scoreEach(users, (u, k) => {
        check(u, movies[k]);
        return clip(predictOne(model, z, u, movies[k], 0), model.ratingScale);
      }),
  };
  const { sessionBias: bs, sessions } = model;
  if (bs && sessions) {
    scorer.predictRatingsAt = (idx) =>
      scoreEach(idx, (i) => {
        if (!(i >= 0 && i < sessions.length)) throw new RangeError(`${name}: rating index ${i} out of range 0..${sessions.length - 1}`);
        const u = model.ratings.user[i];
        const m = model.ratings.movie[i];
        check(u, m);
        const t = sessions[i] < bs.length ? bs[sessions[i]] : 0;
        return clip(predictOne(model, z, u, m, t), model.ratingScale);
      });
  }
  return scorer;
}
