// Sparse embedding updates: a batch looks up, differentiates and updates only the table rows it touches (lazy Adam/Adagrad/SGD).
//
// TF.js optimisers step whole variables, so every batch would read and write every row of every embedding table (and
// Adam's two moment tables) although a batch touches a few hundred rows. Here the master copy of each table lives in
// a Float32Array; a batch uploads its unique rows as small variables, the model's head runs on them, and the row
// gradients come back to be applied in place — the "lazy" update TF Addons' LazyAdam and PyTorch's SparseAdam make.
// Non-table weights (dense layers) still use the TF.js optimiser. `sync()` writes the tables back into the model.
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

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-7;

/** Applies sparse row updates for a model's embedding tables; see the file comment. */
export class SparseTableUpdater {
  private readonly tables: TableState[];
  private readonly headVars: tf.Variable[];
  private t = 0;

  constructor(
    private readonly model: RecModel,
    private readonly optimizer: OptimizerName,
    private readonly lr: number,
    private readonly headOptimizer: tf.Optimizer,
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
    this.headVars = model.trainableVariables().filter((v) => !tableVars.has(v));
  }

  /** One training step on `batch`; returns the loss (data loss + L2). */
  step(task: Task, batch: TaskBatch): number {
    // Unique rows per table over every id set of the batch, and each set's ids mapped to positions in that list.
    const uniq: number[][] = this.tables.map(() => []);
    const local: Int32Array[][] = batch.ids.map((set) =>
      this.tables.map((tb, ti) => {
        const ids = set[tb.input];
        const out = new Int32Array(ids.length);
        for (let k = 0; k < ids.length; k++) {
          const r = ids[k];
          if (r < 0 || r >= tb.rows) throw new RangeError(`${tb.layer}: id ${r} out of range 0..${tb.rows - 1}`);
          let s = tb.slot[r];
          if (s < 0) {
            s = uniq[ti].length;
            tb.slot[r] = s;
            uniq[ti].push(r);
          }
          out[k] = s;
        }
        return out;
      }),
    );
    for (let ti = 0; ti < this.tables.length; ti++) for (const r of uniq[ti]) this.tables[ti].slot[r] = -1;

    const rowVars = this.tables.map((tb, ti) => {
      const u = uniq[ti];
      const d = tb.dim;
      const data = new Float32Array(u.length * d);
      for (let k = 0; k < u.length; k++) {
        const o = u[k] * d;
        const p = k * d;
        for (let j = 0; j < d; j++) data[p + j] = tb.w[o + j];
      }
      const t = tf.tensor2d(data, [u.length, tb.dim]);
      if (!tb.trainable) return t;
      const v = tf.variable(t, true);
      t.dispose();
      return v;
    });
    const localT = local.map((set) => set.map((ids) => tf.tensor1d(ids, "int32")));
    const trainableRows = rowVars.filter((_, ti) => this.tables[ti].trainable) as tf.Variable[];
    try {
      let usedSets: number[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const { forward, used } = memoForward((set) => this.model.applyHead(this.tables.map((_, ti) => tf.gather(rowVars[ti], localT[set][ti])), true));
        const l = task.loss(forward, batch);
        usedSets = [...used.keys()];
        return l;
      }, [...this.headVars, ...trainableRows]);
      let loss = value.dataSync()[0];
      // The L2 term is added here, in closed form, instead of as ~20 more ops per batch in the graph:
      // lambda * mean_b ||row_b - anchor_b||^2 has gradient 2 * lambda / B * (row - anchor) for each occurrence.
      const rowGrads = this.tables.map((tb, ti) => {
        const g = tb.trainable ? grads[(rowVars[ti] as tf.Variable).name] : undefined;
        return g ? Float32Array.from(g.dataSync() as Float32Array) : null;
      });
      loss += this.addPenalty(batch, local, usedSets, rowGrads);
      if (Number.isFinite(loss)) {
        this.t += 1;
        if (this.headVars.length) {
          const named: Record<string, tf.Tensor> = {};
          for (const hv of this.headVars) if (grads[hv.name]) named[hv.name] = grads[hv.name];
          this.headOptimizer.applyGradients(named);
        }
        this.tables.forEach((tb, ti) => {
          const g = rowGrads[ti];
          if (tb.trainable && g) this.applyRows(tb, uniq[ti], g);
        });
      }
      tf.dispose(value);
      tf.dispose(Object.values(grads));
      return loss;
    } finally {
      tf.dispose(rowVars);
      tf.dispose(localT.flat());
    }
  }

  /** Adds the L2 penalty's gradient to `rowGrads` (per table, per unique row) and returns its value. */
  private addPenalty(batch: TaskBatch, local: Int32Array[][], usedSets: number[], rowGrads: (Float32Array | null)[]): number {
    let value = 0;
    this.model.tables.forEach((t, ti) => {
      const tb = this.tables[ti];
      const g = rowGrads[ti];
      if (t.l2 <= 0 || !tb.trainable || !g) return;
      const d = tb.dim;
      for (const s of usedSets) {
        const ids = batch.ids[s][t.input];
        const pos = local[s][ti];
        const c = t.l2 / ids.length;
        for (let k = 0; k < ids.length; k++) {
          const o = ids[k] * d;
          const p = pos[k] * d;
          for (let j = 0; j < d; j++) {
            const x = tb.w[o + j] - (t.anchor ? t.anchor[o + j] : 0);
            value += c * x * x;
            g[p + j] += 2 * c * x;
          }
        }
      }
    });
    return value;
  }

  private applyRows(tb: TableState, rows: number[], g: Float32Array): void {
    const d = tb.dim;
    const { w, m, v } = tb;
    const lr = this.lr;
    if (this.optimizer === "sgd") {
      for (let k = 0; k < rows.length; k++) {
        const o = rows[k] * d;
        for (let j = 0; j < d; j++) w[o + j] -= lr * g[k * d + j];
      }
    } else if (this.optimizer === "adagrad") {
      for (let k = 0; k < rows.length; k++) {
        const o = rows[k] * d;
        for (let j = 0; j < d; j++) {
          const gj = g[k * d + j];
          m![o + j] += gj * gj;
          w[o + j] -= (lr * gj) / (Math.sqrt(m![o + j]) + EPS);
        }
      }
    } else {
      const c1 = 1 - Math.pow(BETA1, this.t);
      const c2 = 1 - Math.pow(BETA2, this.t);
      const step = (lr * Math.sqrt(c2)) / c1;
      for (let k = 0; k < rows.length; k++) {
        const o = rows[k] * d;
        for (let j = 0; j < d; j++) {
          const gj = g[k * d + j];
          const mj = (m![o + j] = BETA1 * m![o + j] + (1 - BETA1) * gj);
          const vj = (v![o + j] = BETA2 * v![o + j] + (1 - BETA2) * gj * gj);
          w[o + j] -= (step * mj) / (Math.sqrt(vj) + EPS * Math.sqrt(c2));
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
