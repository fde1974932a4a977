// danfojs-node views of a dataset for notebooks (ratings, movies, users, ratings with titles, genre stats); danfo loads lazily.
import type * as Danfo from "danfojs-node";
import { genreStats, ratingSummary } from "./stats";
import type { Dataset } from "./types";

let danfo: typeof Danfo | null = null;

/** The danfojs-node module, required on first use (it loads the native TensorFlow backend, which takes a moment). */
export function loadDanfo(): typeof Danfo {
  danfo ??= require("danfojs-node") as typeof Danfo;
  return danfo;
}

/** Which ratings a frame shows: explicit indices (e.g. a split's test set) or the first `limit` ratings. */
export interface RatingRowsOptions {
  readonly indices?: ArrayLike<number>;
  readonly limit?: number;
}

function rowIndices(dataset: Dataset, options: RatingRowsOptions): ArrayLike<number> {
  if (options.indices) return options.limit !== undefined ? Array.prototype.slice.call(options.indices, 0, options.limit) : options.indices;
  const n = Math.min(dataset.ratings.length, options.limit ?? Infinity);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return idx;
}

/** Ratings as a DataFrame: userId, movieId (original ids), rating, timestamp. A view: the typed arrays stay the source of truth. */
export function ratingsFrame(dataset: Dataset, options: RatingRowsOptions = {}): Danfo.DataFrame {
  const dfd = loadDanfo();
  const idx = rowIndices(dataset, options);
  const r = dataset.ratings;
  const n = idx.length;
  const userId = new Array<number>(n);
  const movieId = new Array<number>(n);
  const rating = new Array<number>(n);
  const timestamp = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    userId[k] = dataset.userIds[r.user[i]];
    movieId[k] = dataset.movies.ids[r.movie[i]];
    rating[k] = r.rating[i];
    timestamp[k] = r.timestamp[i];
  }
  return new dfd.DataFrame({ userId, movieId, rating, timestamp });
}

/** Movies as a DataFrame: movieId, title (no year), year (null when none), genres ("|"-joined), numRatings, meanRating. */
export function moviesFrame(dataset: Dataset): Danfo.DataFrame {
  const dfd = loadDanfo();
  const m = dataset.movies;
  const s = ratingSummary(dataset);
  return new dfd.DataFrame({
    movieId: Array.from(m.ids),
    title: m.titles.slice(),
    year: m.years.slice(),
    genres: m.genres.map((g) => g.join("|")),
    numRatings: Array.from(s.movieCount),
    meanRating: Array.from(s.movieMean),
  });
}

/**
 * Users as a DataFrame: userId, numRatings, meanRating, plus gender, age, ageBracket, occupation and zip where the
 * dataset has demographics (ml-100k, ml-1m).
 */
export function usersFrame(dataset: Dataset): Danfo.DataFrame {
  const dfd = loadDanfo();
  const s = ratingSummary(dataset);
  const cols: Record<string, (string | number)[]> = {
    userId: Array.from(dataset.userIds),
    numRatings: Array.from(s.userCount),
    meanRating: Array.from(s.userMean),
  };
  const u = dataset.users;
  if (u) {
    cols.gender = u.gender.slice();
    cols.age = Array.from(u.age);
    cols.ageBracket = u.ageBracket.slice();
    cols.occupation = u.occupation.slice();
    cols.zip = u.zip.slice();
  }
  return new dfd.DataFrame(cols);
}

/** Ratings joined with movie titles: userId, movieId, title, year, rating, timestamp. */
export function ratingsWithTitlesFrame(dataset: Dataset, options: RatingRowsOptions = {}): Danfo.DataFrame {
  const dfd = loadDanfo();
  const idx = rowIndices(dataset, options);
  const r = dataset.ratings;
  const m = dataset.movies;
  const n = idx.length;
  const userId = new Array<number>(n);
  const movieId = new Array<number>(n);
  const title = new Array<string>(n);
  const year = new Array<number | null>(n);
  const rating = new Array<number>(n);
  const timestamp = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    const mi = r.movie[i];
    userId[k] = dataset.userIds[r.user[i]];
    movieId[k] = m.ids[mi];
    title[k] = m.titles[mi];
    year[k] = m.years[mi];
    rating[k] = r.rating[i];
    timestamp[k] = r.timestamp[i];
  }
  return new dfd.DataFrame({ userId, movieId, title, year, rating, timestamp });
}

/** Per-genre counts and mean ratings: genre, movies, ratings, meanRating (NaN when a genre has no ratings). */
export function genreStatsFrame(dataset: Dataset): Danfo.DataFrame {
  const dfd = loadDanfo();
  const g = genreStats(dataset);
  return new dfd.DataFrame({
    genre: g.genre,
    movies: Array.from(g.movies),
    ratings: Array.from(g.ratings),
    meanRating: Array.from(g.meanRating),
  });
}

/** The most-rated movies with their mean rating: title, year, genres, ratings, meanRating (at least `minRatings` ratings). */
export function topMoviesFrame(
  dataset: Dataset,
  options: { n?: number; minRatings?: number; by?: "ratings" | "meanRating" } = {},
): Danfo.DataFrame {
  const dfd = loadDanfo();
  const { movieCount: count, movieMean: mean } = ratingSummary(dataset);
  const minRatings = options.minRatings ?? 1;
  const movies = Array.from({ length: dataset.numMovies }, (_, m) => m).filter((m) => count[m] >= minRatings);
  const key = (m: number): number => (options.by === "meanRating" ? mean[m] : count[m]);
  movies.sort((a, b) => key(b) - key(a) || count[b] - count[a]);
  const top = movies.slice(0, options.n ?? 10);
  return new dfd.DataFrame({
    movieId: top.map((m) => dataset.movies.ids[m]),
    title: top.map((m) => dataset.movies.titles[m]),
    year: top.map((m) => dataset.movies.years[m] ?? NaN),
    genres: top.map((m) => dataset.movies.genres[m].join("|")),
    ratings: top.map((m) => count[m]),
    meanRating: top.map((m) => Number(mean[m].toFixed(3))),
  });
}
