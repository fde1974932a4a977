// Tests SASRec: the matmul/softmax/mask attention against a per-position loop, causality (no position reads a later one), seeded determinism, the next-movie task's windows and loss, save/load, the stage-1 start, and option errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf } from "../../src/backend";
import { ml100k } from "../helpers/movielens";
import { leaveLastOutSplit, userSequences } from "../../src/data/sequences";
import { trainSasRec } from "../../src/experiments/sasrec-recipe";
import {
  causalAttentionLoop,
  causalAttentionWeights,
  historyTokens,
  lastStates,
  sasrecAttention,
  sasrecModel,
  sasrecMovieVectors,
  setSasRecMovieVectors,
} from "../../src/models/sasrec";
import { loadModel, saveModel } from "../../src/training/checkpoint";
import { disposeBatch } from "../../src/training/task";
import { nextMovieTask } from "../../src/training/tasks/next-movie";
import { Rng } from "../../src/util/random";

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test("causal attention from matmul + softmax + mask equals a per-position loop, padding keys excluded", () => {
  const rng = new Rng(3);
  const B = 3;
  const L = 7;
  const d = 5;
  const rand = (): number[][][] =>
    Array.from({ length: B }, () => Array.from({ length: L }, () => Array.from({ length: d }, () => rng.normal())));
  const q = rand();
  const k = rand();
  // Left padding of 0, 2 and 6 positions (the last sequence has a single movie).
  const keyMask = [0, 2, 6].map((pad) => Array.from({ length: L }, (_, j) => (j < pad ? 0 : 1)));
  const fast = tf.tidy(() => causalAttentionWeights(tf.tensor3d(q), tf.tensor3d(k), tf.tensor2d(keyMask)).arraySync());
  const slow = causalAttentionLoop(q, k, keyMask);
  assert.ok(maxAbsDiff(fast.flat(2), slow.flat(2)) < 1e-5, "matmul form and loop agree");
  for (let b = 0; b < B; b++)
    for (let t = 0; t < L; t++) {
      if (keyMask[b].slice(0, t + 1).some((x) => x > 0)) {
        for (let j = t + 1; j < L; j++) assert.equal(fast[b][t][j], 0, `no weight on a later position (b ${b}, t ${t}, j ${j})`);
        for (let j = 0; j <= t; j++) if (!keyMask[b][j]) assert.equal(fast[b][t][j], 0, "no weight on padding");
      }
      assert.ok(Math.abs(fast[b][t].reduce((s, x) => s + x, 0) - 1) < 1e-5, "rows sum to 1");
    }
});

test("SASRec is causal: the state at a position does not change when later movies change", () => {
  const model = sasrecModel({ numMovies: 30, maxLength: 6, dim: 8, blocks: 2, dropout: 0.2, seed: 1 });
  try {
    const a = tf.tensor2d([[0, 0, 3, 4, 5, 6]], [1, 6], "int32") as tf.Tensor2D;
    const b = tf.tensor2d([[0, 0, 3, 4, 9, 12]], [1, 6], "int32") as tf.Tensor2D;
    const sa = allStates(model, a);
    const sb = allStates(model, b);
    // Positions 2 and 3 (movies 3 and 4) are the same in both; positions 4 and 5 differ.
    assert.ok(maxAbsDiff(sa.subarray(2 * 8, 4 * 8), sb.subarray(2 * 8, 4 * 8)) < 1e-6, "earlier states unchanged");
    assert.ok(maxAbsDiff(sa.subarray(4 * 8, 6 * 8), sb.subarray(4 * 8, 6 * 8)) > 1e-3, "later states changed");
    tf.dispose([a, b]);
  } finally {
    model.dispose();
  }
});

/** Every position's state for one row of tokens (inference), flattened [L * d]. */
function allStates(model: ReturnType<typeof sasrecModel>, tokens: tf.Tensor2D): Float32Array {
  const probe = tf.model({ inputs: model.net.inputs[0], outputs: model.net.getLayer("output_norm").output as tf.SymbolicTensor });
  return tf.tidy(() => (probe.predict(tokens) as tf.Tensor).dataSync() as Float32Array);
}

