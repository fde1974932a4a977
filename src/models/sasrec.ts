// SASRec (Kang & McAuley 2018, "Self-Attentive Sequential Recommendation"): causal self-attention over a user's last L movies, its layers, its attention written from matmul + softmax + mask, and its scorer.
import { tf } from "../backend";
import { ModelKind, RecModel } from "./base";
import { StepDropout } from "./layers";
import type { MovieScorer } from "./scorer";
import { dotAt32 } from "../util/linalg";
import { Matrix } from "../util/matrix";

/** The model kind SASRec models carry in their spec (build.ts's `buildModel` rebuilds it on load). */
export const SASREC_KIND: ModelKind = "sasrec";

/** Options for {@link sasrecModel}. Movies are tokens 1..numMovies (token = dense movie index + 1); token 0 pads. */
export interface SasRecModelOptions {
  numMovies: number;
  /** L: how many of the latest movies the model reads (default 50; the paper uses 200 for ML-1M). */
  maxLength?: number;
  /** Embedding and hidden size d (default 50, as the paper). */
  dim?: number;
  /** Self-attention blocks b (default 2, as the paper's ML-1M setup; one head each). */
  blocks?: number;
  /** Dropout rate on the embeddings, the attention weights and the feed-forward layers (default 0.2, the paper's ML-1M rate). */
  dropout?: number;
  seed: number;
}

/** The options with every default filled in (what the spec stores). */
export type ResolvedSasRecOptions = Required<SasRecModelOptions>;

const positiveInt = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v > 0;

/** Checks and completes {@link SasRecModelOptions}; a RangeError names the bad option. */
export function resolveSasRecOptions(o: SasRecModelOptions): ResolvedSasRecOptions {
  const F = "sasrecModel";
  if (o === null || typeof o !== "object") throw new TypeError(`${F}: the options argument is required ({ numMovies, seed, ... })`);
  const r = {
    numMovies: o.numMovies,
    maxLength: o.maxLength ?? 50,
    dim: o.dim ?? 50,
    blocks: o.blocks ?? 2,
    dropout: o.dropout ?? 0.2,
    seed: o.seed,
  };
  for (const key of ["numMovies", "maxLength", "dim", "blocks"] as const)
    if (!positiveInt(r[key])) throw new RangeError(`${F}: option "${key}" must be a positive integer, got ${String(r[key])}`);
  if (!(typeof r.dropout === "number" && r.dropout >= 0 && r.dropout < 1))
    throw new RangeError(`${F}: option "dropout" must be in [0, 1), got ${String(r.dropout)}`);
  if (!(typeof r.seed === "number" && Number.isFinite(r.seed)))
    throw new RangeError(`${F}: option "seed" must be a finite number, got ${String(r.seed)}`);
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Attention, as plain ops (what the layer runs) and as a per-position loop (what the test checks it against)

/** A large negative added to masked attention scores (the paper's code uses -2^32 + 1; any value that underflows exp works). */
const MASKED = -1e9;

/**
 * Causal self-attention weights: `softmax(Q Kᵀ / sqrt(d))` per query position t over key positions j ≤ t, keys that are
 * padding (keyMask 0) excluded. q, k: [B, L, d]; keyMask: [B, L] (1 = a movie, 0 = padding). Returns [B, L, L].
 * A query with no allowed key (a padded position before the first movie) gets uniform weights; its output is masked
 * by the caller.
 */
export function causalAttentionWeights(q: tf.Tensor3D, k: tf.Tensor3D, keyMask: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [, L, d] = q.shape;
    const scores = tf.matMul(q, k, false, true).div(Math.sqrt(d)) as tf.Tensor3D; // [B, L, L]
    // One additive bias, 0 where key j <= query t is a movie and MASKED elsewhere: the minimum of an [L, L] and a
    // [B, 1, L] part, so masking costs one full-size op and one add, whose gradient is the identity.
    const causalBias = tf.sub(tf.linalg.bandPart(tf.ones([L, L]), -1, 0), 1).mul(-MASKED); // [L, L]
    const keyBias = tf.sub(keyMask, 1).mul(-MASKED).expandDims(1); // [B, 1, L]
    const masked = tf.add(scores, tf.minimum(causalBias, keyBias));
    return tf.softmax(masked, -1) as tf.Tensor3D;
  });
}

/**
 * The same weights by a per-position loop in plain JS (for tests): for each sequence b and query t, a softmax over the
 * scores q_t·k_j/sqrt(d) of keys j ≤ t that are movies. Inputs and output are nested arrays [B][L][d] and [B][L][L].
 */
