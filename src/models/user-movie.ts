// Stage 2 and the reference dot-product models: user and movie embeddings, optional biases and global mean, one score head.
import { tf } from "../backend";
import type { RatingTransform } from "../data/targets";
import { dotAt32 } from "../util/linalg";
import { Matrix } from "../util/matrix";
import { RecModel, EmbeddingTableOptions, ManualHead, assemble, layerCache } from "./base";
import { HeadActivation, ScoreHead } from "./layers";
import { scoreEach, type MovieScorer, type SessionContext } from "./scorer";

/**
 * How stage 2 uses stage 1's movie embeddings: start from them and fine-tune; keep them frozen; start from them and
 * let L2 pull towards them instead of towards zero ("anchored": movies with few ratings stay near their genre-based
 * vector); or ignore them (the random-initialisation ablation).
 */
export type MovieInit = "finetune" | "frozen" | "anchored" | "random";

/** Which bias terms the model has. */
export type BiasTerms = "both" | "user" | "none";

/** Options for {@link userMovieModel}. */
export interface UserMovieModelOptions {
  numUsers: number;
  numMovies: number;
  dim: number;
  seed: number;
  /** "linear" predicts ratings (MSE) or logits (implicit); "sigmoid" predicts min-max normalised ratings (BCE). */
  output?: HeadActivation;
  biases?: BiasTerms;
  /** Constant added to every score (e.g. the global mean rating; 0 for normalised targets). */
  offset?: number;
  /** L2 weight on the embedding rows a batch touches (and on the biases unless `biasL2` is given). */
  l2?: number;
  /** L2 weight on the user and movie biases (default: `l2`). */
  biasL2?: number;
  /** Stage 1's movie embeddings (numMovies x dim); with `movieInit` "finetune" or "frozen" they initialise the table. */
  movieEmbeddings?: Matrix;
  /** "random" ignores `movieEmbeddings` (the ablation). Default "finetune" when embeddings are given. */
  movieInit?: MovieInit;
  initStddev?: number;
  /**
   * Number of rating sessions (see data's `ratingSessions`): when given, the model takes a third input "session" and
   * learns one bias per session (a user's mood on one day, timeSVD's b_{u,t}), L2-regularised by `sessionL2`.
   */
  numSessions?: number;
  /** L2 weight on the session biases (default 0.05). */
  sessionL2?: number;
  /** The session bucket length the session ids were made with (data's `ratingSessions`), kept so they can be rebuilt. */
  sessionSeconds?: number;
  /** Set by {@link averageUserMovieModels}: how many models this one averages (informational). */
  members?: number;
}

/**
 * Row-wise dot product of two [B, d] tensors as [B, 1], with the closed-form gradient (dy·m, dy·u): one tape node
 * instead of a product and a sum whose gradient re-broadcasts through several kernels on every training step.
 */
const rowDot = tf.customGrad((u, m, save) => {
  (save as tf.GradSaveFunc)([u as tf.Tensor, m as tf.Tensor]);
  return {
    value: (u as tf.Tensor).mul(m as tf.Tensor).sum(1, true),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], [us, ms]: tf.Tensor[]) => [ms.mul(dy as tf.Tensor), us.mul(dy as tf.Tensor)],
  };
}) as (u: tf.Tensor, m: tf.Tensor) => tf.Tensor;

/**
 * The dot-product head with its forward and backward pass written out in JS, for training without the gradient tape.
 * Its input is the looked-up rows side by side, x = [u | m | biases] ([B, 2d + biases]), still the JS array the lookup
 * wrote (reading it is free); the score is u·m plus the biases plus `offset`, through the activation. The score's
 * gradient with respect to a row is [m | u | 1…], so backward scales the row's own values by the output gradient.
 * Neither pass runs a kernel: at batch 1024 and d 64 the forward's eight kernels (upload, slices, product, sums) took
 * 0.66 ms against 0.1 ms for this loop, and at a full batch of 90,000 ratings 30 ms against 8 ms. Sums run in double
 * precision, so the score agrees with the network's float32 kernels to rounding.
 */
