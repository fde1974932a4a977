// Stage 1: movie and genre embeddings whose dot product, through a sigmoid, says whether a movie has a genre.
import { tf } from "../backend";
import { RecModel, assemble, layerCache } from "./base";
import { ScoreHead } from "./layers";

/** Options for {@link movieGenreModel}. */
export interface MovieGenreModelOptions {
  numMovies: number;
  numGenres: number;
  /** Embedding dimension d. */
  dim: number;
  seed: number;
  /** L2 weight on the movie and genre rows a batch touches (curbs memorising; default 0). */
  l2?: number;
  /** Standard deviation of the initial embeddings (default 0.1). */
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
  const stddev = o.initStddev ?? 0.1;
  const l2 = o.l2 ?? 0;
  const layer = layerCache();
  return assemble(
    { kind: "movie-genre", options: { ...o } },
    "movie_genre",
    ["movie", "genre"],
    [
      { name: "movie_embedding", input: 0, rows: o.numMovies, dim: o.dim, seed: o.seed, stddev, l2 },
      { name: "genre_embedding", input: 1, rows: o.numGenres, dim: o.dim, seed: o.seed + 1, stddev, l2 },
    ],
    ([m, g]) => {
      const d = layer("dot", () => tf.layers.dot({ axes: 1, name: "dot" })).apply([m, g]) as tf.SymbolicTensor;
      return layer("head", () => new ScoreHead({ name: "sigmoid", activation: "sigmoid" })).apply(d) as tf.SymbolicTensor;
    },
    ([m, g]) => tf.sigmoid(m.mul(g).sum(1, true)),
  );
}
