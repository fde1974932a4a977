// Explicit-rating tasks: predict ratings under MSE, or min-max normalised ratings under BCE (the Keras example).
import { tf } from "../../backend";
import { Dataset } from "../../data/types";
import { RATING_TARGETS, RatingTarget, RatingTransform, fitRatingTransform, ratingsToTargets } from "../../data/targets";
import { RecModel } from "../../models/base";
import { LOG_LOSS_EPSILON, logLoss, meanSquaredError } from "../losses";
import { Forward, Task, TaskBatch, TaskMetric, gatherTyped } from "../task";
import { checkDataset, describe, isInt32Array, oneOf, ratingIndices, requireOptions } from "./args";

// The targets and their transform live in the data layer (data/targets); re-exported here for training code and notebooks.
export { RATING_TARGETS } from "../../data/targets";
export type { RatingTarget, RatingTransform } from "../../data/targets";

/** Fits a transform on the training ratings `train` (indices into `ds.ratings`), checking the arguments first. */
export function ratingTransform(ds: Dataset, train: Int32Array, kind: RatingTarget): RatingTransform {
  checkDataset("ratingTransform", ds);
  ratingIndices("ratingTransform", ds, "train", train, "the indices of the training ratings", "argument");
  if (!RATING_TARGETS.includes(kind)) {
    throw new RangeError(
      `ratingTransform: argument "kind" must be one of ${RATING_TARGETS.map((t) => `"${t}"`).join(", ")}, got ${describe(kind)}`,
    );
  }
  return fitRatingTransform(ds, train, kind);
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
  const targets = ratingsToTargets(transform, r);
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

  // Per-example error in rating units, computed in TF so it runs batched: the transform's TF inverse, then clip (by movie).
  const rating = (out: tf.Tensor, batch: TaskBatch): tf.Tensor => transform.toRatingTensor(out, batch.ids[0][1]);
  const actual = (batch: TaskBatch): tf.Tensor => batch.aux![0];
  const metrics: TaskMetric[] = [
    { name: "rmse", perExample: (_m, b, out) => rating(out, b).sub(actual(b)).square(), finalize: Math.sqrt },
    { name: "mae", perExample: (_m, b, out) => rating(out, b).sub(actual(b)).abs() },
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
      return lossKind === "bce" ? logLoss(batch.target, out, LOG_LOSS_EPSILON) : meanSquaredError(batch.target, out);
    },
    outputGradient([out], batch) {
      // The same losses in JS on the [B] arrays: MSE mean (p - y)^2, gradient 2 (p - y) / n; log loss
      // mean(-y log(p + eps) - (1 - y) log(1 - p + eps)), gradient ((1 - y) / (1 - p + eps) - y / (p + eps)) / n.
      const y = batch.target.dataSync() as Float32Array;
      const n = out.length;
      const gradient = new Float32Array(n);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const p = out[i];
        if (lossKind === "bce") {
          const pos = p + LOG_LOSS_EPSILON;
          const neg = 1 - p + LOG_LOSS_EPSILON;
          loss -= y[i] * Math.log(pos) + (1 - y[i]) * Math.log(neg);
          gradient[i] = ((1 - y[i]) / neg - y[i] / pos) / n;
        } else {
          const e = p - y[i];
          loss += e * e;
          gradient[i] = (2 * e) / n;
        }
      }
      return { loss: loss / n, gradients: [gradient] };
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
