// The columnar in-memory form: id <-> dense index tables, assembling a Dataset from its parts, and memory accounting.
import type { Dataset, Links, Movies, Ratings, Tags, Users } from "./types";

/** Bytes per rating in the columnar form: Int32 user + Int32 movie + Float32 rating + Uint32 timestamp. */
export const BYTES_PER_RATING = 16;

/** The smallest and largest rating a dataset allows. */
export interface RatingScale {
  readonly min: number;
  readonly max: number;
}

/**
 * Maps original (non-negative integer) ids to dense indices 0..size-1 in order of addition.
 * Ids below 2^25 use a flat Int32Array lookup (fast for MovieLens' ids); larger ids fall back to a Map.
 */
export class IdTable {
  /** id -> index, -1 when absent; only for ids < direct.length. Internal, read by the hot parsing loop. */
  direct: Int32Array;
  private overflow: Map<number, number> | null = null;
  private list: Int32Array;
  private count = 0;
  static readonly MAX_DIRECT = 1 << 25;

  constructor(expectedMaxId = 1024, expectedSize = 1024) {
    this.direct = new Int32Array(Math.min(Math.max(16, expectedMaxId + 1), IdTable.MAX_DIRECT)).fill(-1);
    this.list = new Int32Array(Math.max(16, expectedSize));
  }

  /** Builds a table from ids in dense order; duplicate ids throw a RangeError (the caller names the file). */
  static fromIds(ids: ArrayLike<number>): IdTable {
    let maxId = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] > maxId) maxId = ids[i];
    const t = new IdTable(maxId, ids.length);
    for (let i = 0; i < ids.length; i++) {
      if (t.get(ids[i]) !== -1) throw new RangeError(`duplicate id ${ids[i]}`);
      t.add(ids[i]);
    }
    return t;
  }

  /** Number of ids. */
  get size(): number {
    return this.count;
  }

  /** Dense index of `id`, or -1. */
  get(id: number): number {
    if (id < this.direct.length) return this.direct[id];
    if (this.overflow === null) return -1;
    const v = this.overflow.get(id);
    return v === undefined ? -1 : v;
  }

  /** Adds an id that is not present yet and returns its new dense index. */
  add(id: number): number {
    const idx = this.count;
    if (idx === this.list.length) {
      const bigger = new Int32Array(Math.max(16, Math.ceil(this.list.length * 1.5)));
      bigger.set(this.list);
      this.list = bigger;
    }
    this.list[idx] = id;
    this.count++;
    if (id >= this.direct.length && id < IdTable.MAX_DIRECT) {
      let len = this.direct.length;
      while (len <= id) len *= 2;
      const bigger = new Int32Array(Math.min(len, IdTable.MAX_DIRECT)).fill(-1);
      bigger.set(this.direct);
      this.direct = bigger;
    }
    if (id < this.direct.length) this.direct[id] = idx;
    else (this.overflow ??= new Map()).set(id, idx);
    return idx;
  }

  /** Dense index of `id`, adding it when absent. */
  getOrAdd(id: number): number {
    const i = this.get(id);
    return i !== -1 ? i : this.add(id);
  }

  /** The ids in dense order (a copy). */
  ids(): Int32Array {
    return this.list.slice(0, this.count);
  }

  /** Original id -> dense index as a Map. */
  toMap(): Map<number, number> {
    const m = new Map<number, number>();
    for (let i = 0; i < this.count; i++) m.set(this.list[i], i);
    return m;
  }
}

/** Wraps four equally long typed arrays as {@link Ratings}. */
export function makeRatings(user: Int32Array, movie: Int32Array, rating: Float32Array, timestamp: Uint32Array): Ratings {
  const length = user.length;
  if (movie.length !== length || rating.length !== length || timestamp.length !== length) {
    throw new RangeError(`makeRatings: column lengths differ (${length}, ${movie.length}, ${rating.length}, ${timestamp.length})`);
  }
  return { user, movie, rating, timestamp, length };
}

/** The ratings at `indices` (in that order), as new arrays. */
export function selectRatings(ratings: Ratings, indices: ArrayLike<number>): Ratings {
  const n = indices.length;
  const user = new Int32Array(n);
  const movie = new Int32Array(n);
  const rating = new Float32Array(n);
  const timestamp = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    user[k] = ratings.user[i];
    movie[k] = ratings.movie[i];
    rating[k] = ratings.rating[i];
    timestamp[k] = ratings.timestamp[i];
  }
  return makeRatings(user, movie, rating, timestamp);
}

