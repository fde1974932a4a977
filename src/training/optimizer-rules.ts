// The JS update rules (Adam, Adagrad, SGD) that sparse and dense updates apply to head weights and table rows, with no TF.js, so the table worker thread (training/table-worker.ts) runs the same code as the training thread.
//
// fit's "tfjs" updates step every weight with a TF.js optimiser (`makeOptimizer` in training/optimizers.ts). Its "sparse" and "dense"
// updates (training/sparse.ts) keep each weight in a Float32Array and step it with a {@link JsOptimizer}: a head weight
// (dense kernel or bias) as one row as wide as the whole weight, an embedding table as the rows its batch touched. JS
// rules exist for adam, adagrad and sgd; rmsprop is TF.js only. Each rule below is written once, with three
// arithmetics ("conventions"):
//
// - "tfjs", for head weights. A head weight gets a gradient at every step, as under dense updates, so it is stepped
//   with exactly what tf.train.* does on tfjs-node, state included, and the sparse and dense paths train the same head
//   (test/training.test.ts compares them): Adam `w -= lr * m̂ / (sqrt(v̂) + ε)` with the bias corrections divided into
//   the moments (AdamOptimizer); Adagrad with the accumulator starting at 0.1 (tf.train.adagrad's default
//   initialAccumulatorValue) and `w -= lr * g / sqrt(acc + ε)`, ε inside the root (AdagradOptimizer.applyGradients);
//   ε = 1e-7 is the float32 backend's epsilon, which both TF.js optimisers use when given none.
// - "lazy", for table rows. A row is stepped only at the steps whose batch touches it (the update of TF Addons'
//   LazyAdam and PyTorch's SparseAdam), so rows never match a dense optimiser, which also moves untouched rows (their
//   Adam moments decay). Adam is the same update with the bias corrections folded into two scalars per step,
//   `lr_t = lr * sqrt(1 - β2^t) / (1 - β1^t)` and `ε_t = ε * sqrt(1 - β2^t)` (the rearrangement in Kingma & Ba's
//   section 2), equal in exact arithmetic and cheaper per value; the two differ only in float rounding. Adagrad is
//   PyTorch's (torch.optim.Adagrad, which takes sparse gradients): the accumulator starts at 0 and
//   `w -= lr * g / (sqrt(acc) + ε)`, ε outside the root (PyTorch's ε is 1e-10; here the same 1e-7). Rows have stepped
//   so since sparse updates were introduced, the head as TF.js since head weights joined them in JS; nothing records
//   why the rows took PyTorch's Adagrad. It is kept because TF.js's would change every sparse-Adagrad table from its
//   first step (a row's first step is lr·g/(|g| + ε), about ±lr, from a zero accumulator; lr·g/sqrt(0.1 + g² + ε)
//   from 0.1), and with it every sparse-Adagrad epoch loss (tried: all move, though no test asserts one and no recipe
//   trains with Adagrad). So under Adagrad, sparse and dense updates agree on head weights and not on tables.
//
// - "dense", for table rows under dense updates: the "tfjs" arithmetic, and every row moves at every step, as when
//   TF.js's optimiser steps the whole table (a row the batch does not touch has a zero gradient, but its Adam moments
//   decay and it keeps moving on them). Computed lazily: a row is brought up to date when a batch touches it (before
//   its forward pass reads the row: training/sparse.ts), and every row when the tables are synced; the zero-gradient
//   steps in between are applied then, element by element with each step's bias corrections (`catchUp`). SGD and
//   Adagrad do not move a row on a zero gradient, so only Adam has such steps. After {@link CATCH_UP_STEPS} of them
//   the rest is cut: m has decayed by 0.9^200 ≈ 7e-10, and since |m̂| ≤ 7.3·sqrt(v̂) (Cauchy–Schwarz on the moments'
//   sums) they would together move a weight by at most 73·lr·(β1/√β2)^200 ≈ 6e-11 at lr 1e-3, far below a float32
//   weight's rounding; the moments themselves decay by their closed forms β^k. So the table ends as the TF.js
//   optimiser leaves it, to float rounding (test/training.test.ts compares them), at the cost of the rows a batch
//   touches instead of the whole table.
//
// SGD, `w -= lr * g`, is one formula under all three conventions. Where a formula reads a slot it has just written, the
// value read is as written above (the float64 sum for "tfjs" Adagrad, the float32 slot for "lazy"), so the numbers
// are those the sparse path has always produced.

/** The optimisers with JS rules, which sparse updates can use. */
export type JsOptimizerName = "adam" | "adagrad" | "sgd";

/** Which arithmetic a weight is stepped with: "tfjs" (head weights), "lazy" or "dense" (table rows); see the file comment. */
export type Convention = "tfjs" | "lazy" | "dense";

/** A weight stepped in JS: its values and the optimiser's slots (Adam's moments m and v; Adagrad's accumulator in m). */
export interface Slots {
  w: Float32Array;
  m: Float32Array | null;
  v: Float32Array | null;
  /** "dense" tables only: the step each row is up to date with (see `catchUp`). */
  current?: Int32Array;
}

