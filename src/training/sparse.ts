// Sparse embedding updates: a batch looks up, differentiates and steps only the table rows it touches (lazy Adam/Adagrad/SGD, or dense Adam caught up lazily).
//
// TF.js optimisers step whole variables, so every batch would read and write every row of every embedding table (and
// Adam's two moment tables) although a batch touches a few hundred rows. Here the master copy of each table lives in
// a Float32Array; a batch copies the rows of its examples out of it (the lookup, done in JS) and uploads them as
// [B, dim] variables, the model's head runs on them, and the per-example row gradients come back to be summed per
// unique row (the lookup's gradient, also in JS) and applied in place — the "lazy" update TF Addons' LazyAdam and
// PyTorch's SparseAdam make. Doing the lookup and its gradient in JS removes a gather and a segment-sum (plus their
// reshapes, casts and transposes) per table and step from the TF graph; TF runs only the head and the loss.
// Non-table weights (dense layers) get the same optimiser, with TF.js's formulas, on JS copies of their values; the
// variables are reassigned after every step. `sync()` writes the tables back into the model. A table's share of a step
// (unique rows, lookup, gradient sum, L2 penalty, optimiser step) is training/table-rows.ts's; the update rules are
// training/optimizer-rules.ts's. With two threads, a worker runs some tables' share while this thread runs the
// others' and the head (training/table-threads.ts): the same numbers, bit for bit.
import { tf } from "../backend";
import { RecModel } from "../models/base";
import { JsOptimizer, OptimizerName, Slots, hasJsRules } from "./optimizers";
import { StepDropout, stepDropouts } from "../models/layers";
import { GradientReplica, splitBatchRows } from "./replica";
import { RowGradients, TableState, TableStep, placeRows } from "./table-rows";
import { MAX_TABLE_SETS, RowLayout, TableThreads, sharedCopy, workerTables } from "./table-threads";
import { Task, TaskBatch, idTensors, memoForward } from "./task";

/** A non-table weight (dense kernel or bias): a JS copy of its value and the optimiser's slots. */
interface HeadState extends Slots {
  variable: tf.Variable;
}

/** A step's loss and gradients: per index set and table, the per-example row gradients; per head variable, its gradient. */
interface StepGradients {
  loss: number;
  usedSets: number[];
  /** Per index set and table: the per-example row gradients, or null. */
  rows: (RowGradients | null)[][];
  head: Map<tf.Variable, tf.Tensor>;
  dispose(): void;
}

/** Applies sparse row updates for a model's embedding tables; see the file comment. */
export class SparseTableUpdater {
  private readonly tables: TableState[];
  /** This thread's share of a step for each table (all of them when the table worker does not take part). */
  private readonly tableSteps: TableStep[];
  /** Each table's first column in a row of every table's columns side by side, and that row's width. */
  private readonly columns: number[];
  private readonly width: number;
  private readonly head: HeadState[];
  private readonly optimizer: JsOptimizer;
  /** The second training thread, started at the first batch that is split (see replica.ts). */
  private replica: GradientReplica | null = null;
  /** The network's dropout layers, whose call counts the replica follows. */
  private dropouts: StepDropout[] = [];
  /** The tables the worker takes (see table-threads.ts), or none; the worker starts at the first step. */
  private readonly workerOwned: Set<number>;
  /** Every table's index; those the worker does not own; the trainable ones it owns (fixed for the updater's life). */
  private readonly allTables: number[];
  private readonly unsharedTables: number[];
  private readonly workerTrainable: number[];
  private tableThreads: TableThreads | null = null;
  /** This thread's lookup buffers, one per index set (see {@link rowBuffer}). */
  private readonly rowBuffers: Float32Array[] = [];
  /** This thread's buffers for a manual head's row gradients, one per index set (see {@link gradientBuffer}). */
  private readonly gradientBuffers: Float32Array[] = [];
  /** Steps whose tables were shared with the table worker (the rest ran on this thread alone). */
  twoThreadSteps = 0;