test("historyTokens left-pads and keeps the latest L movies as tokens (movie index + 1)", () => {
  assert.deepEqual([...historyTokens([4, 7], 4)], [0, 0, 5, 8]);
  assert.deepEqual([...historyTokens([1, 2, 3, 4, 5, 6], 4)], [4, 5, 6, 7]);
});

test("leave-last-out: time order with ties by movie id, last = test, second-to-last = validation, short users dropped and counted", async () => {
  const ds = await ml100k();
  const split = leaveLastOutSplit(ds);
  const seq = split.sequences;
  assert.equal(seq.users + seq.droppedUsers, ds.numUsers);
  assert.equal(split.test.length, seq.users);
  assert.equal(split.validation.length, seq.users);
  assert.equal(split.train.length + split.test.length, seq.order.length);
  const r = ds.ratings;
  for (let u = 0; u < ds.numUsers; u++) {
    for (let k = seq.offsets[u] + 1; k < seq.offsets[u + 1]; k++) {
      const a = seq.order[k - 1];
      const b = seq.order[k];
      assert.ok(
        r.timestamp[a] < r.timestamp[b] || (r.timestamp[a] === r.timestamp[b] && ds.movies.ids[r.movie[a]] < ds.movies.ids[r.movie[b]]),
        `user ${u}: ratings ${a}, ${b} out of order`,
      );
    }
  }
  const trainSet = new Set(split.train);
  for (const i of split.validation) assert.ok(trainSet.has(i), "validation ratings are part of train");
  for (const i of split.test) assert.ok(!trainSet.has(i), "test ratings are not in train");
  // A minimum rating leaves low ratings out first; then users with fewer than 3 are dropped.
  const liked = userSequences(ds, { minRating: 4 });
  assert.ok(liked.filteredRatings > 0 && liked.droppedUsers > 0, "ml-100k has users with fewer than 3 ratings >= 4");
  for (let k = 0; k < liked.order.length; k++) assert.ok(r.rating[liked.order[k]] >= 4);
  assert.throws(() => leaveLastOutSplit(ds, { minLength: 2 }), /minLength.*at least 3/);
});

test("next-movie task: windows cover each training sequence, targets are the next movies, negatives are unseen, loss is masked BCE", async () => {
  const ds = await ml100k();
  const split = leaveLastOutSplit(ds);
  const L = 20;
  const task = nextMovieTask(ds, { train: split.train, maxLength: L, seed: 5 });
  const rated = new Set<string>();
  for (const i of split.train) rated.add(`${ds.ratings.user[i]}:${ds.ratings.movie[i]}`);
  task.beginEpoch!(0, new Rng(1));
  const units = Int32Array.from({ length: 16 }, (_, k) => k);
  const batch = task.batch(units, "train");
  try {
    const [history, candidates] = batch.ids[0];
    const mask = batch.target.dataSync();
    for (let k = 0; k < units.length; k++) {
      const u = task.windowUsers[units[k]];
      for (let t = 0; t < L; t++) {
        const pos = candidates[k * 2 * L + t];
        const neg = candidates[k * 2 * L + L + t];
        if (mask[k * L + t] === 0) {
          assert.equal(pos, 0);
          continue;
        }
        assert.ok(history[k * L + t] > 0, "a real position reads a movie");
        if (t + 1 < L) assert.equal(history[k * L + t + 1], pos, "the next position reads the target");
        assert.ok(!rated.has(`${u}:${neg - 1}`), "negatives are unrated");
      }
    }
    // Every training transition is a target exactly once over the "all" windows.
    let targets = 0;
    for (const s of task.sequences) targets += Math.max(0, s.length - 1);
    let covered = 0;
    for (let from = 0; from < task.trainSize; from += 256) {
      const b = task.batch(
        Int32Array.from({ length: Math.min(256, task.trainSize - from) }, (_, k) => from + k),
        "train",
      );
      covered += b.target.sum().dataSync()[0];
      disposeBatch(b);
    }
    assert.equal(covered, targets);
    // The loss equals BCE on the positives and negatives by hand.
    const logits = tf.randomNormal([units.length, 2 * L], 0, 1, "float32", 9);
    const lossT = task.loss(() => logits, batch);
    const lg = logits.dataSync();
    let sum = 0;
    let n = 0;
    const sp = (x: number): number => Math.log1p(Math.exp(x));
    for (let k = 0; k < units.length; k++)
      for (let t = 0; t < L; t++)
        if (mask[k * L + t]) {
          sum += sp(-lg[k * 2 * L + t]) + sp(lg[k * 2 * L + L + t]);
          n++;
        }
    assert.ok(Math.abs(lossT.dataSync()[0] - sum / n) < 1e-4);
    tf.dispose([logits, lossT]);
  } finally {
    disposeBatch(batch);
  }
});

