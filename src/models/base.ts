// The common shape of every learned model: a Keras-style layers model plus the few things training and recommendation need from it.
import { tf } from "../backend";
import { Matrix } from "../util/matrix";

/** The kinds of learned model in the lab. */
export type ModelKind = "movie-genre" | "user-movie" | "dense-classes";

/** L2 on the embedding rows a batch touches: `lambda * mean_b(sum ||row||^2)` for the layer fed by input `input`. */
export interface RowPenalty {
  layer: string;
  input: number;
  lambda: number;
}

/** The JSON-serialisable description that, with the weights, rebuilds a model. */
export interface ModelSpec {
  kind: ModelKind;
  /** The options the model was created with (numbers, strings, booleans only). */
  options: Record<string, unknown>;
}

/**
 * A learned model: a small `tf.LayersModel` (inspect it with `summary()`), the names of its inputs, and an optional
 * per-batch L2 penalty. Training lives in `training/`, never here.
 */
export class RecModel {
  constructor(
    readonly spec: ModelSpec,
    readonly net: tf.LayersModel,
    /** Input names in the order `net` expects them, e.g. ["user", "movie"]. */
    readonly inputNames: string[],
    readonly penalties: RowPenalty[] = [],
  ) {}

  get kind(): ModelKind {
    return this.spec.kind;
  }

  /** Forward pass on int32 index tensors of shape [B, 1], one per input. */
  forward(inputs: tf.Tensor[], training = false): tf.Tensor {
    return this.net.apply(inputs, { training }) as tf.Tensor;
  }

  /** The L2 penalty for a batch (a scalar), or null when the model has none. */
  penalty(inputs: tf.Tensor[]): tf.Scalar | null {
    if (this.penalties.length === 0) return null;
    return tf.tidy(() => {
      let total: tf.Scalar = tf.scalar(0);
      for (const p of this.penalties) {
        if (p.lambda === 0) continue;
        const w = this.net.getLayer(p.layer).getWeights()[0];
        const rows = tf.gather(w, inputs[p.input].reshape([-1]));
        total = total.add(rows.square().sum().div(rows.shape[0]).mul(p.lambda)) as tf.Scalar;
      }
      return total;
    });
  }

  /** The variables the optimiser updates (frozen layers excluded). */
  trainableVariables(): tf.Variable[] {
    return this.net.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** A layer's first weight as a plain matrix (like fast.ai's `weight()`), e.g. `weight("movie_embedding")`. */
  weight(layer: string): Matrix {
    const w = this.net.getLayer(layer).getWeights()[0];
    const [rows, cols] = w.shape.length === 2 ? w.shape : [w.shape[0], 1];
    return { data: w.dataSync() as Float32Array, rows, cols };
  }

  /** Whether the model has a layer of that name. */
  hasLayer(layer: string): boolean {
    return this.net.layers.some((l) => l.name === layer);
  }

  /** The Keras-style summary as text. */
  summary(): string {
    const lines: string[] = [];
    this.net.summary(100, undefined, (line: string) => lines.push(line));
    return lines.join("\n");
  }

  /** Number of trainable parameters. */
  countParams(): number {
    return this.net.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.net.dispose();
  }
}

/** A [B,1] int32 input for a layers model. */
export function indexInput(name: string): tf.SymbolicTensor {
  return tf.input({ shape: [1], dtype: "int32", name });
}

/** An embedding table `rows x dim` feeding from `input`, flattened to [B, dim]. */
export function embedding(
  input: tf.SymbolicTensor,
  opts: { name: string; rows: number; dim: number; seed: number; stddev?: number; weights?: Matrix; trainable?: boolean },
): tf.SymbolicTensor {
  if (opts.weights && (opts.weights.rows !== opts.rows || opts.weights.cols !== opts.dim)) {
    throw new RangeError(
      `${opts.name}: initial weights are ${opts.weights.rows}x${opts.weights.cols}, expected ${opts.rows}x${opts.dim}`,
    );
  }
  const layer = tf.layers.embedding({
    name: opts.name,
    inputDim: opts.rows,
    outputDim: opts.dim,
    embeddingsInitializer: tf.initializers.randomNormal({ mean: 0, stddev: opts.stddev ?? 0.05, seed: opts.seed }),
    trainable: opts.trainable ?? true,
  });
  const out = layer.apply(input) as tf.SymbolicTensor;
  if (opts.weights) layer.setWeights([tf.tensor2d(opts.weights.data, [opts.rows, opts.dim])]);
  return tf.layers.flatten({ name: `${opts.name}_flat` }).apply(out) as tf.SymbolicTensor;
}

/** A per-row scalar bias table initialised to zero, flattened to [B, 1]. */
export function biasTable(input: tf.SymbolicTensor, name: string, rows: number): tf.SymbolicTensor {
  const layer = tf.layers.embedding({ name, inputDim: rows, outputDim: 1, embeddingsInitializer: "zeros" });
  return tf.layers.flatten({ name: `${name}_flat` }).apply(layer.apply(input)) as tf.SymbolicTensor;
}