  /**
   * `rows`: "lazy" (default) steps only the rows a batch touches; "dense" moves every row at every step, as a TF.js
   * optimiser stepping the whole table does, computed when a row is next touched or synced (optimizers.ts).
   */
  constructor(
    private readonly model: RecModel,
    optimizer: OptimizerName,
    lr: number,
    private readonly rows: "lazy" | "dense" = "lazy",
    /** Split each batch between this thread and a worker thread (batches of at most `maxRows` rows); see replica.ts. */
    private readonly split: { maxRows: number } | null = null,
    /** Share the tables with a worker thread (table-threads.ts): 2; or run them all here: 1. */
    tableThreads: 1 | 2 = 1,
  ) {
    if (!hasJsRules(optimizer)) {
      throw new Error(`sparse updates support adam, adagrad and sgd, not ${optimizer}; use updates: "dense"`);
    }
    const opt = new JsOptimizer(optimizer, lr);
    this.optimizer = opt;
    const shapes = model.tables.map((t) => {
      const variable = model.tableVariable(t.layer);
      const [rows, dim] = variable.shape as [number, number];
      return { variable, rows, dim, trainable: model.isTrainable(t.layer) };
    });
    this.workerOwned = tableThreads === 2 ? workerTables(shapes) : new Set();
    // Table rows step lazily, head weights as TF.js's optimiser steps them (see optimizers.ts).
    this.tables = model.tables.map((t, i) => {
      const { variable, rows, dim, trainable } = shapes[i];
      const shared = this.workerOwned.has(i);
      const values = variable.dataSync() as Float32Array;
      return {
        layer: t.layer,
        input: t.input,
        rows,
        dim,
        trainable,
        l2: t.l2,
        anchor: t.anchor ?? null,
        w: shared ? sharedCopy(values) : Float32Array.from(values),
        ...(trainable ? opt.slots(rows * dim, this.rows, rows, shared) : { m: null, v: null }),
      };
    });
    this.tableSteps = this.tables.map((tb) => new TableStep(tb));
    this.allTables = this.tables.map((_, ti) => ti);
    this.unsharedTables = this.allTables.filter((ti) => !this.workerOwned.has(ti));
    this.workerTrainable = this.allTables.filter((ti) => this.workerOwned.has(ti) && this.tables[ti].trainable);
    this.columns = [];
    let width = 0;
    for (const tb of this.tables) {
      this.columns.push(width);
      width += tb.dim;
    }
    this.width = width;
    const tableVars = new Set(model.tables.map((t) => model.tableVariable(t.layer)));
    this.head = model
      .trainableVariables()
      .filter((v) => !tableVars.has(v))
      .map((variable) => ({
        variable,
        w: Float32Array.from(variable.dataSync() as Float32Array),
        ...opt.slots(variable.size, "tfjs"),
      }));
  }

  /** One training step on `batch`; returns the loss (data loss + L2). */
  step(task: Task, batch: TaskBatch): number {
    const manual = this.model.manualHead !== null && task.outputGradient !== undefined;
    // fit passes `split` only for a model without tables and a task with a replica loss.
    const split = !manual && this.split !== null && task.replica !== undefined && batch.ids.length === 1 && batch.size >= 2;
    if (split) return this.stepTables(this.splitGradients(task, batch), null);
    const sets = batch.ids;
    const threads = this.tables.length > 0 ? this.startTableThreads(sets) : null;
    if (threads) this.twoThreadSteps += 1;
    // A manual head takes every table's rows side by side; the tape one tensor per table.
    const layout: RowLayout = manual ? "side" : "blocks";
    const sizes = sets.map((set) => (this.tables.length > 0 ? set[0].length : 0));
    const x = sizes.map((n, s) => (threads ? threads.rowBuffer(s, n) : this.rowBuffer(s, n)));
    threads?.startLookup(sets, layout, this.optimizer.steps);
    try {
      this.tablesHere(threads).forEach((ti) => {
        const tb = this.tables[ti];
        this.tableSteps[ti].lookup(
          sets.map((set) => set[tb.input]),
          sizes.map((n, s) => this.place(x[s], n, ti, layout)),
          this.optimizer,
          this.rows,
        );
      });
    } finally {
      // Even when a bad id stops this thread's lookup: the worker is not left running a phase.
      threads?.wait();
    }
    const g = manual ? this.manualGradients(task, batch, x) : this.tapeGradients(task, batch, x);
    return this.stepTables(g, threads ? { threads, sizes, layout } : null);
  }

  /**
   * Index set `s`'s lookup buffer for `n` examples on this thread, reused from step to step (a step's tensors over it
   * are disposed before the next): a full batch of 90,000 ratings would otherwise allocate, fault in and collect 24 MB
   * a step.
   */
  private rowBuffer(s: number, n: number): Float32Array {
    return reusedRows(this.rowBuffers, s, n * this.width);
  }

