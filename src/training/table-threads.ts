// The table worker of sparse updates: a second thread runs some embedding tables' share of each step (lookup, gradient sums, L2 penalty, optimiser step) while this thread runs the others' and the model's head, so both cores work on a step.
//
// In a sparse-update step (training/sparse.ts) most of the time goes to JS loops over the rows a batch touches, one
// table at a time, and TF.js's kernels run on the calling thread. Tables do not share rows, so each table's work can
// run on either thread: the tables are split between this thread and a worker by their width (a wide table costs
// more), and the worker's tables live in shared memory (their values and the optimiser's slots). A step then has
// three phases, each started here and waited for: LOOKUP (unique rows, their lookup into the shared row buffer),
// GRADIENT (per-example row gradients, copied here into a shared buffer, summed per unique row, plus the penalty,
// whose value comes back per table) and STEP (the optimiser, at the step count this thread has reached). Each table's
// arithmetic is the same code on the same values in the same order on either thread (training/table-rows.ts), and the
// penalty's per-table values are added in table order, so one thread and two train the same model bit for bit.
//
// The worker starts in the background (its module has no TF.js). Until it reports ready, and for a batch larger or
// with more index sets than its buffers were made for, a step runs every table on this thread. Hand-off is through
// Atomics on a shared control array, as in training/replica.ts.
import { Worker } from "node:worker_threads";
import { startSiblingWorker } from "../util/worker";
import { JsOptimizerName } from "./optimizer-rules";
import { TableState } from "./table-rows";

/** Slots of the control array shared with the worker; the sets' sizes follow from {@link TABLE_CTRL_SIZES_AT}. */
export const TABLE_CTRL = {
  GENERATION: 0,
  DONE: 1,
  STOP: 2,
  FAILED: 3,
  READY: 4,
  PHASE: 5,
  SETS: 6,
  USED: 7,
  LAYOUT: 8,
  STEPS: 9,
  /** Bytes of the failed phase's error in the `error` buffer ("name\nmessage", UTF-8). */
  ERROR_LENGTH: 10,
} as const;
/** Where each index set's example count starts in the control array. */
export const TABLE_CTRL_SIZES_AT = 11;
/** The longest error the worker reports back (bytes). */
export const TABLE_ERROR_BYTES = 2048;
/** The most index sets a batch can have and still be split (a set's use is a bit of `USED`). */
export const MAX_TABLE_SETS = 8;
/** The phases of a step the worker runs. */
export const TABLE_PHASE = { LOOKUP: 1, GRADIENT: 2, STEP: 3 } as const;
/**
 * How a set's rows sit in the shared row and gradient buffers: "side", every table's columns side by side in [n, width]
 * (a manual head's input); "blocks", table t's rows as one [n, dim] block from n × its column offset (one tensor per table).
 */
export type RowLayout = "side" | "blocks";
/** How long a phase waits for the worker before giving up. */
const WORKER_TIMEOUT_MS = 120_000;
/**
 * How long either thread polls for the other before it sleeps (a phase takes a few hundred microseconds; a thread
 * woken from sleep on this 2-core VM takes 0.1–1 ms to run again, which cost more than the worker saved).
 */
export const TABLE_SPIN_MS = 5;

/** What the worker is started with. */
export interface TableWorkerData {
  ctrl: SharedArrayBuffer;
  optimizer: { name: JsOptimizerName; lr: number };
  rows: "lazy" | "dense";
  /** The worker's tables (their index among the model's tables, their state on shared arrays). */
  tables: { index: number; state: TableState }[];
  /** Each of the model's tables' first column in a "side" row, and the row's width. */
  columns: number[];
  width: number;
  /** Examples per index set the buffers hold, and the model inputs' count. */
  capacity: number;
  inputs: number;
  /** Per index set and model input, `capacity` ids (set-major). */
  ids: SharedArrayBuffer;
  /** Per index set, `capacity` × `width` floats: the looked-up rows, then the per-example row gradients. */
  x: SharedArrayBuffer;
  g: SharedArrayBuffer;
  /** Per table of the model, its penalty in the step (float64). */
  penalty: SharedArrayBuffer;
  /** The failed phase's error, UTF-8 (see `TABLE_CTRL.ERROR_LENGTH`). */
  error: SharedArrayBuffer;
}

/** A row-major array in shared memory, copied from `a`. */
export function sharedCopy(a: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(Math.max(4, a.byteLength)), 0, a.length);
  out.set(a);
  return out;
}

