// Train/test splits as pure functions returning index sets: random, per-user holdout, temporal, k-fold and ml-100k's own files.
import * as fs from "fs";
import * as path from "path";
import { Rng } from "../util/random";
import { IdTable } from "./columnar";
import { DataFormatError, MissingFileError } from "./errors";
import { ML100K_SPLITS, Ml100kSplitName } from "./ml100k";
import { parseRatingsFile } from "./ratings-parser";
import type { Dataset, Ratings, Split } from "./types";

/** What a split needs from a dataset: the ratings and the sizes of the user and movie tables. */
export type SplitSource = Pick<Dataset, "ratings" | "numUsers" | "numMovies">;

/** Test users and test movies that have no rating in train. */
export interface ColdStartCounts {
  readonly coldUsers: number;
  readonly coldMovies: number;
}

/** Counts cold-start users and movies: those appearing in `test` but nowhere in `train`. */
export function coldStartCounts(data: SplitSource, train: Int32Array, test: Int32Array): ColdStartCounts {
  const { ratings, numUsers, numMovies } = data;
  const userInTrain = new Uint8Array(numUsers);
  const movieInTrain = new Uint8Array(numMovies);
  for (let k = 0; k < train.length; k++) {
    userInTrain[ratings.user[train[k]]] = 1;
    movieInTrain[ratings.movie[train[k]]] = 1;
  }
  const coldU = new Uint8Array(numUsers);
  const coldM = new Uint8Array(numMovies);
  let coldUsers = 0;
  let coldMovies = 0;
  for (let k = 0; k < test.length; k++) {
    const u = ratings.user[test[k]];
    const m = ratings.movie[test[k]];
    if (!userInTrain[u] && !coldU[u]) {
      coldU[u] = 1;
      coldUsers++;
    }
    if (!movieInTrain[m] && !coldM[m]) {
      coldM[m] = 1;
      coldMovies++;
    }
  }
  return { coldUsers, coldMovies };
}

/** Sorts both index sets ascending, checks them (see {@link checkSplit}) and attaches the cold-start counts. */
export function makeSplit(name: string, data: SplitSource, train: Int32Array, test: Int32Array): Split {
  train.sort();
  test.sort();
  checkSplit({ name, train, test }, data.ratings.length, { requireUnion: false });
  return { name, train, test, ...coldStartCounts(data, train, test) };
}

/**
 * Throws a RangeError when an index is out of range or repeated, when train and test overlap, or (with
 * `requireUnion`, the default) when together they do not cover every rating.
 */
export function checkSplit(
  split: Pick<Split, "name" | "train" | "test">,
  numRatings: number,
  options: { requireUnion?: boolean } = {},
): void {
  const seen = new Uint8Array(numRatings);
  const mark = (arr: Int32Array, bit: number, label: string): void => {
    for (let k = 0; k < arr.length; k++) {
      const i = arr[k];
      if (i < 0 || i >= numRatings) throw new RangeError(`split ${split.name}: ${label} index ${i} outside 0..${numRatings - 1}`);
      if (seen[i] & bit) throw new RangeError(`split ${split.name}: rating ${i} twice in ${label}`);
      if (seen[i]) throw new RangeError(`split ${split.name}: rating ${i} is in both train and test`);
      seen[i] |= bit;
    }
  };
  mark(split.train, 1, "train");
  mark(split.test, 2, "test");
  if (options.requireUnion !== false && split.train.length + split.test.length !== numRatings) {
    throw new RangeError(`split ${split.name}: train + test cover ${split.train.length + split.test.length} of ${numRatings} ratings`);
  }
}

function checkFraction(f: number, what: string): void {
  if (!(f > 0 && f < 1)) throw new RangeError(`${what}: testFraction must be in (0, 1), got ${f}`);
}

/** Random split: a seeded permutation; the first round(n * testFraction) ratings go to test. */
export function randomSplit(data: SplitSource, options: { readonly testFraction: number; readonly seed: number }): Split {
  checkFraction(options.testFraction, "randomSplit");
  const n = data.ratings.length;
  const perm = new Rng(options.seed).permutation(n);
  const nTest = Math.round(n * options.testFraction);
  return makeSplit(`random-${options.testFraction}-seed${options.seed}`, data, perm.slice(nTest), perm.slice(0, nTest));
}

/**
 * Rating indices grouped by user (CSR): the indices of user u are `order[offsets[u]..offsets[u+1])`, in the order
 * they have in `within` (default: ascending index). Stable counting sort, O(n).
 */
export function groupByUser(
  ratings: Ratings,
  numUsers: number,
  within?: Int32Array,
): { readonly offsets: Int32Array; readonly order: Int32Array } {
  return groupUserColumn(ratings.user, numUsers, within);
}