  /**
   * Index set `s`'s buffer for a manual head's row gradients of `n` examples on this thread, reused as
   * {@link rowBuffer}; shareGradients copies it for the table worker. (Written straight into the shared buffer
   * instead, the head's writes cost twice as much: 0.55 against 0.29 ms a step at batch 1024 and d 64, as each line
   * had last been read by the worker's core.)
   */
  private gradientBuffer(s: number, n: number): Float32Array {
    return reusedRows(this.gradientBuffers, s, n * this.width);
  }

  /** The table worker, when this step can share the tables with it (started at the first step that could). */
  private startTableThreads(sets: Int32Array[][]): TableThreads | null {
    if (this.workerOwned.size === 0 || sets.length > MAX_TABLE_SETS) return null;
    if (!this.tableThreads) {
      const capacity = Math.max(...sets.map((set) => set[0].length));
      const inputs = Math.max(...this.tables.map((tb) => tb.input)) + 1;
      const { name, lr } = this.optimizer;
      this.tableThreads = new TableThreads(
        this.tables,
        this.workerOwned,
        this.columns,
        this.width,
        sets.length,
        capacity,
        inputs,
        { name, lr },
        this.rows,
      );
    }
    return this.tableThreads.fits(sets) ? this.tableThreads : null;
  }

  /** Waits (at most `timeoutMs`) for the table worker to start, if this updater shares its tables; whether it is ready. */
  waitForTableWorker(timeoutMs: number, sample: TaskBatch): boolean {
    if (this.workerOwned.size === 0) return false;
    this.startTableThreads(sample.ids);
    return this.tableThreads!.waitUntilReady(timeoutMs);
  }

  /** Where table `ti`'s rows of a set of `n` examples sit in that set's buffer `data`, in `layout`. */
  private place(data: Float32Array, n: number, ti: number, layout: RowLayout): RowGradients {
    return placeRows(data, n, this.columns[ti], this.tables[ti].dim, this.width, layout === "side");
  }

  /**
   * The rest of a step after the gradients: the tables' summed row gradients and L2 penalty, then (when the loss is
   * finite) the optimiser on the head weights and the tables' rows; the worker's tables on the worker when `shared`.
   */
  private stepTables(g: StepGradients, shared: { threads: TableThreads; sizes: number[]; layout: RowLayout } | null): number {
    try {
      let loss = g.loss;
      const threads = shared?.threads ?? null;
      if (shared) {
        this.shareGradients(g, shared);
        shared.threads.startGradient(g.usedSets);
      }
      // The lookup's gradient, in JS: per-example row gradients summed into each unique row, with the L2 term added
      // in closed form (instead of ~20 more ops per batch in the graph): lambda * mean_b ||row_b - anchor_b||^2 has
      // gradient 2 * lambda / B * (row - anchor) for each occurrence.
      const here = this.tablesHere(threads);
      for (const ti of here)
        this.tableSteps[ti].gradient(
          g.rows.map((set) => set[ti] ?? null),
          g.usedSets,
        );
      threads?.wait();
      let penalty = 0;
      this.tables.forEach((_, ti) => (penalty += threads?.owned.has(ti) ? threads.penalty(ti) : this.tableSteps[ti].penalty));
      loss += penalty;
      if (Number.isFinite(loss)) {
        this.optimizer.beginStep();
        threads?.startStep(this.optimizer.steps);
        for (const h of this.head) {
          const hg = g.head.get(h.variable);
          if (hg) this.applyHead(h, hg.dataSync() as Float32Array);
        }
        for (const ti of here) this.tableSteps[ti].step(this.optimizer, this.rows);
        threads?.wait();
      }
      return loss;
    } finally {
      g.dispose();
    }
  }

  /** The tables this thread runs in a step: all of them, or those the worker does not own. */
  private tablesHere(threads: TableThreads | null): number[] {
    return threads ? this.unsharedTables : this.allTables;
  }

