// The non-learned models: global mean, user + movie bias (damped means), and popularity, each fitted on the training ratings and used as a scorer.
import { ratingSummary } from "../data/stats";
import { Dataset } from "../data/types";
import { scoreEach, type MovieScorer } from "./scorer";

/** The mean training rating (the middle of the scale when `train` is empty). */
function trainStats(ds: Dataset, train: Int32Array): { mean: number } {
  return { mean: train.length ? ratingSummary(ds, train).globalMean : (ds.ratingScale.min + ds.ratingScale.max) / 2 };
}

/** Non-learned baseline: every prediction is the global training mean (ranking is arbitrary: all scores equal). */
export function globalMeanScorer(ds: Dataset, train: Int32Array): MovieScorer {
  const { mean } = trainStats(ds, train);
  return {
    name: "global mean",
    scoreMovies: (_u, movies) => new Float32Array(movies.length).fill(mean),
    predictRatings: (users) => new Float32Array(users.length).fill(mean),
  };
}

/** Koren's baseline predictor `mu + b_u + b_i`, fitted on training ratings. */
export interface BaselineBiases {
  readonly mean: number;
  readonly userBias: Float64Array;
  readonly movieBias: Float64Array;
}

/**
 * Fits `mu + b_u + b_i` with damped means by a few alternating passes: b_i = sum(r - mu - b_u) / (n_i + reg),
 * b_u = sum(r - mu - b_i) / (n_u + reg). Shared by the bias baseline and item-kNN's baseline-adjusted predictions.
 */
export function fitBaselineBiases(ds: Dataset, train: Int32Array, options: { reg?: number; iterations?: number } = {}): BaselineBiases {
  const reg = options.reg ?? 10;
  const { mean } = trainStats(ds, train);
  const bu = new Float64Array(ds.numUsers);
  const bi = new Float64Array(ds.numMovies);
  const r = ds.ratings;
  for (let it = 0; it < (options.iterations ?? 5); it++) {
    const si = new Float64Array(ds.numMovies);
    const ni = new Float64Array(ds.numMovies);
    for (const k of train) {
      si[r.movie[k]] += r.rating[k] - mean - bu[r.user[k]];
      ni[r.movie[k]] += 1;
    }
    for (let m = 0; m < ds.numMovies; m++) bi[m] = si[m] / (ni[m] + reg);
    const su = new Float64Array(ds.numUsers);
    const nu = new Float64Array(ds.numUsers);
    for (const k of train) {
      su[r.user[k]] += r.rating[k] - mean - bi[r.movie[k]];
      nu[r.user[k]] += 1;
    }
    for (let u = 0; u < ds.numUsers; u++) bu[u] = su[u] / (nu[u] + reg);
  }
  return { mean, userBias: bu, movieBias: bi };
}

/** Non-learned baseline: `mu + b_u + b_i` with damped means (Koren's baseline predictor; see {@link fitBaselineBiases}). */
export function biasScorer(ds: Dataset, train: Int32Array, options: { reg?: number; iterations?: number } = {}): MovieScorer {
  const { mean, userBias: bu, movieBias: bi } = fitBaselineBiases(ds, train, options);
  const { min, max } = ds.ratingScale;
  const clip = (x: number): number => (x < min ? min : x > max ? max : x);
  return {
    name: "user + movie bias",
    scoreMovies: (user, movies) => scoreEach(movies, (m) => mean + bu[user] + bi[m]),
    predictRatings: (users, movies) => scoreEach(users, (u, k) => clip(mean + bu[u] + bi[movies[k]])),
  };
}

/** Non-learned top-N baseline: movies ranked by their number of training ratings (the same for every user). */
export function popularityScorer(ds: Dataset, train: Int32Array): MovieScorer {
  const count = ratingSummary(ds, train).movieCount;
  return {
    name: "popularity",
    scoreMovies: (_u, movies) => scoreEach(movies, (m) => count[m]),
  };
}
