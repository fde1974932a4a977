// Stage 1: movie and genre embeddings whose dot product, through a sigmoid, says whether a movie has a genre.
import { tf } from "../backend";
import { RecModel, embedding, indexInput } from "./base";
import { ScoreHead } from "./layers";

/** Options for {@link movieGenreModel}. */
export interface MovieGenreModelOptions {
  numMovies: number;
  numGenres: number;
  /** Embedding dimension d. */
  dim: number;
  seed: number;
  /** Standard deviation of the initial embeddings. */
  initStddev?: number;
}

/**
 * Stage 1: `p(movie has genre) = sigmoid(movie_embedding[m] · genre_embedding[g])`.
 * Inputs are ["movie", "genre"]; the output is a probability of shape [B, 1].
 */
export function movieGenreModel(o: MovieGenreModelOptions): RecModel {
  if (!(o.numMovies > 0 && o.numGenres > 0 && o.dim > 0)) {
    throw new RangeError(`movieGenreModel: numMovies, numGenres and dim must be positive (got ${o.numMovies}, ${o.numGenres}, ${o.dim})`);
  }
  const movie = indexInput("movie");
  const genre = indexInput("genre");
  const stddev = o.initStddev ?? 0.1;
  const m = embedding(movie, { name: "movie_embedding", rows: o.numMovies, dim: o.dim, seed: o.seed, stddev });
  const g = embedding(genre, { name: "genre_embedding", rows: o.numGenres, dim: o.dim, seed: o.seed + 1, stddev });
  const d = tf.layers.dot({ axes: 1, name: "dot" }).apply([m, g]) as tf.SymbolicTensor;
  const p = new ScoreHead({ name: "sigmoid", activation: "sigmoid" }).apply(d) as tf.SymbolicTensor;
  const net = tf.model({ inputs: [movie, genre], outputs: p, name: "movie_genre" });
  return new RecModel({ kind: "movie-genre", options: { ...o } }, net, ["movie", "genre"]);
}
