// Tests NeuMF: the sparse fast path's gradients against a plain tape on real ml-100k batches, seeded determinism, pre-training initialisation, ml-100k u1 full ranking against popularity, save/load, and option errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf } from "../../src/backend";
import { loadDataset } from "../../src/data/load";
import { predefinedSplit } from "../../src/data/splits";
import { Dataset, Split } from "../../src/data/types";
import { evaluateFullRanking, evaluationData, metricsAt } from "../../src/evaluation";
import { NEUMF_DEFAULTS, trainNeuMF } from "../../src/experiments/neumf-recipe";
import { popularityScorer } from "../../src/models/baselines";
import { RecModel } from "../../src/models/base";
import { buildModel } from "../../src/models/build";
import { NeuMFTowers, neumfFromPretrained, neumfModel, neumfScorer } from "../../src/models/neumf";
import { loadModel, saveModel } from "../../src/training/checkpoint";
import { TablePenalty } from "../../src/training/penalty";
import { SparseTableUpdater } from "../../src/training/sparse";
import { disposeBatch } from "../../src/training/task";
import { pointwiseImplicitTask } from "../../src/training/tasks/pointwise-implicit";

let cached: { ds: Dataset; split: Split } | null = null;
async function ml100k(): Promise<{ ds: Dataset; split: Split }> {
  if (cached) return cached;
  const shared = process.env.MOVIELENS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "data", "movielens");
  assert.ok(fs.existsSync(path.join(shared, "ml-100k")), `ml-100k not found under ${shared} (set MOVIELENS_DIR)`);
  const ds = await loadDataset("ml-100k", { movielensDir: shared });
  cached = { ds, split: predefinedSplit(ds, "u1") };
  return cached;
}

const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

for (const towers of ["neumf", "gmf", "mlp"] as NeuMFTowers[]) {
  test(`${towers}: one sparse fast-path step (manual head, SGD lr 1) moves every weight by the tape's gradient of the full net`, async () => {
    const { ds, split } = await ml100k();
    const model = neumfModel({
      numUsers: ds.numUsers,
      numMovies: ds.numMovies,
      factors: 8,
      mlpDim: 8,
      hidden: [16, 8],
      towers,
      l2: 0.01,
      seed: 5,
    });
    // Larger initial embeddings than the default so the gradients are far from float32 noise.
    for (const t of model.tables) {
      const v = model.tableVariable(t.layer);
      v.assign(tf.randomNormal(v.shape, 0, 0.3, "float32", 11));
    }
    const task = pointwiseImplicitTask(ds, { train: split.train, seed: 3 });
    const units = Int32Array.from({ length: 48 }, (_, i) => i * 997);
    const batch = task.batch(units, "train");
    const vars = model.trainableVariables();
    const before = vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
    // The tape: the task's loss on the whole net (embedding lookups and layers in TF) plus the rows' L2 penalty.
    const ids = batch.ids[0].map((c) => tf.tensor2d(c, [c.length, 1], "int32"));
    const penalty = new TablePenalty(model);
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(ids, true);
      return task.loss(() => out, batch).add(penalty.of(ids)!) as tf.Scalar;
    }, vars);
    const tapeLoss = value.dataSync()[0];
    // The fast path: rows looked up in JS, the hand-written head backward, lookup gradients summed and applied in JS.
    assert.ok(model.manualHead && task.outputGradient, "the fast (tape-free) path applies");
    const sparse = new SparseTableUpdater(model, "sgd", 1);
    const loss = sparse.step(task, batch);
    sparse.sync();
    assert.ok(Math.abs(loss - tapeLoss) < 1e-5, `loss ${loss} vs tape ${tapeLoss}`);
    vars.forEach((v, k) => {
      const g = grads[v.name].dataSync() as Float32Array;
      const moved = Float32Array.from(v.dataSync() as Float32Array, (w, i) => before[k][i] - w);
      const scale = maxAbs(g);
      assert.ok(scale > 1e-4, `${v.name}: gradient too small to test (${scale})`);
      const err = maxAbsDiff(moved, g);
      assert.ok(err < 1e-4 * Math.max(1, scale), `${v.name}: sparse step vs tape gradient differ by ${err} (gradient scale ${scale})`);
    });
    tf.dispose([value, ...Object.values(grads), ...ids]);
    penalty.dispose();
    disposeBatch(batch);
    model.dispose();
  });
}

