// Data-parallel training steps for models without sparse tables (SASRec): a second thread holds a replica of the network and computes the gradients of half of each batch while this thread computes the other half's, so both cores work.
//
// TensorFlow as tfjs-node loads it runs every kernel on the calling thread (a 2000×2000 MatMul and a 16M-float Mul
// each keep one core busy), and a SASRec step is ~500 mid-sized kernels. So this thread runs rows [0, h) of each batch, and a worker thread with its own TF.js backend runs
// rows [h, B) on a replica built from the same spec, its weights copied from this thread's before every step. The two
// halves' losses and gradients are averaged with the weights the task's registered loss gives them (their share of
// the batch's mean; replica-losses.ts), which is exactly the whole batch's loss and gradient. The optimiser then steps
// once, here. Dropout draws the masks one thread would: the replica's dropout layers take this thread's call counts
// before each step, and its masks are rows [h, B) of the whole batch's (models/layers.ts, `withBatchRowOffset`). So one
// thread and two train the same model to float rounding, and the same seed gives the same numbers.
//
// Hand-off is through shared memory and Atomics (no event-loop turn per step), as in viz/projection/tsne-threads.ts.
import { Worker } from "node:worker_threads";
import { ModelSpec } from "../models/base";
import { startSiblingWorker } from "../util/worker";
import { replicaLoss } from "./replica-losses";
import { TaskBatch } from "./task";

/** Slots of the control array shared with the worker. */
export const REPLICA = { GENERATION: 0, DONE: 1, STOP: 2, FAILED: 3, ROWS: 4, OFFSET: 5 } as const;
/** Control slots before the dropout layers' call counts. */
export const REPLICA_COUNTS_AT = 8;
/** How long a step waits for the worker before giving up (the first step includes its start-up). */
const WORKER_TIMEOUT_MS = 120_000;

/** What the worker is started with. */
export interface ReplicaWorkerData {
  spec: ModelSpec;
  loss: { name: string; options: Record<string, number> };
  /** Shapes of the trainable weights, in `RecModel.trainableVariables()` order. */
  shapes: number[][];
  /** How many dropout layers the network has (their call counts follow the control slots). */
  dropouts: number;
  /** Ids per example of each model input, and the target's values per example. */
  widths: number[];
  targetWidth: number;
  targetDtype: "float32" | "int32";
  ctrl: SharedArrayBuffer;
  /** Every weight, concatenated (written here before each step). */
  weights: SharedArrayBuffer;
  /** Every weight's gradient for the worker's rows, concatenated (written by the worker). */
  grads: SharedArrayBuffer;
  /** The worker's rows: per input, rows × width ids, inputs one after another. */
  ids: SharedArrayBuffer;
  target: SharedArrayBuffer;
  /** [loss] of the worker's rows. */
  loss64: SharedArrayBuffer;
}

/** A part of a batch with one index set: its rows' id arrays (views) and target values (copied). */
export interface BatchRows {
  ids: Int32Array[];
  target: Float32Array | Int32Array;
}

/** Rows [0, h) and [h, B) of a batch with one index set: id arrays sliced by their widths, target values copied. */
export function splitBatchRows(batch: TaskBatch, h: number): [BatchRows, BatchRows] {
  const widths = batch.ids[0].map((_, i) => batch.widths?.[i] ?? 1);
  const all = batch.target.dataSync() as Float32Array | Int32Array;
  const w = all.length / batch.size;
  const rows = (from: number, to: number): BatchRows => ({
    ids: batch.ids[0].map((a, i) => a.subarray(from * widths[i], to * widths[i])),
    target: all.slice(from * w, to * w),
  });
  return [rows(0, h), rows(h, batch.size)];
}

/** The worker thread and the shared buffers of one {@link fit} run; see the file comment. */
export class GradientReplica {
  private readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly weights: Float32Array;
  private readonly grads: Float32Array;
  private readonly ids: Int32Array;
  private readonly target: Float32Array | Int32Array;
  private readonly loss64: Float64Array;
  private readonly offsets: number[];
  private stopped = false;
  readonly weight: (target: Float32Array) => number;

