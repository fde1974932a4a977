// Seed 003's model: user and movie embeddings concatenated into dense ReLU layers and a softmax over rating classes.
import { tf } from "../backend";
import { RecModel, assemble } from "./base";
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
  );
}
