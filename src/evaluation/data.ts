// The evaluation protocols' inputs: train/test rating columns plus table sizes, built from a Dataset + Split, and per-user grouping.
import type { Dataset, Split } from "../data/types";
import { groupUserColumn } from "../data/splits";

/** Ratings as parallel columns (a `Ratings` object from src/data/types fits). `timestamp` is optional here. */
export interface RatingColumns {
  /** Dense user index per rating. */
  readonly user: Int32Array;
  /** Dense movie index per rating. */
  readonly movie: Int32Array;
  /** The rating value. */
  readonly rating: Float32Array;
  /** Unix seconds; needed only by leave-one-out when it must pick each user's latest test item itself. */
  readonly timestamp?: Uint32Array;
}

/** Everything the protocols need: table sizes and the train and test ratings. */
export interface EvaluationData {
  readonly numUsers: number;
  readonly numMovies: number;
  readonly train: RatingColumns;
  readonly test: RatingColumns;
}

/** Ratings grouped by user (CSR): user u's ratings are at positions `order[offsets[u]] .. order[offsets[u+1]-1]` of the columns. */
export interface UserGroups {
  /** Length numUsers + 1. */
  readonly offsets: Int32Array;
  /** Rating positions, grouped by user, in their original order within a user. */
  readonly order: Int32Array;
}

/** The ratings at `indices` (e.g. a Split's `train` or `test`), copied into new columns. */
export function selectColumns(ratings: RatingColumns, indices: ArrayLike<number>): RatingColumns {
  const n = indices.length;
  const total = ratings.user.length;
  const user = new Int32Array(n);
  const movie = new Int32Array(n);
  const rating = new Float32Array(n);
  const ts = ratings.timestamp;
  const timestamp = ts ? new Uint32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= total) {
      throw new RangeError(`selectColumns: index ${j} (at ${i}) is outside 0..${total - 1}`);
    }
    user[i] = ratings.user[j];
    movie[i] = ratings.movie[j];
    rating[i] = ratings.rating[j];
    if (timestamp && ts) timestamp[i] = ts[j];
  }
  return timestamp ? { user, movie, rating, timestamp } : { user, movie, rating };
}

/** The protocols' input for a loaded dataset and one of its splits. */
export function evaluationData(
  dataset: Pick<Dataset, "ratings" | "numUsers" | "numMovies">,
  split: Pick<Split, "train" | "test">,
): EvaluationData {
  return {
    numUsers: dataset.numUsers,
    numMovies: dataset.numMovies,
    train: selectColumns(dataset.ratings, split.train),
    test: selectColumns(dataset.ratings, split.test),
  };
}

/** Throws a RangeError unless the columns have equal lengths and every index is inside the tables. */
function checkColumns(fn: string, name: string, cols: RatingColumns, numUsers: number, numMovies: number): void {
  const n = cols.user.length;
  if (cols.movie.length !== n || cols.rating.length !== n || (cols.timestamp && cols.timestamp.length !== n)) {
    throw new RangeError(
      `${fn}: ${name} columns differ in length (user ${n}, movie ${cols.movie.length}, rating ${cols.rating.length}` +
        `${cols.timestamp ? `, timestamp ${cols.timestamp.length}` : ""})`,
    );
  }
  for (let i = 0; i < n; i++) {
    const u = cols.user[i];
    const m = cols.movie[i];
    if (u < 0 || u >= numUsers) throw new RangeError(`${fn}: ${name}.user[${i}] = ${u} is outside 0..${numUsers - 1}`);
    if (m < 0 || m >= numMovies) throw new RangeError(`${fn}: ${name}.movie[${i}] = ${m} is outside 0..${numMovies - 1}`);
    if (Number.isNaN(cols.rating[i])) throw new RangeError(`${fn}: ${name}.rating[${i}] is NaN`);
  }
}

/** Throws a RangeError unless the table sizes are positive integers and both rating sets fit them. */
export function checkEvaluationData(fn: string, data: EvaluationData): void {
  if (!Number.isInteger(data.numUsers) || data.numUsers < 1) {
    throw new RangeError(`${fn}: numUsers must be a positive integer, got ${data.numUsers}`);
  }
  if (!Number.isInteger(data.numMovies) || data.numMovies < 1) {
    throw new RangeError(`${fn}: numMovies must be a positive integer, got ${data.numMovies}`);
  }
  checkColumns(fn, "train", data.train, data.numUsers, data.numMovies);
  checkColumns(fn, "test", data.test, data.numUsers, data.numMovies);
}

/** Groups the ratings of `cols` by user (counting sort, O(n + numUsers)). Indices must already be validated. */
export function groupColumnsByUser(cols: RatingColumns, numUsers: number): UserGroups {
  return groupUserColumn(cols.user, numUsers);
}
