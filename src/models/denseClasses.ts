// Seed 003's model: user and movie embeddings concatenated into dense ReLU layers and a softmax over rating classes.
import { tf } from "../backend";
import { ManualHead, RecModel, assemble } from "./base";
import { StepDropout } from "./layers";

/** Options for {@link denseClassModel}. */
export interface DenseClassModelOptions {
  numUsers: number;
  numMovies: number;
  numClasses: number;
  dim: number;
  /** Hidden layer widths (default [64, 32]). */
  hidden?: number[];
  dropout?: number;
  seed: number;
}

/**
 * `relu(x·kernel + bias)` — what a relu Dense layer computes — with a hand-written gradient. The stock relu gradient
 * is a step function that costs TF.js eight kernels per layer (isNaN, greater, fills, two selects, cast, mul); here
 * the mask is `sign(y)` (y = relu(z) >= 0, so sign(y) is 1 where z > 0 and 0 elsewhere), and the rest is the usual
 * three products and a bias sum.
 */
const denseRelu = tf.customGrad((x, kernel, bias, save) => {
  const y = tf.relu(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D).add(bias as tf.Tensor));
  (save as tf.GradSaveFunc)([x as tf.Tensor, kernel as tf.Tensor, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [xs, k, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const dz = (dy as tf.Tensor2D).mul(tf.sign(ys)) as tf.Tensor2D;
      return [tf.matMul(dz, k, false, true), tf.matMul(xs, dz, true, false), dz.sum(0)];
    },
  };
});

/** `softmax(dense(relu(dense([user; movie]))))` over `numClasses` rating classes. Inputs are ["user", "movie"]. */
export function denseClassModel(o: DenseClassModelOptions): RecModel {
  if (!(o.numClasses >= 2)) throw new RangeError(`denseClassModel: numClasses must be at least 2, got ${o.numClasses}`);
  const hidden = o.hidden ?? [64, 32];
  // Each layer is created once and applied twice (to the lookups in `net` and to row inputs in `head`), so both share it.
  const concat = tf.layers.concatenate({ name: "concat" });
  const dense = hidden.map((units, i) =>
    tf.layers.dense({ units, activation: "relu", name: `dense_${i + 1}`, kernelInitializer: tf.initializers.heNormal({ seed: o.seed + 10 + i }) }),
  );
  const dropout = hidden.map((_, i) => (o.dropout ? new StepDropout({ rate: o.dropout, seed: o.seed + 20 + i, name: `dropout_${i + 1}` }) : null));
  const classes = tf.layers.dense({
    units: o.numClasses,
    activation: "softmax",
    name: "classes",
    kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 30 }),
  });
  /** A Dense layer's kernel and bias variables (the layer is built by then). */
  const weightsOf = (l: tf.layers.Layer): [tf.Tensor2D, tf.Tensor1D] => l.weights.map((w) => w.read()) as [tf.Tensor2D, tf.Tensor1D];
  // The same computation with plain ops (and the same dropout layers) for training.
  const headFn = (rows: tf.Tensor[], training: boolean): tf.Tensor => {
    let x = tf.concat(rows, 1);
    dense.forEach((l, i) => {
      x = denseRelu(x, ...weightsOf(l));
      if (dropout[i]) x = dropout[i]!.apply(x, { training }) as tf.Tensor;
    });
    const [kernel, bias] = weightsOf(classes);
    return tf.softmax(tf.matMul(x as tf.Tensor2D, kernel).add(bias));
  };
  // And with a hand-written backward pass, so a training step needs no gradient tape: the forward pass keeps each
  // layer's input, output and dropout mask; backward runs the chain rule layer by layer.
  const manualHead: ManualHead = {
    forward(x, training) {
      const saved: { input: tf.Tensor2D; kernel: tf.Tensor2D; out: tf.Tensor2D; mask: tf.Tensor | null; layer: tf.layers.Layer }[] = [];
      let h = x;
      dense.forEach((l, i) => {
        const [kernel, bias] = weightsOf(l);
        const out = tf.relu(tf.matMul(h, kernel).add(bias)) as tf.Tensor2D;
        const mask = training && dropout[i] ? dropout[i]!.nextMask(out.shape) : null;
        saved.push({ input: h, kernel, out, mask, layer: l });
        h = mask ? (out.mul(mask) as tf.Tensor2D) : out;
      });
      const [kernel, bias] = weightsOf(classes);
      const p = tf.softmax(tf.matMul(h, kernel).add(bias)) as tf.Tensor2D;
      const variableOf = (l: tf.layers.Layer, k: number): tf.Variable => l.weights[k].read() as tf.Variable;
      return {
        output: p,
        backward(dp, pv) {
          const weights = new Map<tf.Variable, tf.Tensor>();
          // Softmax, in JS on the [B, classes] arrays: dz = p * (dp - sum_c dp * p).
          const c = o.numClasses;
          const dzv = new Float32Array(pv.length);
          for (let at = 0; at < pv.length; at += c) {
            let dot = 0;
            for (let j = 0; j < c; j++) dot += dp[at + j] * pv[at + j];
            for (let j = 0; j < c; j++) dzv[at + j] = pv[at + j] * (dp[at + j] - dot);
          }
          let dz = tf.tensor2d(dzv, [pv.length / c, c]);
          weights.set(variableOf(classes, 0), tf.matMul(h, dz, true, false));
          weights.set(variableOf(classes, 1), dz.sum(0));
          let dh = tf.matMul(dz, kernel, false, true);
          for (let i = saved.length - 1; i >= 0; i--) {
            const s = saved[i];
            if (s.mask) dh = dh.mul(s.mask) as tf.Tensor2D;
            dz = dh.mul(tf.sign(s.out)) as tf.Tensor2D; // relu: pass where the output is positive
            weights.set(variableOf(s.layer, 0), tf.matMul(s.input, dz, true, false));
            weights.set(variableOf(s.layer, 1), dz.sum(0));
            dh = tf.matMul(dz, s.kernel, false, true);
          }
          return { rows: dh, weights };
        },
      };
    },
  };
  return assemble(
    { kind: "dense-classes", options: { ...o, hidden } },
    "dense_classes",
    ["user", "movie"],
    [
      { name: "user_embedding", input: 0, rows: o.numUsers, dim: o.dim, seed: o.seed },
      { name: "movie_embedding", input: 1, rows: o.numMovies, dim: o.dim, seed: o.seed + 1 },
    ],
    ([u, m]) => {
      let x = concat.apply([u, m]) as tf.SymbolicTensor;
      dense.forEach((layer, i) => {
        x = layer.apply(x) as tf.SymbolicTensor;
        if (dropout[i]) x = dropout[i]!.apply(x) as tf.SymbolicTensor;
      });
      return classes.apply(x) as tf.SymbolicTensor;
    },
    headFn,
    manualHead,
  );
}
