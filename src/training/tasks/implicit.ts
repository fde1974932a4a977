// The implicit top-N task: a user's liked movies ranked above sampled unseen ones, under BPR or sampled-negative BCE.
import { tf } from "../../backend";
import { groupUserColumn } from "../../data/splits";
import { Dataset } from "../../data/types";
import { RecModel } from "../../models/base";
import { Rng } from "../../util/random";
import { sigmoid, softplus } from "../losses";
import { Forward, Task, TaskBatch, TaskMetric, gatherTyped } from "../task";
import { checkDataset, describe, oneOf, ratingIndices, requireOptions, requireSeed } from "./args";

/** Per-user sorted lists of movies, for O(log n) "has the user seen it" checks. */
export interface UserItems {
  readonly offsets: Int32Array;
  readonly items: Int32Array;
}

/** Groups the ratings at `idx` by user: sorted movie lists. */
export function userItems(ds: Dataset, idx: Int32Array): UserItems {
  const { offsets, order } = groupUserColumn(gatherTyped(ds.ratings.user, idx), ds.numUsers);
  const items = Int32Array.from(order, (k) => ds.ratings.movie[idx[k]]);
  for (let u = 0; u < ds.numUsers; u++) items.subarray(offsets[u], offsets[u + 1]).sort();
  return { offsets, items };
}

