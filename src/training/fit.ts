// The one training loop: seeded shuffling, batches from a task, an optimiser step, validation, callbacks, early stopping, progress.
import { backendInfo, tf } from "../backend";
import { RecModel } from "../models/base";
import { Rng } from "../util/random";
import { defaultTrainingThreads } from "../util/worker";
import { OptimizerName, hasJsRules, makeOptimizer } from "./optimizers";
import { TablePenalty } from "./penalty";
import { EpochLog, ProgressMode, ProgressSink, createProgress } from "../util/progress";
import { SparseTableUpdater } from "./sparse";
import { TensorBoardLog } from "./tensorboard";
import { Task, TaskBatch, disposeBatch, idTensors, memoForward, range } from "./task";
import { describe } from "./tasks/args";

export type { OptimizerName } from "./optimizers";

/** Hooks called by {@link fit}. Returning "stop" from `onEpochEnd` ends training after that epoch. */
export interface FitCallbacks {
  onBatchEnd?(epoch: number, batch: number, loss: number): void;
  onEpochEnd?(log: EpochLog, history: EpochLog[]): void | "stop" | Promise<void | "stop">;
  onTrainEnd?(history: History): void;
}

/** Early stopping on a monitored quantity (lower is better). */
export interface EarlyStopping {
  /** "valLoss" (default), "loss", or a validation metric name such as "rmse". */
  monitor?: string;
  patience: number;
  minDelta?: number;
  /** Put back the weights of the best epoch at the end (default true). */
  restoreBest?: boolean;
}

/** Options for {@link fit}. */
export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Every random choice of the loop (shuffling, negatives) derives from this seed. */
  seed: number;
  learningRate?: number;
  optimizer?: OptimizerName;
  /** Validate after every epoch (default: when the task has validation data). */
  validate?: boolean;
  validationBatchSize?: number;
  earlyStopping?: EarlyStopping;
  callbacks?: FitCallbacks;
  progress?: ProgressMode | ProgressSink;
  /** Shown in progress output. */
  title?: string;
  /** A folder to write the training curves to for TensorBoard (`tensorboard --logdir <folder>`); see {@link TensorBoardLog}. */
  tensorboard?: string;
  /**
   * "sparse" updates only the embedding rows a batch touches (lazy Adam/Adagrad/SGD, as TF Addons' LazyAdam);
   * "dense" moves every row at every step, as a TF.js or Keras optimiser stepping whole tables does (untouched rows
   * keep moving on Adam's decaying moments), computed in JS for the rows a batch touches and caught up lazily for the
   * rest, so it costs what sparse costs; "tfjs" steps every weight with the TF.js optimiser itself (the reference
   * "dense" equals to float rounding, and the only path for rmsprop). "auto" (default) is sparse for adam, adagrad and
   * sgd. optimizers.ts says where they agree (head weights) and where they cannot (lazy table rows).
   */
  updates?: "auto" | "sparse" | "dense" | "tfjs";
  /**
   * Threads a step runs on, under the JS optimisers (sparse and dense updates). TF's kernels here run on the calling
   * thread, so this is how a model uses two cores. With 2:
   * - a model with embedding tables shares them with a worker thread (training/table-threads.ts): each thread runs
   *   its tables' lookups, gradient sums, L2 penalty and optimiser steps, the same arithmetic bit for bit;
   * - a model without them (SASRec), whose task registers its loss for it, splits every batch between this thread and
   *   a worker holding a replica of the network (training/replica.ts), the same model to float rounding (the halves'
   *   gradients sum to the batch's, and dropout masks follow each example's row in the batch).
   * Default: 2 where it applies (1 elsewhere), or what the environment variable MOVIELENS_LAB_TRAINING_THREADS says
   * (`npm run reproduce` sets 1 when its notebooks already share the cores).
   */
  threads?: 1 | 2;
  /**
   * Stop with a {@link TrainingDivergedError} when a batch's loss goes above this: the loss is exploding (weights
   * blowing up, typically a learning rate far too high), even though it is still finite. NaN and infinite losses stop
   * training whatever this is. Default: the larger of 1e8 and 1e6 × the first batch's loss (the loss at the starting
   * weights, before any step). While training is healthy the lab's losses are O(1): MSE on 0.5–5 star ratings is below
   * 25 even from a model without an offset, BCE and cross-entropy are clipped at -log(1e-7) ≈ 16 per example, BPR
   * starts near log 2, and the L2 terms are small. So 1e8 is millions of times any healthy loss and never triggers,
   * while a diverging run passes it within a few batches (at learning rate 1e6 the MSE reaches 1e26); the relative
   * term keeps the rule safe for a task whose losses are large by construction. Infinity turns the check off.
   */
  maxLoss?: number;
}

