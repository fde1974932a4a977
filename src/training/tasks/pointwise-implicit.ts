// The pointwise implicit task of NCF: every training rating a positive, sampled unseen movies as negatives, log loss on logits, in one index set so heads with a hand-written backward pass train without the tape.
import { tf } from "../../backend";
import { Dataset } from "../../data/types";
import { RecModel } from "../../models/base";
import { Rng } from "../../util/random";
import { sigmoid, softplus } from "../losses";
import { Task, TaskBatch, TaskMetric, gatherTyped } from "../task";
import { checkDataset, describe, ratingIndices, requireOptions, requireSeed } from "./args";
import { implicitPositives } from "./implicit";

/** Options for {@link pointwiseImplicitTask}. */
export interface PointwiseImplicitTaskOptions {
  train: Int32Array;
  validation?: Int32Array;
  /** Ratings at or above this count as positive (default null: every rating is a positive interaction, as in NCF). */
  threshold?: number | null;
  /** Sampled negatives per positive (default 4, as in NCF), resampled every epoch. */
  negatives?: number;
  seed: number;
}

/**
 * NCF's pointwise task (He et al. 2017, section 3.1.1): each unit is one positive (user, movie) and `negatives` movies
 * the user has not rated, drawn uniformly (seeded; new ones every epoch). A batch is ONE index set of
 * `units × (1 + negatives)` pairs, positive first, with targets 1 and 0; the loss is the binary cross-entropy of
 * σ(logit), averaged over all pairs. The model's output must be one logit per pair (a linear head).
 */
export function pointwiseImplicitTask(ds: Dataset, o: PointwiseImplicitTaskOptions): Task {
  const F = "pointwiseImplicitTask";
  checkDataset(F, ds);
  requireOptions(F, o, "{ train, seed, validation?, threshold?, negatives? }");
  const train = ratingIndices(F, ds, "train", o.train, "the indices of the training ratings")!;
  const validation = ratingIndices(F, ds, "validation", o.validation, null);
  const seed = requireSeed(F, o.seed);
  const k = o.negatives ?? 4;
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`${F}: option "negatives" must be a positive integer, got ${describe(k)}`);
  const { trainPos, valPos, sample } = implicitPositives(F, ds, train, validation, o.threshold === undefined ? null : o.threshold, k);
  let trainNeg = sample(trainPos, new Rng(seed));
  const valNeg = sample(valPos, new Rng(seed + 1));
  const g = 1 + k;

  const build = (pos: Int32Array, neg: Int32Array, units: Int32Array): TaskBatch => {
    const n = units.length * g;
    const users = new Int32Array(n);
    const movies = new Int32Array(n);
    const labels = new Float32Array(n);
    for (let a = 0; a < units.length; a++) {
      const i = pos[units[a]];
      const u = ds.ratings.user[i];
      users.fill(u, a * g, (a + 1) * g);
      movies[a * g] = ds.ratings.movie[i];
      labels[a * g] = 1;
      for (let j = 0; j < k; j++) movies[a * g + 1 + j] = neg[units[a] * k + j];
    }
    return { ids: [[users, movies]], target: tf.tensor2d(labels, [n, 1]), size: n };
  };

  const metrics: TaskMetric[] = [
    {
      // Per unit, the fraction of its negatives scored below its positive (a per-pair AUC estimate), given to each of
      // the unit's 1 + k pairs so the loop's mean over pairs is the mean over units.
      name: "pairAccuracy",
      perExample: (_f, _b, out) => {
        const s = out.reshape([-1, g]);
        const acc = tf
          .greater(s.slice([0, 0], [-1, 1]), s.slice([0, 1], [-1, k]))
          .cast("float32")
          .mean(1, true);
        return acc.tile([1, g]).reshape([-1]);
      },
    },
  ];
  return {
    name: `pointwise implicit (log loss, ${k} sampled negatives)`,
    trainSize: trainPos.length,
    validationSize: valPos.length,
    examplesPerUnit: g,
    metrics,
    beginEpoch(epoch, rng) {
      if (epoch > 0) trainNeg = sample(trainPos, rng.fork());
    },
    batch(units, which) {
      return which === "train" ? build(trainPos, trainNeg, units) : build(valPos, valNeg, units);
    },
    loss(forward, b) {
      // BCE on logits: y·softplus(-s) + (1 - y)·softplus(s) = softplus(s) - y·s.
      const s = forward(0).reshape([-1, 1]);
      return tf.softplus(s).sub(s.mul(b.target)).mean() as tf.Scalar;
    },
    outputGradient([out], b) {
      const y = b.target.dataSync();
      const n = out.length;
      const gradient = new Float32Array(n);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const s = out[i];
        loss += softplus(s) - y[i] * s;
        gradient[i] = (sigmoid(s) - y[i]) / n;
      }
      return { loss: loss / n, gradients: [gradient] };
    },
    check(model: RecModel) {
      if (model.inputNames.join() !== "user,movie") throw new Error("the pointwise implicit task needs a model with inputs user, movie");
      const shape = model.net.outputs[0].shape;
      if (shape.length !== 2 || shape[1] !== 1)
        throw new Error(`the pointwise implicit task needs one logit per pair, got output shape [${shape.join(", ")}]`);
      if (model.spec.options.output === "sigmoid") throw new Error("the pointwise implicit task needs a linear output (scores are logits)");
    },
  };
}