export function causalAttentionLoop(q: number[][][], k: number[][][], keyMask: number[][]): number[][][] {
  return q.map((qb, b) =>
    qb.map((qt, t) => {
      const d = qt.length;
      const allowed = qb.map((_, j) => j <= t && keyMask[b][j] > 0);
      const scores = k[b].map((kj, j) => (allowed[j] ? qt.reduce((s, x, i) => s + x * kj[i], 0) / Math.sqrt(d) : -Infinity));
      if (!allowed.some(Boolean)) return scores.map(() => 1 / scores.length);
      const max = Math.max(...scores);
      const e = scores.map((s) => (s === -Infinity ? 0 : Math.exp(s - max)));
      const z = e.reduce((a, x) => a + x, 0);
      return e.map((x) => x / z);
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

interface SeededArgs {
  name?: string;
  seed: number;
}

/** `tokens != 0` as a float [B, L] mask (1 = a movie, 0 = padding). */
function paddingMask(tokens: tf.Tensor): tf.Tensor2D {
  return tf.cast(tf.notEqual(tokens, 0), "float32") as tf.Tensor2D;
}

/**
 * The input of the blocks: item embeddings scaled by sqrt(d), plus a learned position embedding, padding rows zeroed.
 * Inputs: [token embeddings [B, L, d], tokens [B, L]].
 */
export class PositionEmbedding extends tf.layers.Layer {
  static className = "MovieLensLabPositionEmbedding";
  readonly seed: number;
  private positions: tf.LayerVariable | null = null;

  constructor(args: SeededArgs) {
    super({ name: args.name });
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, L, d] = (inputShape as tf.Shape[])[0] as number[];
    this.positions = this.addWeight("positions", [L, d], "float32", tf.initializers.glorotUniform({ seed: this.seed }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [emb, tokens] = inputs as tf.Tensor[];
      const d = emb.shape[2] as number;
      const x = emb.mul(Math.sqrt(d)).add(this.positions!.read());
      return x.mul(paddingMask(tokens).expandDims(2));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
tf.serialization.registerClass(PositionEmbedding);

interface AttentionArgs extends SeededArgs {
  units: number;
  dropout: number;
}

/**
 * One head of causal self-attention with the paper's residual: inputs [queries (the layer-normalised sequence),
 * keys (the sequence), tokens]; output `attend(Q W_q, K W_k, K W_v) + queries`, padded query rows zeroed. The attention
 * weights are {@link causalAttentionWeights}, with dropout while training.
 */
export class CausalSelfAttention extends tf.layers.Layer {
  static className = "MovieLensLabCausalSelfAttention";
  readonly units: number;
  readonly dropout: number;
  readonly seed: number;
  private w: tf.LayerVariable[] = [];
  private readonly drop: StepDropout;

  constructor(args: AttentionArgs) {
    super({ name: args.name });
    this.units = args.units;
    this.dropout = args.dropout;
    this.seed = args.seed;
    this.drop = new StepDropout({ rate: args.dropout, seed: args.seed + 7 });
  }

  override build(): void {
    const d = this.units;
    const glorot = (k: number) => tf.initializers.glorotUniform({ seed: this.seed + k });
    this.w = [
      this.addWeight("query_kernel", [d, d], "float32", glorot(1)),
      this.addWeight("query_bias", [d], "float32", tf.initializers.zeros()),
      this.addWeight("key_kernel", [d, d], "float32", glorot(2)),
      this.addWeight("key_bias", [d], "float32", tf.initializers.zeros()),
      this.addWeight("value_kernel", [d, d], "float32", glorot(3)),
      this.addWeight("value_bias", [d], "float32", tf.initializers.zeros()),
    ];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  /** Q, K, V for queries and keys [B, L, d]. */
  project(queries: tf.Tensor3D, keys: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
    const [wq, bq, wk, bk, wv, bv] = this.w.map((v) => v.read());
    const lin = (x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor): tf.Tensor3D => {
      const [B, L, d] = x.shape;
      return tf
        .matMul(x.reshape([B * L, d]), w as tf.Tensor2D)
        .add(b)
        .reshape([B, L, this.units]) as tf.Tensor3D;
    };
    return [lin(queries, wq, bq), lin(keys, wk, bk), lin(keys, wv, bv)];
  }

  /** The attention weights [B, L, L] (no dropout): what the per-user view draws. */
  attentionWeights(queries: tf.Tensor3D, keys: tf.Tensor3D, tokens: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [q, k] = this.project(queries, keys);
      return causalAttentionWeights(q, k, paddingMask(tokens));
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const [queries, keys, tokens] = inputs as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D];
      const mask = paddingMask(tokens);
      const [q, k, v] = this.project(queries, keys);
      const a = this.drop.call(causalAttentionWeights(q, k, mask), kwargs) as tf.Tensor3D;
      return tf.matMul(a, v).add(queries).mul(mask.expandDims(2));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, dropout: this.dropout, seed: this.seed };
  }
}
tf.serialization.registerClass(CausalSelfAttention);

/**
 * `γ ⊙ (x − mean) / sqrt(var + ε) + β` over the last axis, with its backward pass written out (11 ops instead of the
 * tape's ~25, and none of the full-size ones tensors TF.js's mean and sum gradients build in JS):
 * with g = dy ⊙ γ and x̂ the normalised input, dx = (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)) / sqrt(var + ε),
 * dγ = Σ dy ⊙ x̂ and dβ = Σ dy over every axis but the last. Checked against the tape in a test.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const f = tf.customGrad((...args) => {
    const [xs, g, b, save] = args as unknown as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const mean = tf.mean(xs, -1, true);
    const centred = tf.sub(xs, mean);
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), epsilon));
    const xhat = tf.mul(centred, r);
    save([xhat, r, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const d = dy as tf.Tensor;
        const [xh, rs, gm] = saved;
        const gx = tf.mul(d, gm);
        const mg = tf.mean(gx, -1, true);
        const mgx = tf.mean(tf.mul(gx, xh), -1, true);
        const dx = tf.mul(tf.sub(tf.sub(gx, mg), tf.mul(xh, mgx)), rs);
        const axes = d.shape.slice(0, -1).map((_, i) => i);
        return [dx, tf.sum(tf.mul(d, xh), axes), tf.sum(d, axes)];
      },
    };
  });
  return f(x, gamma, beta);
}

/**
 * Layer normalisation over the last axis, `γ ⊙ (x − mean) / sqrt(var + ε) + β`, with broadcasting. TF.js's own
 * `tf.layers.layerNormalization` tiles γ and β to the input's shape, and Tile's gradient is a JS loop of one slice and
 * one add per tiled copy (B·L of them per call): 5 s per SASRec training step, against milliseconds here.
 */
export class LayerNorm extends tf.layers.Layer {
  static className = "MovieLensLabLayerNorm";
  readonly epsilon: number;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: { name?: string; epsilon?: number } = {}) {
    super({ name: args.name });
    this.epsilon = args.epsilon ?? 1e-8;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    const d = shape[shape.length - 1] as number;
    this.gamma = this.addWeight("gamma", [d], "float32", tf.initializers.ones());
    this.beta = this.addWeight("beta", [d], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return layerNorm(x, this.gamma!.read(), this.beta!.read(), this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(LayerNorm);

/**
 * max(x, 0) with the gradient dy ⊙ [y > 0] in three ops. TF.js-node's gradient of `relu` goes through its Step kernel,
 * which fills full-size ones and zeros tensors from JS: 10 ms of a 110 ms SASRec step for the two feed-forward layers.
 */
export function relu(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args) => {
    const [xs, save] = args as unknown as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.relu(xs);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.mul(dy as tf.Tensor, tf.cast(tf.greater(saved[0], 0), "float32")),
    };
  });
  return f(x);
}

/** The {@link relu} as a layer. */
export class Relu extends tf.layers.Layer {
  static className = "MovieLensLabRelu";
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return relu(Array.isArray(inputs) ? inputs[0] : inputs);
  }
}
tf.serialization.registerClass(Relu);

/** Inputs [x [B, L, d], tokens [B, L]]: x with padded rows zeroed. */
export class PaddingMask extends tf.layers.Layer {
  static className = "MovieLensLabPaddingMask";
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, tokens] = inputs as tf.Tensor[];
      return x.mul(paddingMask(tokens).expandDims(2));
    });
  }
}
tf.serialization.registerClass(PaddingMask);

/**
 * {@link PositionScores}' formula, scores[b, c·L + t] = e[b, c·L + t] · h[b, t], with its backward pass written out:
 * de[b, c, t] = dy[b, c, t] h[b, t] and dh[b, t] = Σ_c dy[b, c, t] e[b, c, t]. (The tape's gradient of the sum builds a
 * ones tensor of e's full size in JS on every step.)
 */
export function positionScores(h: tf.Tensor3D, e: tf.Tensor3D): tf.Tensor2D {
  const [B, L, d] = h.shape;
  const C = e.shape[1] / L;
  const f = tf.customGrad((...args) => {
    const [hs, es, save] = args as unknown as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
    const e4 = tf.reshape(es, [B, C, L, d]);
    const h4 = tf.expandDims(hs, 1);
    save([h4, e4]);
    return {
      value: tf.reshape(tf.sum(tf.mul(e4, h4), -1), [B, C * L]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [hh, ee] = saved;
        const g = tf.reshape(dy as tf.Tensor, [B, C, L, 1]);
        const dh = tf.sum(tf.mul(g, ee), 1);
        const de = tf.reshape(tf.mul(g, hh), [B, C * L, d]);
        return [dh, de];
      },
    };
  });
  return f(h, e) as tf.Tensor2D;
}

/**
 * Scores candidates against the sequence states: inputs [states [B, L, d], candidate embeddings [B, C·L, d]];
 * candidate c·L + t is scored against state t (a dot product). Output [B, C·L]. Training uses C = 2: each position's
 * next movie, then its sampled negative.
 */
export class PositionScores extends tf.layers.Layer {
  static className = "MovieLensLabPositionScores";
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [, cand] = inputShape as tf.Shape[];
    return [cand[0], cand[1]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [h, e] = inputs as [tf.Tensor3D, tf.Tensor3D];
    return positionScores(h, e);
  }
}
tf.serialization.registerClass(PositionScores);

// ---------------------------------------------------------------------------------------------------------------
// The model

/** Layer names, for reading the model back (attention maps, the item table, the encoder). */
export const SASREC_LAYERS = {
  items: "item_embedding",
  positions: "position_embedding",
  attention: (b: number) => `block_${b + 1}_attention`,
  attentionNorm: (b: number) => `block_${b + 1}_attention_norm`,
  output: "output_norm",
} as const;

/**
 * SASRec: inputs "history" [B, L] (movie tokens, left-padded with 0) and "candidates" [B, C·L] (tokens); output the
 * logits [B, C·L] of each candidate at its position (see {@link PositionScores}). The encoder (history → states) is
 * embedding × sqrt(d) + positions, dropout, then `blocks` × [LN → causal self-attention (+ residual) → LN → point-wise
 * feed-forward (ReLU, dropout, linear, dropout, + residual) → mask], then a final LN. The item table "item_embedding"
 * (numMovies + 1 rows; row 0 is padding) embeds both the history and the candidates, as in the paper. Trained densely
 * with the tape (training/tasks/next-movie.ts); the model has no sparse tables.
 */
export function sasrecModel(options: SasRecModelOptions): RecModel {
  const o = resolveSasRecOptions(options);
  const { maxLength: L, dim: d, seed } = o;
  const history = tf.input({ shape: [L], dtype: "int32", name: "history" });
  const candidates = tf.input({ shape: [null], dtype: "int32", name: "candidates" });
  const items = tf.layers.embedding({
    inputDim: o.numMovies + 1,
    outputDim: d,
    name: SASREC_LAYERS.items,
    embeddingsInitializer: tf.initializers.glorotUniform({ seed }),
  });
  let x = new PositionEmbedding({ name: SASREC_LAYERS.positions, seed: seed + 1 }).apply([
    items.apply(history) as tf.SymbolicTensor,
    history,
  ]) as tf.SymbolicTensor;
  x = new StepDropout({ rate: o.dropout, seed: seed + 2, name: "embedding_dropout" }).apply(x) as tf.SymbolicTensor;
  for (let b = 0; b < o.blocks; b++) {
    const s = seed + 100 * (b + 1);
    const q = new LayerNorm({ name: SASREC_LAYERS.attentionNorm(b) }).apply(x) as tf.SymbolicTensor;
    x = new CausalSelfAttention({ name: SASREC_LAYERS.attention(b), units: d, dropout: o.dropout, seed: s }).apply([
      q,
      x,
      history,
    ]) as tf.SymbolicTensor;
    const n = new LayerNorm({ name: `block_${b + 1}_ffn_norm` }).apply(x) as tf.SymbolicTensor;
    let f = tf.layers
      .dense({ units: d, name: `block_${b + 1}_ffn_1`, kernelInitializer: tf.initializers.glorotUniform({ seed: s + 20 }) })
      .apply(n) as tf.SymbolicTensor;
    f = new Relu({ name: `block_${b + 1}_ffn_relu` }).apply(f) as tf.SymbolicTensor;
    f = new StepDropout({ rate: o.dropout, seed: s + 21, name: `block_${b + 1}_ffn_dropout_1` }).apply(f) as tf.SymbolicTensor;
    f = tf.layers
      .dense({ units: d, name: `block_${b + 1}_ffn_2`, kernelInitializer: tf.initializers.glorotUniform({ seed: s + 22 }) })
      .apply(f) as tf.SymbolicTensor;
    f = new StepDropout({ rate: o.dropout, seed: s + 23, name: `block_${b + 1}_ffn_dropout_2` }).apply(f) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: `block_${b + 1}_ffn_residual` }).apply([f, n]) as tf.SymbolicTensor;
    x = new PaddingMask({ name: `block_${b + 1}_mask` }).apply([sum, history]) as tf.SymbolicTensor;
  }
  const states = new LayerNorm({ name: SASREC_LAYERS.output }).apply(x) as tf.SymbolicTensor;
  const logits = new PositionScores({ name: "candidate_logits" }).apply([
    states,
    items.apply(candidates) as tf.SymbolicTensor,
  ]) as tf.SymbolicTensor;
  const net = tf.model({ inputs: [history, candidates], outputs: logits, name: "sasrec" });
  const spec = { kind: SASREC_KIND, options: { ...o } as Record<string, unknown> };
  // No embedding tables in the sparse sense (the whole model trains densely); `head` is the network itself.
  return new RecModel(spec, net, ["history", "candidates"], [], net);
}