/**
 * Counting sort of positions 0..n-1 of a user column by user: positions of user u are `order[offsets[u]..offsets[u+1])`,
 * in the order they have in `within` (a permutation of 0..n-1; default ascending). O(n + numUsers).
 */
export function groupUserColumn(
  user: ArrayLike<number>,
  numUsers: number,
  within?: ArrayLike<number>,
): { readonly offsets: Int32Array; readonly order: Int32Array } {
  const n = user.length;
  const offsets = new Int32Array(numUsers + 1);
  for (let i = 0; i < n; i++) offsets[user[i] + 1]++;
  for (let u = 0; u < numUsers; u++) offsets[u + 1] += offsets[u];
  const fill = offsets.slice(0, numUsers);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = within ? within[k] : k;
    order[fill[user[i]]++] = i;
  }
  return { offsets, order };
}

/** Stable argsort of 32-bit unsigned keys (LSD radix sort, two 16-bit passes): ties keep index order. */
export function argsortUint32(keys: Uint32Array): Int32Array {
  const n = keys.length;
  let src = new Int32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  let dst = new Int32Array(n);
  for (let shift = 0; shift < 32; shift += 16) {
    const count = new Int32Array(65537);
    for (let i = 0; i < n; i++) count[((keys[i] >>> shift) & 0xffff) + 1]++;
    for (let b = 0; b < 65536; b++) count[b + 1] += count[b];
    for (let k = 0; k < n; k++) {
      const i = src[k];
      dst[count[(keys[i] >>> shift) & 0xffff]++] = i;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

/** Options of {@link perUserHoldout}: hold out each user's last k ratings by time, or k at random. */
export type HoldoutOptions =
  | { readonly k: number; readonly by: "time"; readonly minTrain?: number }
  | { readonly k: number; readonly by: "random"; readonly seed: number; readonly minTrain?: number };

/**
 * Per-user holdout: for every user, min(k, n_u - minTrain) ratings go to test (minTrain defaults to 1, so every user
 * keeps at least one training rating). "time" takes the latest (ties: later index); "random" a seeded sample.
 */
export function perUserHoldout(data: SplitSource, options: HoldoutOptions): Split {
  const { k } = options;
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`perUserHoldout: k must be a positive integer, got ${k}`);
  const minTrain = options.minTrain ?? 1;
  const { ratings, numUsers } = data;
  const rng = options.by === "random" ? new Rng(options.seed) : null;
  // For "time", group a timestamp-sorted order by user: each user's indices then run by (timestamp, index).
  const { offsets, order } = groupByUser(ratings, numUsers, rng ? undefined : argsortUint32(ratings.timestamp));
  const isTest = new Uint8Array(ratings.length);
  let nTest = 0;
  for (let u = 0; u < numUsers; u++) {
    const s = offsets[u];
    const e = offsets[u + 1];
    const take = Math.max(0, Math.min(k, e - s - minTrain));
    if (take === 0) continue;
    const idx = order.subarray(s, e).slice();
    if (rng) {
      // Partial Fisher-Yates: the first `take` entries become a uniform sample.
      for (let i = 0; i < take; i++) {
        const j = i + rng.int(idx.length - i);
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      for (let i = 0; i < take; i++) isTest[idx[i]] = 1;
    } else {
      for (let i = idx.length - take; i < idx.length; i++) isTest[idx[i]] = 1;
    }
    nTest += take;
  }
  const train = new Int32Array(ratings.length - nTest);
  const test = new Int32Array(nTest);
  let a = 0;
  let b = 0;
  for (let i = 0; i < ratings.length; i++) {
    if (isTest[i]) test[b++] = i;
    else train[a++] = i;
  }
  const how = options.by === "random" ? `random-seed${options.seed}` : "last";
  return makeSplit(`holdout-${how}-${k}`, data, train, test);
}

/** Options of {@link temporalSplit}: the latest fraction of ratings, or everything at/after a cutoff time. */
export type TemporalOptions = { readonly testFraction: number } | { readonly cutoff: number };

/** Global temporal split: ratings ordered by (timestamp, index); the latest go to test. Deterministic, no seed. */
export function temporalSplit(data: SplitSource, options: TemporalOptions): Split {
  const r = data.ratings;
  const n = r.length;
  if ("cutoff" in options) {
    let nTest = 0;
    for (let i = 0; i < n; i++) if (r.timestamp[i] >= options.cutoff) nTest++;
    const train = new Int32Array(n - nTest);
    const test = new Int32Array(nTest);
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      if (r.timestamp[i] >= options.cutoff) test[b++] = i;
      else train[a++] = i;
    }
    return makeSplit(`temporal-cutoff-${options.cutoff}`, data, train, test);
  }
  checkFraction(options.testFraction, "temporalSplit");
  const order = argsortUint32(r.timestamp);
  const nTest = Math.round(n * options.testFraction);
  return makeSplit(`temporal-${options.testFraction}`, data, order.slice(0, n - nTest), order.slice(n - nTest));
}

/** k-fold cross-validation: a seeded permutation cut into k folds of near-equal size; fold f is the test set of split f. */
export function kFoldSplits(data: SplitSource, options: { readonly k: number; readonly seed: number }): Split[] {
  const { k } = options;
  const n = data.ratings.length;
  if (!(Number.isInteger(k) && k >= 2 && k <= n)) throw new RangeError(`kFoldSplits: k must be an integer in 2..${n}, got ${k}`);
  const perm = new Rng(options.seed).permutation(n);
  const splits: Split[] = [];
  for (let f = 0; f < k; f++) {
    const s = Math.floor((f * n) / k);
    const e = Math.floor(((f + 1) * n) / k);
    const train = new Int32Array(n - (e - s));
    train.set(perm.subarray(0, s), 0);
    train.set(perm.subarray(e), s);
    splits.push(makeSplit(`kfold-${f + 1}of${k}-seed${options.seed}`, data, train, perm.slice(s, e)));
  }
  return splits;
}

function mapLinesToIndices(dataset: Dataset, file: string, pairIndex: Map<number, number>, used: Uint8Array, bit: number): Int32Array {
  if (!fs.existsSync(file)) throw new MissingFileError(file, null, "the predefined split file to exist", "no such file");
  const r = parseRatingsFile(
    file,
    { separator: "\t", header: null, scale: dataset.ratingScale, fieldNames: ["user id", "item id", "rating", "timestamp"] },
    {
      movies: IdTable.fromIds(dataset.movies.ids),
      moviesFile: "u.item",
      users: IdTable.fromIds(dataset.userIds),
      addUsers: false,
      usersFile: "u.user",
    },
  );
  const out = new Int32Array(r.length);
  const all = dataset.ratings;
  for (let k = 0; k < r.length; k++) {
    const key = r.user[k] * dataset.numMovies + r.movie[k];
    const i = pairIndex.get(key);
    const line = k + 1;
    const desc = `user ${dataset.userIds[r.user[k]]}, item ${dataset.movies.ids[r.movie[k]]}`;
    if (i === undefined) throw new DataFormatError(file, line, "a rating present in u.data", `${desc} not in u.data`);
    if (all.rating[i] !== r.rating[k] || all.timestamp[i] !== r.timestamp[k]) {
      throw new DataFormatError(
        file,
        line,
        `rating ${all.rating[i]} at ${all.timestamp[i]} as in u.data`,
        `${desc}: ${r.rating[k]} at ${r.timestamp[k]}`,
      );
    }
    if (used[i] & bit) throw new DataFormatError(file, line, "each rating once", `${desc} again`);
    if (used[i]) throw new DataFormatError(file, line, "a rating not in the matching .base file", `${desc} in both`);
    used[i] |= bit;
    out[k] = i;
  }
  return out;
}

/**
 * One of ml-100k's predefined splits (u1..u5, ua, ub), read from `<name>.base` / `<name>.test` in the dataset's folder
 * (or `dir`), with each line mapped to its index in u.data. A line absent from u.data, or in both files, is an error.
 */
export function predefinedSplit(dataset: Dataset, name: Ml100kSplitName, dir: string = dataset.source): Split {
  if (!ML100K_SPLITS.includes(name))
    throw new RangeError(`predefinedSplit: unknown split ${JSON.stringify(name)}; known: ${ML100K_SPLITS.join(", ")}`);
  const pairIndex = new Map<number, number>();
  const r = dataset.ratings;
  for (let i = 0; i < r.length; i++) {
    const key = r.user[i] * dataset.numMovies + r.movie[i];
    if (pairIndex.has(key))
      throw new DataFormatError(
        path.join(dir, "u.data"),
        null,
        "one rating per (user, item) to map split files",
        `user ${dataset.userIds[r.user[i]]} rated item ${dataset.movies.ids[r.movie[i]]} twice`,
      );
    pairIndex.set(key, i);
  }
  const used = new Uint8Array(r.length);
  const train = mapLinesToIndices(dataset, path.join(dir, `${name}.base`), pairIndex, used, 1);
  const test = mapLinesToIndices(dataset, path.join(dir, `${name}.test`), pairIndex, used, 2);
  return makeSplit(name, dataset, train, test);
}
