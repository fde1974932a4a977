// Explicit-rating tasks: predict ratings under MSE, or min-max normalised ratings under BCE (seed 000 / the Keras example).
import { tf } from "../../backend";
import { ratingSummary } from "../../data/stats";
import { Dataset } from "../../data/types";
import { RecModel } from "../../models/base";
import { logLoss, meanSquaredError } from "../losses";
import { Forward, Task, TaskBatch, TaskMetric, gatherTyped } from "../task";
import { checkDataset, describe, isInt32Array, oneOf, ratingIndices, requireOptions } from "./args";

/** How ratings become training targets. */
export type RatingTarget =
  /** The rating itself (MSE). */
  | "raw"
  /** (r - min) / (max - min) in [0, 1] (BCE with a sigmoid head). */
  | "minmax"
  /** r minus the mean of the movie's training ratings (seed 001's mean normalisation). */
  | "movie-mean"
  /** r minus the global training mean. */
  | "global-mean";

/** Every {@link RatingTarget}, for argument checks. */
export const RATING_TARGETS: readonly RatingTarget[] = ["raw", "minmax", "movie-mean", "global-mean"];

/** Maps ratings to targets and model outputs back to ratings. */
export interface RatingTransform {
  readonly kind: RatingTarget;
  readonly min: number;
  readonly max: number;
  readonly globalMean: number;
  /** Per-movie training mean (movie-mean only). */
  readonly movieMean: Float32Array | null;
  toTarget(rating: number, movie: number): number;
  /** Output -> rating, clipped to [min, max]. */
  toRating(output: number, movie: number): number;
}

/** Fits a transform on the training ratings `train` (indices into `ds.ratings`). */
export function ratingTransform(ds: Dataset, train: Int32Array, kind: RatingTarget): RatingTransform {
  checkDataset("ratingTransform", ds);
  ratingIndices("ratingTransform", ds, "train", train, "the indices of the training ratings", "argument");
  if (!RATING_TARGETS.includes(kind)) {
    throw new RangeError(
      `ratingTransform: argument "kind" must be one of ${RATING_TARGETS.map((t) => `"${t}"`).join(", ")}, got ${describe(kind)}`,
    );
  }
  const { min, max } = ds.ratingScale;
  const summary = ratingSummary(ds, train);
  const globalMean = train.length ? summary.globalMean : (min + max) / 2;
  // Movies without training ratings fall back to the global mean.
  const movieMean = kind === "movie-mean" ? Float32Array.from(summary.movieMean, (m, i) => (summary.movieCount[i] ? m : globalMean)) : null;
  const clip = (r: number): number => (r < min ? min : r > max ? max : r);
  const span = max - min;
  return {
    kind,
    min,
    max,
    globalMean,
    movieMean,
    toTarget(r, m) {
      switch (kind) {
        case "raw":
          return r;
        case "minmax":
          return (r - min) / span;
        case "movie-mean":
          return r - movieMean![m];
        case "global-mean":
          return r - globalMean;
      }
    },
    toRating(o, m) {
      switch (kind) {
        case "raw":
          return clip(o);
        case "minmax":
          return clip(min + o * span);
        case "movie-mean":
          return clip(o + movieMean![m]);
        case "global-mean":
          return clip(o + globalMean);
      }
    },
  };
}

/** Options for {@link ratingTask}. */
export interface RatingTaskOptions {
  /** Indices into the dataset's ratings. */
  train: Int32Array;
  /** Validation indices (e.g. the split's test set), or none. */
  validation?: Int32Array;
  target?: RatingTarget;
  /** "mse" on targets, or "bce" on min-max targets through a sigmoid head. */
  loss?: "mse" | "bce";
  /** Session id of every rating (data's `ratingSessions(ds).session`), for models with a "session" input. */
  sessions?: Int32Array;
}

/** A task over explicit ratings, with RMSE and MAE in rating units as metrics. */
export interface RatingTask extends Task {
  readonly transform: RatingTransform;
  readonly lossKind: "mse" | "bce";
}

