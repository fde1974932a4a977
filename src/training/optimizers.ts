// The optimisers in one place: the names fit accepts, the TF.js optimiser of dense updates, and the same rules in JS that sparse updates apply to head weights and to the table rows a batch touches.
//
// Dense updates step every weight with a TF.js optimiser ({@link makeOptimizer}). Sparse updates (training/sparse.ts)
// keep each weight in a Float32Array and step it with a {@link JsOptimizer}: a head weight (dense kernel or bias) as
// one row as wide as the whole weight, an embedding table as the rows its batch touched. JS rules exist for adam,
// adagrad and sgd; rmsprop is dense only. Each rule below is written once, with two arithmetics ("conventions"):
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
// SGD, `w -= lr * g`, is one formula under both conventions. Where a formula reads a slot it has just written, the
// value read is as written above (the float64 sum for "tfjs" Adagrad, the float32 slot for "lazy"), so the numbers
// are those the sparse path has always produced.
import { tf } from "../backend";

/** The optimisers the loop can build by name. */
export type OptimizerName = "adam" | "sgd" | "adagrad" | "rmsprop";

/** The optimisers with JS rules, which sparse updates can use. */
export type JsOptimizerName = "adam" | "adagrad" | "sgd";

/** Whether `name` has JS rules (see {@link JsOptimizer}), i.e. sparse updates can use it. */
export function hasJsRules(name: OptimizerName): name is JsOptimizerName {
  return name === "adam" || name === "adagrad" || name === "sgd";
}

/** The TF.js optimiser dense updates step every weight with. */
export function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case "adam":
      return tf.train.adam(lr);
    case "sgd":
      return tf.train.sgd(lr);
    case "adagrad":
      return tf.train.adagrad(lr);
    case "rmsprop":
      return tf.train.rmsprop(lr);
    default:
      throw new Error(`unknown optimizer "${name as string}" (use adam, sgd, adagrad or rmsprop)`);
  }
}

/** Which arithmetic a weight is stepped with: "tfjs" (head weights) or "lazy" (table rows); see the file comment. */
export type Convention = "tfjs" | "lazy";

/** A weight stepped in JS: its values and the optimiser's slots (Adam's moments m and v; Adagrad's accumulator in m). */
export interface Slots {
  w: Float32Array;
  m: Float32Array | null;
  v: Float32Array | null;
}

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

  /** Fresh slots for a weight of `n` values, started as the convention's optimiser starts them. */
  slots(n: number, convention: Convention): { m: Float32Array | null; v: Float32Array | null } {
    if (this.name === "sgd") return { m: null, v: null };
    if (this.name === "adagrad") return { m: new Float32Array(n).fill(convention === "tfjs" ? ADAGRAD_INITIAL : 0), v: null };
    return { m: new Float32Array(n), v: new Float32Array(n) };
  }

  /** Counts a step: call once per batch that updates anything, before stepping its weights. */
  beginStep(): void {
    this.t += 1;
  }

  /**
   * Steps `s` by gradient `g`: by default the whole weight; with `rows` and width `d`, rows `rows[k]` of a row-major
   * table, row k of `g` being row `rows[k]`'s gradient (other rows and their slots are left alone).
   */
  step(s: Slots, g: Float32Array, convention: Convention, rows: ArrayLike<number> = WHOLE, d = s.w.length): void {
    if (this.name === "sgd") sgd(s.w, g, rows, d, this.lr);
    else if (this.name === "adagrad") adagrad(s.w, s.m!, g, rows, d, this.lr, convention);
    else adam(s.w, s.m!, s.v!, g, rows, d, this.lr, this.t, convention);
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
  convention: Convention,
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
  convention: Convention,
): void {
  const c1 = 1 - Math.pow(BETA1, t);
  const c2 = 1 - Math.pow(BETA2, t);
  if (convention === "tfjs") {
    for (let k = 0, p = 0; k < rows.length; k++, p += d) {
      const o = rows[k] * d;
      for (let j = 0; j < d; j++) {
        const gj = g[p + j];
        const mj = BETA1 * m[o + j] + (1 - BETA1) * gj;
        const vj = BETA2 * v[o + j] + (1 - BETA2) * gj * gj;
        m[o + j] = mj;
        v[o + j] = vj;
        w[o + j] -= (lr * (mj / c1)) / (Math.sqrt(vj / c2) + EPSILON);
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
