// A training task bundles a model's data, its loss and its metrics (as in TensorFlow Recommenders), so one loop trains every model.
import { tf } from "../backend";
import { RecModel } from "../models/base";
import { Rng } from "../util/random";

/** Tensors for one batch. The loop disposes them. */
export interface TaskBatch {
  /** One [B,1] int32 tensor per model input, in the model's input order. */
  inputs: tf.Tensor[];
  /** Targets: [B,1] float32 (regression/binary) or [B] int32 class ids. */
  target: tf.Tensor;
  /** Task-specific extra inputs, e.g. BPR's negative items. */
  extra?: tf.Tensor[];
  /** Number of examples. */
  size: number;
}

/** A metric averaged per example over the validation set, optionally finalised (e.g. sqrt for RMSE). */
export interface TaskMetric {
  name: string;
  /** Per-example values [B] for a batch, given the model's output. */
  perExample(model: RecModel, batch: TaskBatch, output: tf.Tensor): tf.Tensor;
  finalize?: (mean: number) => number;
}

/** Data, loss and metrics for training one model. */
export interface Task {
  readonly name: string;
  /** Number of training units per epoch (examples, or groups of examples for balanced tasks). */
  readonly trainSize: number;
  /** Number of validation units (0 = no validation). */
  readonly validationSize: number;
  /** Examples per unit (1, or 1 + negatives for grouped tasks), so the loop can report examples/s. */
  readonly examplesPerUnit: number;
  /** Called before each epoch with the loop's seeded generator (e.g. to resample negatives). */
  beginEpoch?(epoch: number, rng: Rng): void;
  /** Builds the tensors for the given units. */
  batch(units: Int32Array, which: "train" | "validation"): TaskBatch;
  /** The data loss for a batch (the model's L2 penalty is added by the loop). */
  loss(model: RecModel, batch: TaskBatch, training: boolean): tf.Scalar;
  /** Metrics computed on the validation set after every epoch. */
  readonly metrics: TaskMetric[];
  /** Checks that a model fits this task (input names, sizes); throws a clear error otherwise. */
  check?(model: RecModel): void;
}

/** Stacks index arrays into [B,1] int32 tensors. */
export function indexTensor(values: Int32Array): tf.Tensor2D {
  return tf.tensor2d(values, [values.length, 1], "int32");
}

/** Gathers `source[units[k]]` into a new typed array of the same kind. */
export function gatherTyped<T extends Int32Array | Float32Array>(source: T, units: Int32Array): T {
  const out = new (source.constructor as { new (n: number): T })(units.length);
  for (let k = 0; k < units.length; k++) out[k] = source[units[k]];
  return out;
}

/** Sequential units [from, to) for validation batches. */
export function range(from: number, to: number): Int32Array {
  const r = new Int32Array(Math.max(0, to - from));
  for (let i = 0; i < r.length; i++) r[i] = from + i;
  return r;
}