/** Everything needed to assemble a {@link Dataset}; the id maps are derived. */
export interface DatasetParts {
  readonly name: string;
  readonly source: string;
  readonly ratings: Ratings;
  readonly movies: Movies;
  readonly users: Users | null;
  /** Original user id per dense user index (must equal users.ids when users is given). */
  readonly userIds: Int32Array;
  readonly ratingScale: RatingScale;
  readonly tags?: Tags | null;
  readonly links?: Links | null;
}

/** Assembles a dataset and its id maps from parts, checking that ratings reference existing users and movies. */
export function buildDataset(parts: DatasetParts): Dataset {
  const numUsers = parts.userIds.length;
  const numMovies = parts.movies.ids.length;
  if (parts.users && parts.users.ids.length !== numUsers) throw new RangeError("buildDataset: users table and userIds differ in length");
  const r = parts.ratings;
  for (let i = 0; i < r.length; i++) {
    const u = r.user[i];
    const m = r.movie[i];
    if (u < 0 || u >= numUsers || m < 0 || m >= numMovies) {
      throw new RangeError(`buildDataset: rating ${i} references user ${u} / movie ${m} outside ${numUsers} users / ${numMovies} movies`);
    }
  }
  const userIndex = new Map<number, number>();
  for (let i = 0; i < numUsers; i++) userIndex.set(parts.userIds[i], i);
  const movieIndex = new Map<number, number>();
  for (let i = 0; i < numMovies; i++) movieIndex.set(parts.movies.ids[i], i);
  return {
    name: parts.name,
    source: parts.source,
    ratings: r,
    movies: parts.movies,
    users: parts.users,
    userIds: parts.userIds,
    numUsers,
    numMovies,
    userIndex,
    movieIndex,
    ratingScale: { min: parts.ratingScale.min, max: parts.ratingScale.max },
    tags: parts.tags ?? null,
    links: parts.links ?? null,
  };
}

/** Memory use of a loaded dataset. Typed arrays are exact; strings and Maps are estimates. */
export interface MemoryReport {
  readonly numRatings: number;
  /** Bytes of the four rating columns (exact). */
  readonly ratingsBytes: number;
  /** ratingsBytes / numRatings: 16 for the columnar form. */
  readonly bytesPerRating: number;
  /** Movie table: typed arrays exact, strings estimated. */
  readonly moviesBytesApprox: number;
  /** User table and userIds. */
  readonly usersBytesApprox: number;
  /** The two id -> index Maps (about 40 bytes per entry). */
  readonly indexBytesApprox: number;
  /** Tags and links, when loaded. */
  readonly extrasBytesApprox: number;
  readonly totalBytesApprox: number;
}

function stringBytes(list: readonly string[]): number {
  let b = 0;
  for (const s of list) b += 16 + s.length * 2;
  return b + list.length * 8;
}

/** Reports how much memory `dataset` holds: bytes and bytes per rating. */
export function memoryUsage(dataset: Dataset): MemoryReport {
  const r = dataset.ratings;
  const ratingsBytes = r.user.byteLength + r.movie.byteLength + r.rating.byteLength + r.timestamp.byteLength;
  const m = dataset.movies;
  let genreStrings = 0;
  for (const g of m.genres) genreStrings += 16 + g.length * 8;
  const moviesBytesApprox =
    m.ids.byteLength + m.genreMatrix.byteLength + stringBytes(m.titles) + stringBytes(m.rawTitles) + m.years.length * 8 + genreStrings;
  let usersBytesApprox = dataset.userIds.byteLength;
  const u = dataset.users;
  if (u) {
    usersBytesApprox +=
      u.ids.byteLength +
      u.age.byteLength +
      u.gender.length * 8 +
      stringBytes(u.ageBracket) +
      stringBytes(u.occupation) +
      stringBytes(u.zip);
  }
  const indexBytesApprox = (dataset.userIndex.size + dataset.movieIndex.size) * 40;
  const x = dataset;
  let extrasBytesApprox = 0;
  if (x.tags)
    extrasBytesApprox += x.tags.userId.byteLength + x.tags.movieId.byteLength + x.tags.timestamp.byteLength + stringBytes(x.tags.tag);
  if (x.links) extrasBytesApprox += x.links.movieId.byteLength + x.links.tmdbId.byteLength + stringBytes(x.links.imdbId);
  return {
    numRatings: r.length,
    ratingsBytes,
    bytesPerRating: r.length ? ratingsBytes / r.length : 0,
    moviesBytesApprox,
    usersBytesApprox,
    indexBytesApprox,
    extrasBytesApprox,
    totalBytesApprox: ratingsBytes + moviesBytesApprox + usersBytesApprox + indexBytesApprox + extrasBytesApprox,
  };
}
