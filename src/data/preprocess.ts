// Preprocessing: replacing rating values, min-ratings filters, duplicate averaging (scaling and centring ratings, with inverses, are in targets.ts).
import { buildDataset, makeRatings } from "./columnar";
import { groupByUser } from "./splits";
import { subsetMovies, subsetUsers } from "./tables";
import type { Dataset } from "./types";

/** The same dataset with other rating values (e.g. normalised ones); `ratingScale` is given or recomputed. */
export function withRatingValues(
  dataset: Dataset,
  values: Float32Array,
  ratingScale?: { readonly min: number; readonly max: number },
): Dataset {
  const r = dataset.ratings;
  if (values.length !== r.length) throw new RangeError(`withRatingValues: ${values.length} values for ${r.length} ratings`);
  let scale = ratingScale;
  if (!scale) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      if (values[i] < min) min = values[i];
      if (values[i] > max) max = values[i];
    }
    scale = { min, max };
  }
  return { ...dataset, ratings: makeRatings(r.user, r.movie, values, r.timestamp), ratingScale: { min: scale.min, max: scale.max } };
}

/** Result of {@link filterByMinRatings}. */
export interface FilterResult {
  readonly dataset: Dataset;
  readonly removedUsers: number;
  readonly removedMovies: number;
  readonly removedRatings: number;
  /** Filtering passes made (more than one when removals cascade). */
  readonly rounds: number;
}

/**
 * Keeps users with at least `minPerUser` ratings and movies with at least `minPerMovie`, and re-indexes both densely
 * (kept rows keep their relative order). With `repeatUntilStable` (default true) it repeats until every kept user and
 * movie meets its minimum (a k-core); with false it makes one pass. Tags and links keep original ids, unfiltered.
 */
export function filterByMinRatings(
  dataset: Dataset,
  options: { readonly minPerUser?: number; readonly minPerMovie?: number; readonly repeatUntilStable?: boolean },
): FilterResult {
  const minU = options.minPerUser ?? 0;
  const minM = options.minPerMovie ?? 0;
  const r = dataset.ratings;
  const keepRating = new Uint8Array(r.length).fill(1);
  const keepUser = new Uint8Array(dataset.numUsers).fill(1);
  const keepMovie = new Uint8Array(dataset.numMovies).fill(1);
  let rounds = 0;
  for (;;) {
    rounds++;
    const uc = new Int32Array(dataset.numUsers);
    const mc = new Int32Array(dataset.numMovies);
    for (let i = 0; i < r.length; i++) {
      if (!keepRating[i]) continue;
      uc[r.user[i]]++;
      mc[r.movie[i]]++;
    }
    let changed = false;
    for (let u = 0; u < dataset.numUsers; u++)
      if (keepUser[u] && uc[u] < minU) {
        keepUser[u] = 0;
        changed = true;
      }
    for (let m = 0; m < dataset.numMovies; m++)
      if (keepMovie[m] && mc[m] < minM) {
        keepMovie[m] = 0;
        changed = true;
      }
    for (let i = 0; i < r.length; i++) if (keepRating[i] && (!keepUser[r.user[i]] || !keepMovie[r.movie[i]])) keepRating[i] = 0;
    if (!changed || options.repeatUntilStable === false) break;
  }
  const userMap = new Int32Array(dataset.numUsers).fill(-1);
  const keptUsers: number[] = [];
  for (let u = 0; u < dataset.numUsers; u++)
    if (keepUser[u]) {
      userMap[u] = keptUsers.length;
      keptUsers.push(u);
    }
  const movieMap = new Int32Array(dataset.numMovies).fill(-1);
  const keptMovies: number[] = [];
  for (let m = 0; m < dataset.numMovies; m++)
    if (keepMovie[m]) {
      movieMap[m] = keptMovies.length;
      keptMovies.push(m);
    }
  let n = 0;
  for (let i = 0; i < r.length; i++) n += keepRating[i];
  const user = new Int32Array(n);
  const movie = new Int32Array(n);
  const rating = new Float32Array(n);
  const timestamp = new Uint32Array(n);
  let k = 0;
  for (let i = 0; i < r.length; i++) {
    if (!keepRating[i]) continue;
    user[k] = userMap[r.user[i]];
    movie[k] = movieMap[r.movie[i]];
    rating[k] = r.rating[i];
    timestamp[k] = r.timestamp[i];
    k++;
  }
  const userIds = Int32Array.from(keptUsers, (u) => dataset.userIds[u]);
  const filtered = buildDataset({
    name: dataset.name,
    source: dataset.source,
    ratings: makeRatings(user, movie, rating, timestamp),
    movies: subsetMovies(dataset.movies, keptMovies),
    users: dataset.users ? subsetUsers(dataset.users, keptUsers) : null,
    userIds,
    ratingScale: dataset.ratingScale,
    tags: dataset.tags,
    links: dataset.links,
  });
  return {
    dataset: filtered,
    removedUsers: dataset.numUsers - keptUsers.length,
    removedMovies: dataset.numMovies - keptMovies.length,
    removedRatings: r.length - n,
    rounds,
  };
}

