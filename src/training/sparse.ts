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
// variables are reassigned after every step. `sync()` writes the tables back into the model. The update rules are
// training/optimizers.ts's, the L2 penalty's closed form training/penalty.ts's.
import { tf } from "../backend";
import { RecModel } from "../models/base";
import { JsOptimizer, OptimizerName, Slots, hasJsRules } from "./optimizers";
import { sparseRowPenalty } from "./penalty";
import { StepDropout, stepDropouts } from "../models/layers";
import { GradientReplica, splitBatchRows } from "./replica";
import { Task, TaskBatch, idTensors, memoForward } from "./task";

/** An embedding table: the master copy of its rows and the optimiser's slots (none when the table is frozen). */
interface TableState extends Slots {
  layer: string;
  input: number;
  rows: number;
  dim: number;
  trainable: boolean;
  /** slot[row] = position of row in the current batch's unique list, or -1. */
  slot: Int32Array;
}

/** A non-table weight (dense kernel or bias): a JS copy of its value and the optimiser's slots. */
interface HeadState extends Slots {
  variable: tf.Variable;
}

/** Maps each id to its position in `uniq` (appending ids seen first), using and setting `tb.slot`; checks the range. */
function uniqueSlots(tb: TableState, ids: Int32Array, uniq: number[]): Int32Array {
  const out = new Int32Array(ids.length);
  const slot = tb.slot;
  for (let k = 0; k < ids.length; k++) {
    const r = ids[k];
    if (!(r >= 0 && r < tb.rows)) throw new RangeError(`${tb.layer}: id ${r} out of range 0..${tb.rows - 1}`);
    let s = slot[r];
    if (s < 0) {
      s = uniq.length;
      slot[r] = s;
      uniq.push(r);
    }
    out[k] = s;
  }
  return out;
}

/** Rows `ids` of a row-major table with `d` columns, as a new [ids.length, d] array. */
function lookupRows(w: Float32Array, ids: Int32Array, d: number): Float32Array {
  const out = new Float32Array(ids.length * d);
  lookupRowsInto(out, d, 0, w, ids, d);
  return out;
}

/** Writes rows `ids` of a table with `d` columns into columns [offset, offset + d) of a row-major array `width` wide. */
function lookupRowsInto(out: Float32Array, width: number, offset: number, w: Float32Array, ids: Int32Array, d: number): void {
  if (d >= 16) {
    // Wide rows: a native block copy per row beats the element loop.
    for (let k = 0, q = offset; k < ids.length; k++, q += width) out.set(w.subarray(ids[k] * d, ids[k] * d + d), q);
    return;
  }
  for (let k = 0, q = offset; k < ids.length; k++, q += width) {
    const o = ids[k] * d;
    for (let j = 0; j < d; j++) out[q + j] = w[o + j];
  }
}

/** g[pos[k]] += example k's row of `e`, for rows of `d` columns: per-example row gradients summed per unique row. */
function scatterAddRows(g: Float32Array, e: RowGradients, pos: Int32Array, d: number): void {
  const { data, stride, offset } = e;
  if (d === 1) {
    for (let k = 0, q = offset; k < pos.length; k++, q += stride) g[pos[k]] += data[q];
    return;
  }
  for (let k = 0, q = offset; k < pos.length; k++, q += stride) {
    const p = pos[k] * d;
    for (let j = 0; j < d; j++) g[p + j] += data[q + j];
  }
}

