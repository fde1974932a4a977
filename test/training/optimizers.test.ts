// The optimisers' JS rules: head weights ("tfjs") step as tf.train.* does, table rows ("lazy") only when touched, and the two Adagrads differ as optimizers.ts says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../src/backend";
import { Convention, JsOptimizer, JsOptimizerName, hasJsRules, makeOptimizer } from "../../src/training/optimizers";
import { Rng } from "../../src/util/random";

const LR = 0.05;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** `steps` gradients for a weight of `n` values; with `tiny`, the second half of the values get gradients of 1e-8, where epsilon matters. */
function gradients(steps: number, n: number, seed: number, tiny = false): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: steps }, () => Float32Array.from({ length: n }, (_, i) => rng.normal() * (tiny && i >= n / 2 ? 1e-8 : 0.5)));
}

/** A weight stepped by the JS rules through `grads` (each a gradient of the rows `rows`, or of the whole weight). */
function stepJs(name: JsOptimizerName, w0: Float32Array, grads: Float32Array[], convention: Convention, rows?: number[], d?: number) {
  const opt = new JsOptimizer(name, LR);
  const s = { w: w0.slice(), ...opt.slots(w0.length, convention) };
  for (const g of grads) {
    opt.beginStep();
    opt.step(s, g, convention, rows, d);
  }
  return s;
}

test('the "tfjs" convention steps a weight as tf.train.adam, adagrad and sgd do', () => {
  const n = 12;
  const rng = new Rng(1);
  const w0 = Float32Array.from({ length: n }, () => rng.normal());
  const grads = gradients(6, n, 2, true);
  for (const name of ["adam", "adagrad", "sgd"] as const) {
    const variable = tf.variable(tf.tensor1d(w0));
    const optimizer = makeOptimizer(name, LR);
    for (const g of grads) tf.tidy(() => optimizer.applyGradients({ [variable.name]: tf.tensor1d(g) }));
    // TF.js computes in float32, 1 - β2^t included (about 1e-4 relative error in the first steps), the JS in float64.
    const d = maxAbsDiff(stepJs(name, w0, grads, "tfjs").w, variable.dataSync());
    assert.ok(d < 1e-5, `${name}: the JS rule differs from tf.train.${name} by ${d}`);
    optimizer.dispose();
    variable.dispose();
  }
});

test('the "lazy" convention steps only the rows given, and its Adam is the "tfjs" Adam up to rounding', () => {
  const d = 3;
  const rng = new Rng(3);
  const w0 = Float32Array.from({ length: 5 * d }, () => rng.normal());
  const rows = [3, 1];
  const grads = gradients(4, rows.length * d, 4);
  for (const name of ["adam", "adagrad", "sgd"] as const) {
    const s = stepJs(name, w0, grads, "lazy", rows, d);
    for (const r of [0, 2, 4]) {
      for (let j = 0; j < d; j++) {
        assert.equal(s.w[r * d + j], w0[r * d + j], `${name}: untouched row ${r} moved`);
        for (const slot of [s.m, s.v]) if (slot) assert.equal(slot[r * d + j], 0, `${name}: untouched row ${r}'s slot moved`);
      }
    }
    for (const r of rows)
      assert.ok(maxAbsDiff(s.w.subarray(r * d, r * d + d), w0.subarray(r * d, r * d + d)) > 0, `${name}: row ${r} stayed`);
  }
  // Every row touched at every step: lazy Adam is Adam (the bias corrections folded, not divided in), SGD is the same formula.
  const all = gradients(4, w0.length, 5);
  const everyRow = [0, 1, 2, 3, 4];
  const adam = maxAbsDiff(stepJs("adam", w0, all, "lazy", everyRow, d).w, stepJs("adam", w0, all, "tfjs").w);
  assert.ok(adam < 1e-6, `lazy and tfjs Adam differ by ${adam}`);
  assert.deepEqual(stepJs("sgd", w0, all, "lazy", everyRow, d).w, stepJs("sgd", w0, all, "tfjs").w);
});