/** Result of {@link averageDuplicates}. */
export interface DuplicateResult {
  readonly dataset: Dataset;
  /** Rating rows merged away (0 when every (user, movie) pair is unique). */
  readonly duplicatesRemoved: number;
  /** Distinct (user, movie) pairs that had more than one rating. */
  readonly duplicatedPairs: number;
}

/**
 * Merges repeated (user, movie) ratings into one: the mean rating and the latest timestamp, kept at the position of
 * the pair's first rating. Returns the dataset unchanged (same object) when there are none.
 */
export function averageDuplicates(dataset: Dataset): DuplicateResult {
  const r = dataset.ratings;
  const { offsets, order } = groupByUser(r, dataset.numUsers);
  const stamp = new Int32Array(dataset.numMovies).fill(-1);
  const keeperOf = new Int32Array(dataset.numMovies);
  const keeper = new Int32Array(r.length).fill(-1); // keeper index per rating (itself when first)
  const sum = new Float64Array(r.length);
  const count = new Int32Array(r.length);
  const latest = new Uint32Array(r.length);
  let duplicatesRemoved = 0;
  let duplicatedPairs = 0;
  for (let u = 0; u < dataset.numUsers; u++) {
    for (let k = offsets[u]; k < offsets[u + 1]; k++) {
      const i = order[k];
      const m = r.movie[i];
      if (stamp[m] !== u) {
        stamp[m] = u;
        keeperOf[m] = i;
        keeper[i] = i;
        sum[i] = r.rating[i];
        count[i] = 1;
        latest[i] = r.timestamp[i];
      } else {
        const j = keeperOf[m];
        keeper[i] = j;
        if (count[j] === 1) duplicatedPairs++;
        sum[j] += r.rating[i];
        count[j]++;
        if (r.timestamp[i] > latest[j]) latest[j] = r.timestamp[i];
        duplicatesRemoved++;
      }
    }
  }
  if (duplicatesRemoved === 0) return { dataset, duplicatesRemoved: 0, duplicatedPairs: 0 };
  const n = r.length - duplicatesRemoved;
  const user = new Int32Array(n);
  const movie = new Int32Array(n);
  const rating = new Float32Array(n);
  const timestamp = new Uint32Array(n);
  let w = 0;
  for (let i = 0; i < r.length; i++) {
    if (keeper[i] !== i) continue;
    user[w] = r.user[i];
    movie[w] = r.movie[i];
    rating[w] = sum[i] / count[i];
    timestamp[w] = latest[i];
    w++;
  }
  return {
    dataset: { ...dataset, ratings: makeRatings(user, movie, rating, timestamp) },
    duplicatesRemoved,
    duplicatedPairs,
  };
}
