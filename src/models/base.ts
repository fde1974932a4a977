// The common shape of every learned model: embedding tables feeding a small head network, as one inspectable Keras-style model (the description of what is trained; training/ trains it).
import { tf } from "../backend";
import { Matrix } from "../util/matrix";

/**
 * A head whose training step needs no gradient tape: `forward` runs the head on the looked-up rows of every table
 * side by side (one [B, sum of dims] tensor, tables in order) and returns its output with a `backward` that maps the
 * loss gradient with respect to that output to the gradient of those rows and of the head's own variables. It must
 * compute what `head` computes (tests check it).
 */
export interface ManualHead {
  forward(
    rows: tf.Tensor2D,
    training: boolean,
  ): {
    output: tf.Tensor;
    /**
     * `dOutput` and `output` are the loss gradient and the output values as plain row-major arrays. A head that
     * computes the rows' gradient in JS writes every value of it into `rowsInto` ([B, width] row-major, a buffer the
     * trainer reuses from step to step) and returns that array as `rows`; a head whose
     * gradient comes out of TF kernels may ignore it and return the tensor.
     */
    backward(
      dOutput: Float32Array,
      output: Float32Array,
      rowsInto: Float32Array,
    ): { rows: tf.Tensor | Float32Array; weights: Map<tf.Variable, tf.Tensor> };
  };
}

/** The kinds of learned model in the lab. */
export type ModelKind = "movie-genre" | "user-movie" | "dense-classes" | "neumf" | "sasrec";

/** An embedding table read by one model input (e.g. "user_embedding" reads input 0, "user"). */
export interface TableRef {
  /** Layer name of the table (a tf.layers.embedding). */
  layer: string;
  /** Index of the model input whose ids select the rows. */
  input: number;
  /** L2 weight on the rows a batch touches: `lambda * mean_b ||row - anchor||^2` (0 = none; training/penalty.ts computes it). */
  l2: number;
  /** Rows the L2 pulls towards instead of zero (rows x dim, row-major), e.g. stage 1's movie embeddings. */
  anchor?: Float32Array;
}

/** The JSON-serialisable description that, with the weights, rebuilds a model. */
export interface ModelSpec {
  kind: ModelKind;
  /** The options the model was created with (numbers, strings, booleans only). */
  options: Record<string, unknown>;
}

/**
 * A learned model. `net` is the whole model (inputs are id tensors of shape [B, 1]; inspect it with `summary()`, save it,
 * predict with it). `head` shares every layer after the embedding lookups and takes the looked-up rows directly, so
 * training can update only the rows a batch touches. A model describes what is trained — its formula (`net`, `head`,
 * `headFn`, and `manualHead`, the head's own backward pass) and its tables with their L2 weight and anchor — and
 * computes nothing of training: losses, the L2 penalty and the optimisers live in `training/`.
 */
export class RecModel {
  constructor(
    readonly spec: ModelSpec,
    readonly net: tf.LayersModel,
    /** Input names in the order `net` expects them, e.g. ["user", "movie"]. */
    readonly inputNames: string[],
    /** The embedding tables, in the order `head` takes their rows. */
    readonly tables: TableRef[],
    /** Takes one [B, dim] row tensor per table and returns the model output. */
    readonly head: tf.LayersModel,
    /**
     * The same computation as `head` written with plain ops on the same weight variables (fewer kernel calls per
     * training step, hand-written gradients where the stock ones are costly). Tests check that both agree.
     */
    readonly headFn: ((rows: tf.Tensor[], training: boolean) => tf.Tensor) | null = null,
    /** The head with a hand-written backward pass, for training without the gradient tape (see {@link ManualHead}). */
    readonly manualHead: ManualHead | null = null,
  ) {}

  /** Runs the head on looked-up rows: the plain-op version when there is one, else the layers. */
  applyHead(rows: tf.Tensor[], training: boolean): tf.Tensor {
    return this.headFn ? this.headFn(rows, training) : (this.head.apply(rows, { training }) as tf.Tensor);
  }

  get kind(): ModelKind {
    return this.spec.kind;
  }