test("trainSasRec is seeded (same seed, same states), learns (loss falls), starts from stage-1 vectors, and saves and loads", async () => {
  const ds = await ml100k();
  const split = leaveLastOutSplit(ds);
  const o = { seed: 11, epochs: 2, maxLength: 20, dim: 16, progress: "none" as const };
  const a = await trainSasRec(ds, split.train, o);
  const b = await trainSasRec(ds, split.train, o);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sasrec-"));
  try {
    const h = a.history!.epochs;
    assert.ok(h[1].loss < h[0].loss, `loss falls: ${h.map((e) => e.loss.toFixed(4)).join(" → ")}`);
    const movies = Int32Array.from({ length: 50 }, (_, k) => k);
    const sa = a.scorer.scoreMovies(0, movies);
    assert.deepEqual([...sa], [...b.scorer.scoreMovies(0, movies)], "same seed, same scores");
    const hist = Int32Array.from([0, 1, 2, 3]);
    const tokens = historyTokens(hist, 20);
    await saveModel(a.model!, path.join(dir, "m"), { dataset: ds.name, userIds: [], movieIds: Array.from(ds.movies.ids) });
    const { model: loaded } = await loadModel(path.join(dir, "m"));
    assert.ok(maxAbsDiff(lastStates(a.model!, tokens), lastStates(loaded, tokens)) < 1e-6, "loaded model gives the same states");
    assert.match(loaded.summary(), /block_2_attention/);
    const att = sasrecAttention(loaded, hist);
    assert.equal(att.weights.length, 2);
    loaded.dispose();
    // Stage-1 start: the item table holds the given vectors before training.
    const vectors = { data: Float32Array.from({ length: ds.numMovies * 16 }, (_, i) => Math.sin(i)), rows: ds.numMovies, cols: 16 };
    const fresh = sasrecModel({ numMovies: ds.numMovies, maxLength: 20, dim: 16, seed: 1 });
    setSasRecMovieVectors(fresh, vectors);
    assert.ok(maxAbsDiff(sasrecMovieVectors(fresh).data, vectors.data) < 1e-6);
    assert.throws(() => setSasRecMovieVectors(fresh, { ...vectors, cols: 8 }), /expected 1682 x 16 vectors/);
    fresh.dispose();
  } finally {
    a.model!.dispose();
    b.model!.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("SASRec options and task arguments are checked with messages that name them", async () => {
  assert.throws(() => sasrecModel({ numMovies: 10, seed: 1, dropout: 1 }), /option "dropout" must be in \[0, 1\)/);
  assert.throws(() => sasrecModel({ numMovies: 10, seed: 1, blocks: 0 }), /option "blocks" must be a positive integer/);
  const ds = await ml100k();
  assert.throws(() => nextMovieTask(ds, { train: new Int32Array([0]), maxLength: 0, seed: 1 }), /option "maxLength"/);
  assert.throws(() => nextMovieTask(ds, { train: new Int32Array([0]), maxLength: 5, seed: 1 }), /no user has two training ratings/);
});