/** Whether `model` is a SASRec model. */
export function isSasRec(model: RecModel): boolean {
  return (model.kind as string) === SASREC_KIND;
}

/** The resolved options of a SASRec model. */
export function sasrecOptions(model: RecModel): ResolvedSasRecOptions {
  if (!isSasRec(model)) throw new Error(`expected a SASRec model, got ${model.kind}`);
  return model.spec.options as unknown as ResolvedSasRecOptions;
}

const encoders = new WeakMap<RecModel, tf.LayersModel>();

/** The encoder (history [B, L] → states [B, L, d]), sharing the model's layers. */
export function sasrecEncoder(model: RecModel): tf.LayersModel {
  let enc = encoders.get(model);
  if (!enc) {
    enc = tf.model({ inputs: model.net.inputs[0], outputs: model.net.getLayer(SASREC_LAYERS.output).output as tf.SymbolicTensor });
    encoders.set(model, enc);
  }
  return enc;
}

/**
 * The last `L` movies of a history (dense movie indices, oldest first) as one row of tokens, left-padded with 0.
 * Longer histories keep their latest L movies.
 */
export function historyTokens(movies: ArrayLike<number>, L: number, out = new Int32Array(L), offset = 0): Int32Array {
  const n = Math.min(L, movies.length);
  for (let j = 0; j < L - n; j++) out[offset + j] = 0;
  for (let j = 0; j < n; j++) out[offset + L - n + j] = movies[movies.length - n + j] + 1;
  return out;
}