  /** Forward pass on int32 id tensors of shape [B, 1], one per input. */
  forward(inputs: tf.Tensor[], training = false): tf.Tensor {
    return this.net.apply(inputs, { training }) as tf.Tensor;
  }

  /** The variable behind an embedding table. */
  tableVariable(layer: string): tf.Variable {
    return this.net.getLayer(layer).weights[0].read() as tf.Variable;
  }

  /** Whether a table's layer is trainable (stage 2's frozen movie embeddings are not). */
  isTrainable(layer: string): boolean {
    return this.net.getLayer(layer).trainable;
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

/** Options of one embedding table. */
export interface EmbeddingTableOptions {
  name: string;
  rows: number;
  dim: number;
  seed: number;
  stddev?: number;
  /** Initial weights (rows x dim), e.g. stage 1's movie embeddings. */
  weights?: Matrix;
  trainable?: boolean;
  /** "zeros" for bias tables. */
  init?: "normal" | "zeros";
  /** L2 pulls rows towards these (rows x dim) instead of zero. */
  anchor?: Matrix;
}

/**
 * Builds a model from tables and a head: `buildHead(rows)` maps one [B, dim] symbolic tensor per table to the output.
 * It is called twice — on the flattened lookups (the full `net`) and on plain row inputs (the `head`) — so both share
 * every layer it creates, provided it creates each layer once and applies it to whatever it is given.
 */
export function assemble(
  spec: ModelSpec,
  name: string,
  inputNames: string[],
  tables: (EmbeddingTableOptions & { input: number; l2?: number })[],
  buildHead: (rows: tf.SymbolicTensor[]) => tf.SymbolicTensor,
  headFn: ((rows: tf.Tensor[], training: boolean) => tf.Tensor) | null = null,
  manualHead: ManualHead | null = null,
): RecModel {
  const inputs = inputNames.map(indexInput);
  const flat: tf.SymbolicTensor[] = [];
  for (const t of tables) {
    if (t.weights && (t.weights.rows !== t.rows || t.weights.cols !== t.dim)) {
      throw new RangeError(`${t.name}: initial weights are ${t.weights.rows}x${t.weights.cols}, expected ${t.rows}x${t.dim}`);
    }
    const layer = tf.layers.embedding({
      name: t.name,
      inputDim: t.rows,
      outputDim: t.dim,
      embeddingsInitializer:
        t.init === "zeros" ? "zeros" : tf.initializers.randomNormal({ mean: 0, stddev: t.stddev ?? 0.05, seed: t.seed }),
      trainable: t.trainable ?? true,
    });
    const looked = layer.apply(inputs[t.input]) as tf.SymbolicTensor;
    if (t.weights) {
      const w = tf.tensor2d(t.weights.data, [t.rows, t.dim]);
      layer.setWeights([w]);
      w.dispose(); // the variable holds its own reference to the data
    }
    flat.push(tf.layers.flatten({ name: `${t.name}_flat` }).apply(looked) as tf.SymbolicTensor);
  }
  const net = tf.model({ inputs, outputs: buildHead(flat), name });
  const rowInputs = tables.map((t) => tf.input({ shape: [t.dim], name: `${t.name}_rows` }));
  const head = tf.model({ inputs: rowInputs, outputs: buildHead(rowInputs), name: `${name}_head` });
  const refs: TableRef[] = tables.map((t) => ({
    layer: t.name,
    input: t.input,
    l2: t.trainable === false ? 0 : (t.l2 ?? 0),
    ...(t.anchor ? { anchor: Float32Array.from(t.anchor.data) } : {}),
  }));
  return new RecModel(spec, net, inputNames, refs, head, headFn, manualHead);
}

/** Memoises layer construction so `buildHead` creates each layer once and reuses it on its second call. */
export function layerCache(): <L extends tf.layers.Layer>(key: string, make: () => L) => L {
  const cache = new Map<string, tf.layers.Layer>();
  return <L extends tf.layers.Layer>(key: string, make: () => L): L => {
    let l = cache.get(key);
    if (!l) {
      l = make();
      cache.set(key, l);
    }
    return l as L;
  };
}
