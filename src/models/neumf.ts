// NeuMF (He et al. 2017, "Neural Collaborative Filtering"): a GMF tower and an MLP tower fused into one logit, its hand-written backward pass, pre-training initialisation and batched scorer.
import { tf } from "../backend";
import { EmbeddingTableOptions, ManualHead, ModelKind, RecModel, assemble } from "./base";
import type { MovieScorer } from "./scorer";

/** The model kind NeuMF models carry in their spec (build.ts's `buildModel` rebuilds it on load). */
export const NEUMF_KIND: ModelKind = "neumf";

/** Which towers a model has: the fused NeuMF, or one tower alone (the paper's pre-training models). */
export type NeuMFTowers = "neumf" | "gmf" | "mlp";

/** Options for {@link neumfModel}. */
export interface NeuMFModelOptions {
  numUsers: number;
  numMovies: number;
  /** GMF embedding size (the paper's predictive factors of the GMF tower). Default 16. */
  factors?: number;
  /** Size of each MLP embedding (user and movie; the MLP's input is twice this). Default 32. */
  mlpDim?: number;
  /** Widths of the MLP's dense ReLU layers (default [64, 32, 16]). */
  hidden?: number[];
  /** "neumf" (default), or "gmf" / "mlp" alone. */
  towers?: NeuMFTowers;
  /** L2 weight on the embedding rows a batch touches (default 0). */
  l2?: number;
  /** Standard deviation of the embeddings' normal initialisation (default 0.01, as the paper's code). */
  initStddev?: number;
  seed: number;
  /** Informational: set by {@link neumfFromPretrained} (the model started from pre-trained GMF and MLP towers). */
  pretrained?: boolean;
  /** Informational: the pre-training trade-off α the output layer was initialised with. */
  alpha?: number;
}

/** The options with every default filled in (what the spec stores). */
export type ResolvedNeuMFOptions = Required<Omit<NeuMFModelOptions, "pretrained" | "alpha">> &
  Pick<NeuMFModelOptions, "pretrained" | "alpha">;

const positiveInt = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v > 0;

/** Checks and completes {@link NeuMFModelOptions}; a RangeError names the bad option. */
export function resolveNeuMFOptions(o: NeuMFModelOptions): ResolvedNeuMFOptions {
  const F = "neumfModel";
  if (o === null || typeof o !== "object")
    throw new TypeError(`${F}: the options argument is required ({ numUsers, numMovies, seed, ... })`);
  for (const key of ["numUsers", "numMovies"] as const) {
    if (!positiveInt(o[key])) throw new RangeError(`${F}: option "${key}" must be a positive integer, got ${String(o[key])}`);
  }
  const factors = o.factors ?? 16;
  const mlpDim = o.mlpDim ?? 32;
  const hidden = o.hidden ?? [64, 32, 16];
  const towers = o.towers ?? "neumf";
  const l2 = o.l2 ?? 0;
  const initStddev = o.initStddev ?? 0.01;
  if (!positiveInt(factors)) throw new RangeError(`${F}: option "factors" must be a positive integer, got ${String(factors)}`);
  if (!positiveInt(mlpDim)) throw new RangeError(`${F}: option "mlpDim" must be a positive integer, got ${String(mlpDim)}`);
  if (!Array.isArray(hidden) || hidden.length === 0 || !hidden.every(positiveInt)) {
    throw new RangeError(
      `${F}: option "hidden" must be a non-empty array of positive integers (layer widths), got ${JSON.stringify(hidden)}`,
    );
  }
  if (!["neumf", "gmf", "mlp"].includes(towers)) {
    throw new RangeError(`${F}: option "towers" must be one of "neumf", "gmf", "mlp", got ${JSON.stringify(towers)}`);
  }
  if (!(typeof l2 === "number" && l2 >= 0 && Number.isFinite(l2)))
    throw new RangeError(`${F}: option "l2" must be >= 0, got ${String(l2)}`);
  if (!(typeof initStddev === "number" && initStddev > 0 && Number.isFinite(initStddev))) {
    throw new RangeError(`${F}: option "initStddev" must be a positive number, got ${String(initStddev)}`);
  }
  if (!(typeof o.seed === "number" && Number.isFinite(o.seed)))
    throw new RangeError(`${F}: option "seed" must be a finite number, got ${String(o.seed)}`);
  return {
    numUsers: o.numUsers,
    numMovies: o.numMovies,
    factors,
    mlpDim,
    hidden: [...hidden],
    towers,
    l2,
    initStddev,
    seed: o.seed,
    ...(o.pretrained !== undefined ? { pretrained: o.pretrained } : {}),
    ...(o.alpha !== undefined ? { alpha: o.alpha } : {}),
  };
}