/** Zero-gradient Adam steps applied one by one when a "dense" row catches up; the rest moves a weight by < 1e-10 (file comment). */
export const CATCH_UP_STEPS = 200;

// tf.train.adam(lr)'s β1 and β2 and the float32 backend's epsilon; tf.train.adagrad(lr)'s initial accumulator.
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;
const ADAGRAD_INITIAL = 0.1;

/** The whole weight as one row (of width `w.length`). */
const WHOLE = [0];

/** The JS rules of one training run: the rule, the learning rate and the step count (Adam's bias corrections). */
export class JsOptimizer {
  private t = 0;

  constructor(
    readonly name: JsOptimizerName,
    readonly lr: number,
  ) {}

  /**
   * Fresh slots for a weight of `n` values, started as the convention's optimiser starts them; a "dense" table
   * (`rows` rows) also records the step each row is current with.
   */
  slots(
    n: number,
    convention: Convention,
    rows = 1,
    /** In shared memory, for a table the table worker thread steps (training/table-threads.ts). */
    shared = false,
  ): { m: Float32Array | null; v: Float32Array | null; current?: Int32Array } {
    const f32 = (k: number) => (shared ? new Float32Array(new SharedArrayBuffer(4 * k)) : new Float32Array(k));
    const current =
      convention === "dense" ? { current: shared ? new Int32Array(new SharedArrayBuffer(4 * rows)) : new Int32Array(rows) } : {};
    if (this.name === "sgd") return { m: null, v: null, ...current };
    if (this.name === "adagrad") return { m: f32(n).fill(convention === "lazy" ? 0 : ADAGRAD_INITIAL), v: null, ...current };
    return { m: f32(n), v: f32(n), ...current };
  }

  /**
   * Brings rows `rows` of a "dense" table (width `d`) up to step `upTo`: applies the zero-gradient steps since each
   * was last current (Adam moves on its moments; SGD and Adagrad do not move).
   */
  catchUp(s: Slots, rows: ArrayLike<number>, d: number, upTo = this.t): void {
    for (let k = 0; k < rows.length; k++) this.catchUpRow(s, rows[k], d, upTo);
  }

  /** Brings every row of a "dense" table (width `d`) up to the current step. */
  catchUpAll(s: Slots, d: number): void {
    for (let r = 0; r < s.current!.length; r++) this.catchUpRow(s, r, d, this.t);
  }

  private catchUpRow(s: Slots, r: number, d: number, upTo: number): void {
    const current = s.current!;
    if (current[r] >= upTo) return;
    if (this.name === "adam") adamCatchUp(s.w, s.m!, s.v!, r * d, d, current[r], upTo, this.lr);
    current[r] = upTo;
  }

  /** Counts a step: call once per batch that updates anything, before stepping its weights. */
  beginStep(): void {
    this.t += 1;
  }

  /** The steps counted so far. */
  get steps(): number {
    return this.t;
  }

  /** Sets the step count: the table worker follows the training thread's count (training/table-worker.ts). */
  setSteps(t: number): void {
    if (!(Number.isInteger(t) && t >= 0)) throw new RangeError(`JsOptimizer.setSteps: expected a step count, got ${t}`);
    this.t = t;
  }

  /**
   * Steps `s` by gradient `g`: by default the whole weight; with `rows` and width `d`, rows `rows[k]` of a row-major
   * table, row k of `g` being row `rows[k]`'s gradient (other rows and their slots are left alone).
   */
  step(s: Slots, g: Float32Array, convention: Convention, rows: ArrayLike<number> = WHOLE, d = s.w.length): void {
    if (convention === "dense") {
      this.catchUp(s, rows, d, this.t - 1);
      for (let k = 0; k < rows.length; k++) s.current![rows[k]] = this.t;
    }
    const arithmetic = convention === "lazy" ? "lazy" : "tfjs";
    if (this.name === "sgd") sgd(s.w, g, rows, d, this.lr);
    else if (this.name === "adagrad") adagrad(s.w, s.m!, g, rows, d, this.lr, arithmetic);
    else adam(s.w, s.m!, s.v!, g, rows, d, this.lr, this.t, arithmetic);
  }
}

/** 1 - β^t for t = 0, 1, …: Adam's bias corrections, from where they reach 1 in float64 on taken as 1. */
const corrections = (beta: number): Float64Array => {
  const out: number[] = [];
  for (let t = 0, c = 0; c < 1; t++) out.push((c = 1 - Math.pow(beta, t)));
  return Float64Array.from(out);
};
const C1 = corrections(BETA1);
const C2 = corrections(BETA2);

/** Each skipped step's factors (see adamCatchUp), reused from row to row. */
const CATCH_UP_A = new Float64Array(CATCH_UP_STEPS);
const CATCH_UP_B = new Float64Array(CATCH_UP_STEPS);
/** Below this ε / (B·sqrt(v)), four terms of the series in adamCatchUp are exact to 1e-8 relative (float32 rounding). */
const SERIES_MAX = 0.01;

