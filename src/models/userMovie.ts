// Stage 2 and the seeds' dot-product models: user and movie embeddings, optional biases and global mean, one score head.
import { tf } from "../backend";
import { Matrix } from "../util/matrix";
import { RecModel, EmbeddingTableOptions, assemble, layerCache } from "./base";
import { HeadActivation, ScoreHead } from "./layers";

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
}

/**
 * `score = user·movie (+ b_user) (+ b_movie) (+ b_session) + offset`, through the head activation. Inputs are
 * ["user", "movie"], plus "session" when the model has session biases.
 * This one definition is stage 2 (initialised from stage 1), the Keras/seed-000 "RecommenderNet" (sigmoid, biases),
 * seed 001's MF (user bias, mean-normalised targets) and seed 002's plain dot product (no biases).
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
    if (!(Number.isInteger(o.numSessions) && o.numSessions > 0)) throw new RangeError(`userMovieModel: numSessions must be a positive integer, got ${o.numSessions}`);
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
      let s = u.mul(m).sum(1, true);
      for (const b of bias) s = s.add(b);
      if (o.offset) s = s.add(o.offset);
      return o.output === "sigmoid" ? tf.sigmoid(s) : s;
    },
  );
}