/** True when `movie` is in the user's list. */
export function hasItem(ui: UserItems, user: number, movie: number): boolean {
  let lo = ui.offsets[user];
  let hi = ui.offsets[user + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = ui.items[mid];
    if (v === movie) return true;
    if (v < movie) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** A task's positives (training and validation) and its sampler of `k` unseen movies per positive. */
export interface ImplicitPositives {
  readonly trainPos: Int32Array;
  readonly valPos: Int32Array;
  /** `k` movies per positive, drawn uniformly among the movies its user has not rated in train or validation (32 tries). */
  sample(pos: Int32Array, rng: Rng): Int32Array;
}

/**
 * The positives of an implicit task (ratings >= `threshold`, or every rating when null) and its negative sampler, shared by
 * {@link implicitTask} and NCF's pointwise task. `F` names the calling task in errors.
 */
export function implicitPositives(
  F: string,
  ds: Dataset,
  train: Int32Array,
  validation: Int32Array | null | undefined,
  threshold: number | null,
  k: number,
): ImplicitPositives {
  if (threshold !== null && !(typeof threshold === "number" && Number.isFinite(threshold))) {
    throw new RangeError(`${F}: option "threshold" must be a rating (a finite number) or null, got ${describe(threshold)}`);
  }
  const positive = (idx: Int32Array): Int32Array => (threshold === null ? idx : idx.filter((i) => ds.ratings.rating[i] >= threshold));
  const seen = userItems(ds, validation ? Int32Array.from([...train, ...validation]) : train);
  const sample = (pos: Int32Array, gen: Rng): Int32Array => {
    const out = new Int32Array(pos.length * k);
    for (let p = 0; p < pos.length; p++) {
      const u = ds.ratings.user[pos[p]];
      for (let j = 0; j < k; j++) {
        let m = gen.int(ds.numMovies);
        for (let tries = 0; tries < 32 && hasItem(seen, u, m); tries++) m = gen.int(ds.numMovies);
        out[p * k + j] = m;
      }
    }
    return out;
  };
  return { trainPos: positive(train), valPos: positive(validation ?? new Int32Array(0)), sample };
}

/** Options for {@link implicitTask}. */
export interface ImplicitTaskOptions {
  train: Int32Array;
  validation?: Int32Array;
  /** Ratings at or above this count as positive (null: every rating is a positive interaction). */
  threshold?: number | null;
  /** "bpr": -log σ(s⁺ - s⁻) with one negative per positive; "sampled": BCE on logits with `negatives` per positive. */
  loss?: "bpr" | "sampled";
  negatives?: number;
  seed: number;
}

/** Builds the implicit task. The model must have a linear head (its scores are logits). */
export function implicitTask(ds: Dataset, o: ImplicitTaskOptions): Task {
  const F = "implicitTask";
  checkDataset(F, ds);
  requireOptions(F, o, "{ train, seed, validation?, threshold?, loss?, negatives? }");
  const train = ratingIndices(F, ds, "train", o.train, "the indices of the training ratings")!;
  const validation = ratingIndices(F, ds, "validation", o.validation, null);
  const seed = requireSeed(F, o.seed);
  const lossKind = oneOf(F, "loss", o.loss, ["bpr", "sampled"], "bpr");
  const k = lossKind === "bpr" ? 1 : (o.negatives ?? 4);
  if (!(Number.isInteger(k) && k >= 1))
    throw new RangeError(`implicitTask: option "negatives" must be a positive integer, got ${describe(k)}`);
  const { trainPos, valPos, sample } = implicitPositives(F, ds, train, validation, o.threshold === undefined ? 4 : o.threshold, k);
  let trainNeg = sample(trainPos, new Rng(seed));
  const valNeg = sample(valPos, new Rng(seed + 1));

  const build = (pos: Int32Array, neg: Int32Array, units: Int32Array): TaskBatch => {
    const idx = gatherTyped(pos, units);
    const users = gatherTyped(ds.ratings.user, idx);
    const negUsers = new Int32Array(units.length * k);
    const negItems = new Int32Array(units.length * k);
    for (let a = 0; a < units.length; a++) {
      for (let j = 0; j < k; j++) {
        negUsers[a * k + j] = users[a];
        negItems[a * k + j] = neg[units[a] * k + j];
      }
    }
    return {
      ids: [
        [users, gatherTyped(ds.ratings.movie, idx)],
        [negUsers, negItems],
      ],
      target: tf.ones([units.length, 1]),
      size: units.length,
    };
  };

  const lossOf = (forward: Forward): tf.Tensor => {
    const sPos = forward(0).reshape([-1]);
    const sNeg = forward(1).reshape([-1, k]);
    if (lossKind === "bpr") return tf.softplus(sNeg.reshape([-1]).sub(sPos)); // -log σ(s⁺ - s⁻) = softplus(s⁻ - s⁺)
    // sampled: BCE on logits, positives labelled 1, negatives 0, per positive unit
    const posLoss = tf.softplus(sPos.neg());
    const negLoss = tf.softplus(sNeg).sum(1);
    return posLoss.add(negLoss);
  };
  const metrics: TaskMetric[] = [
    {
      // Fraction of (positive, negative) pairs ranked correctly: a per-pair AUC estimate.
      name: "pairAccuracy",
      perExample: (forward, _b, out) => {
        const sNeg = forward(1).reshape([-1, k]);
        return tf
          .greater(out.reshape([-1, 1]), sNeg)
          .cast("float32")
          .mean(1);
      },
    },
  ];
  return {
    name: `implicit top-N (${lossKind === "bpr" ? "BPR" : `BCE, ${k} sampled negatives`})`,
    trainSize: trainPos.length,
    validationSize: valPos.length,
    examplesPerUnit: 1 + k,
    metrics,
    beginEpoch(epoch, rng) {
      if (epoch > 0) trainNeg = sample(trainPos, rng.fork());
    },
    batch(units, which) {
      return which === "train" ? build(trainPos, trainNeg, units) : build(valPos, valNeg, units);
    },
    loss(forward) {
      return lossOf(forward).mean() as tf.Scalar;
    },
    outputGradient([sPos, sNeg]) {
      // lossOf's mean over units, in JS on the score arrays. BPR: softplus(s⁻ − s⁺), whose derivative is σ(s⁻ − s⁺)
      // for s⁻ and minus that for s⁺. Sampled: softplus(−s⁺) + Σ_j softplus(s⁻_j), derivatives −σ(−s⁺) and σ(s⁻_j).
      const n = sPos.length;
      const gPos = new Float32Array(n);
      const gNeg = new Float32Array(sNeg.length);
      let loss = 0;
      for (let a = 0; a < n; a++) {
        if (lossKind === "bpr") {
          const x = sNeg[a] - sPos[a];
          loss += softplus(x);
          const g = sigmoid(x) / n;
          gPos[a] = -g;
          gNeg[a] = g;
        } else {
          loss += softplus(-sPos[a]);
          gPos[a] = -sigmoid(-sPos[a]) / n;
          for (let j = a * k; j < (a + 1) * k; j++) {
            loss += softplus(sNeg[j]);
            gNeg[j] = sigmoid(sNeg[j]) / n;
          }
        }
      }
      return { loss: loss / n, gradients: [gPos, gNeg] };
    },
    check(model) {
      if (model.inputNames.join() !== "user,movie" || model.kind !== "user-movie")
        throw new Error("the implicit task needs a user–movie model");
      if (model.spec.options.output !== "linear") throw new Error('the implicit task needs output "linear" (scores are logits)');
    },
  };
}