/**
 * Which of `tables` the worker takes: the widest first, each to the thread with less work so far (a trainable table's
 * width counts three times, for its gradient and step). Empty when one thread would get everything.
 */
export function workerTables(tables: Pick<TableState, "dim" | "trainable">[]): Set<number> {
  const order = tables.map((_, i) => i).sort((a, b) => tables[b].dim - tables[a].dim || a - b);
  const load = [0, 0];
  const mine = new Set<number>();
  for (const i of order) {
    const cost = tables[i].dim * (tables[i].trainable ? 3 : 1);
    // Ties go to the worker: this thread also runs the head.
    const to = load[1] <= load[0] ? 1 : 0;
    load[to] += cost;
    if (to === 1) mine.add(i);
  }
  return mine.size === tables.length ? new Set() : mine;
}

/** The worker thread and shared buffers of one sparse-update run; see the file comment. */
export class TableThreads {
  private readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly ids: Int32Array;
  private readonly xs: Float32Array;
  private readonly gs: Float32Array;
  private readonly penalties: Float64Array;
  private readonly error: Uint8Array;
  private readonly inputsUsed: number[];
  private generation = 0;
  private stopped = false;

  /**
   * Starts the worker for the tables `owned` (indices into `tables`, whose values and slots must be in shared memory),
   * with buffers for batches of up to `sets` index sets (at most {@link MAX_TABLE_SETS}) of up to `capacity` examples.
   */
  constructor(
    tables: TableState[],
    readonly owned: Set<number>,
    columns: number[],
    private readonly width: number,
    private readonly sets: number,
    private readonly capacity: number,
    private readonly inputs: number,
    optimizer: { name: JsOptimizerName; lr: number },
    rows: "lazy" | "dense",
  ) {
    if (!(Number.isInteger(sets) && sets >= 1 && sets <= MAX_TABLE_SETS))
      throw new RangeError(`TableThreads: batches of 1 to ${MAX_TABLE_SETS} index sets can be split, not ${sets}`);
    const sab = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
    const data: TableWorkerData = {
      ctrl: sab((TABLE_CTRL_SIZES_AT + MAX_TABLE_SETS) * 4),
      optimizer,
      rows,
      tables: [...owned].map((index) => ({ index, state: tables[index] })),
      columns,
      width,
      capacity,
      inputs,
      ids: sab(sets * inputs * capacity * 4),
      x: sab(sets * capacity * width * 4),
      g: sab(sets * capacity * width * 4),
      penalty: sab(tables.length * 8),
      error: sab(TABLE_ERROR_BYTES),
    };
    for (const i of owned) {
      const t = tables[i];
      for (const a of [t.w, t.m, t.v, t.current])
        if (a && !(a.buffer instanceof SharedArrayBuffer)) throw new Error(`TableThreads: table ${t.layer} is not in shared memory`);
    }
    this.ctrl = new Int32Array(data.ctrl);
    this.ids = new Int32Array(data.ids);
    this.xs = new Float32Array(data.x);
    this.gs = new Float32Array(data.g);
    this.penalties = new Float64Array(data.penalty);
    this.error = new Uint8Array(data.error);
    this.inputsUsed = [...new Set([...owned].map((i) => tables[i].input))];
    this.worker = startSiblingWorker(__dirname, "table-worker", data, { failed: TABLE_CTRL.FAILED, done: TABLE_CTRL.DONE });
  }

  /** Whether a batch with these index sets can be split now: the worker is ready and the batch fits its buffers. */
  fits(sets: Int32Array[][]): boolean {
    if (this.stopped || Atomics.load(this.ctrl, TABLE_CTRL.READY) !== 1) return false;
    return sets.length <= this.sets && sets.every((set) => set[0].length <= this.capacity);
  }

  /** Waits until the worker has started (at most `timeoutMs`); whether it has. */
  waitUntilReady(timeoutMs: number): boolean {
    const t0 = Date.now();
    while (Atomics.load(this.ctrl, TABLE_CTRL.READY) !== 1 && !Atomics.load(this.ctrl, TABLE_CTRL.FAILED)) {
      const left = timeoutMs - (Date.now() - t0);
      if (left <= 0) return false;
      Atomics.wait(this.ctrl, TABLE_CTRL.READY, 0, Math.min(left, 100));
    }
    return Atomics.load(this.ctrl, TABLE_CTRL.READY) === 1;
  }

