// Plain typed-array summaries of a dataset: ratings count and mean per user, per movie, and per genre.
import type { Dataset } from "./types";

/** Count and mean rating per dense user and per dense movie index (mean is NaN without ratings). */
export interface RatingSummary {
  readonly userCount: Int32Array;
  readonly userMean: Float64Array;
  readonly movieCount: Int32Array;
  readonly movieMean: Float64Array;
  readonly globalMean: number;
}

/**
 * Counts and mean ratings per user and per movie, in one pass over the columns — over every rating, or only over the
 * ratings at `indices` (e.g. a split's training set).
 */
export function ratingSummary(dataset: Dataset, indices?: ArrayLike<number>): RatingSummary {
  const r = dataset.ratings;
  const userCount = new Int32Array(dataset.numUsers);
  const userMean = new Float64Array(dataset.numUsers);
  const movieCount = new Int32Array(dataset.numMovies);
  const movieMean = new Float64Array(dataset.numMovies);
  let total = 0;
  const n = indices ? indices.length : r.length;
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k] : k;
    const v = r.rating[i];
    userCount[r.user[i]]++;
    userMean[r.user[i]] += v;
    movieCount[r.movie[i]]++;
    movieMean[r.movie[i]] += v;
    total += v;
  }
  for (let u = 0; u < userMean.length; u++) userMean[u] = userCount[u] ? userMean[u] / userCount[u] : NaN;
  for (let m = 0; m < movieMean.length; m++) movieMean[m] = movieCount[m] ? movieMean[m] / movieCount[m] : NaN;
  return { userCount, userMean, movieCount, movieMean, globalMean: n ? total / n : NaN };
}

/** Per genre of the vocabulary: movies tagged with it, ratings of those movies, and their mean rating. */
export interface GenreStats {
  readonly genre: string[];
  readonly movies: Int32Array;
  readonly ratings: Int32Array;
  /** NaN for a genre without ratings. */
  readonly meanRating: Float64Array;
}

/** Per-genre counts and mean ratings (a movie with several genres counts in each). */
export function genreStats(dataset: Dataset, summary: RatingSummary = ratingSummary(dataset)): GenreStats {
  const vocab = dataset.movies.genreVocabulary;
  const g = vocab.length;
  const movies = new Int32Array(g);
  const ratings = new Int32Array(g);
  const sums = new Float64Array(g);
  const gm = dataset.movies.genreMatrix;
  for (let m = 0; m < dataset.numMovies; m++) {
    const c = summary.movieCount[m];
    const s = c ? summary.movieMean[m] * c : 0;
    for (let j = 0; j < g; j++) {
      if (!gm[m * g + j]) continue;
      movies[j]++;
      ratings[j] += c;
      sums[j] += s;
    }
  }
  const meanRating = new Float64Array(g);
  for (let j = 0; j < g; j++) meanRating[j] = ratings[j] ? sums[j] / ratings[j] : NaN;
  return { genre: vocab.slice(), movies, ratings, meanRating };
}