/** What {@link fit} returns. */
export interface History {
  epochs: EpochLog[];
  /** Index of the best epoch by the monitored quantity (or the last). */
  bestEpoch: number;
  stoppedEarly: boolean;
  stopReason: string | null;
  seconds: number;
  /** Training examples per second, validation excluded. */
  examplesPerSecond: number;
  backend: string;
}

/** The default {@link FitOptions.maxLoss} given the first batch's loss: the larger of 1e8 and 1e6 × that loss. */
export function defaultMaxLoss(firstLoss: number): number {
  return Math.max(1e8, 1e6 * firstLoss);
}

/**
 * Thrown when the loss becomes NaN or infinite, or (with `maxLoss` set) exceeds {@link FitOptions.maxLoss}. `epoch` and
 * `batch` count from 0; the message counts from 1.
 */
export class TrainingDivergedError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
    /** The threshold the loss exceeded (null: the loss was NaN or infinite). */
    readonly maxLoss: number | null = null,
  ) {
    super(
      maxLoss === null
        ? `training diverged: the loss became ${loss} at epoch ${epoch + 1}, batch ${batch + 1}. ` +
            `Try a lower learning rate, stronger L2, or check the targets for NaN.`
        : `training diverged: the loss reached ${loss.toExponential(2)} at epoch ${epoch + 1}, batch ${batch + 1}, above maxLoss ` +
            `${maxLoss.toExponential(2)}. Try a lower learning rate or stronger L2 (fit's maxLoss option sets the limit; Infinity turns it off).`,
    );
    this.name = "TrainingDivergedError";
  }
}

function validateOptions(o: FitOptions): void {
  if (!(Number.isInteger(o.epochs) && o.epochs > 0)) throw new RangeError(`fit: epochs must be a positive integer, got ${o.epochs}`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize > 0))
    throw new RangeError(`fit: batchSize must be a positive integer, got ${o.batchSize}`);
  if (o.learningRate !== undefined && !(o.learningRate > 0))
    throw new RangeError(`fit: learningRate must be positive, got ${o.learningRate}`);
  if (!Number.isFinite(o.seed)) throw new RangeError(`fit: seed must be a number, got ${o.seed}`);
  if (o.threads !== undefined && o.threads !== 1 && o.threads !== 2)
    throw new RangeError(`fit: threads must be 1 or 2, got ${String(o.threads)}`);
  if (o.maxLoss !== undefined && !(typeof o.maxLoss === "number" && o.maxLoss > 0)) {
    throw new RangeError(`fit: maxLoss must be a positive number (Infinity turns the check off), got ${String(o.maxLoss)}`);
  }
}

function validateArguments(model: RecModel, task: Task, o: FitOptions): void {
  if (!model || typeof model !== "object" || typeof model.trainableVariables !== "function") {
    throw new TypeError(`fit: argument "model" must be a model (e.g. from userMovieModel), got ${describe(model)}`);
  }
  if (!task || typeof task !== "object" || typeof task.batch !== "function" || typeof task.loss !== "function") {
    throw new TypeError(`fit: argument "task" must be a task (e.g. from ratingTask), got ${describe(task)}`);
  }
  for (const key of ["trainSize", "validationSize"] as const) {
    const n = task[key];
    if (!(Number.isInteger(n) && n >= 0))
      throw new RangeError(`fit: task "${task.name}" has ${key} ${describe(n)}; it must be a non-negative integer`);
  }
  if (!o || typeof o !== "object")
    throw new TypeError(`fit: the options argument is required ({ epochs, batchSize, seed, ... }), got ${describe(o)}`);
}

