// Recommendations: top-N unseen movies for a user, the movies a user rated highest, and cosine-similar movies in an embedding space.
import { ratingSummary } from "../data/stats";
import { Dataset } from "../data/types";
import { CandidateRule } from "../evaluation/candidates";
import { selectColumns } from "../evaluation/data";
import { selectTopK } from "../evaluation/top-k";
import { Matrix } from "../util/matrix";
import type { MovieScorer } from "../models/scorer";

/** A movie in a recommendation list, with what a person needs to recognise it. */
export interface MovieRow {
  rank: number;
  movieId: number;
  title: string;
  year: number | null;
  genres: string;
  score: number;
}

/** A rating the user gave, for "movies this user rated highest". */
export interface RatedRow {
  movieId: number;
  title: string;
  year: number | null;
  genres: string;
  rating: number;
}

/** Dense index of an original user id, or a clear error. */
export function userIndexOf(ds: Dataset, userId: number): number {
  const u = ds.userIndex.get(userId);
  if (u === undefined) {
    throw new RangeError(
      `unknown user id ${userId} in ${ds.name} (it has ${ds.numUsers} users, ids ${ds.userIds[0]}..${ds.userIds[ds.numUsers - 1]})`,
    );
  }
  return u;
}

/** Dense index of an original movie id, or a clear error. */
export function movieIndexOf(ds: Dataset, movieId: number): number {
  const m = ds.movieIndex.get(movieId);
  if (m === undefined) throw new RangeError(`unknown movie id ${movieId} in ${ds.name} (it has ${ds.numMovies} movies)`);
  return m;
}

/** Finds movies whose title contains `query` (case-insensitive), most-rated first. */
export function findMovies(ds: Dataset, query: string, limit = 10): { movieId: number; title: string; year: number | null }[] {
  const q = query.toLowerCase();
  const counts = ratingSummary(ds).movieCount;
  const hits: number[] = [];
  ds.movies.titles.forEach((t, m) => {
    if (t.toLowerCase().includes(q)) hits.push(m);
  });
  hits.sort((a, b) => counts[b] - counts[a]);
  return hits.slice(0, limit).map((m) => ({ movieId: ds.movies.ids[m], title: ds.movies.titles[m], year: ds.movies.years[m] }));
}

function movieRow(ds: Dataset, m: number, rank: number, score: number): MovieRow {
  return {
    rank,
    movieId: ds.movies.ids[m],
    title: ds.movies.titles[m],
    year: ds.movies.years[m],
    genres: ds.movies.genres[m].join("|"),
    score,
  };
}

/** The `n` best-scoring `candidates` (dense movie indices), best first, as rows with title, year and genres. */
export function rankMovies(ds: Dataset, candidates: Int32Array, scores: ArrayLike<number>, n: number): MovieRow[] {
  const best = selectTopK(candidates, scores, n);
  return Array.from(best.items, (m, k) => movieRow(ds, m, k + 1, best.scores[k]));
}

/** Options for {@link recommendForUser}. */
export interface RecommendOptions {
  n?: number;
  /** Ratings whose movies count as seen (e.g. the training split); default: all the user's ratings. */
  seen?: Int32Array;
  /** Skip movies with fewer ratings than this in `seen` (or all) data, to avoid obscure one-rating movies. */
  minRatings?: number;
}

/**
 * Top-N movies the user has not seen, by the scorer, with title, year, genres and score. `userId` is the original id.
 * The candidates come from the one candidate rule (src/evaluation/candidates.ts), as in full-ranking evaluation.
 */
export function recommendForUser(ds: Dataset, scorer: MovieScorer, userId: number, o: RecommendOptions = {}): MovieRow[] {
  const u = userIndexOf(ds, userId);
  const seen = o.seen ? selectColumns(ds.ratings, o.seen) : ds.ratings;
  const candidates = new CandidateRule(ds.numUsers, ds.numMovies, seen, { minRatings: o.minRatings }).candidates(u);
  return rankMovies(ds, candidates, scorer.scoreMovies(u, candidates), o.n ?? 10);
}

/** The user's highest-rated movies (the Keras example's "movies with high ratings from user"), newest first among ties. */
export function topRatedByUser(ds: Dataset, userId: number, n = 10, idx?: Int32Array): RatedRow[] {
  const u = userIndexOf(ds, userId);
  const r = ds.ratings;
  const mine: number[] = [];
  if (idx) {
    for (const i of idx) if (r.user[i] === u) mine.push(i);
  } else {
    for (let i = 0; i < r.length; i++) if (r.user[i] === u) mine.push(i);
  }
  mine.sort((a, b) => r.rating[b] - r.rating[a] || r.timestamp[b] - r.timestamp[a]);
  return mine.slice(0, n).map((i) => {
    const m = r.movie[i];
    return {
      movieId: ds.movies.ids[m],
      title: ds.movies.titles[m],
      year: ds.movies.years[m],
      genres: ds.movies.genres[m].join("|"),
      rating: r.rating[i],
    };
  });
}

/** Cosine similarity of one vector against every row of `m` (0 for zero rows), without copying the matrix. */
export function cosineToAll(m: Matrix, vector: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let j = 0; j < vector.length; j++) norm += vector[j] * vector[j];
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  const out = new Float32Array(m.rows);
  const d = m.cols;
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    let rr = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const x = m.data[o + j];
      s += x * vector[j];
      rr += x * x;
    }
    out[i] = rr > 0 ? (s * inv) / Math.sqrt(rr) : 0;
  }
  return out;
}

/** Options for {@link similarMovies}. */
export interface SimilarOptions {
  k?: number;
  /** Only return movies with at least this many ratings (default 1: ignore never-rated movies' untrained vectors). */
  minRatings?: number;
}

/**
 * Movies nearest to `movieId` by cosine similarity in an embedding space (stage 1's or stage 2's movie embeddings,
 * `numMovies x d`). The query movie itself is left out.
 */
export function similarMovies(ds: Dataset, embeddings: Matrix, movieId: number, o: SimilarOptions = {}): MovieRow[] {
  const m = movieIndexOf(ds, movieId);
  return similarToVector(ds, embeddings, embeddings.data.subarray(m * embeddings.cols, (m + 1) * embeddings.cols), { ...o, exclude: m });
}

/** Movies nearest to an arbitrary vector (e.g. a cold-start movie built from genres). */
export function similarToVector(
  ds: Dataset,
  embeddings: Matrix,
  vector: ArrayLike<number>,
  o: SimilarOptions & { exclude?: number } = {},
): MovieRow[] {
  if (embeddings.rows !== ds.numMovies)
    throw new RangeError(`embeddings have ${embeddings.rows} rows but ${ds.name} has ${ds.numMovies} movies`);
  if (vector.length !== embeddings.cols) throw new RangeError(`vector has ${vector.length} dims, embeddings have ${embeddings.cols}`);
  const sims = cosineToAll(embeddings, vector);
  const minR = o.minRatings ?? 1;
  const counts = ratingSummary(ds).movieCount;
  const cand: number[] = [];
  for (let i = 0; i < ds.numMovies; i++) if (i !== o.exclude && counts[i] >= minR) cand.push(i);
  const candidates = Int32Array.from(cand);
  return rankMovies(
    ds,
    candidates,
    Float32Array.from(cand, (i) => sims[i]),
    o.k ?? 10,
  );
}
