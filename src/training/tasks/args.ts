// Argument checks shared by the task factories: required options, rating-index arrays, seeds and enums, with errors naming the factory and the argument.
import { Dataset, Movies } from "../../data/types";

/** A short description of a bad value for an error message: `undefined`, `an Array of 3`, `a Float32Array`, `"abc"`. */
export function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return `an Array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "function") return "a function";
  return `an object with keys ${Object.keys(value).join(", ") || "(none)"}`;
}

/** The options object of a factory; throws when it is missing or not an object. `shape` lists its fields for the message. */
export function requireOptions<T>(factory: string, options: T | undefined, shape: string): T {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${factory}: the options argument is required (${shape}), got ${describe(options)}`);
  }
  return options;
}

/** True for an Int32Array of any realm (tslab and vm contexts have their own typed-array constructors). */
export function isInt32Array(value: unknown): value is Int32Array {
  return Object.prototype.toString.call(value) === "[object Int32Array]";
}

/** Throws unless `ds` looks like a loaded Dataset (rating columns and counts). */
export function checkDataset(factory: string, ds: Dataset): void {
  const d = ds as Partial<Dataset> | null | undefined;
  const r = d?.ratings;
  if (
    !d ||
    !r ||
    typeof r.length !== "number" ||
    !ArrayBuffer.isView(r.user) ||
    !ArrayBuffer.isView(r.movie) ||
    !ArrayBuffer.isView(r.rating) ||
    !Number.isInteger(d.numMovies)
  ) {
    throw new TypeError(`${factory}: argument "ds" must be a Dataset (from loadDataset), got ${describe(ds)}`);
  }
}

/** Throws unless `movies` looks like a dataset's movie table (`ds.movies`). */
export function checkMovies(factory: string, movies: Movies): void {
  const m = movies as Partial<Movies> | Partial<Dataset> | null | undefined;
  if (m && "ratings" in m && m.ratings && "movies" in m) {
    throw new TypeError(`${factory}: argument "movies" must be a movie table: pass the dataset's movies (ds.movies), not the dataset`);
  }
  const mv = m as Partial<Movies> | null | undefined;
  if (!mv || !ArrayBuffer.isView(mv.ids) || !Array.isArray(mv.genreVocabulary) || !ArrayBuffer.isView(mv.genreMatrix)) {
    throw new TypeError(`${factory}: argument "movies" must be a dataset's movie table (ds.movies), got ${describe(movies)}`);
  }
  if (mv.genreMatrix.length !== mv.ids.length * mv.genreVocabulary.length) {
    throw new RangeError(
      `${factory}: argument "movies" has a genre matrix of ${mv.genreMatrix.length} entries for ${mv.ids.length} movies x ${mv.genreVocabulary.length} genres`,
    );
  }
}

/**
 * Option `name` of a factory as rating indices: an Int32Array of indices into `ds.ratings`. When the option is absent,
 * throws if `required` describes it (`option "train" is required (<required>)`), else returns undefined. Throws, naming
 * the option, on another type or on an index outside 0..ratings-1.
 */
export function ratingIndices(
  factory: string,
  ds: Dataset,
  name: string,
  value: Int32Array | undefined,
  required: string | null,
  kind: "option" | "argument" = "option",
): Int32Array | undefined {
  const what = `${factory}: ${kind} "${name}"`;
  if (value === undefined || value === null) {
    if (required !== null) throw new TypeError(`${what} is required (${required})`);
    return undefined;
  }
  if (!isInt32Array(value)) {
    const hint = Array.isArray(value) || ArrayBuffer.isView(value) ? " (use Int32Array.from(...))" : "";
    throw new TypeError(`${what} must be an Int32Array of rating indices, got ${describe(value)}${hint}`);
  }
  const n = ds.ratings.length;
  for (let k = 0; k < value.length; k++) {
    const i = value[k];
    if (i < 0 || i >= n) throw new RangeError(`${what} has index ${i} at position ${k}, outside the dataset's ${n} ratings (0..${n - 1})`);
  }
  return value;
}

/** A required seed option: a finite number. */
export function requireSeed(factory: string, seed: number | undefined): number {
  if (seed === undefined || seed === null)
    throw new TypeError(`${factory}: option "seed" is required (a number; the task's random choices derive from it)`);
  if (typeof seed !== "number" || !Number.isFinite(seed))
    throw new RangeError(`${factory}: option "seed" must be a finite number, got ${describe(seed)}`);
  return seed;
}

/** An optional option restricted to `allowed` values; returns `fallback` when absent. */
export function oneOf<T extends string>(factory: string, name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (!allowed.includes(value)) {
    throw new RangeError(`${factory}: option "${name}" must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describe(value)}`);
  }
  return value;
}
