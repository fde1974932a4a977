// Recipes: the lab's models with their tested hyperparameters (the registry, src/experiments/registry.ts, names them by id), each trained on a split and returned as a scorer (used by the facade, notebooks and the quality bench).
import { ratingSessions } from "../data/sessions";
import { ratingSummary } from "../data/stats";
import { Dataset } from "../data/types";
import { RecModel } from "../models/base";
import { denseClassModel } from "../models/dense-classes";
import { movieGenreModel } from "../models/movie-genre";
import { MovieInit, averageUserMovieModels, dotScorer, dotWeights, userMovieModel } from "../models/user-movie";
import { biasScorer, globalMeanScorer, popularityScorer } from "../models/baselines";
import { expectedRating, netScorer } from "../models/dense-classes";
import type { MovieScorer } from "../models/scorer";
import { EarlyStopping, History, OptimizerName, fit } from "../training/fit";
import { Task } from "../training/task";
import { ProgressMode, ProgressSink } from "../util/progress";
import { implicitTask } from "../training/tasks/implicit";
import { MovieGenreTask, movieGenreTask } from "../training/tasks/movie-genre";
import { ratingClassTask } from "../training/tasks/rating-classes";
import { RatingTarget, RatingTransform } from "../data/targets";
import { ratingTask } from "../training/tasks/ratings";
import { Matrix } from "../util/matrix";
import { Rng } from "../util/random";

/** A trained model (or a non-learned baseline) ready for evaluation and recommendation. */
export interface Trained {
  /** The registry id of the model (src/experiments/registry.ts): what tables and benchmarks key on. */
  id: string;
  /** Display label. */
  name: string;
  scorer: MovieScorer;
  /** The TF.js model (null for non-learned baselines). Dispose it when done. */
  model: RecModel | null;
  history: History | null;
  /** How ratings map to the model's targets (rating models). */
  transform: RatingTransform | null;
  seconds: number;
}

/** Training options shared by every recipe; anything left out takes the recipe's tested default. */
export interface RecipeOptions {
  seed?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  optimizer?: OptimizerName;
  dim?: number;
  l2?: number;
  /** Ratings used to monitor training (and early-stop, when `earlyStopping` is given); never the test set. */
  validation?: Int32Array;
  earlyStopping?: EarlyStopping;
  progress?: ProgressMode | ProgressSink;
  updates?: "auto" | "sparse" | "dense" | "tfjs";
}

