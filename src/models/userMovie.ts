// Stage 2 and the seeds' dot-product models: user and movie embeddings, optional biases and global mean, one score head.
import { tf } from "../backend";
import { Matrix } from "../util/matrix";
import { RecModel, RowPenalty, biasTable, embedding, indexInput } from "./base";
import { HeadActivation, ScoreHead } from "./layers";

/** How stage 2 uses stage 1's movie embeddings. */
export type MovieInit = "finetune" | "frozen" | "random";

/** Which bias terms the model has. */
export type BiasTerms = "both" | "user" | "none";

/** Options for {@link userMovieModel}. */
export interface UserMovieModelOptions {
  numUsers: number;
  numMovies: number;
  dim: number;
  seed: number;
  /** "linear" predicts ratings (MSE); "sigmoid" predicts min-max normalised ratings or probabilities (BCE). */
  output?: HeadActivation;
  biases?: BiasTerms;
  /** Constant added to every score (e.g. the global mean rating, or 0 for normalised targets). */
  offset?: number;
  /** L2 weight on the embedding rows and biases a batch touches. */
  l2?: number;
  /** Stage 1's movie embeddings (numMovies x dim); with `movieInit` "finetune" or "frozen" they initialise the table. */
  movieEmbeddings?: Matrix;
  /** "random" ignores `movieEmbeddings` (the ablation). Default "finetune" when embeddings are given. */
  movieInit?: MovieInit;
  initStddev?: number;
}

/**
 * `score = user·movie (+ b_user) (+ b_movie) + offset`, through the head activation. Inputs are ["user", "movie"].
 * This one definition is stage 2 (initialised from stage 1), the Keras/seed-000 "RecommenderNet" (sigmoid, biases),
 * seed 001's MF (user bias, mean-normalised targets) and seed 002's plain dot product (no biases).
 */
export function userMovieModel(o: UserMovieModelOptions): RecModel {
  if (!(o.numUsers > 0 && o.numMovies > 0 && o.dim > 0)) {
    throw new RangeError(`userMovieModel: numUsers, numMovies and dim must be positive`);
  }
  const biases = o.biases ?? "both";
  const init: MovieInit = o.movieEmbeddings ? (o.movieInit ?? "finetune") : "random";
  if (o.movieInit && o.movieInit !== "random" && !o.movieEmbeddings) {
    throw new Error(`userMovieModel: movieInit "${o.movieInit}" needs movieEmbeddings from stage 1`);
  }
  const user = indexInput("user");
  const movie = indexInput("movie");
  const stddev = o.initStddev ?? 0.05;
  const u = embedding(user, { name: "user_embedding", rows: o.numUsers, dim: o.dim, seed: o.seed, stddev });
  const m = embedding(movie, {
    name: "movie_embedding",
    rows: o.numMovies,
    dim: o.dim,
    seed: o.seed + 1,
    stddev,
    weights: init === "random" ? undefined : o.movieEmbeddings,
    trainable: init !== "frozen",
  });
  const terms: tf.SymbolicTensor[] = [tf.layers.dot({ axes: 1, name: "dot" }).apply([u, m]) as tf.SymbolicTensor];
  if (biases === "both" || biases === "user") terms.push(biasTable(user, "user_bias", o.numUsers));
  if (biases === "both") terms.push(biasTable(movie, "movie_bias", o.numMovies));
  const out = new ScoreHead({ name: "score", offset: o.offset ?? 0, activation: o.output ?? "linear" }).apply(
    terms.length === 1 ? terms[0] : terms,
  ) as tf.SymbolicTensor;
  const net = tf.model({ inputs: [user, movie], outputs: out, name: "user_movie" });
  const l2 = o.l2 ?? 0;
  const penalties: RowPenalty[] = [];
  if (l2 > 0) {
    penalties.push({ layer: "user_embedding", input: 0, lambda: l2 });
    if (init !== "frozen") penalties.push({ layer: "movie_embedding", input: 1, lambda: l2 });
    if (biases !== "none") penalties.push({ layer: "user_bias", input: 0, lambda: l2 });
    if (biases === "both") penalties.push({ layer: "movie_bias", input: 1, lambda: l2 });
  }
  const { movieEmbeddings: _drop, ...serialisable } = o;
  void _drop;
  return new RecModel(
    { kind: "user-movie", options: { ...serialisable, biases, movieInit: init, output: o.output ?? "linear" } },
    net,
    ["user", "movie"],
    penalties,
  );
}
