// Scorers turn a trained model (or a non-learned baseline) into rating predictions and ranking scores that evaluation and recommendation share.
import { tf } from "../backend";
import { ratingSummary } from "../data/stats";
import { Dataset, Ratings } from "../data/types";
import { RecModel } from "../models/base";
import { RatingTransform } from "../data/targets";
import { Matrix } from "../util/matrix";

/** Anything that can rank movies for a user, and maybe predict ratings. */
export interface MovieScorer {
  readonly name: string;
  /** Ranking scores of candidate movies for one user; higher is better. */
  scoreMovies(user: number, movies: Int32Array): Float32Array;
  /** Predicted ratings in rating units for (user, movie) pairs; absent for ranking-only scorers. */
  predictRatings?(users: Int32Array, movies: Int32Array): Float32Array;
  /**
   * Predicted ratings for the dataset's own ratings at these indices, using what the model knows of each rating beyond
   * its user and movie (stage 2's session bias). Absent when a scorer has no such context; evaluation then falls back
   * to `predictRatings`.
   */
  predictRatingsAt?(ratingIndices: Int32Array): Float32Array;
}

/** The weights of a user–movie dot-product model, in plain arrays. */
export interface DotWeights {
  users: Matrix;
  movies: Matrix;
  userBias: Float32Array | null;
  movieBias: Float32Array | null;
  /** One bias per rating session (models with a "session" input), else null. */
  sessionBias: Float32Array | null;
  offset: number;
  activation: "linear" | "sigmoid";
}

/** Reads a user–movie model's weights out of TensorFlow (one copy; fast JS scoring afterwards). */
export function dotWeights(model: RecModel): DotWeights {
  if (model.kind !== "user-movie") throw new Error(`dotWeights needs a user-movie model, got ${model.kind}`);
  return {
    users: model.weight("user_embedding"),
    movies: model.weight("movie_embedding"),
    userBias: model.hasLayer("user_bias") ? model.weight("user_bias").data : null,
    movieBias: model.hasLayer("movie_bias") ? model.weight("movie_bias").data : null,
    sessionBias: model.hasLayer("session_bias") ? model.weight("session_bias").data : null,
    offset: Number(model.spec.options.offset ?? 0),
    activation: model.spec.options.output === "sigmoid" ? "sigmoid" : "linear",
  };
}

/** The pre-activation score of one (user vector, movie) pair. */
export function rawScore(w: DotWeights, userVec: ArrayLike<number>, userBias: number, movie: number): number {
  const d = w.movies.cols;
  const o = movie * d;
  let s = userBias + w.offset + (w.movieBias ? w.movieBias[movie] : 0);
  for (let j = 0; j < d; j++) s += userVec[j] * w.movies.data[o + j];
  return s;
}

function activate(w: DotWeights, s: number): number {
  return w.activation === "sigmoid" ? 1 / (1 + Math.exp(-s)) : s;
}

/**
 * A scorer over a dot-product model's weights. Ranking uses the raw score (the head is monotonic); rating predictions
 * go through the head and the task's transform back to rating units.
 */
export function dotScorer(name: string, w: DotWeights, transform?: RatingTransform, context?: SessionContext): MovieScorer {
  const d = w.users.cols;
  const userVec = (u: number): Float32Array => {
    if (u < 0 || u >= w.users.rows) throw new RangeError(`user index ${u} out of range 0..${w.users.rows - 1}`);
    return w.users.data.subarray(u * d, (u + 1) * d);
  };
  const scoreMovies = (user: number, movies: Int32Array): Float32Array => {
    const uv = userVec(user);
    const ub = w.userBias ? w.userBias[user] : 0;
    return Float32Array.from(movies, (m) => rawScore(w, uv, ub, m));
  };
  if (!transform) return { name, scoreMovies };
  const predictRatings = (users: Int32Array, movies: Int32Array): Float32Array =>
    Float32Array.from(users, (u, k) =>
      transform.toRating(activate(w, rawScore(w, userVec(u), w.userBias ? w.userBias[u] : 0, movies[k])), movies[k]),
    );
  // With per-movie offsets (movie-mean targets) the raw score is a residual: rank by the predicted rating instead.
  const rank =
    transform.kind === "movie-mean"
      ? (u: number, movies: Int32Array) => predictRatings(new Int32Array(movies.length).fill(u), movies)
      : scoreMovies;
  const scorer: MovieScorer = { name, scoreMovies: rank, predictRatings };
  const sb = w.sessionBias;
  if (!sb || !context) return scorer;
  if (context.sessions.length !== context.ratings.user.length) {
    throw new RangeError(`dotScorer: ${context.sessions.length} session ids for ${context.ratings.user.length} ratings`);
  }
  const { ratings: r, sessions } = context;
  scorer.predictRatingsAt = (idx) =>
    Float32Array.from(idx, (i) => {
      const u = r.user[i];
      const m = r.movie[i];
      const s = sessions[i];
      const b = s < sb.length ? sb[s] : 0;
      return transform.toRating(activate(w, rawScore(w, userVec(u), (w.userBias ? w.userBias[u] : 0) + b, m)), m);
    });
  return scorer;
}

