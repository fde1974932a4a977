// The dense rating classifier's task: each distinct rating value is a class; softmax cross-entropy, with accuracy and expected-rating RMSE.
import { tf } from "../../backend";
import { Dataset } from "../../data/types";
import { RecModel } from "../../models/base";
import { classCrossEntropy } from "../losses";
import { Task, TaskMetric, gatherTyped } from "../task";
import { checkDataset, ratingIndices, requireOptions } from "./args";

/** The sorted distinct rating values of a dataset (its classes). */
export function ratingClasses(ds: Dataset): number[] {
  const set = new Set<number>();
  for (let i = 0; i < ds.ratings.length; i++) set.add(ds.ratings.rating[i]);
  return [...set].sort((a, b) => a - b);
}

/** Options for {@link ratingClassTask}. */
export interface RatingClassTaskOptions {
  train: Int32Array;
  validation?: Int32Array;
}

/** The rating-class task, exposing its class values. */
export interface RatingClassTask extends Task {
  readonly classes: number[];
}

/** Builds the rating-class task (use with `denseClassModel({numClasses: task.classes.length})`). */
export function ratingClassTask(ds: Dataset, o: RatingClassTaskOptions): RatingClassTask {
  const F = "ratingClassTask";
  checkDataset(F, ds);
  requireOptions(F, o, "{ train, validation? }");
  const train = ratingIndices(F, ds, "train", o.train, "the indices of the training ratings")!;
  const val = ratingIndices(F, ds, "validation", o.validation, null) ?? new Int32Array(0);
  const classes = ratingClasses(ds);
  const classOf = new Map(classes.map((v, i) => [v, i]));
  const r = ds.ratings;
  const labels = new Int32Array(r.length);
  for (let i = 0; i < r.length; i++) labels[i] = classOf.get(r.rating[i])!;
  const values = tf.tensor1d(classes);
  const expected = (out: tf.Tensor): tf.Tensor => out.mul(values).sum(1);
  const metrics: TaskMetric[] = [
    {
      name: "accuracy",
      perExample: (_m, b, out) => tf.equal(out.argMax(1), b.target.cast("int32")).cast("float32"),
    },
    {
      name: "rmse",
      perExample: (_m, b, out) => expected(out).sub(b.aux![0]).square(),
      finalize: Math.sqrt,
    },
  ];
  return {
    name: `rating classes (${classes.length}-way softmax)`,
    trainSize: train.length,
    validationSize: val.length,
    examplesPerUnit: 1,
    classes,
    metrics,
    batch(units, which) {
      const idx = gatherTyped(which === "train" ? train : val, units);
      return {
        ids: [[gatherTyped(r.user, idx), gatherTyped(r.movie, idx)]],
        target: tf.tensor1d(gatherTyped(labels, idx), "int32"),
        aux: [tf.tensor1d(gatherTyped(r.rating, idx))],
        size: idx.length,
      };
    },
    loss(forward, b) {
      // Softmax cross-entropy on the log-probabilities, in closed form (see classCrossEntropy).
      return classCrossEntropy(tf.oneHot(b.target as tf.Tensor1D, classes.length, 1, 0, "float32"), forward(0));
    },
    outputGradient([out], b) {
      // The same loss as classCrossEntropy: -mean_b log(clip(p_b[y_b], 1e-7, 1)); gradient -1 / (B p) at the target
      // class where p >= 1e-7, zero elsewhere.
      const y = b.target.dataSync();
      const c = classes.length;
      const n = b.size;
      const gradient = new Float32Array(out.length);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const at = i * c + y[i];
        const p = out[at];
        const clipped = p < 1e-7 ? 1e-7 : p > 1 ? 1 : p;
        loss -= Math.log(clipped);
        if (p >= 1e-7) gradient[at] = -1 / (n * clipped);
      }
      return { loss: loss / n, gradients: [gradient] };
    },
    check(model) {
      if (model.kind !== "dense-classes") throw new Error(`the rating-class task needs a dense-classes model, got ${model.kind}`);
      if (model.spec.options.numClasses !== classes.length) {
        throw new Error(
          `the model has ${String(model.spec.options.numClasses)} classes but the data has ${classes.length}: ${classes.join(", ")}`,
        );
      }
    },
  };
}