test("the two Adagrads: rows start their accumulator at 0 (eps outside the root), head weights at 0.1 (eps inside)", () => {
  const w0 = Float32Array.from([1, -2, 0.5]);
  const g = Float32Array.from([0.2, -0.01, 3]);
  const lazy = stepJs("adagrad", w0, [g], "lazy", [0], 3);
  const head = stepJs("adagrad", w0, [g], "tfjs");
  for (let i = 0; i < 3; i++) {
    assert.equal(lazy.m![i], Math.fround(g[i] * g[i]));
    assert.equal(head.m![i], Math.fround(0.1 + g[i] * g[i]));
    // A row's first step is about lr in size whatever the gradient's scale; a head weight's shrinks with small gradients.
    assert.ok(Math.abs(lazy.w[i] - (w0[i] - (LR * g[i]) / (Math.abs(g[i]) + 1e-7))) < 1e-7);
    assert.ok(Math.abs(head.w[i] - (w0[i] - (LR * g[i]) / Math.sqrt(0.1 + g[i] * g[i] + 1e-7))) < 1e-7);
  }
});

test("optimiser names: JS rules for adam, adagrad and sgd; rmsprop is dense only; unknown names are refused", () => {
  assert.deepEqual(
    (["adam", "adagrad", "sgd", "rmsprop"] as const).filter((n) => hasJsRules(n)),
    ["adam", "adagrad", "sgd"],
  );
  makeOptimizer("rmsprop", LR).dispose();
  assert.throws(() => makeOptimizer("nadam" as never, LR), /unknown optimizer "nadam" \(use adam, sgd, adagrad or rmsprop\)/);
});

test('the "dense" convention ends where tf.train.* stepping the whole table ends, though each step passes only the rows it touches', () => {
  const rows = 6;
  const d = 3;
  const steps = 320;
  const rng = new Rng(11);
  const w0 = Float32Array.from({ length: rows * d }, () => rng.normal());
  // Each step touches a few rows; row 5 is touched at step 1 and then only at step 300, a gap past CATCH_UP_STEPS (200).
  const touched: number[][] = Array.from({ length: steps }, (_, t) =>
    t === 0 ? [5, 0] : t === 299 ? [5] : [0, 1, 2, 3, 4].filter(() => rng.next() < 0.4),
  );
  // Row 4's gradients are 1e-8, so ε is not small beside sqrt(v) there and the catch-up sums step by step, not by its series.
  const grads = touched.map((rs) =>
    Float32Array.from({ length: rs.length * d }, (_, i) => rng.normal() * (rs[Math.floor(i / d)] === 4 ? 1e-8 : 0.5)),
  );
  for (const name of ["adam", "adagrad", "sgd"] as const) {
    const opt = new JsOptimizer(name, LR);
    const s = { w: w0.slice(), ...opt.slots(w0.length, "dense", rows) };
    const variable = tf.variable(tf.tensor2d(w0, [rows, d]));
    const optimizer = makeOptimizer(name, LR);
    touched.forEach((rs, t) => {
      opt.beginStep();
      opt.step(s, grads[t], "dense", rs, d);
      const full = new Float32Array(rows * d);
      rs.forEach((r, k) => full.set(grads[t].subarray(k * d, k * d + d), r * d));
      tf.tidy(() => optimizer.applyGradients({ [variable.name]: tf.tensor2d(full, [rows, d]) }));
    });
    opt.catchUpAll(s, d);
    const diff = maxAbsDiff(s.w, variable.dataSync());
    assert.ok(diff < 1e-4, `${name}: dense rows differ from tf.train.${name} by ${diff}`);
    if (name === "adam") {
      // Not the lazy rule: there, untouched rows stay, here they move on their decaying moments (row 5 most: 298 steps).
      const lazy = new JsOptimizer(name, LR);
      const l = { w: w0.slice(), ...lazy.slots(w0.length, "lazy") };
      touched.forEach((rs, t) => {
        lazy.beginStep();
        lazy.step(l, grads[t], "lazy", rs, d);
      });
      const row5 = maxAbsDiff(s.w.subarray(5 * d), l.w.subarray(5 * d));
      assert.ok(row5 > 0.05, `row 5 moved ${row5} more under dense Adam than under lazy Adam`);
    }
    assert.deepEqual([...s.current!], new Array(rows).fill(steps), `${name}: every row is current after catchUpAll`);
    optimizer.dispose();
    variable.dispose();
  }
});