  /**
   * Starts the worker for batches of at most `maxRows` rows shaped like `sample`. `shapes`: the trainable weights'
   * shapes in `trainableVariables()` order; `dropouts`: how many dropout layers the network has (`stepDropouts`).
   */
  constructor(
    spec: ModelSpec,
    loss: { name: string; options: Record<string, number> },
    shapes: number[][],
    dropouts: number,
    sample: TaskBatch,
    maxRows: number,
  ) {
    this.weight = replicaLoss(loss.name, loss.options).weight; // fails here, clearly, for an unregistered loss
    if (sample.ids.length !== 1) throw new Error("GradientReplica: only batches with one index set can be split between threads");
    const widths = sample.ids[0].map((_, i) => sample.widths?.[i] ?? 1);
    const targetWidth = sample.target.size / sample.size;
    const targetDtype = sample.target.dtype === "int32" ? "int32" : "float32";
    this.offsets = [0];
    for (const s of shapes) this.offsets.push(this.offsets[this.offsets.length - 1] + s.reduce((a, b) => a * b, 1));
    const total = this.offsets[this.offsets.length - 1];
    const sab = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
    const data: ReplicaWorkerData = {
      spec,
      loss,
      shapes,
      dropouts,
      widths,
      targetWidth,
      targetDtype,
      ctrl: sab((REPLICA_COUNTS_AT + dropouts) * 4),
      weights: sab(total * 4),
      grads: sab(total * 4),
      ids: sab(maxRows * widths.reduce((a, b) => a + b, 0) * 4),
      target: sab(maxRows * targetWidth * 4),
      loss64: sab(8),
    };
    this.ctrl = new Int32Array(data.ctrl);
    this.weights = new Float32Array(data.weights);
    this.grads = new Float32Array(data.grads);
    this.ids = new Int32Array(data.ids);
    this.target = targetDtype === "int32" ? new Int32Array(data.target) : new Float32Array(data.target);
    this.loss64 = new Float64Array(data.loss64);
    this.worker = startSiblingWorker(__dirname, "replica-worker", data, { failed: REPLICA.FAILED, done: REPLICA.DONE });
  }

  /**
   * Sends rows [offset, offset + size) of a batch to the worker with the current weights (`weights[i]` in
   * trainable-variable order) and the dropout layers' call counts; returns at once.
   */
  start(rows: BatchRows, offset: number, size: number, weights: Float32Array[], dropoutCalls: number[]): void {
    weights.forEach((w, i) => this.weights.set(w, this.offsets[i]));
    let at = 0;
    for (const a of rows.ids) {
      this.ids.set(a, at);
      at += a.length;
    }
    this.target.set(rows.target);
    dropoutCalls.forEach((c, i) => Atomics.store(this.ctrl, REPLICA_COUNTS_AT + i, c));
    Atomics.store(this.ctrl, REPLICA.OFFSET, offset);
    Atomics.store(this.ctrl, REPLICA.ROWS, size);
    Atomics.store(this.ctrl, REPLICA.DONE, 0);
    Atomics.add(this.ctrl, REPLICA.GENERATION, 1);
    Atomics.notify(this.ctrl, REPLICA.GENERATION);
  }

  /** Waits for the worker's rows: their loss and each weight's gradient (views into shared memory, valid until the next start). */
  finish(): { loss: number; grads: Float32Array[] } {
    const t0 = Date.now();
    while (Atomics.load(this.ctrl, REPLICA.DONE) === 0) {
      if (Atomics.load(this.ctrl, REPLICA.FAILED)) break;
      if (Date.now() - t0 > WORKER_TIMEOUT_MS)
        throw new Error(
          `training: the second training thread did not answer in ${WORKER_TIMEOUT_MS / 1000} s (MOVIELENS_LAB_TRAINING_THREADS=1 in the environment, or fit's threads: 1, trains on this thread only)`,
        );
      Atomics.wait(this.ctrl, REPLICA.DONE, 0, 1000);
    }
    if (Atomics.load(this.ctrl, REPLICA.FAILED))
      throw new Error(
        "training: the second training thread failed; its error is printed above (MOVIELENS_LAB_TRAINING_THREADS=1 in the environment, or fit's threads: 1, trains on this thread only)",
      );
    return {
      loss: this.loss64[0],
      grads: this.offsets.slice(0, -1).map((o, i) => this.grads.subarray(o, this.offsets[i + 1])),
    };
  }

  /** Stops the worker. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.ctrl, REPLICA.STOP, 1);
    Atomics.add(this.ctrl, REPLICA.GENERATION, 1);
    Atomics.notify(this.ctrl, REPLICA.GENERATION);
    void this.worker.terminate();
  }
}