/** Per-example row gradients: example k's row is `data[k * stride + offset ..][0, dim)` (a table's columns of a wider array). */
interface RowGradients {
  data: Float32Array;
  stride: number;
  offset: number;
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
  private readonly head: HeadState[];
  private readonly optimizer: JsOptimizer;
  /** The second training thread, started at the first batch that is split (see replica.ts). */
  private replica: GradientReplica | null = null;
  /** The network's dropout layers, whose call counts the replica follows. */
  private dropouts: StepDropout[] = [];

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
  ) {
    if (!hasJsRules(optimizer)) {
      throw new Error(`sparse updates support adam, adagrad and sgd, not ${optimizer}; use updates: "dense"`);
    }
    const opt = new JsOptimizer(optimizer, lr);
    this.optimizer = opt;
    // Table rows step lazily, head weights as TF.js's optimiser steps them (see optimizers.ts).
    this.tables = model.tables.map((t) => {
      const variable = model.tableVariable(t.layer);
      const [rows, dim] = variable.shape as [number, number];
      const trainable = model.isTrainable(t.layer);
      return {
        layer: t.layer,
        input: t.input,
        rows,
        dim,
        trainable,
        w: Float32Array.from(variable.dataSync() as Float32Array),
        ...(trainable ? opt.slots(rows * dim, this.rows, rows) : { m: null, v: null }),
        slot: new Int32Array(rows).fill(-1),
      };
    });
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
    // Unique rows per table over every id set of the batch, and each set's ids mapped to positions in that list.
    const uniq: number[][] = this.tables.map(() => []);
    const local: Int32Array[][] = batch.ids.map((set) => this.tables.map((tb, ti) => uniqueSlots(tb, set[tb.input], uniq[ti])));
    for (let ti = 0; ti < this.tables.length; ti++) for (const r of uniq[ti]) this.tables[ti].slot[r] = -1;
    // Under dense rows, the batch's rows first take the steps they missed, so the forward pass reads them as they are.
    if (this.rows === "dense") this.tables.forEach((tb, ti) => tb.trainable && this.optimizer.catchUp(tb, uniq[ti], tb.dim));

    const manual = this.model.manualHead !== null && task.outputGradient !== undefined;
    // fit passes `split` only for a model without tables and a task with a replica loss.
    const split = !manual && this.split !== null && task.replica !== undefined && batch.ids.length === 1 && batch.size >= 2;
    const g = manual ? this.manualGradients(task, batch) : split ? this.splitGradients(task, batch) : this.tapeGradients(task, batch);
    try {
      let loss = g.loss;
      // The lookup's gradient, in JS: per-example row gradients summed into each unique row.
      const rowGrads = this.tables.map((tb, ti) => {
        if (!tb.trainable) return null;
        const sum = new Float32Array(uniq[ti].length * tb.dim);
        for (const s of g.usedSets) {
          const ge = g.rows[s][ti];
          if (ge) scatterAddRows(sum, ge, local[s][ti], tb.dim);
        }
        return sum;
      });
      // The L2 term is added here, in closed form, instead of as ~20 more ops per batch in the graph:
      // lambda * mean_b ||row_b - anchor_b||^2 has gradient 2 * lambda / B * (row - anchor) for each occurrence.
      loss += this.addPenalty(local, g.usedSets, rowGrads, uniq);
      if (Number.isFinite(loss)) {
        this.optimizer.beginStep();
        for (const h of this.head) {
          const hg = g.head.get(h.variable);
          if (hg) this.applyHead(h, hg.dataSync() as Float32Array);
        }
        this.tables.forEach((tb, ti) => {
          const rg = rowGrads[ti];
          if (tb.trainable && rg) this.optimizer.step(tb, rg, this.rows, uniq[ti], tb.dim);
        });
      }
      return loss;
    } finally {
      g.dispose();
    }
  }

  /** Each set's looked-up rows, in JS: one [B, dim] tensor per table (a variable when the table is trainable). */
  private lookup(batch: TaskBatch, asVariables: boolean): tf.Tensor[][] {
    return batch.ids.map((set) =>
      this.tables.map((tb) => {
        const ids = set[tb.input];
        const t = tf.tensor2d(lookupRows(tb.w, ids, tb.dim), [ids.length, tb.dim]);
        if (!tb.trainable || !asVariables) return t;
        const v = tf.variable(t, true);
        t.dispose();
        return v;
      }),
    );
  }

  /** Loss and gradients through TF.js's gradient tape: the model's head and the task's loss on the looked-up rows. */
  private tapeGradients(task: Task, batch: TaskBatch): StepGradients {
    const rowTensors = this.lookup(batch, true);
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

  /** Stops the second training thread, if one was started. */
  stop(): void {
    this.replica?.stop();
    this.replica = null;
  }

  /**
   * Loss and gradients without the tape: the model's hand-written forward and backward pass on every index set,
   * seeded with the task's closed-form gradient of the loss with respect to each set's output.
   */
  private manualGradients(task: Task, batch: TaskBatch): StepGradients {
    const width = this.tables.reduce((s, tb) => s + tb.dim, 0);
    let loss = NaN;
    const rows: tf.Tensor[] = [];
    const head = new Map<tf.Variable, tf.Tensor>();
    tf.tidy(() => {
      const passes = batch.ids.map((set) => {
        // The rows of every table side by side, looked up in JS straight into one [B, sum of dims] array.
        const n = set[0].length;
        const x = new Float32Array(n * width);
        let offset = 0;
        for (const tb of this.tables) {
          lookupRowsInto(x, width, offset, tb.w, set[tb.input], tb.dim);
          offset += tb.dim;
        }
        const pass = this.model.manualHead!.forward(tf.tensor2d(x, [n, width]), true);
        return { ...pass, out: pass.output.dataSync() as Float32Array };
      });
      const r = task.outputGradient!(
        passes.map((p) => p.out),
        batch,
      );
      loss = r.loss;
      passes.forEach((p, s) => {
        const g = p.backward(r.gradients[s], p.out);
        // Kept past the scope: the caller reads them, then disposes them.
        rows.push(tf.keep(g.rows));
        for (const [v, t] of g.weights) {
          const before = head.get(v);
          head.set(v, tf.keep(before ? tf.add(before, t) : t));
          if (before) before.dispose();
        }
      });
    });
    // Each table's per-example row gradients are its columns of the side-by-side gradient.
    const perSet = rows.map((t) => {
      const dx = t.dataSync() as Float32Array;
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
      dispose: () => tf.dispose([...rows, ...head.values()]),
    };
  }

  /** Steps one head weight as TF.js's optimiser would, then puts the new value into its variable. */
  private applyHead(h: HeadState, g: Float32Array): void {
    this.optimizer.step(h, g, "tfjs");
    // A copy: the backend may keep a reference to the array it is given, and `w` keeps changing.
    tf.tidy(() => h.variable.assign(tf.tensor(h.w.slice(), h.variable.shape)));
  }

  /**
   * Adds the L2 penalty's gradient to `rowGrads` (per table, per unique row) and returns its value, in closed form
   * (see penalty.ts).
   */
  private addPenalty(local: Int32Array[][], usedSets: number[], rowGrads: (Float32Array | null)[], uniq: number[][]): number {
    let value = 0;
    this.model.tables.forEach((t, ti) => {
      const tb = this.tables[ti];
      const g = rowGrads[ti];
      if (t.l2 <= 0 || !tb.trainable || !g) return;
      value += sparseRowPenalty(
        t,
        tb.w,
        tb.dim,
        uniq[ti],
        usedSets.map((s) => local[s][ti]),
        g,
      );
    });
    return value;
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
