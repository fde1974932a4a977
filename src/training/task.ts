// A training task bundles a model's data (sampling and batching), its loss and its metrics, so one loop trains every model. Unlike a TensorFlow Recommenders task (loss plus metrics only), ours also owns sampling and batching: the negatives a loss needs are drawn where its batches are made.
import { tf } from "../backend";
import { RecModel } from "../models/base";
import { Rng } from "../util/random";

/**
 * One batch. `ids` holds index sets: each set is one Int32Array of ids per model input. Set 0 holds the examples;
 * tasks may add more sets (BPR's negatives). The loop turns ids into tensors, so it can look up only the table rows a
 * batch touches. Tensors in `target` and `aux` are disposed by the loop.
 */
export interface TaskBatch {
  ids: Int32Array[][];
  /** Targets: [B,1] float32 (regression/binary) or [B] int32 class ids. */
  target: tf.Tensor;
  /** Extra per-example tensors for metrics, e.g. actual ratings. */
  aux?: tf.Tensor[];
  /** Number of examples. */
  size: number;
  /**
   * Ids per example, per model input (default 1 for every input): a sequence task packs `widths[i]` ids per example
   * for input i, row-major, and that input becomes a [B, widths[i]] tensor instead of [B, 1].
   */
  widths?: number[];
}

/** Runs the model on index set `set` of the current batch (inside the loop's gradient tape). */
export type Forward = (set: number) => tf.Tensor;

/** A metric averaged per example over the validation set, optionally finalised (e.g. sqrt for RMSE). */
export interface TaskMetric {
  name: string;
  /** Per-example values [B] for a batch, given the model's output on set 0. */
  perExample(forward: Forward, batch: TaskBatch, output: tf.Tensor): tf.Tensor;
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
  /** Builds a batch from the given units. */
  batch(units: Int32Array, which: "train" | "validation"): TaskBatch;
  /** The data loss for a batch (the model's L2 penalty is added by the loop). */
  loss(forward: Forward, batch: TaskBatch): tf.Scalar;
  /**
   * Optional: the loss and its gradient with respect to the model's output on each index set (`outputs[s]` is the
   * output on `batch.ids[s]`, row-major), in closed form on plain arrays. With it, a model whose head has a
   * hand-written backward pass (`RecModel.manualHead`) trains without the gradient tape. It must agree with `loss`
   * (tests check both).
   */
  outputGradient?(outputs: Float32Array[], batch: TaskBatch): { loss: number; gradients: Float32Array[] };
  /**
   * Optional: how a second training thread rebuilds {@link loss} (training/replica.ts): the name of a loss registered in
   * training/replica-losses.ts and its plain-data options. A task with it can train data-parallel (fit's `threads`).
   */
  readonly replica?: { loss: string; options: Record<string, number> };
  /** Metrics computed on the validation set after every epoch. */
  readonly metrics: TaskMetric[];
  /** Checks that a model fits this task (input names, sizes); throws a clear error otherwise. */
  check?(model: RecModel): void;
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

/** Disposes a batch's tensors. */
export function disposeBatch(b: TaskBatch): void {
  tf.dispose([b.target, ...(b.aux ?? [])]);
}

/** A batch's id arrays as int32 tensors, per index set and model input ([B, width], width from `batch.widths`, default 1). */
export function idTensors(batch: TaskBatch): tf.Tensor[][] {
  return batch.ids.map((set) =>
    set.map((ids, i) => {
      const width = batch.widths?.[i] ?? 1;
      return tf.tensor2d(ids, [ids.length / width, width], "int32");
    }),
  );
}

/** Wraps a per-set model call so each index set runs once per batch; `used` lists the sets that ran. */
export function memoForward(run: (set: number) => tf.Tensor): { forward: Forward; used: Map<number, tf.Tensor> } {
  const used = new Map<number, tf.Tensor>();
  const forward: Forward = (set) => {
    let out = used.get(set);
    if (!out) {
      out = run(set);
      used.set(set, out);
    }
    return out;
  };
  return { forward, used };
}