/** Builds the explicit-rating task. BCE requires min-max targets (checked). */
export function ratingTask(ds: Dataset, o: RatingTaskOptions): RatingTask {
  const F = "ratingTask";
  checkDataset(F, ds);
  requireOptions(F, o, "{ train, validation?, target?, loss?, sessions? }");
  const train = ratingIndices(F, ds, "train", o.train, "the indices of the training ratings")!;
  const lossKind = oneOf(F, "loss", o.loss, ["mse", "bce"], "mse");
  const target = oneOf(F, "target", o.target, RATING_TARGETS, lossKind === "bce" ? "minmax" : "raw");
  if (lossKind === "bce" && target !== "minmax") throw new Error(`BCE needs targets in [0, 1]: use target "minmax", not "${target}"`);
  const transform = ratingTransform(ds, train, target);
  const r = ds.ratings;
  const targets = new Float32Array(r.length);
  for (let i = 0; i < r.length; i++) targets[i] = transform.toTarget(r.rating[i], r.movie[i]);
  const val = ratingIndices(F, ds, "validation", o.validation, null) ?? new Int32Array(0);
  const sessions = o.sessions ?? undefined;
  if (sessions && !isInt32Array(sessions)) {
    throw new TypeError(`ratingTask: option "sessions" must be an Int32Array (ratingSessions(ds).session), got ${describe(sessions)}`);
  }
  if (sessions && sessions.length !== r.length) {
    throw new RangeError(`ratingTask: sessions has ${sessions.length} entries for ${r.length} ratings (use ratingSessions(ds).session)`);
  }
  // One id column per model input: user, movie (and session).
  const idColumns = sessions ? [r.user, r.movie, sessions] : [r.user, r.movie];
  const rows = (which: "train" | "validation", units: Int32Array): Int32Array => gatherTyped(which === "train" ? train : val, units);

  // Per-example error in rating units, computed in TF so it runs batched: inverse of the transform, then clip.
  const outputToRating = (out: tf.Tensor, batch: TaskBatch): tf.Tensor => {
    const o1 = out.reshape([-1]);
    let rating: tf.Tensor;
    switch (target) {
      case "raw":
        rating = o1;
        break;
      case "minmax":
        rating = o1.mul(transform.max - transform.min).add(transform.min);
        break;
      case "global-mean":
        rating = o1.add(transform.globalMean);
        break;
      case "movie-mean":
        rating = o1.add(tf.tensor1d(gatherTyped(transform.movieMean!, batch.ids[0][1])));
        break;
    }
    return rating.clipByValue(transform.min, transform.max);
  };
  const actual = (batch: TaskBatch): tf.Tensor => batch.aux![0];
  const metrics: TaskMetric[] = [
    { name: "rmse", perExample: (_m, b, out) => outputToRating(out, b).sub(actual(b)).square(), finalize: Math.sqrt },
    { name: "mae", perExample: (_m, b, out) => outputToRating(out, b).sub(actual(b)).abs() },
  ];

  return {
    name: `ratings (${lossKind.toUpperCase()} on ${target} targets)`,
    trainSize: train.length,
    validationSize: val.length,
    examplesPerUnit: 1,
    transform,
    lossKind,
    metrics,
    batch(units, which) {
      const idx = rows(which, units);
      return {
        ids: [idColumns.map((c) => gatherTyped(c, idx))],
        target: tf.tensor2d(gatherTyped(targets, idx), [idx.length, 1]),
        aux: [tf.tensor1d(gatherTyped(r.rating, idx))],
        size: idx.length,
      };
    },
    loss(forward: Forward, batch: TaskBatch): tf.Scalar {
      const out = forward(0);
      // tf.losses' MSE and log loss, with closed-form gradients (fewer kernels per step).
      return lossKind === "bce" ? logLoss(batch.target, out, 1e-7) : meanSquaredError(batch.target, out);
    },
    check(model: RecModel): void {
      const want = sessions ? "user,movie,session" : "user,movie";
      if (model.inputNames.join() !== want) {
        throw new Error(
          `a rating task ${sessions ? "with" : "without"} sessions needs a model with inputs ${want.replace(/,/g, ", ")}, got ${model.inputNames.join(", ")}`,
        );
      }
      if (model.kind === "dense-classes") throw new Error("the dense rating-class model trains with ratingClassTask");
      const head = model.spec.options.output;
      if (lossKind === "bce" && head !== "sigmoid") throw new Error('BCE needs a model with output "sigmoid"');
    },
  };
}
