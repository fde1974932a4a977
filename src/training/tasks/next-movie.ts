// The next-movie task of sequence models (SASRec): windows of each user's watch sequence, the next movie at every position against a sampled unseen one, under BCE.
import { tf } from "../../backend";
import { sequenceMovies, userSequences } from "../../data/sequences";
import { Dataset } from "../../data/types";
import { RecModel } from "../../models/base";
import { historyTokens, isSasRec, sasrecOptions } from "../../models/sasrec";
import { Rng } from "../../util/random";
import { Forward, Task, TaskBatch } from "../task";
import { hasItem, userItems } from "./implicit";
import { checkDataset, ratingIndices, requireOptions, requireSeed } from "./args";

/** Options for {@link nextMovieTask}. */
export interface NextMovieTaskOptions {
  /** Training rating indices; each user's are read in watch order (timestamp, then movie id). */
  train: Int32Array;
  /** L, the model's history length (windows are L transitions long). */
  maxLength: number;
  /**
   * "last": one window per user, the latest L transitions (the paper's training data); "all" (default): the whole
   * sequence cut into windows of L transitions from the latest back, so long histories are not thrown away.
   */
  windows?: "last" | "all";
  /** Seeds the negatives (each epoch's draw comes from the loop's generator; this seeds nothing else). */
  seed: number;
}

/** The next-movie task: a unit is one window; its batch holds history tokens and, per position, the next movie and a negative. */
export interface NextMovieTask extends Task {
  /** Per unit: user, and the window's end (exclusive) and start in that user's sequence. */
  readonly windowUsers: Int32Array;
  /** Each user's training movies in watch order. */
  readonly sequences: Int32Array[];
}

/** The name {@link nextMovieLoss} is registered under for data-parallel training (training/replica-losses.ts). */
export const NEXT_MOVIE_LOSS = "next-movie";

/**
 * The next-movie loss for history length L: on logits [B, 2L] (each position's next movie, then its negative) and the
 * batch's target, the mask [B, L] of real positions, the mean over real positions of `softplus(−logit⁺) + softplus(logit⁻)`.
 */
export function nextMovieLoss(L: number): (forward: Forward, batch: TaskBatch) => tf.Scalar {
  return (forward, batch) =>
    tf.tidy(() => {
      const logits = forward(0) as tf.Tensor2D; // [B, 2L]
      const B = batch.size;
      const pos = logits.slice([0, 0], [B, L]);
      const neg = logits.slice([0, L], [B, L]);
      const mask = batch.target;
      const perPosition = tf.add(tf.softplus(tf.neg(pos)), tf.softplus(neg));
      return tf.div(tf.sum(tf.mul(perPosition, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
    });
}

/**
 * Windows over each user's training sequence s (length n ≥ 2): a window ending at e reads s[max(0, e − 1 − L) .. e − 1)
 * as history and predicts s[t + 1] at each of its positions t; padded positions carry token 0 and no loss. A batch's
 * "candidates" are, per example, the L next-movie tokens then L negative tokens (each a uniformly drawn movie the user
 * never rated in training, redrawn every batch). The loss is the mean over real positions of
 * `softplus(−logit⁺) + softplus(logit⁻)`, BCE with the next movie as the positive (Kang & McAuley 2018, eq. 4).
 */
export function nextMovieTask(ds: Dataset, o: NextMovieTaskOptions): NextMovieTask {
  const F = "nextMovieTask";
  checkDataset(F, ds);
  requireOptions(F, o, "{ train, maxLength, seed, windows? }");
  ratingIndices(F, ds, "train", o.train, "the training rating indices");
  requireSeed(F, o.seed);
  const L = o.maxLength;
  if (!(Number.isInteger(L) && L > 0)) throw new RangeError(`${F}: option "maxLength" must be a positive integer, got ${String(L)}`);
  const windows = o.windows ?? "all";
  if (windows !== "last" && windows !== "all")
    throw new RangeError(`${F}: option "windows" must be "last" or "all", got ${String(windows)}`);
  const sequences = sequenceMovies(userSequences(ds, { minLength: 1 }, o.train));
  const seen = userItems(ds, o.train);
  const users: number[] = [];
  const ends: number[] = [];
  for (let u = 0; u < ds.numUsers; u++) {
    const n = sequences[u].length;
    if (n < 2) continue;
    for (let e = n; e >= 2; e -= L) {
      users.push(u);
      ends.push(e);
      if (windows === "last") break;
    }
  }
  const windowUsers = Int32Array.from(users);
  const windowEnds = Int32Array.from(ends);
  if (windowUsers.length === 0) throw new RangeError(`${F}: no user has two training ratings, so there is no next movie to learn`);
  let rng = new Rng(o.seed);

  const negative = (u: number): number => {
    if (seen.offsets[u + 1] - seen.offsets[u] >= ds.numMovies) return 0; // rated everything: nothing to draw
    for (;;) {
      const m = rng.int(ds.numMovies);
      if (!hasItem(seen, u, m)) return m + 1;
    }
  };

  return {
    name: "next movie (BCE, one sampled negative per position)",
    trainSize: windowUsers.length,
    validationSize: 0,
    examplesPerUnit: 1,
    metrics: [],
    windowUsers,
    sequences,
    beginEpoch(_epoch, loopRng) {
      rng = new Rng(loopRng.nextUint32() ^ o.seed);
    },
    batch(units): TaskBatch {
      const B = units.length;
      const history = new Int32Array(B * L);
      const candidates = new Int32Array(B * 2 * L);
      const mask = new Float32Array(B * L);
      for (let k = 0; k < B; k++) {
        const w = units[k];
        const u = windowUsers[w];
        const e = windowEnds[w];
        const s = sequences[u];
        const from = Math.max(0, e - 1 - L);
        historyTokens(s.subarray(from, e - 1), L, history, k * L);
        const n = e - 1 - from; // real positions, right-aligned
        for (let j = 0; j < n; j++) {
          const t = L - n + j;
          candidates[k * 2 * L + t] = s[from + j + 1] + 1;
          candidates[k * 2 * L + L + t] = negative(u);
          mask[k * L + t] = 1;
        }
      }
      return { ids: [[history, candidates]], widths: [L, 2 * L], target: tf.tensor2d(mask, [B, L]), size: B };
    },
    loss: nextMovieLoss(L),
    replica: { loss: NEXT_MOVIE_LOSS, options: { maxLength: L } },
    check(model: RecModel) {
      if (!isSasRec(model)) throw new Error(`${F}: the model must be a SASRec model (sasrecModel), got ${model.kind}`);
      const mo = sasrecOptions(model);
      if (mo.maxLength !== L) throw new RangeError(`${F}: the task's maxLength ${L} differs from the model's ${mo.maxLength}`);
      if (mo.numMovies !== ds.numMovies) throw new RangeError(`${F}: the model has ${mo.numMovies} movies, the dataset ${ds.numMovies}`);
    },
  };
}