/**
 * Adam's zero-gradient steps from+1 … upTo on one row (offset `o`, width `d`), in the "tfjs" arithmetic: at step t,
 * m ← β1·m, v ← β2·v, w −= lr·(m / c1_t) / (sqrt(v / c2_t) + ε). The first {@link CATCH_UP_STEPS} are applied; the
 * moments decay by β^k over all k.
 *
 * With m0, v0 the moments when the row was last stepped, step j moves w by m0·A_j / (B_j·sqrt(v0) + ε), where
 * A_j = lr·β1^j / c1 and B_j = sqrt(β2^j / c2) are the same for every element of the row. So the row's factors are
 * computed once, and each element's total is m0·Σ_j A_j / (B_j·s + ε) with s = sqrt(v0): when ε ≪ B_j·s (x =
 * ε / (min B·s) < {@link SERIES_MAX}) it is the series Σ_n (−ε)^(n−1)·S_n / s^n over the row's sums S_n = Σ_j A_j / B_j^n,
 * four terms exact to x⁴ ≤ 1e-8; otherwise the sum is taken step by step.
 */
function adamCatchUp(
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  o: number,
  d: number,
  from: number,
  upTo: number,
  lr: number,
): void {
  const k = upTo - from;
  const steps = Math.min(k, CATCH_UP_STEPS);
  const A = CATCH_UP_A;
  const B = CATCH_UP_B;
  let p1 = 1;
  let p2 = 1;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let minB = Infinity;
  for (let j = 0; j < steps; j++) {
    const t = from + 1 + j;
    p1 *= BETA1;
    p2 *= BETA2;
    const a = (lr * p1) / (t < C1.length ? C1[t] : 1);
    const b = Math.sqrt(p2 / (t < C2.length ? C2[t] : 1));
    A[j] = a;
    B[j] = b;
    const ib = 1 / b;
    s1 += a * ib;
    s2 += a * ib * ib;
    s3 += a * ib * ib * ib;
    s4 += a * ib * ib * ib * ib;
    if (b < minB) minB = b;
  }
  const decay1 = Math.pow(BETA1, k);
  const decay2 = Math.pow(BETA2, k);
  for (let i = o; i < o + d; i++) {
    const m0 = m[i];
    if (m0 !== 0) {
      const s = Math.sqrt(v[i]);
      let total: number;
      if (EPSILON < SERIES_MAX * minB * s) {
        const e = EPSILON / s;
        total = (s1 - e * (s2 - e * (s3 - e * s4))) / s;
      } else {
        total = 0;
        for (let j = 0; j < steps; j++) total += A[j] / (B[j] * s + EPSILON);
      }
      w[i] -= m0 * total;
    }
    m[i] = m0 * decay1;
    v[i] *= decay2;
  }
}

function sgd(w: Float32Array, g: Float32Array, rows: ArrayLike<number>, d: number, lr: number): void {
  for (let k = 0, p = 0; k < rows.length; k++, p += d) {
    const o = rows[k] * d;
    for (let j = 0; j < d; j++) w[o + j] -= lr * g[p + j];
  }
}

function adagrad(
  w: Float32Array,
  acc: Float32Array,
  g: Float32Array,
  rows: ArrayLike<number>,
  d: number,
  lr: number,
  convention: "tfjs" | "lazy",
): void {
  for (let k = 0, p = 0; k < rows.length; k++, p += d) {
    const o = rows[k] * d;
    if (convention === "tfjs") {
      for (let j = 0; j < d; j++) {
        const gj = g[p + j];
        const a = acc[o + j] + gj * gj;
        acc[o + j] = a;
        w[o + j] -= (lr * gj) / Math.sqrt(a + EPSILON);
      }
    } else {
      for (let j = 0; j < d; j++) {
        const gj = g[p + j];
        acc[o + j] += gj * gj;
        w[o + j] -= (lr * gj) / (Math.sqrt(acc[o + j]) + EPSILON);
      }
    }
  }
}

function adam(
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  rows: ArrayLike<number>,
  d: number,
  lr: number,
  t: number,
  convention: "tfjs" | "lazy",
): void {
  const c1 = 1 - Math.pow(BETA1, t);
  const c2 = 1 - Math.pow(BETA2, t);
  if (convention === "tfjs") {
    // lr·(m / c1) / (sqrt(v / c2) + ε), with the divisions by c1 and c2 as products (one division per element
    // instead of three: a quarter off a SASRec step's Adam over its 500k weights; the same float32 results to rounding).
    const k1 = lr / c1;
    const k2 = 1 / c2;
    for (let k = 0, p = 0; k < rows.length; k++, p += d) {
      const o = rows[k] * d;
      for (let j = 0; j < d; j++) {
        const gj = g[p + j];
        const mj = BETA1 * m[o + j] + (1 - BETA1) * gj;
        const vj = BETA2 * v[o + j] + (1 - BETA2) * gj * gj;
        m[o + j] = mj;
        v[o + j] = vj;
        w[o + j] -= (k1 * mj) / (Math.sqrt(vj * k2) + EPSILON);
      }
    }
    return;
  }
  // "lazy": the same moments, the bias corrections folded into the step and epsilon.
  const step = (lr * Math.sqrt(c2)) / c1;
  const eps = EPSILON * Math.sqrt(c2);
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
