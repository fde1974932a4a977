// Sparse embedding updates: a batch looks up, differentiates and updates only the table rows it touches (lazy Adam/Adagrad/SGD).
//
// TF.js optimisers step whole variables, so every batch would read and write every row of every embedding table (and
// Adam's two moment tables) although a batch touches a few hundred rows. Here the master copy of each table lives in
// a Float32Array; a batch copies the rows of its examples out of it (the lookup, done in JS) and uploads them as
// [B, dim] variables, the model's head runs on them, and the per-example row gradients come back to be summed per
// unique row (the lookup's gradient, also in JS) and applied in place — the "lazy" update TF Addons' LazyAdam and
// PyTorch's SparseAdam make. Doing the lookup and its gradient in JS removes a gather and a segment-sum (plus their
// reshapes, casts and transposes) per table and step from the TF graph; TF runs only the head and the loss.
// Non-table weights (dense layers) get the same optimiser, with TF.js's formulas, on JS copies of their values; the
// variables are reassigned after every step. `sync()` writes the tables back into the model.
import { tf } from "../backend";
import { RecModel } from "../models/base";
import type { OptimizerName } from "./fit";
import { Task, TaskBatch, memoForward } from "./task";

interface TableState {
  layer: string;
  input: number;
  rows: number;
  dim: number;
  trainable: boolean;
  w: Float32Array;
  m: Float32Array | null;
  v: Float32Array | null;
  /** slot[row] = position of row in the current batch's unique list, or -1. */
  slot: Int32Array;
}

/** A non-table weight (dense kernel or bias): a JS copy of its value and the optimiser's slots. */
interface HeadState {
  variable: tf.Variable;
  w: Float32Array;
  m: Float32Array | null;
  v: Float32Array | null;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-7;
/** tf.train.adagrad's default initial accumulator, so head weights step exactly as under the TF.js optimiser. */
const ADAGRAD_INITIAL = 0.1;

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

/** `sum_p weight[p] * ||w[rows[p]] - anchor[rows[p]]||^2`, adding its gradient to `g` (one row of `d` per position p). */
function penalizeRows(
  w: Float32Array,
  anchor: Float32Array | null,
  rows: number[],
  weight: Float64Array,
  g: Float32Array,
  d: number,
): number {
  let value = 0;
  for (let p = 0, q = 0; p < rows.length; p++, q += d) {
    const o = rows[p] * d;
    const c = weight[p];
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const x = anchor ? w[o + j] - anchor[o + j] : w[o + j];
      sq += x * x;
      g[q + j] += 2 * c * x;
    }
    value += c * sq;
  }
  return value;
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
  private t = 0;

