// The L2 penalty on the embedding rows a batch touches, in its two forms side by side: TF ops on the tape (dense updates) and closed form in JS (sparse updates).
//
// A model's tables say what to penalise (each TableRef's `l2` and `anchor`, part of the model's description); the
// training loop adds, for every index set of a batch (B examples), `sum_t l2_t * mean_b ||row_t[b] - anchor_t[b]||^2`
// (anchor 0 when the table has none) to the data loss. Dense updates differentiate it on the tape with the rest of
// the loss ({@link TablePenalty}, {@link rowPenalty}). Sparse updates add it after the tape, in closed form
// ({@link sparseRowPenalty}, in training/table-rows.ts): each occurrence of a row weighs l2 / B, so a unique row touched by weight c in total
// adds `c * ||row - anchor||^2` to the loss and `2 * c * (row - anchor)` to its gradient — one pass over the ids and
// one over the unique rows instead of ~20 ops per batch in the graph. test/training/penalty.test.ts checks both forms
// agree in value and gradient.
import { tf } from "../backend";
import { RecModel, TableRef } from "../models/base";

// The closed form lives beside the rest of a table's sparse step, which has no TF.js (the table worker thread runs it).
export { sparseRowPenalty } from "./table-rows";

/** TF form on looked-up rows: `sum_t l2_t * mean_b ||rows_t[b] - anchors_t[b]||^2` over the tables with L2, or null. */
export function rowPenalty(tables: TableRef[], rows: tf.Tensor[], anchors: (tf.Tensor | null)[] = []): tf.Scalar | null {
  let total: tf.Scalar | null = null;
  tables.forEach((t, i) => {
    if (t.l2 <= 0) return;
    const r = anchors[i] ? rows[i].sub(anchors[i]!) : rows[i];
    const p = r.square().sum().div(r.shape[0]).mul(t.l2) as tf.Scalar;
    total = total ? (total.add(p) as tf.Scalar) : p;
  });
  return total;
}

/**
 * The penalty of dense updates for one model: gathers the rows a batch's ids select from the tables' variables (on the
 * tape, so its gradient reaches them). Anchors are uploaded once, at first use; `dispose()` frees them.
 */
export class TablePenalty {
  private readonly anchors = new Map<string, tf.Tensor2D>();

  constructor(private readonly model: RecModel) {}

  /** The penalty on the rows `inputs` select (int32 [B, 1] id tensors, one per model input), or null when no table has L2. */
  of(inputs: tf.Tensor[]): tf.Scalar | null {
    const tables = this.model.tables;
    if (!tables.some((t) => t.l2 > 0)) return null;
    return tf.tidy(() => {
      const ids = tables.map((t) => inputs[t.input].reshape([-1]));
      const rows = tables.map((t, i) => tf.gather(this.model.tableVariable(t.layer), ids[i]));
      const anchors = tables.map((t, i) => (t.anchor ? tf.gather(this.anchorTensor(t), ids[i]) : null));
      return rowPenalty(tables, rows, anchors)!;
    });
  }

  /** A table's anchor rows as one tensor, uploaded once (not on every batch). */
  private anchorTensor(t: TableRef): tf.Tensor2D {
    let a = this.anchors.get(t.layer);
    if (!a) {
      const rows = this.model.tableVariable(t.layer).shape[0];
      a = tf.keep(tf.tensor2d(t.anchor!, [rows, t.anchor!.length / rows]));
      this.anchors.set(t.layer, a);
    }
    return a;
  }

  /** Frees the anchor tensors. */
  dispose(): void {
    tf.dispose([...this.anchors.values()]);
    this.anchors.clear();
  }
}