/**
 * Predicted and actual ratings for the dataset's ratings at `indices` (e.g. a split's test set), in rating units. Uses
 * the scorer's rating context when it has one (stage 2's session biases), else its plain (user, movie) prediction.
 */
export function predictHeldOut(ds: Dataset, scorer: MovieScorer, indices: Int32Array): { predicted: Float32Array; actual: Float32Array } {
  if (!scorer.predictRatings) throw new Error(`${scorer.name} ranks movies but does not predict ratings`);
  const predicted = scorer.predictRatingsAt
    ? scorer.predictRatingsAt(indices)
    : scorer.predictRatings(
        Int32Array.from(indices, (i) => ds.ratings.user[i]),
        Int32Array.from(indices, (i) => ds.ratings.movie[i]),
      );
  return { predicted, actual: Float32Array.from(indices, (i) => ds.ratings.rating[i]) };
}

/** What a session-aware scorer needs to place a dataset rating in its session: the rating columns and their session ids. */
export interface SessionContext {
  ratings: Pick<Ratings, "user" | "movie">;
  /** Session id per rating (data's `ratingSessions(ds).session`). */
  sessions: Int32Array;
}

/** A scorer for any model through `net.predict`, in batches; `toScore` maps the output rows to one number each. */
export function netScorer(
  name: string,
  model: RecModel,
  toScore: (output: Float32Array, width: number, movies: Int32Array) => Float32Array,
  options: { ratings?: boolean; batchSize?: number } = {},
): MovieScorer {
  const bs = options.batchSize ?? 16384;
  const run = (users: Int32Array, movies: Int32Array): Float32Array => {
    const out = new Float32Array(users.length);
    for (let from = 0; from < users.length; from += bs) {
      const to = Math.min(users.length, from + bs);
      const u = users.subarray(from, to);
      const m = movies.subarray(from, to);
      const res = tf.tidy(() => {
        const y = model.net.predict([tf.tensor2d(u, [u.length, 1], "int32"), tf.tensor2d(m, [m.length, 1], "int32")]) as tf.Tensor;
        return y.reshape([u.length, -1]);
      });
      const width = res.shape[1] as number;
      out.set(toScore(res.dataSync() as Float32Array, width, m), from);
      res.dispose();
    }
    return out;
  };
  const scorer: MovieScorer = {
    name,
    scoreMovies: (user, movies) => run(new Int32Array(movies.length).fill(user), movies),
  };
  return options.ratings ? { ...scorer, predictRatings: run } : scorer;
}

/** Expected rating from class probabilities: sum_c p_c * value_c. */
export function expectedRating(classValues: number[]): (out: Float32Array, width: number) => Float32Array {
  return (out, width) => {
    const n = out.length / width;
    const r = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < width; c++) s += out[i * width + c] * classValues[c];
      r[i] = s;
    }
    return r;
  };
}

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

/**
 * Non-learned baseline: `mu + b_u + b_i` with damped means (Koren's baseline predictor), fitted by a few alternating
 * passes: b_i = sum(r - mu - b_u) / (n_i + reg), b_u = sum(r - mu - b_i) / (n_u + reg).
 */
export function biasScorer(ds: Dataset, train: Int32Array, options: { reg?: number; iterations?: number } = {}): MovieScorer {
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
  const { min, max } = ds.ratingScale;
  const clip = (x: number): number => (x < min ? min : x > max ? max : x);
  return {
    name: "user + movie bias",
    scoreMovies: (user, movies) => Float32Array.from(movies, (m) => mean + bu[user] + bi[m]),
    predictRatings: (users, movies) => Float32Array.from(users, (u, k) => clip(mean + bu[u] + bi[movies[k]])),
  };
}

/** Non-learned top-N baseline: movies ranked by their number of training ratings (the same for every user). */
export function popularityScorer(ds: Dataset, train: Int32Array): MovieScorer {
  const count = ratingSummary(ds, train).movieCount;
  return {
    name: "popularity",
    scoreMovies: (_u, movies) => Float32Array.from(movies, (m) => count[m]),
  };
}