/** The item table without the padding row: row m is movie m's vector (numMovies x d), e.g. for t-SNE. */
export function sasrecMovieVectors(model: RecModel): Matrix {
  const w = model.weight(SASREC_LAYERS.items);
  return { data: w.data.slice(w.cols), rows: w.rows - 1, cols: w.cols };
}

/** Copies movie vectors (numMovies x d, e.g. stage 1's) into the item table; the padding row stays as it is. */
export function setSasRecMovieVectors(model: RecModel, vectors: Matrix): void {
  const o = sasrecOptions(model);
  if (vectors.rows !== o.numMovies || vectors.cols !== o.dim)
    throw new RangeError(`setSasRecMovieVectors: expected ${o.numMovies} x ${o.dim} vectors, got ${vectors.rows} x ${vectors.cols}`);
  const layer = model.net.getLayer(SASREC_LAYERS.items);
  const [w] = layer.getWeights();
  const data = (w.dataSync() as Float32Array).slice();
  data.set(vectors.data.subarray(0, o.numMovies * o.dim), o.dim);
  layer.setWeights([tf.tensor2d(data, [o.numMovies + 1, o.dim])]);
}

/** The final states at the last position for rows of history tokens [n, L] (row-major): [n, d], in chunks. */
export function lastStates(model: RecModel, tokens: Int32Array, chunk = 512): Float32Array {
  const { maxLength: L, dim: d } = sasrecOptions(model);
  const n = tokens.length / L;
  const out = new Float32Array(n * d);
  const enc = sasrecEncoder(model);
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk);
    const h = tf.tidy(() => {
      const s = enc.apply(tf.tensor2d(tokens.subarray(from * L, to * L), [to - from, L], "int32"), { training: false }) as tf.Tensor3D;
      return s.slice([0, L - 1, 0], [to - from, 1, d]).reshape([to - from, d]);
    });
    out.set(h.dataSync() as Float32Array, from * d);
    h.dispose();
  }
  return out;
}

