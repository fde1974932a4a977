// Rating targets, in one place: how ratings become training targets and model outputs become ratings again (JS and TF forms), fitted on training ratings, and their JSON form for checkpoints.
import type { tf } from "../backend";
import { ratingSummary } from "./stats";
import type { Dataset, Ratings } from "./types";

/** How ratings become the targets a model is trained on (the rating task's `target` option). */
export type RatingTarget =
  /** The rating itself (MSE). */
  | "raw"
  /** (r - min) / (max - min) in [0, 1] (BCE with a sigmoid head). */
  | "minmax"
  /** r minus the mean of the movie's training ratings (MF with mean normalisation). */
  | "movie-mean"
  /** r minus the global training mean. */
  | "global-mean";

/** Every {@link RatingTarget}, for argument checks. */
export const RATING_TARGETS: readonly RatingTarget[] = ["raw", "minmax", "movie-mean", "global-mean"];

/**
 * Every kind of transform: the {@link RatingTarget}s, plus "user-mean" (r minus the mean of the user's training
 * ratings), a dataset-level centring. Its inverse needs the user as well as the movie, which the rating task and the
 * scorers do not pass, so it is not a rating-task target.
 */
export type TargetKind = RatingTarget | "user-mean";

/** Every {@link TargetKind}. */
export const TARGET_KINDS: readonly TargetKind[] = [...RATING_TARGETS, "user-mean"];

/** A fitted transform as plain JSON (what a checkpoint's lab.json stores); {@link ratingTransformFromJSON} revives it. */
export interface RatingTransformJSON {
  kind: TargetKind;
  /** Ratings are clipped to [min, max]; "minmax" scales by this range. */
  min: number;
  max: number;
  globalMean: number;
  /** Per-movie training mean ("movie-mean" only). */
  movieMean?: number[];
  /** Per-user training mean ("user-mean" only). */
  userMean?: number[];
}

/** Maps ratings to targets and model outputs back to ratings, in JS and in TF. */
export interface RatingTransform {
  readonly kind: TargetKind;
  readonly min: number;
  readonly max: number;
  readonly globalMean: number;
  /** Per-movie training mean (movie-mean only). */
  readonly movieMean: Float32Array | null;
  /** Per-user training mean (user-mean only). */
  readonly userMean: Float32Array | null;
  /** Rating -> target. `user` is needed by "user-mean" only. */
  toTarget(rating: number, movie: number, user?: number): number;
  /** Output -> rating, clipped to [min, max]. `user` is needed by "user-mean" only. */
  toRating(output: number, movie: number, user?: number): number;
  /** {@link toRating} for a batch of outputs in TF (any shape, flattened): one rating per output, clipped to [min, max]. */
  toRatingTensor(output: tf.Tensor, movies: Int32Array, users?: Int32Array): tf.Tensor;
  /** The JSON form (JSON.stringify uses it). */
  toJSON(): RatingTransformJSON;
}

/** Options of {@link fitRatingTransform}. */
export interface FitTargetOptions {
  /**
   * The [min, max] range that "minmax" scales by and ratings are clipped to: the dataset's `ratingScale` ("scale", the
   * default) or the smallest and largest fitted rating ("observed").
   */
  range?: "scale" | "observed";
}

/**
 * Fits a transform on the ratings at `train` (indices into `ds.ratings`; null for every rating). Movies (users) without
 * fitted ratings get the global mean; with no fitted ratings the global mean is the middle of the range.
 */
