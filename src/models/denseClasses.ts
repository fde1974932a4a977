// Seed 003's model: user and movie embeddings concatenated into dense ReLU layers and a softmax over rating classes.
import { tf } from "../backend";
import { RecModel, embedding, indexInput } from "./base";

/** Options for {@link denseClassModel}. */
export interface DenseClassModelOptions {
  numUsers: number;
  numMovies: number;
  numClasses: number;
  dim: number;
  /** Hidden layer widths, e.g. [64, 32]. */
  hidden?: number[];
  dropout?: number;
  seed: number;
}

/** `softmax(dense(relu(dense([user; movie]))))` over `numClasses` rating classes. Inputs are ["user", "movie"]. */
export function denseClassModel(o: DenseClassModelOptions): RecModel {
  if (!(o.numClasses >= 2)) throw new RangeError(`denseClassModel: numClasses must be at least 2, got ${o.numClasses}`);
  const user = indexInput("user");
  const movie = indexInput("movie");
  const u = embedding(user, { name: "user_embedding", rows: o.numUsers, dim: o.dim, seed: o.seed });
  const m = embedding(movie, { name: "movie_embedding", rows: o.numMovies, dim: o.dim, seed: o.seed + 1 });
  let x = tf.layers.concatenate({ name: "concat" }).apply([u, m]) as tf.SymbolicTensor;
  const hidden = o.hidden ?? [64, 32];
  hidden.forEach((units, i) => {
    x = tf.layers
      .dense({ units, activation: "relu", name: `dense_${i + 1}`, kernelInitializer: tf.initializers.heNormal({ seed: o.seed + 10 + i }) })
      .apply(x) as tf.SymbolicTensor;
    if (o.dropout) x = tf.layers.dropout({ rate: o.dropout, seed: o.seed + 20 + i, name: `dropout_${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  const out = tf.layers
    .dense({ units: o.numClasses, activation: "softmax", name: "classes", kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 30 }) })
    .apply(x) as tf.SymbolicTensor;
  const net = tf.model({ inputs: [user, movie], outputs: out, name: "dense_classes" });
  return new RecModel({ kind: "dense-classes", options: { ...o } }, net, ["user", "movie"]);
}