/** A Dense layer's kernel and bias values (the layer is built by then). */
const weightsOf = (l: tf.layers.Layer): [tf.Tensor2D, tf.Tensor1D] => l.weights.map((w) => w.read()) as [tf.Tensor2D, tf.Tensor1D];
/** A Dense layer's k-th weight variable. */
const variableOf = (l: tf.layers.Layer, k: number): tf.Variable => l.weights[k].read() as tf.Variable;

/**
 * NeuMF: `logit = h · [p_u ⊙ q_i ; MLP([p'_u ; q'_i])] + b`, the GMF tower (elementwise product of `factors`-d user and
 * movie embeddings) and the MLP tower (separate `mlpDim`-d embeddings, concatenated, through dense ReLU layers `hidden`)
 * concatenated into one linear output unit. The output is the logit (the paper's σ is applied by the loss, BCE on
 * logits; ranking uses the logit, σ being monotonic). Inputs are ["user", "movie"]. `towers: "gmf"` or `"mlp"` keeps one
 * tower (its output layer on that tower alone), the models the paper pre-trains. Tables, in order: gmf_user_embedding,
 * gmf_movie_embedding, mlp_user_embedding, mlp_movie_embedding (those of the towers present).
 */
export function neumfModel(options: NeuMFModelOptions): RecModel {
  const o = resolveNeuMFOptions(options);
  const gmf = o.towers !== "mlp";
  const mlp = o.towers !== "gmf";
  const f = o.factors;
  const e = o.mlpDim;
  const tables: (EmbeddingTableOptions & { input: number; l2?: number })[] = [];
  const table = (name: string, input: number, dim: number, seed: number): void => {
    tables.push({ name, input, rows: input === 0 ? o.numUsers : o.numMovies, dim, seed, stddev: o.initStddev, l2: o.l2 });
  };
  if (gmf) {
    table("gmf_user_embedding", 0, f, o.seed);
    table("gmf_movie_embedding", 1, f, o.seed + 1);
  }
  if (mlp) {
    table("mlp_user_embedding", 0, e, o.seed + 2);
    table("mlp_movie_embedding", 1, e, o.seed + 3);
  }
  // Each layer is created once and applied twice (to the lookups in `net` and to row inputs in `head`), so both share it.
  const product = gmf ? tf.layers.multiply({ name: "gmf_product" }) : null;
  const mlpConcat = mlp ? tf.layers.concatenate({ name: "mlp_concat" }) : null;
  const dense = mlp
    ? o.hidden.map((units, i) =>
        tf.layers.dense({
          units,
          activation: "relu",
          name: `mlp_dense_${i + 1}`,
          kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 10 + i }),
        }),
      )
    : [];
  const fuse = gmf && mlp ? tf.layers.concatenate({ name: "neumf_concat" }) : null;
  const prediction = tf.layers.dense({
    units: 1,
    activation: "linear",
    name: "prediction",
    kernelInitializer: tf.initializers.leCunUniform({ seed: o.seed + 30 }),
  });

  // The same computation with plain ops on the same variables and a hand-written backward pass, so a training step
  // needs no gradient tape. x holds the rows of every table side by side: [gmf user | gmf movie | mlp user | mlp movie].
  const manualHead: ManualHead = {
    forward(x) {
      const n = x.shape[0];
      const parts: tf.Tensor2D[] = [];
      let ug: tf.Tensor2D | null = null;
      let mg: tf.Tensor2D | null = null;
      let at = 0;
      if (gmf) {
        ug = tf.slice(x, [0, 0], [n, f]);
        mg = tf.slice(x, [0, f], [n, f]);
        parts.push(tf.mul(ug, mg));
        at = 2 * f;
      }
      const saved: { input: tf.Tensor2D; kernel: tf.Tensor2D; out: tf.Tensor2D; layer: tf.layers.Layer }[] = [];
      if (mlp) {
        // The concatenation of the two MLP embeddings is the slice of x that holds them, in that order.
        let h = at === 0 && x.shape[1] === 2 * e ? x : tf.slice(x, [0, at], [n, 2 * e]);
        for (const l of dense) {
          const [kernel, bias] = weightsOf(l);
          const out = tf.relu(tf.matMul(h, kernel).add(bias)) as tf.Tensor2D;
          saved.push({ input: h, kernel, out, layer: l });
          h = out;
        }
        parts.push(h);
      }
      const feat = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
      const [kernel, bias] = weightsOf(prediction);
      const output = tf.matMul(feat, kernel).add(bias) as tf.Tensor2D;
      return {
        output,
        backward(dOut) {
          const weights = new Map<tf.Variable, tf.Tensor>();
          const dz = tf.tensor2d(dOut, [n, 1]);
          weights.set(variableOf(prediction, 0), tf.matMul(feat, dz, true, false));
          weights.set(variableOf(prediction, 1), dz.sum(0));
          const dFeat = tf.matMul(dz, kernel, false, true);
          const rows: tf.Tensor[] = [];
          if (gmf) {
            const dg = mlp ? tf.slice(dFeat, [0, 0], [n, f]) : dFeat;
            rows.push(tf.mul(dg, mg!), tf.mul(dg, ug!));
          }
          if (mlp) {
            const last = o.hidden[o.hidden.length - 1];
            let dh = gmf ? tf.slice(dFeat, [0, f], [n, last]) : dFeat;
            for (let i = saved.length - 1; i >= 0; i--) {
              const s = saved[i];
              const d = dh.mul(tf.sign(s.out)) as tf.Tensor2D; // relu: pass where the output is positive
              weights.set(variableOf(s.layer, 0), tf.matMul(s.input, d, true, false));
              weights.set(variableOf(s.layer, 1), d.sum(0));
              dh = tf.matMul(d, s.kernel, false, true);
            }
            rows.push(dh);
          }
          return { rows: rows.length === 1 ? rows[0] : tf.concat(rows, 1), weights };
        },
      };
    },
  };

  const spec = { kind: NEUMF_KIND, options: { ...o } as Record<string, unknown> };
  const name = o.towers === "neumf" ? "neumf" : `neumf_${o.towers}`;
  return assemble(
    spec,
    name,
    ["user", "movie"],
    tables,
    (rows) => {
      const feats: tf.SymbolicTensor[] = [];
      let k = 0;
      if (product) {
        feats.push(product.apply([rows[0], rows[1]]) as tf.SymbolicTensor);
        k = 2;
      }
      if (mlpConcat) {
        let h = mlpConcat.apply([rows[k], rows[k + 1]]) as tf.SymbolicTensor;
        for (const l of dense) h = l.apply(h) as tf.SymbolicTensor;
        feats.push(h);
      }
      const feat = fuse ? (fuse.apply(feats) as tf.SymbolicTensor) : feats[0];
      return prediction.apply(feat) as tf.SymbolicTensor;
    },
    null,
    manualHead,
  );
}

