// The dense rating classifier: user and movie embeddings concatenated into dense ReLU layers and a softmax over rating classes.
import { tf } from "../backend";
import { ManualHead, RecModel, assemble } from "./base";
import { StepDropout } from "./layers";
import type { MovieScorer } from "./scorer";

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

/** `softmax(dense(relu(dense([user; movie]))))` over `numClasses` rating classes. Inputs are ["user", "movie"]. */
export function denseClassModel(o: DenseClassModelOptions): RecModel {
  if (!(o.numClasses >= 2)) throw new RangeError(`denseClassModel: numClasses must be at least 2, got ${o.numClasses}`);
  const hidden = o.hidden ?? [64, 32];
  // Each layer is created once and applied twice (to the lookups in `net` and to row inputs in `head`), so both share it.
  const concat = tf.layers.concatenate({ name: "concat" });
  const dense = hidden.map((units, i) =>
    tf.layers.dense({
      units,
      activation: "relu",
      name: `dense_${i + 1}`,
      kernelInitializer: tf.initializers.heNormal({ seed: o.seed + 10 + i }),
    }),
  );
  const dropout = hidden.map((_, i) =>
    o.dropout ? new StepDropout({ rate: o.dropout, seed: o.seed + 20 + i, name: `dropout_${i + 1}` }) : null,
  );
  const classes = tf.layers.dense({
    units: o.numClasses,
    activation: "softmax",
    name: "classes",
    kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 30 }),
  });
  /** A Dense layer's kernel and bias variables (the layer is built by then). */
  const weightsOf = (l: tf.layers.Layer): [tf.Tensor2D, tf.Tensor1D] => l.weights.map((w) => w.read()) as [tf.Tensor2D, tf.Tensor1D];
  // The same computation with plain ops on the same variables and dropout layers, and a hand-written backward pass,
  // so a training step needs no gradient tape: the forward pass keeps each layer's input, output and dropout mask;
  // backward runs the chain rule layer by layer.
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
    null,
    manualHead,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring: the layers themselves (net.predict in batches), the expected rating for RMSE

/** A scorer for any model through `net.predict`, in batches; `toScore` maps the output rows to one number each. */
export function netScorer(
  name: string,
  model: RecModel,
  toScore: (output: Float32Array, width: number, movies: Int32Array) => Float32Array,
  options: { ratings?: boolean; batchSize?: number } = {},
): MovieScorer {
  const bs = options.batchSize ?? 16384;
  const run = (users: Int32Array, movies: Int32Array): Float32Array => {
    const out = new Float32Array(users.length);
    for (let from = 0; from < users.length; from += bs) {
      const to = Math.min(users.length, from + bs);
      const u = users.subarray(from, to);
      const m = movies.subarray(from, to);
      const res = tf.tidy(() => {
        // One inference pass per chunk (net.predict would re-split it into batches of 32: 40x slower at 9,000 movies).
        const y = model.forward([tf.tensor2d(u, [u.length, 1], "int32"), tf.tensor2d(m, [m.length, 1], "int32")], false);
        return y.reshape([u.length, -1]);
      });
      const width = res.shape[1] as number;
      out.set(toScore(res.dataSync() as Float32Array, width, m), from);
      res.dispose();
    }
    return out;
  };
  const scorer: MovieScorer = {
    name,
    scoreMovies: (user, movies) => run(new Int32Array(movies.length).fill(user), movies),
  };
  return options.ratings ? { ...scorer, predictRatings: run } : scorer;
}

/** Expected rating from class probabilities: sum_c p_c * value_c. */
export function expectedRating(classValues: number[]): (out: Float32Array, width: number) => Float32Array {
  return (out, width) => {
    const n = out.length / width;
    const r = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < width; c++) s += out[i * width + c] * classValues[c];
      r[i] = s;
    }
    return r;
  };
}