  /** Set `s`'s shared row buffer ([n, width] floats); the worker writes its tables' rows there in LOOKUP. */
  rowBuffer(s: number, n: number): Float32Array {
    const at = s * this.capacity * this.width;
    return this.xs.subarray(at, at + n * this.width);
  }

  /** Set `s`'s shared gradient buffer, in the same layout as its rows. */
  gradientBuffer(s: number, n: number): Float32Array {
    const at = s * this.capacity * this.width;
    return this.gs.subarray(at, at + n * this.width);
  }

  /** Starts LOOKUP: the worker's tables' unique rows over `sets`, caught up to step `steps` under dense rows, looked up in `layout`. */
  startLookup(sets: Int32Array[][], layout: RowLayout, steps: number): void {
    sets.forEach((set, s) => {
      Atomics.store(this.ctrl, TABLE_CTRL_SIZES_AT + s, set[0].length);
      for (const i of this.inputsUsed) this.ids.set(set[i], (s * this.inputs + i) * this.capacity);
    });
    Atomics.store(this.ctrl, TABLE_CTRL.SETS, sets.length);
    Atomics.store(this.ctrl, TABLE_CTRL.LAYOUT, layout === "side" ? 0 : 1);
    this.start(TABLE_PHASE.LOOKUP, steps);
  }

  /** Starts GRADIENT on the gradient buffers (already filled), for the index sets in `used`. */
  startGradient(used: number[]): void {
    let mask = 0;
    for (const s of used) mask |= 1 << s;
    Atomics.store(this.ctrl, TABLE_CTRL.USED, mask);
    this.start(TABLE_PHASE.GRADIENT, 0);
  }

  /** Starts STEP: the optimiser on the worker's tables, as its `steps`-th step. */
  startStep(steps: number): void {
    this.start(TABLE_PHASE.STEP, steps);
  }

  /** Table `i`'s penalty in the last GRADIENT phase (valid after {@link wait}). */
  penalty(i: number): number {
    return this.penalties[i];
  }

  /** Waits for the phase started last; throws when the worker failed or does not answer. */
  wait(): void {
    const gen = this.generation;
    const t0 = performance.now();
    for (;;) {
      // The value seen here is the one to sleep on: a DONE written after this load wakes the sleep, or prevents it.
      const seen = Atomics.load(this.ctrl, TABLE_CTRL.DONE);
      if (seen === gen || Atomics.load(this.ctrl, TABLE_CTRL.FAILED)) break;
      const waited = performance.now() - t0;
      if (waited > WORKER_TIMEOUT_MS)
        throw new Error(
          `training: the table worker thread did not answer in ${WORKER_TIMEOUT_MS / 1000} s (MOVIELENS_LAB_TRAINING_THREADS=1 in the environment, or fit's threads: 1, trains on this thread only)`,
        );
      if (waited > TABLE_SPIN_MS) Atomics.wait(this.ctrl, TABLE_CTRL.DONE, seen, 1000);
    }
    if (Atomics.load(this.ctrl, TABLE_CTRL.FAILED)) {
      this.stop();
      // The worker's own error when it reported one (a bad id in one of its tables, say), else the generic one.
      const length = Atomics.load(this.ctrl, TABLE_CTRL.ERROR_LENGTH);
      if (length > 0) {
        const text = new TextDecoder().decode(this.error.slice(0, length));
        const [name, ...message] = text.split("\n");
        throw name === "RangeError" ? new RangeError(message.join("\n")) : new Error(message.join("\n"));
      }
      throw new Error(
        "training: the table worker thread failed; its error is printed above (MOVIELENS_LAB_TRAINING_THREADS=1 in the environment, or fit's threads: 1, trains on this thread only)",
      );
    }
  }

  /** Stops the worker. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.ctrl, TABLE_CTRL.STOP, 1);
    Atomics.add(this.ctrl, TABLE_CTRL.GENERATION, 1);
    Atomics.notify(this.ctrl, TABLE_CTRL.GENERATION);
    void this.worker.terminate();
  }

  private start(phase: number, steps: number): void {
    Atomics.store(this.ctrl, TABLE_CTRL.PHASE, phase);
    Atomics.store(this.ctrl, TABLE_CTRL.STEPS, steps);
    this.generation += 1;
    Atomics.store(this.ctrl, TABLE_CTRL.GENERATION, this.generation);
    Atomics.notify(this.ctrl, TABLE_CTRL.GENERATION);
  }
}
