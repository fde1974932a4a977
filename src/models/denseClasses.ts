// Seed 003's model: user and movie embeddings concatenated into dense ReLU layers and a softmax over rating classes.
import { tf } from "../backend";
import { RecModel, assemble, layerCache } from "./base";

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
  const layer = layerCache();
  return assemble(
    { kind: "dense-classes", options: { ...o, hidden } },
    "dense_classes",
    ["user", "movie"],
    [
      { name: "user_embedding", input: 0, rows: o.numUsers, dim: o.dim, seed: o.seed },
      { name: "movie_embedding", input: 1, rows: o.numMovies, dim: o.dim, seed: o.seed + 1 },
    ],
    ([u, m]) => {
      let x = layer("concat", () => tf.layers.concatenate({ name: "concat" })).apply([u, m]) as tf.SymbolicTensor;
      hidden.forEach((units, i) => {
        x = layer(`dense_${i}`, () =>
          tf.layers.dense({ units, activation: "relu", name: `dense_${i + 1}`, kernelInitializer: tf.initializers.heNormal({ seed: o.seed + 10 + i }) }),
        ).apply(x) as tf.SymbolicTensor;
        if (o.dropout) {
          x = layer(`dropout_${i}`, () => tf.layers.dropout({ rate: o.dropout!, seed: o.seed + 20 + i, name: `dropout_${i + 1}` })).apply(x) as tf.SymbolicTensor;
        }
      });
      return layer("classes", () =>
        tf.layers.dense({ units: o.numClasses, activation: "softmax", name: "classes", kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 30 }) }),
      ).apply(x) as tf.SymbolicTensor;
    },
  );
}
