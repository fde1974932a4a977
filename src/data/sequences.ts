// Users as watch sequences: each user's ratings in time order (ties by movie id), and the leave-last-out split sequence models are measured on.
import type { Dataset, Split } from "./types";
import { coldStartCounts, groupByUser } from "./splits";

/** What sequences need from a dataset: ratings, table sizes and the movies' original ids (the tie-break). */
export type SequenceSource = Pick<Dataset, "ratings" | "numUsers" | "numMovies"> & { readonly movies: Pick<Dataset["movies"], "ids"> };

/** Options of {@link userSequences} and {@link leaveLastOutSplit}. */
export interface SequenceOptions {
  /** Keep only ratings at or above this value (default null: every rating; rating values are otherwise ignored). */
  readonly minRating?: number | null;
  /** Users with fewer kept ratings than this are dropped (default 3: one to train on, one to validate, one to test). */
  readonly minLength?: number;
}

/** Every kept user's ratings in watch order, as CSR over rating indices. */
export interface UserSequences {
  /** User u's rating indices in watch order are `order[offsets[u]..offsets[u+1])`; a dropped user has none. */
  readonly offsets: Int32Array;
  readonly order: Int32Array;
  /** The movie of each entry of `order` (parallel to it). */
  readonly movies: Int32Array;
  /** Users with ratings but fewer than `minLength` kept (after `minRating`), and so dropped with those ratings. */
  readonly droppedUsers: number;
  readonly droppedRatings: number;
  /** Ratings below `minRating`. */
  readonly filteredRatings: number;
  /** Users kept. */
  readonly users: number;
  readonly minRating: number | null;
  readonly minLength: number;
}

function resolve(fn: string, o: SequenceOptions): { minRating: number | null; minLength: number } {
  const minRating = o.minRating ?? null;
  const minLength = o.minLength ?? 3;
  if (minRating !== null && !(typeof minRating === "number" && Number.isFinite(minRating)))
    throw new RangeError(`${fn}: option "minRating" must be a finite number or null, got ${String(minRating)}`);
  if (!(Number.isInteger(minLength) && minLength >= 1))
    throw new RangeError(`${fn}: option "minLength" must be a positive integer, got ${String(minLength)}`);
  return { minRating, minLength };
}

/**
 * Each user's ratings ordered by timestamp, ties broken by the movie's original id (so the order does not depend on the
 * file's row order). With `minRating`, lower ratings are left out first; users then left with fewer than `minLength`
 * ratings are dropped and counted. With `indices`, only those ratings are read (e.g. a split's training ratings).
 * O(n log n) over the ratings.
 */
export function userSequences(ds: SequenceSource, o: SequenceOptions = {}, indices?: Int32Array): UserSequences {
  const { minRating, minLength } = resolve("userSequences", o);
  let include: Uint8Array | null = null;
  if (indices) {
    include = new Uint8Array(ds.ratings.length);
    for (const i of indices) {
      if (!(i >= 0 && i < ds.ratings.length)) throw new RangeError(`userSequences: rating index ${i} outside 0..${ds.ratings.length - 1}`);
      include[i] = 1;
    }
  }
  const { ratings, numUsers } = ds;
  const ids = ds.movies.ids;
  const { offsets: all, order: grouped } = groupByUser(ratings, numUsers);
  const offsets = new Int32Array(numUsers + 1);
  const kept: number[] = [];
  let droppedUsers = 0;
  let droppedRatings = 0;
  let filteredRatings = 0;
  let users = 0;
  for (let u = 0; u < numUsers; u++) {
    const mine: number[] = [];
    let any = false;
    for (let k = all[u]; k < all[u + 1]; k++) {
      const i = grouped[k];
      if (include && !include[i]) continue;
      any = true;
      if (minRating !== null && !(ratings.rating[i] >= minRating)) filteredRatings++;
      else mine.push(i);
    }
    if (any && mine.length < minLength) {
      droppedUsers++;
      droppedRatings += mine.length;
      mine.length = 0;
    }
    if (mine.length > 0) users++;
    mine.sort((a, b) => ratings.timestamp[a] - ratings.timestamp[b] || ids[ratings.movie[a]] - ids[ratings.movie[b]] || a - b);
    for (const i of mine) kept.push(i);
    offsets[u + 1] = kept.length;
  }
  const order = Int32Array.from(kept);
  const movies = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) movies[k] = ratings.movie[order[k]];
  return { offsets, order, movies, droppedUsers, droppedRatings, filteredRatings, users, minRating, minLength };
}

/** The leave-last-out split: a {@link Split} (train = all but each user's last rating, test = the last) plus the validation item. */
export interface SequenceSplit extends Split {
  /** Each user's second-to-last rating (a subset of `train`): what early stopping and sweeps score on. */
  readonly validation: Int32Array;
  /** The sequences the split was cut from. */
  readonly sequences: UserSequences;
}

/**
 * SASRec's protocol (Kang & McAuley 2018): per kept user, the last movie is the test target, the one before it the
 * validation target, and the rest is training. `train` holds every rating but the last (validation included, so a model
 * that stops early holds `validation` out of it); ratings filtered out or of dropped users are in neither set.
 */
export function leaveLastOutSplit(ds: SequenceSource, o: SequenceOptions = {}): SequenceSplit {
  const { minLength } = resolve("leaveLastOutSplit", o);
  if (minLength < 3)
    throw new RangeError(`leaveLastOutSplit: option "minLength" must be at least 3 (train, validation, test), got ${minLength}`);
  const seq = userSequences(ds, o);
  const train: number[] = [];
  const test: number[] = [];
  const validation: number[] = [];
  for (let u = 0; u < ds.numUsers; u++) {
    const s = seq.offsets[u];
    const e = seq.offsets[u + 1];
    if (e === s) continue;
    for (let k = s; k < e - 1; k++) train.push(seq.order[k]);
    validation.push(seq.order[e - 2]);
    test.push(seq.order[e - 1]);
  }
  const tr = Int32Array.from(train).sort();
  const te = Int32Array.from(test).sort();
  const name = `leave-last-out${seq.minRating === null ? "" : `-min${seq.minRating}`}`;
  return {
    name,
    train: tr,
    test: te,
    validation: Int32Array.from(validation).sort(),
    sequences: seq,
    ...coldStartCounts(ds, tr, te),
  };
}

/** User u's movies in watch order (dense movie indices), one array per user (empty for users without any). */
export function sequenceMovies(seq: UserSequences): Int32Array[] {
  const out: Int32Array[] = [];
  for (let u = 0; u + 1 < seq.offsets.length; u++) out.push(seq.movies.subarray(seq.offsets[u], seq.offsets[u + 1]));
  return out;
}

/** Whether a split carries its own validation ratings (a {@link SequenceSplit}). */
export function hasValidation(split: Pick<Split, "train" | "test">): split is Pick<Split, "train" | "test"> & { validation: Int32Array } {
  return (split as { validation?: unknown }).validation instanceof Int32Array;
}
