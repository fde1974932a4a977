// Tests SASRec: the matmul/softmax/mask attention against a per-position loop, causality (no position reads a later one), seeded determinism, the written-out gradients (layer norm, position scores, relu) and dropout masks, the next-movie task's windows and loss, save/load, the stage-1 start, and option errors.
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
  layerNorm,
  positionScores,
  relu,
  lastStates,
  sasrecAttention,
  sasrecModel,
  sasrecMovieVectors,
  setSasRecMovieVectors,
} from "../../src/models/sasrec";
import { dropoutMask } from "../../src/models/layers";
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

/** A generator of standard-normal tensors of any shape, seeded. */
const normalTensors = (seed: number) => {
  const rng = new Rng(seed);
  return (shape: number[]): tf.Tensor =>
    tf.tensor(
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
      shape,
    );
};

test("layer norm's written-out backward pass equals the tape's gradient of the same formula", () => {
  const rand = normalTensors(3);
  const [x, gamma, beta, w] = [rand([3, 4, 6]), rand([6]), rand([6]), rand([3, 4, 6])];
  const plain = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(xs, -1, true);
    return xs
      .sub(mean)
      .mul(tf.rsqrt(variance.add(1e-8)))
      .mul(g)
      .add(b);
  };
  const loss = (f: typeof plain) => (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => f(xs, g, b).mul(w).sum();
  const ours = tf.grads(loss((xs, g, b) => layerNorm(xs, g, b, 1e-8)))([x, gamma, beta]);
  const tape = tf.grads(loss(plain))([x, gamma, beta]);
  assert.ok(maxAbsDiff(layerNorm(x, gamma, beta, 1e-8).dataSync(), plain(x, gamma, beta).dataSync()) < 1e-5);
  ours.forEach((g, i) => assert.ok(maxAbsDiff(g.dataSync(), tape[i].dataSync()) < 1e-4, `gradient ${i}`));
});

test("position scores' written-out backward pass equals the tape's gradient of the same formula", () => {
  const rand = normalTensors(4);
  const [B, L, d, C] = [2, 3, 4, 2];
  const [h, e, w] = [rand([B, L, d]), rand([B, C * L, d]), rand([B, C * L])];
  const plain = (hs: tf.Tensor, es: tf.Tensor) =>
    es
      .reshape([B, C, L, d])
      .mul(hs.expandDims(1))
      .sum(-1)
      .reshape([B, C * L]);
  const loss = (f: typeof plain) => (hs: tf.Tensor, es: tf.Tensor) => f(hs, es).mul(w).sum();
  const ours = tf.grads(loss((hs, es) => positionScores(hs as tf.Tensor3D, es as tf.Tensor3D)))([h, e]);
  const tape = tf.grads(loss(plain))([h, e]);
  assert.ok(maxAbsDiff(positionScores(h as tf.Tensor3D, e as tf.Tensor3D).dataSync(), plain(h, e).dataSync()) < 1e-5);
  ours.forEach((g, i) => assert.ok(maxAbsDiff(g.dataSync(), tape[i].dataSync()) < 1e-4, `gradient ${i}`));
});

test("relu's three-op gradient equals the tape's", () => {
  const x = tf.tensor([-2, -0.5, 0.25, 3, -1, 4], [2, 3]);
  const w = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const ours = tf.grad((v: tf.Tensor) => relu(v).mul(w).sum())(x);
  const tape = tf.grad((v: tf.Tensor) => tf.relu(v).mul(w).sum())(x);
  assert.deepEqual(Array.from(relu(x).dataSync()), Array.from(tf.relu(x).dataSync()));
  assert.deepEqual(Array.from(ours.dataSync()), Array.from(tape.dataSync()));
});

test("dropout masks keep 1 − rate of the entries at 1/(1 − rate), are a function of the seed, and differ across seeds", () => {
  const a = dropoutMask([101, 99], 0.2, 7).dataSync();
  const kept = a.filter((x) => x > 0);
  assert.ok(Math.abs(kept.length / a.length - 0.8) < 0.01, `kept ${kept.length / a.length}`);
  assert.ok(kept.every((x) => Math.abs(x - 1.25) < 1e-6));
  assert.ok(Math.abs(Array.from(a).reduce((s, x) => s + x, 0) / a.length - 1) < 0.015);
  assert.deepEqual(Array.from(dropoutMask([101, 99], 0.2, 7).dataSync()), Array.from(a));
  assert.ok(maxAbsDiff(dropoutMask([101, 99], 0.2, 8).dataSync(), a) > 0);
  // Neighbouring entries (the two halves of one hash) are not correlated.
  let both = 0;
  for (let i = 0; i + 1 < a.length; i += 2) if (a[i] > 0 && a[i + 1] > 0) both++;
  assert.ok(Math.abs(both / Math.floor(a.length / 2) - 0.64) < 0.02, `pairs kept together ${both}`);
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