test("the manual head computes what the layers head computes", () => {
  const m = neumfModel({ numUsers: 9, numMovies: 11, factors: 4, mlpDim: 3, hidden: [5, 2], seed: 1 });
  const rows = m.tables.map((t, i) => tf.randomNormal([7, m.tableVariable(t.layer).shape[1] as number], 0, 1, "float32", i + 1));
  const a = (m.head.apply(rows) as tf.Tensor).dataSync();
  const b = m.manualHead!.forward(tf.concat(rows, 1) as tf.Tensor2D, false).output.dataSync();
  assert.ok(maxAbsDiff(a, b) < 1e-6);
  tf.dispose(rows);
  m.dispose();
});

async function scoresOf(model: RecModel, users: number[], numMovies: number): Promise<Float32Array> {
  const s = neumfScorer(model, { batchSize: 1000 });
  const movies = Int32Array.from({ length: numMovies }, (_, i) => i);
  const out = new Float32Array(users.length * numMovies);
  users.forEach((u, k) => out.set(s.scoreMovies(u, movies), k * numMovies));
  // scorePairs agrees with scoreMovies (to float rounding: the chunks fall differently, so TF's matmul blocks differ).
  const pu = Int32Array.from(users.flatMap((u) => Array.from({ length: numMovies }, () => u)));
  const pm = Int32Array.from(users.flatMap(() => Array.from(movies)));
  assert.ok(maxAbsDiff(await s.scorePairs!(pu, pm), out) < 1e-5);
  return out;
}

test("same seed gives the same scores; another seed other scores", async () => {
  const { ds, split } = await ml100k();
  const train = split.train.subarray(0, 20000);
  const opts = { epochs: 2, batchSize: 512, progress: "none" as const, hidden: [16, 8], mlpDim: 8, factors: 8 };
  const a = await trainNeuMF(ds, train, { ...opts, seed: 1 });
  const b = await trainNeuMF(ds, train, { ...opts, seed: 1 });
  const c = await trainNeuMF(ds, train, { ...opts, seed: 2 });
  const users = [0, 5, 100];
  const sa = await scoresOf(a.model!, users, ds.numMovies);
  assert.deepEqual(Array.from(await scoresOf(b.model!, users, ds.numMovies)), Array.from(sa));
  assert.ok(maxAbsDiff(await scoresOf(c.model!, users, ds.numMovies), sa) > 1e-3);
  for (const t of [a, b, c]) t.model!.dispose();
});

test("pre-training initialisation: NeuMF's logit is α·GMF's + (1 − α)·MLP's", async () => {
  const o = { numUsers: 30, numMovies: 40, factors: 4, mlpDim: 3, hidden: [6, 2], seed: 9 };
  const gmf = neumfModel({ ...o, towers: "gmf" });
  const mlp = neumfModel({ ...o, towers: "mlp" });
  const alpha = 0.3;
  const fused = neumfFromPretrained(gmf, mlp, alpha, o);
  const users = Int32Array.from({ length: 40 }, (_, i) => i % 30);
  const movies = Int32Array.from({ length: 40 }, (_, i) => i);
  const [g, m, f] = await Promise.all([gmf, mlp, fused].map((x) => neumfScorer(x).scorePairs!(users, movies)));
  for (let i = 0; i < 40; i++) assert.ok(Math.abs(f[i] - (alpha * g[i] + (1 - alpha) * m[i])) < 1e-5, `pair ${i}`);
  assert.throws(
    () => neumfFromPretrained(mlp, gmf, alpha, o),
    (e: Error) => e instanceof RangeError && /gmfModel/.test(e.message),
  );
  assert.throws(
    () => neumfFromPretrained(gmf, mlp, 2, o),
    (e: Error) => e instanceof RangeError && /alpha/.test(e.message),
  );
  for (const x of [gmf, mlp, fused]) x.dispose();
});