/** Splits training indices into a smaller training set and a seeded validation set (for early stopping). */
export function validationSplit(train: Int32Array, fraction: number, seed: number): { train: Int32Array; validation: Int32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validation fraction must be in (0, 1), got ${fraction}`);
  const perm = new Rng(seed).permutation(train.length);
  const n = Math.round(train.length * fraction);
  const validation = new Int32Array(n);
  const rest = new Int32Array(train.length - n);
  for (let k = 0; k < perm.length; k++) (k < n ? validation : rest)[k < n ? k : k - n] = train[perm[k]];
  return { train: rest, validation };
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = Date.now();
  const value = await f();
  return { value, seconds: (Date.now() - t0) / 1000 };
}

/** Trains with the recipe's defaults under the caller's overrides; returns the history and the wall time. */
async function fitRecipe(
  model: RecModel,
  task: Task,
  o: RecipeOptions,
  defaults: { epochs: number; batchSize: number; learningRate: number },
  title: string,
): Promise<{ value: History; seconds: number }> {
  return timed(() =>
    fit(model, task, {
      epochs: o.epochs ?? defaults.epochs,
      batchSize: o.batchSize ?? defaults.batchSize,
      learningRate: o.learningRate ?? defaults.learningRate,
      optimizer: o.optimizer,
      seed: o.seed ?? 42,
      earlyStopping: o.earlyStopping,
      progress: o.progress,
      updates: o.updates,
      title,
    }),
  );
}

/** Stage 1 defaults. */
export const STAGE1_DEFAULTS = { dim: 32, epochs: 8, batchSize: 128, learningRate: 0.01, l2: 1e-3, negativeRatio: 4 };

/** Trains stage 1 (movie–genre) and returns the model, its task and history. */
export async function trainStage1(
  ds: Dataset,
  o: RecipeOptions & { negativeRatio?: number; validationFraction?: number } = {},
): Promise<{ model: RecModel; task: MovieGenreTask; history: History; seconds: number }> {
  const seed = o.seed ?? 42;
  const d = STAGE1_DEFAULTS;
  const model = movieGenreModel({
    numMovies: ds.numMovies,
    numGenres: ds.movies.genreVocabulary.length,
    dim: o.dim ?? d.dim,
    seed,
    l2: o.l2 ?? d.l2,
  });
  const task = movieGenreTask(ds.movies, {
    seed,
    negativeRatio: o.negativeRatio ?? d.negativeRatio,
    validationFraction: o.validationFraction ?? 0.1,
  });
  const { value: history, seconds } = await fitRecipe(model, task, { ...o, seed }, d, "stage 1: movie–genre");
  return { model, task, history, seconds };
}

/**
 * Stage 2 defaults for explicit ratings (MSE), chosen on ml-100k u1/u2 with early stopping on a validation carve-out
 * (never the test folds): dim 32, Adam 3e-3, batch 256, L2 0.1 on embedding rows and 0.01 on biases.
 */
export const STAGE2_DEFAULTS = { dim: 32, epochs: 20, batchSize: 256, learningRate: 0.003, l2: 0.1, biasL2: 0.01, sessionL2: 0.05 };

/** Options for {@link trainStage2}. */
export interface Stage2Options extends RecipeOptions {
  /** Stage 1's movie embeddings (dim must match), or null for the random-initialisation ablation. */
  stage1?: Matrix | null;
  movieInit?: MovieInit;
  /** "mse" on ratings, "bce" on min-max ratings (sigmoid head), or an implicit top-N objective. */
  loss?: "mse" | "bce" | "bpr" | "sampled";
  /** Implicit only: ratings at or above count as positives (null: all). */
  threshold?: number | null;
  /** L2 on the biases (explicit models; default 0.01). */
  biasL2?: number;
  /**
   * Explicit models: add a bias per rating session (a user's ratings on one day; data's `ratingSessions`), learned from
   * the training ratings. Predictions for a session without training ratings, and all ranking, are unchanged by it.
   */
  sessionBias?: boolean;
  /** L2 on the session biases (default 0.05). */
  sessionL2?: number;
  /** Session length for `sessionBias`: ratings by one user in the same bucket of this many seconds (default a UTC day). */
  sessionSeconds?: number;
  /**
   * After early stopping on `validation`, train a fresh model on train + validation for the best epoch count (the
   * validation ratings then count as training data; the test set is never used).
   */
  refit?: boolean;
}

/** Trains stage 2 (user–movie) on `train`, initialised from stage 1 when given; with `refit`, retrains on train + validation. */
export async function trainStage2(ds: Dataset, train: Int32Array, o: Stage2Options = {}): Promise<Trained> {
  const first = await trainStage2Once(ds, train, o);
  if (!o.refit) return first;
  if (!o.validation?.length || !o.earlyStopping)
    throw new Error("trainStage2: refit needs validation ratings and earlyStopping to choose the epoch count");
  const epochs = first.history!.bestEpoch + 1;
  first.model?.dispose();
  const all = new Int32Array(train.length + o.validation.length);
  all.set(train);
  all.set(o.validation, train.length);
  const again = await trainStage2Once(ds, all, { ...o, validation: undefined, earlyStopping: undefined, epochs });
  return { ...again, name: `${again.name}, refit for ${epochs} epochs`, seconds: first.seconds + again.seconds };
}

/**
 * K stage-2 models, each with its own seed (seed, seed+1, ...) and its own stage-1 embeddings, averaged into one model
 * of dimension K·d by {@link averageUserMovieModels} (explicit losses with a linear head). Averaging seeds cancels part
 * of each model's variance; the result is still one user–movie model.
 */
export async function trainStage2Averaged(ds: Dataset, train: Int32Array, stage1: Matrix[], o: Stage2Options = {}): Promise<Trained> {
  if (stage1.length === 0) throw new RangeError("trainStage2Averaged: give one stage-1 embedding matrix per member");
  const seed = o.seed ?? 42;
  const members: Trained[] = [];
  try {
    for (const [k, s1] of stage1.entries()) members.push(await trainStage2(ds, train, { ...o, seed: seed + k, stage1: s1 }));
    const model = averageUserMovieModels(members.map((m) => m.model!));
    const transform = members[0].transform;
    return {
      id: "stage2-averaged",
      name: `${members[0].name}, mean of ${members.length} seeds`,
      scorer: stage2Scorer(ds, model, transform),
      model,
      history: members[0].history,
      transform,
      seconds: members.reduce((s, m) => s + m.seconds, 0),
    };
  } finally {
    for (const m of members) m.model?.dispose();
  }
}

async function trainStage2Once(ds: Dataset, train: Int32Array, o: Stage2Options): Promise<Trained> {
  const seed = o.seed ?? 42;
  const d = STAGE2_DEFAULTS;
  const dim = o.dim ?? o.stage1?.cols ?? d.dim;
  const loss = o.loss ?? "mse";
  const implicit = loss === "bpr" || loss === "sampled";
  const init: MovieInit = o.stage1 ? (o.movieInit ?? "finetune") : "random";
  const mean = train.length ? ratingSummary(ds, train).globalMean : 0;
  if (o.sessionBias && implicit) throw new Error(`trainStage2: sessionBias applies to explicit losses (mse, bce), not "${loss}"`);
  const sessions = o.sessionBias ? ratingSessions(ds, { bucketSeconds: o.sessionSeconds }) : null;
  const model = userMovieModel({
    numUsers: ds.numUsers,
    numMovies: ds.numMovies,
    dim,
    seed,
    output: loss === "bce" ? "sigmoid" : "linear",
    offset: implicit || loss === "bce" ? 0 : mean,
    l2: o.l2 ?? (implicit ? 1e-4 : d.l2),
    biasL2: implicit ? undefined : (o.biasL2 ?? d.biasL2),
    movieEmbeddings: o.stage1 ?? undefined,
    movieInit: init,
    ...(sessions ? { numSessions: sessions.count, sessionL2: o.sessionL2 ?? d.sessionL2, sessionSeconds: sessions.bucketSeconds } : {}),
  });
  const task = implicit
    ? implicitTask(ds, { train, validation: o.validation, loss, threshold: o.threshold, seed })
    : ratingTask(ds, { train, validation: o.validation, loss: loss as "mse" | "bce", sessions: sessions?.session });
  const { value: history, seconds } = await fitRecipe(model, task, { ...o, seed }, d, `stage 2 (${loss}, ${init})`);
  const transform = "transform" in task ? (task as { transform: RatingTransform }).transform : null;
  return {
    id: implicit ? "stage2-implicit" : "stage2",
    name: `stage 2 ${implicit ? "implicit" : "explicit"} (${init})`,
    scorer: stage2Scorer(ds, model, transform),
    model,
    history,
    transform,
    seconds,
  };
}

/** The scorer of a stage-2 model; a model with session biases predicts held-out ratings in their session. */
export function stage2Scorer(ds: Dataset, model: RecModel, transform: RatingTransform | null): MovieScorer {
  const context = model.inputNames.includes("session")
    ? { ratings: ds.ratings, sessions: ratingSessions(ds, { bucketSeconds: Number(model.spec.options.sessionSeconds) }).session }
    : undefined;
  return dotScorer("stage 2", dotWeights(model), transform ?? undefined, context);
}

async function dotRecipe(
  ds: Dataset,
  train: Int32Array,
  id: string,
  name: string,
  o: RecipeOptions,
  cfg: {
    dim: number;
    biases: "both" | "user" | "none";
    output: "linear" | "sigmoid";
    loss: "mse" | "bce";
    target: RatingTarget;
    offset: number;
    l2: number;
    epochs: number;
    batchSize: number;
    learningRate: number;
    initStddev?: number;
  },
): Promise<Trained> {
  const seed = o.seed ?? 42;
  const model = userMovieModel({
    numUsers: ds.numUsers,
    numMovies: ds.numMovies,
    dim: o.dim ?? cfg.dim,
    seed,
    output: cfg.output,
    biases: cfg.biases,
    offset: cfg.offset,
    l2: o.l2 ?? cfg.l2,
    initStddev: cfg.initStddev,
  });
  const task = ratingTask(ds, { train, validation: o.validation, loss: cfg.loss, target: cfg.target });
  const { value: history, seconds } = await fitRecipe(model, task, { ...o, seed }, cfg, name);
  return { id, name, scorer: dotScorer(name, dotWeights(model), task.transform), model, history, transform: task.transform, seconds };
}

/**
 * Dot product with biases under BCE on min-max scaled ratings, as in the Keras collaborative-filtering example
 * ("RecommenderNet"): 50-d user and movie embeddings with biases, sigmoid, L2 1e-6, Adam 1e-3, batch 64, 5 epochs.
 */
export function trainDotBiasBce(ds: Dataset, train: Int32Array, o: RecipeOptions = {}): Promise<Trained> {
  return dotRecipe(ds, train, "dot-bias-bce", "Keras example: dot + biases, BCE on scaled ratings", o, {
    dim: 50,
    biases: "both",
    output: "sigmoid",
    loss: "bce",
    target: "minmax",
    offset: 0,
    l2: 1e-6,
    epochs: 5,
    batchSize: 64,
    learningRate: 1e-3,
  });
}

/**
 * Matrix factorisation with mean normalisation: per-movie mean-normalised ratings, a user bias and L2, trained
 * full-batch (one gradient step per epoch over all training ratings, as the tutorial's GradientTape loop does) with
 * Adam 0.1.
 */
export function trainMfMeanNorm(ds: Dataset, train: Int32Array, o: RecipeOptions = {}): Promise<Trained> {
  return dotRecipe(ds, train, "mf-mean-norm", "MF with mean normalisation", o, {
    dim: 10,
    biases: "user",
    output: "linear",
    loss: "mse",
    target: "movie-mean",
    offset: 0,
    l2: 0.1,
    epochs: 200,
    batchSize: train.length,
    learningRate: 0.1,
    initStddev: 0.1,
  });
}

/**
 * A 64-d dot product under MSE with Adam 1e-3 (no biases), batch 256. It trains with dense Adam updates by default,
 * as Keras does: with lazy (sparse) Adam this bias-free model converges much more slowly at 1e-3.
 */
export function trainDotMse64(ds: Dataset, train: Int32Array, o: RecipeOptions = {}): Promise<Trained> {
  return dotRecipe(
    ds,
    train,
    "dot64-mse",
    "64-d dot product, MSE",
    { updates: "dense", ...o },
    {
      dim: 64,
      biases: "none",
      output: "linear",
      loss: "mse",
      target: "raw",
      offset: 0,
      l2: 0,
      epochs: 10,
      batchSize: 256,
      learningRate: 1e-3,
      initStddev: 0.3,
    },
  );
}

/** A dense rating classifier: embeddings into dense ReLU layers and a softmax over rating classes (expected rating for RMSE). */
export async function trainDenseRatingClassifier(ds: Dataset, train: Int32Array, o: RecipeOptions = {}): Promise<Trained> {
  const seed = o.seed ?? 42;
  const task = ratingClassTask(ds, { train, validation: o.validation });
  const model = denseClassModel({
    numUsers: ds.numUsers,
    numMovies: ds.numMovies,
    numClasses: task.classes.length,
    dim: o.dim ?? 32,
    seed,
    dropout: 0.2,
  });
  const name = "dense rating classifier";
  const { value: history, seconds } = await fitRecipe(model, task, { ...o, seed }, { epochs: 5, batchSize: 256, learningRate: 1e-3 }, name);
  const toRating = expectedRating(task.classes);
  return {
    id: "dense-rating-classifier",
    name,
    scorer: netScorer(name, model, (out, width) => toRating(out, width), { ratings: true }),
    model,
    history,
    transform: null,
    seconds,
  };
}