function dotManualHead(d: number, offset: number, activation: HeadActivation): ManualHead {
  return {
    forward(x) {
      const [B, W] = x.shape;
      if (W < 2 * d) throw new RangeError(`user-movie manual head: rows are ${W} wide, expected at least ${2 * d}`);
      const xv = x.dataSync() as Float32Array;
      const out = new Float32Array(B);
      for (let r = 0, at = 0; r < B; r++, at += W) {
        let s = offset + dotAt32(xv, at, xv, at + d, d);
        for (let j = 2 * d; j < W; j++) s += xv[at + j];
        out[r] = activation === "sigmoid" ? 1 / (1 + Math.exp(-s)) : s;
      }
      return {
        output: tf.tensor2d(out, [B, 1]),
        backward(dOutput, p, rowsInto) {
          // Every value is written, so the trainer's buffer is reused as it is (no allocation: a new 512 KB array a step,
          // zeroed and collected, at batch 1024 and d 64).
          const g = rowsInto;
          if (g.length !== B * W) throw new RangeError(`user-movie manual head: rowsInto holds ${g.length} values, expected ${B * W}`);
          for (let r = 0, at = 0; r < B; r++, at += W) {
            // Through the activation first: sigmoid' = p (1 - p).
            const dz = activation === "sigmoid" ? dOutput[r] * p[r] * (1 - p[r]) : dOutput[r];
            for (let j = 0; j < d; j++) {
              g[at + j] = dz * xv[at + d + j];
              g[at + d + j] = dz * xv[at + j];
            }
            for (let j = 2 * d; j < W; j++) g[at + j] = dz;
          }
          return { rows: g, weights: new Map() };
        },
      };
    },
  };
}

/**
 * `score = user·movie (+ b_user) (+ b_movie) (+ b_session) + offset`, through the head activation. Inputs are
 * ["user", "movie"], plus "session" when the model has session biases.
 * This one definition is stage 2 (initialised from stage 1), the Keras/seed-000 "RecommenderNet" (sigmoid, biases),
 * MF with mean normalisation (user bias, mean-normalised targets) and the 64-d plain dot product (no biases).
 */
export function userMovieModel(o: UserMovieModelOptions, restoring = false): RecModel {
  if (!(o.numUsers > 0 && o.numMovies > 0 && o.dim > 0)) {
    throw new RangeError(`userMovieModel: numUsers, numMovies and dim must be positive`);
  }
  const biases = o.biases ?? "both";
  const init: MovieInit = o.movieInit ?? (o.movieEmbeddings ? "finetune" : "random");
  if (init !== "random" && !o.movieEmbeddings && !restoring) {
    throw new Error(`userMovieModel: movieInit "${init}" needs movieEmbeddings from stage 1`);
  }
  const stddev = o.initStddev ?? 0.05;
  const l2 = o.l2 ?? 0;
  const tables: (EmbeddingTableOptions & { input: number; l2?: number })[] = [
    { name: "user_embedding", input: 0, rows: o.numUsers, dim: o.dim, seed: o.seed, stddev, l2 },
    {
      name: "movie_embedding",
      input: 1,
      rows: o.numMovies,
      dim: o.dim,
      seed: o.seed + 1,
      stddev,
      l2,
      weights: init === "random" ? undefined : o.movieEmbeddings,
      trainable: init !== "frozen",
      anchor: init === "anchored" ? o.movieEmbeddings : undefined,
    },
  ];
  const biasL2 = o.biasL2 ?? l2;
  if (biases !== "none") tables.push({ name: "user_bias", input: 0, rows: o.numUsers, dim: 1, seed: 0, init: "zeros", l2: biasL2 });
  if (biases === "both") tables.push({ name: "movie_bias", input: 1, rows: o.numMovies, dim: 1, seed: 0, init: "zeros", l2: biasL2 });
  if (o.numSessions !== undefined) {
    if (!(Number.isInteger(o.numSessions) && o.numSessions > 0))
      throw new RangeError(`userMovieModel: numSessions must be a positive integer, got ${o.numSessions}`);
    tables.push({ name: "session_bias", input: 2, rows: o.numSessions, dim: 1, seed: 0, init: "zeros", l2: o.sessionL2 ?? 0.05 });
  }
  const { movieEmbeddings: _drop, ...serialisable } = o;
  void _drop;
  const layer = layerCache();
  return assemble(
    { kind: "user-movie", options: { ...serialisable, biases, movieInit: init, output: o.output ?? "linear" } },
    "user_movie",
    o.numSessions !== undefined ? ["user", "movie", "session"] : ["user", "movie"],
    tables,
    ([u, m, ...bias]) => {
      const dot = layer("dot", () => tf.layers.dot({ axes: 1, name: "dot" })).apply([u, m]) as tf.SymbolicTensor;
      const head = layer("score", () => new ScoreHead({ name: "score", offset: o.offset ?? 0, activation: o.output ?? "linear" }));
      return head.apply(bias.length ? [dot, ...bias] : dot) as tf.SymbolicTensor;
    },
    ([u, m, ...bias]) => {
      let s = rowDot(u, m);
      for (const b of bias) s = s.add(b);
      if (o.offset) s = s.add(o.offset);
      return o.output === "sigmoid" ? tf.sigmoid(s) : s;
    },
    dotManualHead(o.dim, o.offset ?? 0, o.output ?? "linear"),
  );
}