  constructor(
    private readonly model: RecModel,
    private readonly optimizer: OptimizerName,
    private readonly lr: number,
  ) {
    if (optimizer !== "adam" && optimizer !== "adagrad" && optimizer !== "sgd") {
      throw new Error(`sparse updates support adam, adagrad and sgd, not ${optimizer}; use updates: "dense"`);
    }
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
        m: trainable && optimizer !== "sgd" ? new Float32Array(rows * dim) : null,
        v: trainable && optimizer === "adam" ? new Float32Array(rows * dim) : null,
        slot: new Int32Array(rows).fill(-1),
      };
    });
    const tableVars = new Set(model.tables.map((t) => model.tableVariable(t.layer)));
    this.head = model
      .trainableVariables()
      .filter((v) => !tableVars.has(v))
      .map((variable) => {
        const n = variable.size;
        return {
          variable,
          w: Float32Array.from(variable.dataSync() as Float32Array),
          m: optimizer === "sgd" ? null : new Float32Array(n).fill(optimizer === "adagrad" ? ADAGRAD_INITIAL : 0),
          v: optimizer === "adam" ? new Float32Array(n) : null,
        };
      });
  }

  /** One training step on `batch`; returns the loss (data loss + L2). */
  step(task: Task, batch: TaskBatch): number {
    // Unique rows per table over every id set of the batch, and each set's ids mapped to positions in that list.
    const uniq: number[][] = this.tables.map(() => []);
    const local: Int32Array[][] = batch.ids.map((set) => this.tables.map((tb, ti) => uniqueSlots(tb, set[tb.input], uniq[ti])));
    for (let ti = 0; ti < this.tables.length; ti++) for (const r of uniq[ti]) this.tables[ti].slot[r] = -1;

    const manual = this.model.manualHead !== null && task.outputGradient !== undefined && batch.ids.length === 1;
    const g = manual ? this.manualGradients(task, batch) : this.tapeGradients(task, batch);
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
      loss += this.addPenalty(batch, local, g.usedSets, rowGrads, uniq);
      if (Number.isFinite(loss)) {
        this.t += 1;
        for (const h of this.head) {
          const hg = g.head.get(h.variable);
          if (hg) this.applyHead(h, hg.dataSync() as Float32Array);
        }
        this.tables.forEach((tb, ti) => {
          const rg = rowGrads[ti];
          if (tb.trainable && rg) this.applyRows(tb, uniq[ti], rg);
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
    let usedSets: number[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const { forward, used } = memoForward((set) => this.model.applyHead(rowTensors[set], true));
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
      dispose: () => tf.dispose([value, ...Object.values(grads), ...rowTensors.flat()]),
    };
  }

  /**
   * Loss and gradients without the tape: the model's hand-written forward and backward pass, seeded with the task's
   * closed-form gradient of the loss with respect to the model output (index set 0 only).
   */
  private manualGradients(task: Task, batch: TaskBatch): StepGradients {
    // The rows of every table side by side, looked up in JS straight into one [B, sum of dims] array.
    const set = batch.ids[0];
    const n = batch.size;
    const width = this.tables.reduce((s, tb) => s + tb.dim, 0);
    const x = new Float32Array(n * width);
    let offset = 0;
    for (const tb of this.tables) {
      lookupRowsInto(x, width, offset, tb.w, set[tb.input], tb.dim);
      offset += tb.dim;
    }
    let loss = NaN;
    let rows: tf.Tensor | null = null;
    let head = new Map<tf.Variable, tf.Tensor>();
    tf.tidy(() => {
      const { output, backward } = this.model.manualHead!.forward(tf.tensor2d(x, [n, width]), true);
      const out = output.dataSync() as Float32Array;
      const r = task.outputGradient!(out, batch);
      const g = backward(r.gradient, out);
      // Kept past the scope: the caller reads them, then disposes them.
      loss = r.loss;
      rows = tf.keep(g.rows);
      head = new Map([...g.weights].map(([v, t]) => [v, tf.keep(t)] as const));
    });
    // Each table's per-example row gradients are its columns of the side-by-side gradient.
    const dx = rows!.dataSync() as Float32Array;
    offset = 0;
    const perTable = this.tables.map((tb) => {
      const g = tb.trainable ? { data: dx, stride: width, offset } : null;
      offset += tb.dim;
      return g;
    });
    return {
      loss,
      usedSets: [0],
      rows: [perTable],
      head,
      dispose: () => tf.dispose([rows!, ...head.values()]),
    };
  }

  /**
   * Steps one head weight with TF.js's own formulas (tf.train.adam / adagrad / sgd, whose state starts as theirs
   * does), then puts the new value into its variable.
   */
  private applyHead(h: HeadState, g: Float32Array): void {
    const w = h.w;
    const n = w.length;
    const lr = this.lr;
    if (this.optimizer === "sgd") {
      for (let i = 0; i < n; i++) w[i] -= lr * g[i];
    } else if (this.optimizer === "adagrad") {
      const a = h.m!;
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        const ai = a[i] + gi * gi;
        a[i] = ai;
        w[i] -= (lr * gi) / Math.sqrt(ai + EPS);
      }
    } else {
      const m = h.m!;
      const v = h.v!;
      const c1 = 1 - Math.pow(BETA1, this.t);
      const c2 = 1 - Math.pow(BETA2, this.t);
      for (let i = 0; i < n; i++) {
        const gi = g[i];
        const mi = BETA1 * m[i] + (1 - BETA1) * gi;
        const vi = BETA2 * v[i] + (1 - BETA2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + EPS);
      }
    }
    // A copy: the backend may keep a reference to the array it is given, and `w` keeps changing.
    tf.tidy(() => h.variable.assign(tf.tensor(w.slice(), h.variable.shape)));
  }

  /**
   * Adds the L2 penalty's gradient to `rowGrads` (per table, per unique row) and returns its value. Each occurrence of
   * a row in a set of B examples weighs lambda / B, so the work is one pass over the ids to total each unique row's
   * weight and one pass over the unique rows: `value += weight * ||row - anchor||^2`, `grad += 2 * weight * (row - anchor)`.
   */
  private addPenalty(
    batch: TaskBatch,
    local: Int32Array[][],
    usedSets: number[],
    rowGrads: (Float32Array | null)[],
    uniq: number[][],
  ): number {
    let value = 0;
    this.model.tables.forEach((t, ti) => {
      const tb = this.tables[ti];
      const g = rowGrads[ti];
      if (t.l2 <= 0 || !tb.trainable || !g) return;
      const rows = uniq[ti];
      const weight = new Float64Array(rows.length);
      for (const s of usedSets) {
        const pos = local[s][ti];
        const c = t.l2 / batch.ids[s][t.input].length;
        for (let k = 0; k < pos.length; k++) weight[pos[k]] += c;
      }
      value += penalizeRows(tb.w, t.anchor ?? null, rows, weight, g, tb.dim);
    });
    return value;
  }

  private applyRows(tb: TableState, rows: number[], g: Float32Array): void {
    const d = tb.dim;
    const w = tb.w;
    const lr = this.lr;
    if (this.optimizer === "sgd") {
      for (let k = 0; k < rows.length; k++) {
        const o = rows[k] * d;
        for (let j = 0; j < d; j++) w[o + j] -= lr * g[k * d + j];
      }
    } else if (this.optimizer === "adagrad") {
      const m = tb.m!;
      for (let k = 0; k < rows.length; k++) {
        const o = rows[k] * d;
        for (let j = 0; j < d; j++) {
          const gj = g[k * d + j];
          m[o + j] += gj * gj;
          w[o + j] -= (lr * gj) / (Math.sqrt(m[o + j]) + EPS);
        }
      }
    } else {
      const m = tb.m!;
      const v = tb.v!;
      const c1 = 1 - Math.pow(BETA1, this.t);
      const c2 = 1 - Math.pow(BETA2, this.t);
      const step = (lr * Math.sqrt(c2)) / c1;
      const eps = EPS * Math.sqrt(c2);
      for (let k = 0, p = 0; k < rows.length; k++, p += d) {
        const o = rows[k] * d;
        for (let j = 0; j < d; j++) {
          const gj = g[p + j];
          const mj = BETA1 * m[o + j] + (1 - BETA1) * gj;
          const vj = BETA2 * v[o + j] + (1 - BETA2) * gj * gj;
          m[o + j] = mj;
          v[o + j] = vj;
          w[o + j] -= (step * mj) / (Math.sqrt(vj) + eps);
        }
      }
    }
  }

  /** Writes the master tables back into the model's variables. */
  sync(): void {
    for (const tb of this.tables) {
      if (!tb.trainable) continue;
      const variable = this.model.tableVariable(tb.layer);
      // A copy: TF.js backends keep a reference to the array they are given, and `w` keeps changing.
      tf.tidy(() => variable.assign(tf.tensor2d(tb.w.slice(), [tb.rows, tb.dim])));
    }
  }
}