/** Loss and metrics of `model` on the task's validation set (full-model forward passes). */
export function evaluateTask(model: RecModel, task: Task, batchSize = 8192): { loss: number; metrics: Record<string, number> } {
  let lossSum = 0;
  const sums = new Float64Array(task.metrics.length);
  let n = 0;
  for (let from = 0; from < task.validationSize; from += batchSize) {
    const units = range(from, Math.min(task.validationSize, from + batchSize));
    const batch = task.batch(units, "validation");
    const ids = idTensors(batch);
    try {
      const vals = tf.tidy(() => {
        const { forward } = memoForward((set) => model.forward(ids[set], false));
        const l = task.loss(forward, batch);
        const out0 = forward(0);
        return [l, ...task.metrics.map((m) => m.perExample(forward, batch, out0).sum())];
      });
      const data = vals.map((t) => t.dataSync()[0]);
      tf.dispose(vals);
      lossSum += data[0] * batch.size;
      for (let k = 0; k < sums.length; k++) sums[k] += data[k + 1];
      n += batch.size;
    } finally {
      tf.dispose(ids.flat());
      disposeBatch(batch);
    }
  }
  const metrics: Record<string, number> = {};
  task.metrics.forEach((m, k) => {
    const mean = n ? sums[k] / n : NaN;
    metrics[m.name] = m.finalize ? m.finalize(mean) : mean;
  });
  return { loss: n ? lossSum / n : NaN, metrics };
}

/** One step with a TF.js optimiser over every trainable weight (dense updates), the L2 penalty on the tape. Returns the loss. */
function denseStep(
  model: RecModel,
  task: Task,
  batch: TaskBatch,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  penalty: TablePenalty,
): number {
  const ids = idTensors(batch);
  try {
    const cost = optimizer.minimize(
      () =>
        tf.tidy(() => {
          const { forward, used } = memoForward((set) => model.forward(ids[set], true));
          let l = task.loss(forward, batch);
          for (const set of used.keys()) {
            const p = penalty.of(ids[set]);
            if (p) l = l.add(p) as tf.Scalar;
          }
          return l;
        }),
      true,
      vars,
    );
    const v = cost ? cost.dataSync()[0] : NaN;
    cost?.dispose();
    return v;
  } finally {
    tf.dispose(ids.flat());
  }
}

function monitored(log: EpochLog, monitor: string): number {
  if (monitor === "loss") return log.loss;
  if (monitor === "valLoss") return log.valLoss ?? log.loss;
  const v = log.metrics[monitor];
  if (v === undefined)
    throw new Error(`earlyStopping.monitor "${monitor}" is not a metric of this task (${Object.keys(log.metrics).join(", ")})`);
  return v;
}

/**
 * Trains `model` on `task`. Deterministic for a given seed on a given backend. Tensors are disposed as it goes, so
 * rerunning a notebook cell does not leak memory.
 */