test("on ml-100k u1 full ranking (relevance >= 4), NeuMF (defaults) beats popularity's NDCG@10 by > 0.1", async () => {
  const { ds, split } = await ml100k();
  const t = await trainNeuMF(ds, split.train, { progress: "none" });
  const data = evaluationData(ds, split);
  const opts = { ks: [10], relevanceThreshold: 4 };
  const n = metricsAt(await evaluateFullRanking(data, t.scorer, opts), 10);
  const p = metricsAt(await evaluateFullRanking(data, popularityScorer(ds, split.train), opts), 10);
  console.log(
    `NeuMF u1 (${NEUMF_DEFAULTS.epochs} epochs, train ${t.seconds.toFixed(1)} s): NDCG@10 ${n.ndcg.toFixed(4)}, HR@10 ${n.hitRate.toFixed(4)}, ` +
      `Recall@10 ${n.recall.toFixed(4)}; popularity NDCG@10 ${p.ndcg.toFixed(4)}`,
  );
  assert.ok(n.ndcg > p.ndcg + 0.1, `NeuMF NDCG@10 ${n.ndcg} vs popularity ${p.ndcg}`);
  assert.ok(n.recall > p.recall, `NeuMF Recall@10 ${n.recall} vs popularity ${p.recall}`);
  t.model!.dispose();
});

test("save and load round trip: the loaded model gives identical scores and summary", async (t) => {
  const { ds, split } = await ml100k();
  const tr = await trainNeuMF(ds, split.train.subarray(0, 5000), { epochs: 1, progress: "none", hidden: [8], mlpDim: 4, factors: 4 });
  const model = tr.model!;
  try {
    buildModel(model.spec).dispose();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-neumf-"));
    try {
      await saveModel(model, path.join(dir, "m"), {
        dataset: ds.name,
        userIds: Array.from(ds.userIds),
        movieIds: Array.from(ds.movies.ids),
      });
      const { model: back } = await loadModel(path.join(dir, "m"));
      try {
        assert.equal(back.summary(), model.summary());
        const users = [0, 17, 942];
        assert.deepEqual(Array.from(await scoresOf(back, users, ds.numMovies)), Array.from(await scoresOf(model, users, ds.numMovies)));
      } finally {
        back.dispose();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    model.dispose();
  }
});

test("bad options throw a RangeError naming the option", async () => {
  const { ds, split } = await ml100k();
  const base = { numUsers: 10, numMovies: 10, seed: 1 };
  const cases: [string, () => unknown][] = [
    ["factors", () => neumfModel({ ...base, factors: 0 })],
    ["mlpDim", () => neumfModel({ ...base, mlpDim: 2.5 })],
    ["hidden", () => neumfModel({ ...base, hidden: [] })],
    ["hidden", () => neumfModel({ ...base, hidden: [8, -1] })],
    ["towers", () => neumfModel({ ...base, towers: "deep" as NeuMFTowers })],
    ["l2", () => neumfModel({ ...base, l2: -1 })],
    ["numUsers", () => neumfModel({ ...base, numUsers: 0 })],
    ["seed", () => neumfModel({ ...base, seed: NaN })],
    ["negatives", () => pointwiseImplicitTask(ds, { train: split.train, seed: 1, negatives: 0 })],
  ];
  for (const [name, f] of cases) assert.throws(f, (e: Error) => e instanceof RangeError && e.message.includes(`"${name}"`), name);
  const recipe: [string, Record<string, unknown>][] = [
    ["negatives", { negatives: 0 }],
    ["alpha", { pretrain: true, alpha: 1.5 }],
    ["epochs", { epochs: 0 }],
    ["learningRate", { learningRate: -1 }],
    ["pretrain", { pretrain: "yes" }],
    ["hidden", { hidden: [0] }],
  ];
  for (const [name, o] of recipe) {
    await assert.rejects(
      trainNeuMF(ds, split.train, { progress: "none", ...o }),
      (e: Error) => e instanceof RangeError && e.message.includes(`"${name}"`),
      name,
    );
  }
});