/** Whether `model` is a NeuMF model (any towers). */
export function isNeuMF(model: RecModel): boolean {
  return (model.kind as string) === "neumf";
}

/** The resolved options of a NeuMF model. */
export function neumfOptions(model: RecModel): ResolvedNeuMFOptions {
  if (!isNeuMF(model)) throw new Error(`expected a NeuMF model, got ${model.kind}`);
  return model.spec.options as unknown as ResolvedNeuMFOptions;
}

/**
 * The paper's pre-training initialisation: a NeuMF model whose GMF and MLP embeddings and MLP layers are copied from
 * a trained GMF-only and MLP-only model, and whose output layer is `[α h_gmf ; (1 − α) h_mlp]` with bias
 * `α b_gmf + (1 − α) b_mlp`. The two models must have the same sizes as `options` (factors, mlpDim, hidden).
 */
export function neumfFromPretrained(gmfModel: RecModel, mlpModel: RecModel, alpha: number, options: NeuMFModelOptions): RecModel {
  if (!(typeof alpha === "number" && alpha >= 0 && alpha <= 1)) {
    throw new RangeError(`neumfFromPretrained: argument "alpha" must be in [0, 1], got ${String(alpha)}`);
  }
  const g = neumfOptions(gmfModel);
  const m = neumfOptions(mlpModel);
  if (g.towers !== "gmf") throw new RangeError(`neumfFromPretrained: argument "gmfModel" must have towers "gmf", got "${g.towers}"`);
  if (m.towers !== "mlp") throw new RangeError(`neumfFromPretrained: argument "mlpModel" must have towers "mlp", got "${m.towers}"`);
  const model = neumfModel({ ...options, towers: "neumf", pretrained: true, alpha });
  const o = neumfOptions(model);
  const mismatch =
    g.factors !== o.factors ||
    g.numUsers !== o.numUsers ||
    g.numMovies !== o.numMovies ||
    m.mlpDim !== o.mlpDim ||
    m.numUsers !== o.numUsers ||
    m.numMovies !== o.numMovies ||
    m.hidden.join() !== o.hidden.join();
  if (mismatch) {
    model.dispose();
    throw new RangeError(
      "neumfFromPretrained: the GMF and MLP models' sizes (users, movies, factors, mlpDim, hidden) must match the options",
    );
  }
  const copy = (from: RecModel, layer: string): void => model.net.getLayer(layer).setWeights(from.net.getLayer(layer).getWeights());
  for (const l of ["gmf_user_embedding", "gmf_movie_embedding"]) copy(gmfModel, l);
  for (const l of ["mlp_user_embedding", "mlp_movie_embedding", ...o.hidden.map((_, i) => `mlp_dense_${i + 1}`)]) copy(mlpModel, l);
  const [gk, gb] = gmfModel.net.getLayer("prediction").getWeights();
  const [mk, mb] = mlpModel.net.getLayer("prediction").getWeights();
  const w = tf.tidy(() => [tf.concat([gk.mul(alpha), mk.mul(1 - alpha)], 0), gb.mul(alpha).add(mb.mul(1 - alpha))]);
  model.net.getLayer("prediction").setWeights(w);
  tf.dispose(w);
  return model;
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring: the layers themselves (model.forward in chunks); the logit is the ranking score

/** Options for {@link neumfScorer}. */
export interface NeuMFScorerOptions {
  name?: string;
  /** Pairs per forward pass (default 32,768). */
  batchSize?: number;
}

/**
 * A ranking scorer over a NeuMF model: the output logit of `model.forward` for each (user, movie) pair, in chunks of
 * `batchSize` pairs (one inference pass per chunk). It predicts a ranking only (no ratings).
 */
export function neumfScorer(model: RecModel, options: NeuMFScorerOptions = {}): MovieScorer {
  if (!isNeuMF(model)) throw new Error(`neumfScorer: argument "model" must be a NeuMF model, got ${model.kind}`);
  const bs = options.batchSize ?? 32768;
  if (!positiveInt(bs)) throw new RangeError(`neumfScorer: option "batchSize" must be a positive integer, got ${String(bs)}`);
  const { numUsers, numMovies } = neumfOptions(model);
  const scorePairs = (users: Int32Array, movies: Int32Array): Float32Array => {
    if (users.length !== movies.length) throw new RangeError(`neumfScorer: ${users.length} users for ${movies.length} movies`);
    for (let k = 0; k < users.length; k++) {
      if (!(users[k] >= 0 && users[k] < numUsers))
        throw new RangeError(`neumfScorer: user index ${users[k]} out of range 0..${numUsers - 1}`);
      if (!(movies[k] >= 0 && movies[k] < numMovies))
        throw new RangeError(`neumfScorer: movie index ${movies[k]} out of range 0..${numMovies - 1}`);
    }
    const out = new Float32Array(users.length);
    for (let from = 0; from < users.length; from += bs) {
      const to = Math.min(users.length, from + bs);
      const u = users.subarray(from, to);
      const m = movies.subarray(from, to);
      const y = tf.tidy(() => model.forward([tf.tensor2d(u, [u.length, 1], "int32"), tf.tensor2d(m, [m.length, 1], "int32")], false));
      out.set(y.dataSync() as Float32Array, from);
      y.dispose();
    }
    return out;
  };
  return {
    name: options.name ?? "NeuMF",
    scoreMovies: (user, movies) => scorePairs(new Int32Array(movies.length).fill(user), movies),
    scorePairs,
    maxPairsPerCall: 1 << 18,
  };
}