export async function fit(model: RecModel, task: Task, options: FitOptions): Promise<History> {
  validateArguments(model, task, options);
  validateOptions(options);
  task.check?.(model);
  const rng = new Rng(options.seed);
  const optName = options.optimizer ?? "adam";
  const lr = options.learningRate ?? 1e-3;
  const optimizer = makeOptimizer(optName, lr);
  const vars = model.trainableVariables();
  if (vars.length === 0) throw new Error(`fit: model "${model.net.name}" has no trainable weights`);
  const mode = options.updates ?? "auto";
  const js = mode === "sparse" || (mode !== "tfjs" && hasJsRules(optName));
  // The replica is rebuilt from the model's spec, so every layer must train there as here.
  const frozen = model.net.layers.filter((l) => l.weights.length > 0 && !l.trainable).map((l) => l.name);
  const canSplit = js && model.tables.length === 0 && task.replica !== undefined && frozen.length === 0;
  const canShareTables = js && model.tables.length >= 2;
  if (options.threads === 2 && !canSplit && !canShareTables)
    throw new RangeError(
      `fit: threads: 2 needs a JS optimiser update (got updates: "${mode}") and either at least two embedding tables ` +
        `(got ${model.tables.length}), or a model without them and without frozen layers (got ` +
        `${frozen.length ? frozen.join(", ") : "none"}) whose task registers its loss for a second thread ` +
        `(${task.replica ? "it does" : `"${task.name}" does not`})`,
    );
  const threads = options.threads ?? defaultTrainingThreads();
  const split = canSplit && threads === 2 ? { maxRows: options.batchSize } : null;
  const sparse = js
    ? new SparseTableUpdater(model, optName, lr, mode === "dense" ? "dense" : "lazy", split, canShareTables ? threads : 1)
    : null;
  const penalty = sparse ? null : new TablePenalty(model);
  const validate = (options.validate ?? true) && task.validationSize > 0;
  const batchesPerEpoch = Math.ceil(task.trainSize / options.batchSize);
  const sink: ProgressSink = createProgress(options.progress);
  const board = options.tensorboard !== undefined ? new TensorBoardLog(options.tensorboard) : null;
  const title = options.title ?? task.name;
  const es = options.earlyStopping;
  const monitor = es?.monitor ?? (validate ? "valLoss" : "loss");
  const history: EpochLog[] = [];
  let best = Infinity;
  let bestEpoch = -1;
  let bestWeights: tf.Tensor[] | null = null;
  let waited = 0;
  let stopReason: string | null = null;
  let trainSeconds = 0;
  let completed = false;
  let maxLoss = options.maxLoss ?? null; // the default is set from the first batch's loss
  const t0 = Date.now();
  // A single batch per epoch holds every unit whatever the order (the order only reorders a sum), so it takes them as
  // the task lists them, every epoch: no permutation to draw and gather through.
  const listed = batchesPerEpoch === 1 ? range(0, task.trainSize) : null;
  sink.start({ title, epochs: options.epochs, batchesPerEpoch });
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const te = Date.now();
      task.beginEpoch?.(epoch, rng);
      const order = listed ?? rng.permutation(task.trainSize);
      let lossSum = 0;
      let seen = 0;
      for (let b = 0; b < batchesPerEpoch; b++) {
        const units = order.subarray(b * options.batchSize, Math.min(task.trainSize, (b + 1) * options.batchSize));
        const batch = task.batch(units, "train");
        let lossValue: number;
        try {
          lossValue = sparse ? sparse.step(task, batch) : denseStep(model, task, batch, optimizer, vars, penalty!);
        } finally {
          disposeBatch(batch);
        }
        // Both paths (the sparse row updater and the TF.js optimiser) return the batch's loss here.
        if (!Number.isFinite(lossValue)) throw new TrainingDivergedError(epoch, b, lossValue);
        maxLoss ??= defaultMaxLoss(lossValue);
        if (lossValue > maxLoss) throw new TrainingDivergedError(epoch, b, lossValue, maxLoss);
        lossSum += lossValue * batch.size;
        seen += batch.size;
        sink.batch(epoch, b, lossValue);
        options.callbacks?.onBatchEnd?.(epoch, b, lossValue);
        if (b % 64 === 63) await new Promise((r) => setImmediate(r)); // let notebook output flush
      }
      sparse?.sync();
      trainSeconds += (Date.now() - te) / 1000;
      const val = validate ? evaluateTask(model, task, options.validationBatchSize) : null;
      const log: EpochLog = {
        epoch,
        loss: lossSum / Math.max(1, seen),
        valLoss: val ? val.loss : null,
        metrics: val ? val.metrics : {},
        seconds: (Date.now() - te) / 1000,
      };
      history.push(log);
      sink.epochEnd(log, history);
      board?.epochEnd(log);
      await new Promise((r) => setImmediate(r));
      const value = monitored(log, monitor);
      if (value < best - (es?.minDelta ?? 0)) {
        best = value;
        bestEpoch = epoch;
        waited = 0;
        if (es && es.restoreBest !== false) {
          tf.dispose(bestWeights ?? []);
          bestWeights = model.net.getWeights().map((w) => w.clone());
        }
      } else {
        waited += 1;
      }
      const cb = await options.callbacks?.onEpochEnd?.(log, history);
      if (cb === "stop") {
        stopReason = `stopped by a callback after epoch ${epoch + 1}`;
        break;
      }
      if (es && waited >= es.patience) {
        stopReason = `early stopping: ${monitor} did not improve for ${es.patience} epoch(s); best epoch ${bestEpoch + 1}`;
        break;
      }
    }
    completed = true;
    if (bestWeights && bestEpoch !== history.length - 1) model.net.setWeights(bestWeights);
  } finally {
    board?.flush();
    sparse?.stop();
    if (!completed) sparse?.sync(); // keep what was learned when training is interrupted mid-epoch
    tf.dispose(bestWeights ?? []);
    penalty?.dispose();
    optimizer.dispose();
  }
  const result: History = {
    epochs: history,
    bestEpoch: bestEpoch >= 0 ? bestEpoch : history.length - 1,
    stoppedEarly: stopReason !== null,
    stopReason,
    seconds: (Date.now() - t0) / 1000,
    examplesPerSecond: (history.length * task.trainSize * task.examplesPerUnit) / Math.max(1e-9, trainSeconds),
    backend: backendInfo.name,
  };
  sink.end(history, stopReason ?? undefined);
  options.callbacks?.onTrainEnd?.(result);
  return result;
}