/**
 * The attention weights of every block for one history (dense movie indices, oldest first): per block an [L, L] matrix
 * (row t: how much position t attends to each earlier position), with the history's tokens. Inference mode.
 */
export function sasrecAttention(model: RecModel, movies: ArrayLike<number>): { tokens: Int32Array; weights: Float32Array[] } {
  const o = sasrecOptions(model);
  const tokens = historyTokens(movies, o.maxLength);
  const weights: Float32Array[] = [];
  tf.tidy(() => {
    const t = tf.tensor2d(tokens, [1, o.maxLength], "int32");
    // A model over the same layers whose outputs are each block's attention inputs (queries, keys).
    const outs: tf.SymbolicTensor[] = [];
    for (let b = 0; b < o.blocks; b++) {
      const layer = model.net.getLayer(SASREC_LAYERS.attention(b));
      const inbound = (layer as unknown as { inboundNodes: { inputTensors: tf.SymbolicTensor[] }[] }).inboundNodes[0].inputTensors;
      outs.push(inbound[0], inbound[1]);
    }
    const probe = tf.model({ inputs: model.net.inputs[0], outputs: outs });
    const vals = probe.predict(t) as tf.Tensor3D[];
    for (let b = 0; b < o.blocks; b++) {
      const layer = model.net.getLayer(SASREC_LAYERS.attention(b)) as unknown as CausalSelfAttention;
      const w = layer.attentionWeights(vals[2 * b], vals[2 * b + 1], t as tf.Tensor2D);
      weights.push((w.dataSync() as Float32Array).slice());
    }
  });
  return { tokens, weights };
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring: each user's state after their training history, dotted with the item table (the same formula as the logits)

/** Options for {@link sasrecScorer}. */
export interface SasRecScorerOptions {
  name?: string;
}

/**
 * A ranking scorer over a SASRec model: user u's score for movie m is `state_u · item_m`, where `state_u` is the final
 * state at the last position after reading u's history (`histories[u]`, dense movie indices, oldest first) — the
 * logit the model gives the next movie. States are computed once, here. `scoreNewUser` reads the liked movies in the
 * order given, as a history.
 */
export function sasrecScorer(model: RecModel, histories: readonly ArrayLike<number>[], options: SasRecScorerOptions = {}): MovieScorer {
  const o = sasrecOptions(model);
  const { maxLength: L, dim: d, numMovies } = o;
  const tokens = new Int32Array(histories.length * L);
  histories.forEach((h, u) => historyTokens(h, L, tokens, u * L));
  const states = lastStates(model, tokens);
  const items = model.weight(SASREC_LAYERS.items).data; // row m + 1 = movie m
  const has = histories.map((h) => h.length > 0);
  const score = (state: Float32Array, sOff: number, movies: Int32Array): Float32Array => {
    const out = new Float32Array(movies.length);
    for (let k = 0; k < movies.length; k++) {
      const m = movies[k];
      if (!(m >= 0 && m < numMovies)) throw new RangeError(`sasrecScorer: movie index ${m} out of range 0..${numMovies - 1}`);
      out[k] = dotAt32(state, sOff, items, (m + 1) * d, d);
    }
    return out;
  };
  return {
    name: options.name ?? "SASRec",
    scoreMovies(user, movies) {
      if (!(user >= 0 && user < histories.length))
        throw new RangeError(`sasrecScorer: user index ${user} out of range 0..${histories.length - 1}`);
      if (!has[user]) return new Float32Array(movies.length); // no history: no order to read
      return score(states, user * d, movies);
    },
    scoreNewUser(liked, movies) {
      const s = lastStates(model, historyTokens(liked, L));
      return score(s, 0, movies);
    },
  };
}