export function fitRatingTransform(
  ds: Dataset,
  train: Int32Array | null,
  kind: TargetKind,
  options: FitTargetOptions = {},
): RatingTransform {
  if (!TARGET_KINDS.includes(kind)) {
    throw new RangeError(
      `fitRatingTransform: argument "kind" must be one of ${TARGET_KINDS.map((t) => `"${t}"`).join(", ")}, got ${String(kind)}`,
    );
  }
  const r = ds.ratings;
  let { min, max } = ds.ratingScale;
  if (options.range === "observed") {
    min = Infinity;
    max = -Infinity;
    const n = train ? train.length : r.length;
    for (let k = 0; k < n; k++) {
      const v = r.rating[train ? train[k] : k];
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (kind === "minmax" && !(max > min)) throw new RangeError(`fitRatingTransform: "minmax" needs max > min, got [${min}, ${max}]`);
  const summary = ratingSummary(ds, train ?? undefined);
  const fitted = train ? train.length : r.length;
  const globalMean = fitted ? summary.globalMean : (min + max) / 2;
  const means = (mean: Float64Array, count: Int32Array): Float32Array => Float32Array.from(mean, (m, i) => (count[i] ? m : globalMean));
  return makeTransform(
    kind,
    min,
    max,
    globalMean,
    kind === "movie-mean" ? means(summary.movieMean, summary.movieCount) : null,
    kind === "user-mean" ? means(summary.userMean, summary.userCount) : null,
  );
}

/** Revives a transform from its JSON form (checked by {@link checkRatingTransformJSON}). */
export function ratingTransformFromJSON(json: RatingTransformJSON, where = "ratingTransformFromJSON"): RatingTransform {
  const j = checkRatingTransformJSON(json, where);
  return makeTransform(
    j.kind,
    j.min,
    j.max,
    j.globalMean,
    j.movieMean ? Float32Array.from(j.movieMean) : null,
    j.userMean ? Float32Array.from(j.userMean) : null,
  );
}

/**
 * Checks that `value` is a transform's JSON form (as written by `toJSON`) and returns a plain copy holding only the
 * fields its kind uses. Errors start with `where`.
 */
export function checkRatingTransformJSON(value: unknown, where: string): RatingTransformJSON {
  const bad = (what: string): never => {
    throw new TypeError(`${where}: a rating transform needs ${what}`);
  };
  if (value === null || typeof value !== "object" || Array.isArray(value)) return bad(`to be an object, got ${String(value)}`);
  const v = value as Record<string, unknown>;
  const kind = v.kind as TargetKind;
  if (!TARGET_KINDS.includes(kind)) bad(`"kind" one of ${TARGET_KINDS.map((t) => `"${t}"`).join(", ")}, got ${JSON.stringify(v.kind)}`);
  const num = (key: "min" | "max" | "globalMean"): number =>
    typeof v[key] === "number" && Number.isFinite(v[key])
      ? (v[key] as number)
      : bad(`a finite number "${key}", got ${JSON.stringify(v[key])}`);
  const out: RatingTransformJSON = { kind, min: num("min"), max: num("max"), globalMean: num("globalMean") };
  if (!(out.max >= out.min) || (kind === "minmax" && !(out.max > out.min))) bad(`max > min, got [${out.min}, ${out.max}]`);
  const table = (key: "movieMean" | "userMean"): number[] => {
    const t = v[key];
    if (!Array.isArray(t) || !t.every((x) => typeof x === "number" && Number.isFinite(x)))
      bad(`"${key}", an array of finite numbers, for kind "${kind}"`);
    return Array.from(t as number[]);
  };
  if (kind === "movie-mean") out.movieMean = table("movieMean");
  if (kind === "user-mean") out.userMean = table("userMean");
  return out;
}

/** Every rating of `ratings` as a target (`t.toTarget` per rating). */
export function ratingsToTargets(t: RatingTransform, ratings: Ratings): Float32Array {
  const out = new Float32Array(ratings.length);
  for (let i = 0; i < ratings.length; i++) out[i] = t.toTarget(ratings.rating[i], ratings.movie[i], ratings.user[i]);
  return out;
}

/** Outputs back to ratings (`t.toRating` per output) for the given movies (and users, for "user-mean"). */
export function outputsToRatings(t: RatingTransform, outputs: ArrayLike<number>, movies: Int32Array, users?: Int32Array): Float32Array {
  const out = new Float32Array(outputs.length);
  for (let i = 0; i < outputs.length; i++) out[i] = t.toRating(outputs[i], movies[i], users ? users[i] : undefined);
  return out;
}

function gather(source: Float32Array, at: Int32Array): Float32Array {
  const out = new Float32Array(at.length);
  for (let k = 0; k < at.length; k++) out[k] = source[at[k]];
  return out;
}

function needUser(user: number | undefined): number {
  if (user === undefined) throw new TypeError('a "user-mean" transform needs the user: pass it after the movie');
  return user;
}

function needUsers(users: Int32Array | undefined): Int32Array {
  if (users === undefined) throw new TypeError('a "user-mean" transform needs the users: toRatingTensor(output, movies, users)');
  return users;
}

// The one definition of each kind's mapping: JS (toTarget, toRating) and TF (toRatingTensor) side by side.
function makeTransform(
  kind: TargetKind,
  min: number,
  max: number,
  globalMean: number,
  movieMean: Float32Array | null,
  userMean: Float32Array | null,
): RatingTransform {
  const clip = (r: number): number => (r < min ? min : r > max ? max : r);
  const span = max - min;
  return {
    kind,
    min,
    max,
    globalMean,
    movieMean,
    userMean,
    toTarget(r, m, u) {
      switch (kind) {
        case "raw":
          return r;
        case "minmax":
          return (r - min) / span;
        case "movie-mean":
          return r - movieMean![m];
        case "global-mean":
          return r - globalMean;
        case "user-mean":
          return r - userMean![needUser(u)];
      }
    },
    toRating(o, m, u) {
      switch (kind) {
        case "raw":
          return clip(o);
        case "minmax":
          return clip(min + o * span);
        case "movie-mean":
          return clip(o + movieMean![m]);
        case "global-mean":
          return clip(o + globalMean);
        case "user-mean":
          return clip(o + userMean![needUser(u)]);
      }
    },
    // Chained ops only (tensor-like arguments become tensors on the active backend), so the data layer never loads TF itself.
    toRatingTensor(output, movies, users) {
      const o = output.reshape([-1]);
      let rating: tf.Tensor;
      switch (kind) {
        case "raw":
          rating = o;
          break;
        case "minmax":
          rating = o.mul(span).add(min);
          break;
        case "global-mean":
          rating = o.add(globalMean);
          break;
        case "movie-mean":
          rating = o.add(gather(movieMean!, movies));
          break;
        case "user-mean":
          rating = o.add(gather(userMean!, needUsers(users)));
          break;
      }
      return rating.clipByValue(min, max);
    },
    toJSON() {
      const json: RatingTransformJSON = { kind, min, max, globalMean };
      if (movieMean) json.movieMean = Array.from(movieMean);
      if (userMean) json.userMean = Array.from(userMean);
      return json;
    },
  };
}
