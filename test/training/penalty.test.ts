// The L2 penalty on touched rows: its TF form (dense updates) and closed form (sparse updates) agree in value and gradient, on a bare table and on a model's tables.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../src/backend";
import { TableRef } from "../../src/models/base";
import { userMovieModel } from "../../src/models/user-movie";
import { TablePenalty, rowPenalty, sparseRowPenalty } from "../../src/training/penalty";
import { Rng } from "../../src/util/random";

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The closed form over index sets `sets` of one table: its value and its gradient scattered into a full [rows, dim] array. */
function closedForm(table: Pick<TableRef, "l2" | "anchor">, w: Float32Array, dim: number, sets: Int32Array[]) {
  const uniq: number[] = [];
  const slot = new Map<number, number>();
  const positions = sets.map((ids) =>
    Int32Array.from(ids, (r) => {
      if (!slot.has(r)) slot.set(r, uniq.push(r) - 1);
      return slot.get(r)!;
    }),
  );
  const g = new Float32Array(uniq.length * dim);
  const value = sparseRowPenalty(table, w, dim, uniq, positions, g);
  const full = new Float32Array(w.length);
  uniq.forEach((r, p) => full.set(g.subarray(p * dim, p * dim + dim), r * dim));
  return { value, grad: full };
}

test("rowPenalty (TF, on the tape) and sparseRowPenalty (closed form) agree in value and gradient", () => {
  const rows = 9;
  const dim = 3;
  const rng = new Rng(4);
  const w = Float32Array.from({ length: rows * dim }, () => rng.normal());
  // Two index sets (as the implicit task's positives and negatives), with repeated rows within and across them.
  const sets = [Int32Array.from([1, 4, 4, 7, 0]), Int32Array.from([4, 2, 2, 2])];
  for (const anchor of [undefined, Float32Array.from({ length: rows * dim }, () => rng.normal())]) {
    const table: TableRef = { layer: "t", input: 0, l2: 0.3, ...(anchor ? { anchor } : {}) };
    const variable = tf.variable(tf.tensor2d(w, [rows, dim]));
    const anchorTensor = anchor ? tf.tensor2d(anchor, [rows, dim]) : null;
    const { value, grads } = tf.variableGrads(
      () =>
        sets
          .map((ids) => {
            const i = tf.tensor1d(ids, "int32");
            return rowPenalty([table], [tf.gather(variable, i)], [anchorTensor ? tf.gather(anchorTensor, i) : null])!;
          })
          .reduce((a, b) => a.add(b)),
      [variable],
    );
    const js = closedForm(table, w, dim, sets);
    const what = anchor ? "anchored" : "towards 0";
    assert.ok(
      Math.abs(js.value - value.dataSync()[0]) < 1e-5 * Math.max(1, js.value),
      `${what}: value ${js.value} vs ${value.dataSync()[0]}`,
    );
    const d = maxAbsDiff(js.grad, grads[variable.name].dataSync());
    assert.ok(d < 1e-5, `${what}: gradients differ by ${d}`);
    tf.dispose([variable, value, ...Object.values(grads), ...(anchorTensor ? [anchorTensor] : [])]);
  }
  assert.equal(sparseRowPenalty({ l2: 0 }, w, dim, [1], [Int32Array.from([0])], new Float32Array(dim)), 0);
});

test("TablePenalty on a model's tables equals the closed form, table by table; it frees its anchors", () => {
  const numUsers = 6;
  const numMovies = 8;
  const dim = 4;
  const rng = new Rng(6);
  const movieEmbeddings = { data: Float32Array.from({ length: numMovies * dim }, () => rng.normal() * 0.1), rows: numMovies, cols: dim };
  const m = userMovieModel({ numUsers, numMovies, dim, seed: 3, l2: 0.05, biasL2: 0.01, movieEmbeddings, movieInit: "anchored" });
  assert.ok(m.tables.some((t) => t.anchor) && m.tables.every((t) => t.l2 > 0));
  const users = Int32Array.from([0, 5, 5, 2, 0]);
  const movies = Int32Array.from([7, 1, 1, 1, 3]);
  const penalty = new TablePenalty(m);
  const inputs = [tf.tensor2d(users, [users.length, 1], "int32"), tf.tensor2d(movies, [movies.length, 1], "int32")];
  const vars = m.tables.map((t) => m.tableVariable(t.layer));
  const { value, grads } = tf.variableGrads(() => penalty.of(inputs)!, vars);
  let expected = 0;
  m.tables.forEach((t, i) => {
    const w = vars[i].dataSync() as Float32Array;
    const js = closedForm(t, w, vars[i].shape[1]!, [[users, movies][t.input]]);
    expected += js.value;
    const d = maxAbsDiff(js.grad, grads[vars[i].name].dataSync());
    assert.ok(d < 1e-6, `${t.layer}: gradients differ by ${d}`);
  });
  assert.ok(Math.abs(expected - value.dataSync()[0]) < 1e-6, `value ${value.dataSync()[0]} vs closed form ${expected}`);
  // A model without L2 has no penalty.
  const plain = userMovieModel({ numUsers, numMovies, dim, seed: 3 });
  assert.equal(new TablePenalty(plain).of(inputs), null);
  plain.dispose();
  tf.dispose([value, ...Object.values(grads), ...inputs]);
  const withAnchors = tf.memory().numTensors;
  penalty.dispose();
  assert.equal(tf.memory().numTensors, withAnchors - 1, "dispose() frees the one anchor tensor");
  m.dispose();
});