  /**
   * Puts the worker's tables' per-example row gradients into the shared gradient buffers, in the rows' layout: a manual
   * head's gradient has every table's columns side by side, as the buffer, so it is copied whole; the tape's is one
   * block per table. A table no gradient reached through a set (one thread skips it) gets zeros, which add nothing.
   */
  private shareGradients(g: StepGradients, shared: { threads: TableThreads; sizes: number[]; layout: RowLayout }): void {
    const { threads, sizes, layout } = shared;
    for (const s of g.usedSets) {
      const n = sizes[s];
      const buffer = threads.gradientBuffer(s, n);
      if (layout === "side") {
        const rg = this.workerTrainable.map((ti) => g.rows[s][ti]).find((r) => r);
        if (rg) buffer.set(rg.data.subarray(0, n * this.width));
        continue;
      }
      for (const ti of this.workerTrainable) {
        const to = this.place(buffer, n, ti, layout);
        const from = g.rows[s][ti];
        const size = n * this.tables[ti].dim;
        if (from) to.data.set(from.data.subarray(from.offset, from.offset + size), to.offset);
        else to.data.fill(0, to.offset, to.offset + size);
      }
    }
  }

  /** Loss and gradients through TF.js's gradient tape: the model's head and the task's loss on the looked-up rows (`x[s]`, one block per table). */
  private tapeGradients(task: Task, batch: TaskBatch, x: Float32Array[] = []): StepGradients {
    const rowTensors = x.map((data, s) => {
      const n = batch.ids[s][0].length;
      return this.tables.map((tb, ti) => {
        const t: tf.Tensor = tf.tensor2d(data.subarray(n * this.columns[ti], n * (this.columns[ti] + tb.dim)), [n, tb.dim]);
        if (!tb.trainable) return t;
        const v = tf.variable(t, true);
        t.dispose();
        return v;
      });
    });
    const rowVars = rowTensors.flat().filter((t): t is tf.Variable => t instanceof tf.Variable);
    // A model without tables (SASRec: its item table is one of the network's layers) runs whole on the ids.
    const ids = this.tables.length === 0 ? idTensors(batch) : null;
    let usedSets: number[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const { forward, used } = memoForward((set) =>
        ids ? this.model.forward(ids[set], true) : this.model.applyHead(rowTensors[set], true),
      );
      const l = task.loss(forward, batch);
      usedSets = [...used.keys()];
      return l;
    }, [...this.head.map((h) => h.variable), ...rowVars]);
    const loss = value.dataSync()[0];
    return {
      loss,
      usedSets,
      rows: rowTensors.map((set, s) =>
        set.map((t, ti) => {
          const g = this.tables[ti].trainable && usedSets.includes(s) ? grads[(t as tf.Variable).name] : undefined;
          return g ? { data: g.dataSync() as Float32Array, stride: this.tables[ti].dim, offset: 0 } : null;
        }),
      ),
      head: new Map(this.head.map((h) => [h.variable, grads[h.variable.name]] as const).filter(([, t]) => t !== undefined)),
      dispose: () => tf.dispose([value, ...Object.values(grads), ...rowTensors.flat(), ...(ids ?? []).flat()]),
    };
  }

  /**
   * Loss and gradients with the batch split between this thread (rows [0, h)) and the replica's (rows [h, B)), both
   * through the tape, averaged with the weights the task's registered loss gives each half (replica.ts).
   */
  private splitGradients(task: Task, batch: TaskBatch): StepGradients {
    const B = batch.size;
    if (!this.replica) {
      this.dropouts = stepDropouts(this.model.net);
      this.replica = new GradientReplica(
        this.model.spec,
        { name: task.replica!.loss, options: task.replica!.options },
        this.head.map((h) => h.variable.shape),
        this.dropouts.length,
        batch,
        Math.max(B, this.split!.maxRows),
      );
    }
    const r = this.replica;
    const h = Math.ceil(B / 2);
    const [own, other] = splitBatchRows(batch, h);
    r.start(
      other,
      h,
      B - h,
      this.head.map((hs) => hs.w),
      this.dropouts.map((l) => l.callCount),
    );
    const target = tf.tensor(own.target, [h, ...batch.target.shape.slice(1)], batch.target.dtype);
    let mine: StepGradients;
    try {
      mine = this.tapeGradients(task, { ids: [own.ids], widths: batch.widths, target, size: h });
    } finally {
      target.dispose();
    }
    try {
      const theirs = r.finish();
      const wa = r.weight(Float32Array.from(own.target));
      const wb = r.weight(Float32Array.from(other.target));
      const [ka, kb] = wa + wb > 0 ? [wa / (wa + wb), wb / (wa + wb)] : [h / B, (B - h) / B];
      const head = new Map<tf.Variable, tf.Tensor>();
      this.head.forEach((hs, i) => {
        const gb = theirs.grads[i];
        const ga = mine.head.get(hs.variable);
        const a = ga ? (ga.dataSync() as Float32Array) : null;
        const out = new Float32Array(gb.length);
        for (let j = 0; j < out.length; j++) out[j] = (a ? ka * a[j] : 0) + kb * gb[j];
        head.set(hs.variable, tf.tensor(out, hs.variable.shape));
      });
      return {
        loss: ka * mine.loss + kb * theirs.loss,
        usedSets: [0],
        rows: [[]],
        head,
        dispose: () => tf.dispose([...head.values()]),
      };
    } finally {
      mine.dispose();
    }
  }

  /** Stops the second training thread (the replica or the table worker), if one was started. */
  stop(): void {
    this.replica?.stop();
    this.replica = null;
    this.tableThreads?.stop();
    this.tableThreads = null;
  }

  /**
   * Loss and gradients without the tape: the model's hand-written forward and backward pass on every index set,
   * seeded with the task's closed-form gradient of the loss with respect to each set's output.
   */
  private manualGradients(task: Task, batch: TaskBatch, x: Float32Array[]): StepGradients {
    const width = this.width;
    let loss = NaN;
    const rows: (tf.Tensor | Float32Array)[] = [];
    const head = new Map<tf.Variable, tf.Tensor>();
    tf.tidy(() => {
      const passes = x.map((data) => {
        // The rows of every table side by side ([B, sum of dims]), as the lookup wrote them.
        const pass = this.model.manualHead!.forward(tf.tensor2d(data, [data.length / width, width]), true);
        return { ...pass, out: pass.output.dataSync() as Float32Array };
      });
      const r = task.outputGradient!(
        passes.map((p) => p.out),
        batch,
      );
      loss = r.loss;
      passes.forEach((p, s) => {
        const g = p.backward(r.gradients[s], p.out, this.gradientBuffer(s, x[s].length / width));
        // A tensor is kept past the scope: the caller reads it, then disposes it.
        rows.push(g.rows instanceof tf.Tensor ? tf.keep(g.rows) : g.rows);
        for (const [v, t] of g.weights) {
          const before = head.get(v);
          head.set(v, tf.keep(before ? tf.add(before, t) : t));
          if (before) before.dispose();
        }
      });
    });
    // Each table's per-example row gradients are its columns of the side-by-side gradient.
    const perSet = rows.map((t) => {
      const dx = t instanceof tf.Tensor ? (t.dataSync() as Float32Array) : t;
      let offset = 0;
      return this.tables.map((tb) => {
        const g = tb.trainable ? { data: dx, stride: width, offset } : null;
        offset += tb.dim;
        return g;
      });
    });
    return {
      loss,
      usedSets: batch.ids.map((_, s) => s),
      rows: perSet,
      head,
      dispose: () => tf.dispose([...rows.filter((t): t is tf.Tensor => t instanceof tf.Tensor), ...head.values()]),
    };
  }

  /** Steps one head weight as TF.js's optimiser would, then puts the new value into its variable. */
  private applyHead(h: HeadState, g: Float32Array): void {
    this.optimizer.step(h, g, "tfjs");
    // A copy: the backend may keep a reference to the array it is given, and `w` keeps changing.
    tf.tidy(() => h.variable.assign(tf.tensor(h.w.slice(), h.variable.shape)));
  }

  /** Writes the master tables back into the model's variables (under "dense" rows, every row brought up to date first). */
  sync(): void {
    for (const tb of this.tables) {
      if (!tb.trainable) continue;
      if (this.rows === "dense") this.optimizer.catchUpAll(tb, tb.dim);
      const variable = this.model.tableVariable(tb.layer);
      // A copy: TF.js backends keep a reference to the array they are given, and `w` keeps changing.
      tf.tidy(() => variable.assign(tf.tensor2d(tb.w.slice(), [tb.rows, tb.dim])));
    }
  }
}

/** The first `size` values of `buffers[s]`, grown (and kept in `buffers`) when it is shorter. */
function reusedRows(buffers: Float32Array[], s: number, size: number): Float32Array {
  let buffer = buffers[s];
  if (!buffer || buffer.length < size) buffer = buffers[s] = new Float32Array(size);
  return buffer.subarray(0, size);
}