/**
 * One user–movie model whose raw score is the mean of the given models' raw scores: the mean of K dot products is a
 * single dot product over the concatenated tables (user rows divided by K), and the biases average. This turns K
 * stage-2 models trained from different seeds (a seed ensemble) into one model of dimension `sum(dim_k)` that
 * predicts, saves, loads and recommends like any other. The models must share sizes, bias terms, offset, session
 * table and a linear output (the mean of sigmoids is not a sigmoid of a sum).
 */
export function averageUserMovieModels(models: RecModel[]): RecModel {
  if (models.length === 0) throw new RangeError("averageUserMovieModels: no models to average");
  const opts = models.map((m) => {
    if (m.kind !== "user-movie") throw new Error(`averageUserMovieModels: needs user-movie models, got ${m.kind}`);
    return m.spec.options as unknown as UserMovieModelOptions & { biases: BiasTerms; output: HeadActivation };
  });
  const first = opts[0];
  for (const [k, o] of opts.entries()) {
    for (const key of ["numUsers", "numMovies", "biases", "offset", "numSessions", "sessionSeconds", "output"] as const) {
      if (o[key] !== first[key])
        throw new Error(`averageUserMovieModels: model ${k} has ${key} ${String(o[key])}, model 0 has ${String(first[key])}`);
    }
  }
  if (first.output === "sigmoid") throw new Error("averageUserMovieModels: sigmoid outputs cannot be averaged into one model");
  const K = models.length;
  const concat = (layer: string, scale: number): Matrix => {
    const parts = models.map((m) => m.weight(layer));
    const rows = parts[0].rows;
    const cols = parts.reduce((s, p) => s + p.cols, 0);
    const data = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      let at = r * cols;
      for (const p of parts) {
        for (let j = 0; j < p.cols; j++) data[at + j] = p.data[r * p.cols + j] * scale;
        at += p.cols;
      }
    }
    return { data, rows, cols };
  };
  const users = concat("user_embedding", 1 / K);
  const movies = concat("movie_embedding", 1);
  const merged = userMovieModel({
    ...first,
    dim: users.cols,
    movieEmbeddings: movies,
    movieInit: "finetune",
    members: K,
  });
  const set = (layer: string, data: Float32Array, cols: number): void => {
    const w = tf.tensor2d(data, [data.length / cols, cols]);
    merged.net.getLayer(layer).setWeights([w]);
    w.dispose(); // the variable keeps its own copy
  };
  set("user_embedding", users.data, users.cols);
  for (const layer of ["user_bias", "movie_bias", "session_bias"]) {
    if (!merged.hasLayer(layer)) continue;
    const mean = new Float32Array(models[0].weight(layer).data.length);
    for (const m of models) m.weight(layer).data.forEach((v, i) => (mean[i] += v / K));
    set(layer, mean, 1);
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring: the same formula as the layers, in plain JS over the weights read out once

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
export function rawScore(w: DotWeights, userVec: Float32Array, userBias: number, movie: number): number {
  const d = w.movies.cols;
  return dotScore(w, userVec, userBias, w.movies.data, movie * d, w.movieBias ? w.movieBias[movie] : 0);
}

/**
 * The model's pre-activation score, offset + b_u + b_i + u·m, for a user vector and the movie vector at
 * `movieVec[movieAt .. movieAt + d)`: the one place the dot-product formula is written in JS (the layers compute the
 * same; tests check they agree). Cold start uses it for vectors that are not in the tables.
 */
export function dotScore(
  w: DotWeights,
  userVec: Float32Array,
  userBias: number,
  movieVec: Float32Array,
  movieAt: number,
  movieBias: number,
): number {
  // dotAt32's four partial sums: twice as fast as one at d 64 (a full ranking scores every user against every movie).
  return userBias + w.offset + movieBias + dotAt32(userVec, 0, movieVec, movieAt, w.movies.cols);
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
    const out = new Float32Array(movies.length);
    for (let k = 0; k < movies.length; k++) out[k] = rawScore(w, uv, ub, movies[k]);
    return out;
  };
  if (!transform) return { name, scoreMovies };
  const predictRatings = (users: Int32Array, movies: Int32Array): Float32Array =>
    scoreEach(users, (u, k) =>
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
    scoreEach(idx, (i) => {
      const u = r.user[i];
      const m = r.movie[i];
      const s = sessions[i];
      const b = s < sb.length ? sb[s] : 0;
      return transform.toRating(activate(w, rawScore(w, userVec(u), (w.userBias ? w.userBias[u] : 0) + b, m)), m);
    });
  return scorer;
}
