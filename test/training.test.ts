// The models and the one training loop: shapes, stage 1 -> stage 2 initialisation, sparse vs dense updates, seeds, NaN, early stopping, save/load.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf } from "../src/backend";
import { denseClassModel } from "../src/models/dense-classes";
import { movieGenreModel } from "../src/models/movie-genre";
import { UserMovieModelOptions, averageUserMovieModels, userMovieModel } from "../src/models/user-movie";
import { trainStage2, validationSplit } from "../src/experiments/recipes";
import { loadModel, saveModel } from "../src/training/checkpoint";
import { TrainingDivergedError, evaluateTask, fit } from "../src/training/fit";
import type { Task } from "../src/training/task";
import { classCrossEntropy, logLoss, meanSquaredError } from "../src/training/losses";
import { LogProgress, NotebookProgress } from "../src/util/progress";
import { implicitTask, hasItem, userItems } from "../src/training/tasks/implicit";
import { movieGenreTask } from "../src/training/tasks/movie-genre";
import { ratingClassTask } from "../src/training/tasks/rating-classes";
import { ratingTask, ratingTransform } from "../src/training/tasks/ratings";
import { buildDataset, makeRatings } from "../src/data/columnar";
import { ratingSessions } from "../src/data/sessions";
import { RecModel } from "../src/models/base";
import type { SessionContext } from "../src/models/scorer";
import { dotScorer, dotWeights } from "../src/models/user-movie";
import { tinyDataset, tinySplit } from "./helpers/tiny";

const ds = tinyDataset({ users: 50, movies: 70, seed: 11 });
const split = tinySplit(ds, 2);

/** A manual head's row gradients as values: the tensor's, or the array it wrote them into. */
function rowValues(rows: tf.Tensor | Float32Array): Float32Array {
  return rows instanceof Float32Array ? rows : (rows.dataSync() as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test("stage 1 model: named layers, probabilities, summary", () => {
  const m = movieGenreModel({ numMovies: ds.numMovies, numGenres: 4, dim: 8, seed: 1 });
  const s = m.summary();
  for (const name of ["movie_embedding", "genre_embedding", "dot", "sigmoid"]) assert.match(s, new RegExp(name));
  assert.equal(m.countParams(), (ds.numMovies + 4) * 8);
  const p = m.forward([tf.tensor2d([0, 1, 2], [3, 1], "int32"), tf.tensor2d([0, 1, 3], [3, 1], "int32")]).dataSync();
  for (const v of p) assert.ok(v > 0 && v < 1);
  m.dispose();
});

test("stage 1 task: balanced groups, negatives are genres the movie lacks, seeded", () => {
  const t1 = movieGenreTask(ds.movies, { seed: 5, negativeRatio: 2 });
  const a = t1.labelledPairs();
  const b = movieGenreTask(ds.movies, { seed: 5, negativeRatio: 2 }).labelledPairs();
  assert.deepEqual(Array.from(a.genre), Array.from(b.genre));
  const G = ds.movies.genreVocabulary.length;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < a.label.length; i++) {
    const has = ds.movies.genreMatrix[a.movie[i] * G + a.genre[i]] === 1;
    assert.equal(has, a.label[i] === 1, `pair ${i} labelled ${a.label[i]} but has=${has}`);
    if (a.label[i] === 1) pos++;
    else neg++;
  }
  assert.equal(pos, t1.trainSize);
  assert.ok(neg > 1.5 * pos, `expected about 2 negatives per positive, got ${neg}/${pos}`);
});

test("stage 1 learns genres; stage 2 starts from its movie embeddings (finetune, frozen, random)", async () => {
  const s1 = movieGenreModel({ numMovies: ds.numMovies, numGenres: ds.movies.genreVocabulary.length, dim: 8, seed: 3 });
  const t1 = movieGenreTask(ds.movies, { seed: 3, negativeRatio: 1, validationFraction: 0 });
  const h1 = await fit(s1, t1, { epochs: 30, batchSize: 32, learningRate: 0.05, seed: 3, progress: "none" });
  assert.ok(h1.epochs[h1.epochs.length - 1].loss < 0.3, `stage 1 loss stayed at ${h1.epochs.at(-1)!.loss}`);
  const movieEmb = s1.weight("movie_embedding");

  const make = (movieInit: "finetune" | "frozen" | "random") =>
    userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 8, seed: 4, offset: 3, movieEmbeddings: movieEmb, movieInit });
  const fine = make("finetune");
  const frozen = make("frozen");
  const random = make("random");
  assert.deepEqual(Array.from(fine.weight("movie_embedding").data), Array.from(movieEmb.data));
  assert.deepEqual(Array.from(frozen.weight("movie_embedding").data), Array.from(movieEmb.data));
  assert.notDeepEqual(Array.from(random.weight("movie_embedding").data), Array.from(movieEmb.data));
  assert.equal(frozen.isTrainable("movie_embedding"), false);

  const task = ratingTask(ds, { train: split.train, validation: split.test });
  for (const m of [fine, frozen]) {
    await fit(m, task, { epochs: 3, batchSize: 64, learningRate: 0.01, seed: 1, progress: "none" });
  }
  assert.ok(maxAbsDiff(fine.weight("movie_embedding").data, movieEmb.data) > 1e-4, "fine-tuned embeddings did not move");
  assert.equal(maxAbsDiff(frozen.weight("movie_embedding").data, movieEmb.data), 0, "frozen embeddings moved");
  for (const m of [s1, fine, frozen, random]) m.dispose();
});

test("sparse row updates equal TF.js's optimiser stepping whole tables under SGD", async () => {
  const task = ratingTask(ds, { train: split.train });
  const opts = { epochs: 2, batchSize: 32, learningRate: 0.05, seed: 9, optimizer: "sgd" as const, progress: "none" as const };
  const a = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 6, seed: 2, offset: 3, l2: 0.01 });
  const b = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 6, seed: 2, offset: 3, l2: 0.01 });
  const ha = await fit(a, task, { ...opts, updates: "sparse" });
  const hb = await fit(b, task, { ...opts, updates: "tfjs" });
  for (const layer of ["user_embedding", "movie_embedding", "user_bias", "movie_bias"]) {
    assert.ok(maxAbsDiff(a.weight(layer).data, b.weight(layer).data) < 1e-4, `${layer} differs between sparse and dense SGD`);
  }
  assert.ok(Math.abs(ha.epochs[1].loss - hb.epochs[1].loss) < 1e-4);
  a.dispose();
  b.dispose();
});

test('"dense" updates (every row moves every step, computed lazily in JS) equal TF.js\'s Adam stepping whole tables, L2 included; "sparse" does not', async () => {
  const task = ratingTask(ds, { train: split.train });
  const make = () => userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 6, seed: 2, offset: 3, l2: 0.01 });
  const opts = { epochs: 3, batchSize: 64, learningRate: 0.01, seed: 9, progress: "none" as const, validate: false };
  const [dense, tfjs, sparse] = [make(), make(), make()];
  const hd = await fit(dense, task, { ...opts, updates: "dense" });
  const ht = await fit(tfjs, task, { ...opts, updates: "tfjs" });
  await fit(sparse, task, { ...opts, updates: "sparse" });
  for (const layer of ["user_embedding", "movie_embedding", "user_bias", "movie_bias"]) {
    const d = maxAbsDiff(dense.weight(layer).data, tfjs.weight(layer).data);
    assert.ok(d < 1e-4, `${layer} differs by ${d} between dense updates and TF.js's Adam`);
  }
  hd.epochs.forEach((e, k) => assert.ok(Math.abs(e.loss - ht.epochs[k].loss) < 1e-4, `epoch ${k + 1} loss`));
  assert.ok(maxAbsDiff(sparse.weight("movie_embedding").data, tfjs.weight("movie_embedding").data) > 1e-2, "lazy rows differ");
  for (const m of [dense, tfjs, sparse]) m.dispose();
});

test("dense-class model: sparse updates (JS optimiser on the dense layers) equal TF.js's optimiser under SGD, and after one Adam or Adagrad step", async () => {
  const task = ratingClassTask(ds, { train: split.train });
  const make = () =>
    denseClassModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, numClasses: task.classes.length, dim: 6, hidden: [8, 4], seed: 2 });
  const runs: ["sgd" | "adam" | "adagrad", number, number][] = [
    ["sgd", 2, 32],
    ["adam", 1, 10_000],
    ["adagrad", 1, 10_000],
  ];
  for (const [optimizer, epochs, batchSize] of runs) {
    const opts = { epochs, batchSize, learningRate: 0.05, seed: 9, optimizer, progress: "none" as const, validate: false };
    const a = make();
    const b = make();
    const ha = await fit(a, task, { ...opts, updates: "sparse" });
    const hb = await fit(b, task, { ...opts, updates: "tfjs" });
    // The tables' sparse Adagrad starts its accumulators at 0 (tf.train.adagrad at 0.1; optimizers.ts says why), so only the dense layers compare there.
    const tables = optimizer === "adagrad" ? [] : ["user_embedding", "movie_embedding"];
    for (const layer of [...tables, "dense_1", "dense_2", "classes"]) {
      const d = maxAbsDiff(a.weight(layer).data, b.weight(layer).data);
      assert.ok(d < 1e-4, `${optimizer}: ${layer} differs by ${d} between sparse and dense updates`);
    }
    assert.ok(Math.abs(ha.epochs.at(-1)!.loss - hb.epochs.at(-1)!.loss) < 1e-4);
    a.dispose();
    b.dispose();
  }
});

test("the same seed gives the same numbers; another seed does not", async () => {
  const run = async (seed: number) => {
    const m = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 6, seed, offset: 3 });
    const h = await fit(m, ratingTask(ds, { train: split.train, validation: split.test }), {
      epochs: 2,
      batchSize: 64,
      learningRate: 0.01,
      seed,
      progress: "none",
    });
    m.dispose();
    return h.epochs.map((e) => [e.loss, e.valLoss]);
  };
  assert.deepEqual(await run(1), await run(1));
  assert.notDeepEqual(await run(1), await run(2));
});

test("a NaN loss stops training and names the epoch and batch", async () => {
  const bad = tinyDataset({ users: 20, movies: 20, seed: 1 });
  (bad.ratings.rating as Float32Array)[bad.ratings.length - 1] = NaN;
  const m = userMovieModel({ numUsers: 20, numMovies: 20, dim: 4, seed: 1 });
  const train = Int32Array.from({ length: bad.ratings.length }, (_, i) => i);
  await assert.rejects(
    fit(m, ratingTask(bad, { train }), { epochs: 2, batchSize: 16, seed: 1, progress: "none" }),
    (err: unknown) => err instanceof TrainingDivergedError && /epoch 1, batch \d+/.test((err as Error).message),
  );
  m.dispose();
});

test("early stopping stops and restores the best epoch's weights", async () => {
  const m = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 32, seed: 1, offset: 3 });
  const task = ratingTask(ds, { train: split.train, validation: split.test });
  const h = await fit(m, task, {
    epochs: 60,
    batchSize: 16,
    learningRate: 0.05,
    seed: 1,
    progress: "none",
    earlyStopping: { patience: 2 },
  });
  assert.ok(h.stoppedEarly, "an over-parameterised model on 3,000 ratings should overfit and stop early");
  assert.ok(h.epochs.length < 60);
  const bestVal = Math.min(...h.epochs.map((e) => e.valLoss!));
  const after = evaluateTask(m, task).loss;
  assert.ok(
    Math.abs(after - bestVal) < 1e-4,
    `restored weights give validation loss ${after}, the best epoch had ${bestVal} (${h.stopReason})`,
  );
  m.dispose();
});

test("BCE on min-max ratings needs a sigmoid head; the dense class model and the implicit task train", async () => {
  const linear = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 4, seed: 1 });
  await assert.rejects(
    fit(linear, ratingTask(ds, { train: split.train, loss: "bce" }), { epochs: 1, batchSize: 32, seed: 1, progress: "none" }),
    /sigmoid/,
  );
  linear.dispose();

  const ct = ratingClassTask(ds, { train: split.train, validation: split.test });
  const dense = denseClassModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, numClasses: ct.classes.length, dim: 8, seed: 1 });
  const probs = dense
    .forward([tf.tensor2d([0, 1], [2, 1], "int32"), tf.tensor2d([0, 1], [2, 1], "int32")])
    .sum(1)
    .dataSync();
  for (const p of probs) assert.ok(Math.abs(p - 1) < 1e-5);
  const hc = await fit(dense, ct, { epochs: 4, batchSize: 64, learningRate: 0.01, seed: 1, progress: "none" });
  assert.ok(hc.epochs[3].loss < hc.epochs[0].loss);
  assert.ok("accuracy" in hc.epochs[0].metrics && "rmse" in hc.epochs[0].metrics);
  dense.dispose();

  const it = implicitTask(ds, { train: split.train, validation: split.test, threshold: 4, seed: 1 });
  const imp = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 8, seed: 1 });
  const hi = await fit(imp, it, { epochs: 8, batchSize: 32, learningRate: 0.02, seed: 1, progress: "none" });
  // Ranking quality is checked on real ml-100k (test/quality.test.ts); here: the BPR loss falls and the metric exists.
  assert.ok(hi.epochs[7].loss < hi.epochs[0].loss * 0.9, `BPR loss did not fall: ${hi.epochs.map((e) => e.loss).join(", ")}`);
  assert.ok(hi.epochs[7].metrics.pairAccuracy >= 0 && hi.epochs[7].metrics.pairAccuracy <= 1);
  imp.dispose();
});

test("implicit negatives avoid movies the user has seen", () => {
  const seen = userItems(
    ds,
    Int32Array.from({ length: ds.ratings.length }, (_, i) => i),
  );
  const it = implicitTask(ds, { train: split.train, validation: split.test, threshold: null, loss: "sampled", negatives: 3, seed: 4 });
  const b = it.batch(
    Int32Array.from({ length: 200 }, (_, i) => i),
    "train",
  );
  let clashes = 0;
  for (let k = 0; k < b.ids[1][0].length; k++) if (hasItem(seen, b.ids[1][0][k], b.ids[1][1][k])) clashes++;
  b.target.dispose();
  assert.ok(clashes / b.ids[1][0].length < 0.01, `${clashes} sampled negatives were seen movies`);
});

test("save and load: same predictions, complete folder, clear errors", async () => {
  const m = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 5, seed: 8, offset: 3, output: "linear" });
  await fit(m, ratingTask(ds, { train: split.train }), { epochs: 1, batchSize: 64, seed: 1, progress: "none" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-model-"));
  const target = path.join(dir, "stage2");
  await saveModel(m, target, { dataset: ds.name, userIds: Array.from(ds.userIds), movieIds: Array.from(ds.movies.ids) });
  assert.deepEqual(fs.readdirSync(dir), ["stage2"], "a temporary folder was left behind");
  assert.deepEqual(fs.readdirSync(target).sort(), ["lab.json", "model.json", "weights.bin"]);
  const { model: back, metadata } = await loadModel(target);
  assert.equal(metadata.userIds.length, ds.numUsers);
  const inputs = [tf.tensor2d([0, 5, 9], [3, 1], "int32"), tf.tensor2d([1, 2, 3], [3, 1], "int32")];
  assert.deepEqual(Array.from(back.forward(inputs).dataSync()), Array.from(m.forward(inputs).dataSync()));
  assert.deepEqual(
    back.tables.map((t) => t.layer),
    m.tables.map((t) => t.layer),
  );
  const manifestFile = path.join(target, "model.json");
  const original = fs.readFileSync(manifestFile, "utf8");
  const renamed = JSON.parse(original);
  renamed.weightsManifest[0].weights[0].name = "somebody_else/embeddings";
  fs.writeFileSync(manifestFile, JSON.stringify(renamed));
  await assert.rejects(loadModel(target), /weights\.bin has no weight "\w+\/embeddings" for layer/);
  fs.writeFileSync(manifestFile, original);
  fs.rmSync(path.join(target, "weights.bin"));
  await assert.rejects(loadModel(target), /weights\.bin is missing/);
  fs.rmSync(dir, { recursive: true, force: true });
  m.dispose();
  back.dispose();
});

test("progress: one line per epoch in logs, one in-place notebook display", async () => {
  const lines: string[] = [];
  const m = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 4, seed: 1, offset: 3 });
  await fit(m, ratingTask(ds, { train: split.train, validation: split.test }), {
    epochs: 3,
    batchSize: 8,
    seed: 1,
    progress: new LogProgress((l) => lines.push(l)),
  });
  assert.equal(lines.length, 3, `expected 3 epoch lines, got:\n${lines.join("\n")}`);
  assert.match(lines[2], /epoch 3\/3 .*loss .*val_loss .*val_rmse/);
  const html: string[] = [];
  const nb = new NotebookProgress({ html: (s) => html.push(s) });
  await fit(m, ratingTask(ds, { train: split.train, validation: split.test }), { epochs: 3, batchSize: 8, seed: 1, progress: nb });
  const batches = Math.ceil(split.train.length / 8) * 3;
  assert.ok(html.length < batches / 4, `the notebook display was redrawn ${html.length} times for ${batches} batches`);
  assert.match(html[html.length - 1], /<svg[^>]*>.*<path/);
  assert.match(html[html.length - 1], /finished 3 epoch/);
  m.dispose();
});

test("the plain-op heads compute exactly what the layers heads compute", () => {
  const um = userMovieModel({ numUsers: 9, numMovies: 11, dim: 5, seed: 3, offset: 3.5, output: "sigmoid" });
  const mg = movieGenreModel({ numMovies: 11, numGenres: 4, dim: 5, seed: 3 });
  const dc = denseClassModel({ numUsers: 9, numMovies: 11, numClasses: 5, dim: 5, hidden: [6, 4], seed: 3 });
  for (const m of [um, mg, dc]) {
    const rows = m.tables.map((t, i) => tf.randomNormal([7, m.tableVariable(t.layer).shape[1] as number], 0, 1, "float32", i + 1));
    const a = (m.head.apply(rows) as tf.Tensor).dataSync();
    // The dense-class model's plain-op head is its manual head (rows side by side); the others have headFn.
    assert.ok(m.headFn || m.manualHead, `${m.kind} has a plain-op head`);
    const b = (m.headFn ? m.headFn(rows, false) : m.manualHead!.forward(tf.concat(rows, 1) as tf.Tensor2D, false).output).dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `${m.kind}: ${a[i]} vs ${b[i]}`);
    m.dispose();
  }
});

test("the user–movie manual head (forward and backward in JS) agrees with the layers head and the tape's gradient", () => {
  for (const o of [
    { output: "sigmoid" as const, biases: "both" as const, offset: 0 },
    { output: "linear" as const, biases: "user" as const, offset: 3.5 },
    { output: "linear" as const, biases: "none" as const, offset: 0 },
  ]) {
    const m = userMovieModel({ numUsers: 9, numMovies: 11, dim: 6, seed: 3, ...o });
    const rows = m.tables.map((t, i) => tf.randomNormal([7, m.tableVariable(t.layer).shape[1] as number], 0, 1, "float32", i + 1));
    const x = tf.concat(rows, 1) as tf.Tensor2D;
    const pass = m.manualHead!.forward(x, true);
    const out = pass.output.dataSync() as Float32Array;
    const want = (m.head.apply(rows) as tf.Tensor).dataSync() as Float32Array;
    assert.ok(maxAbsDiff(out, want) < 1e-5, `${JSON.stringify(o)}: forward differs by ${maxAbsDiff(out, want)}`);
    // Backward with a fixed output gradient against the tape through the layers head: d/dx sum(dOut * head(x)).
    const dOut = Float32Array.from({ length: 7 }, (_, i) => (i - 3) / 5);
    // A buffer full of NaN: the head must write every value of it.
    const got = rowValues(pass.backward(dOut, out, new Float32Array(x.size).fill(NaN)).rows);
    const tape = tf
      .grad((xs: tf.Tensor) => {
        const parts = tf.split(
          xs,
          m.tables.map((t) => m.tableVariable(t.layer).shape[1] as number),
          1,
        );
        return tf.sum(tf.mul(m.head.apply(parts) as tf.Tensor, tf.tensor2d(dOut, [7, 1])));
      })(x)
      .dataSync() as Float32Array;
    assert.ok(maxAbsDiff(got, tape) < 1e-5, `${JSON.stringify(o)}: backward differs by ${maxAbsDiff(got, tape)}`);
    tf.dispose([...rows, x, pass.output]);
    m.dispose();
  }
});

test("the dot-product scorer (JS) gives the network's scores for every bias and output choice, odd widths included", () => {
  for (const o of [
    { dim: 7, output: "sigmoid" as const, biases: "both" as const, offset: 0 },
    { dim: 8, output: "linear" as const, biases: "user" as const, offset: 3.5 },
    { dim: 5, output: "linear" as const, biases: "none" as const, offset: 0 },
  ]) {
    const m = userMovieModel({ numUsers: 9, numMovies: 11, seed: 3, initStddev: 0.5, ...o });
    const users = Int32Array.from({ length: 99 }, (_, i) => Math.floor(i / 11));
    const movies = Int32Array.from({ length: 99 }, (_, i) => i % 11);
    const net = tf.tidy(() =>
      (m.net.predict([tf.tensor1d(users, "int32"), tf.tensor1d(movies, "int32")]) as tf.Tensor).dataSync(),
    ) as Float32Array;
    const scorer = dotScorer("m", dotWeights(m));
    // Ranking uses the raw score; the network applies the head's activation to it.
    const raw = new Float32Array(99);
    for (let u = 0; u < 9; u++) raw.set(scorer.scoreMovies(u, movies.subarray(0, 11)), u * 11);
    const act = o.output === "sigmoid" ? raw.map((x) => 1 / (1 + Math.exp(-x))) : raw;
    assert.ok(maxAbsDiff(act, net) < 1e-5, `${JSON.stringify(o)}: scorer and network differ by ${maxAbsDiff(act, net)}`);
    m.dispose();
  }
});

test("the dense-class head's dropout draws a new seeded mask every step, the same sequence for the same seed", () => {
  const m = denseClassModel({ numUsers: 9, numMovies: 11, numClasses: 5, dim: 5, hidden: [6, 4], seed: 3 });
  const vars = m.trainableVariables().filter((v) => !m.tables.some((t) => m.tableVariable(t.layer) === v));
  assert.equal(vars.length, 6);
  m.dispose();
  const rows = m.tables.map((_, i) => tf.randomNormal([7, 5], 0, 1, "float32", i + 1));
  // Dropout: identity at inference; in training a different mask at every call, the same sequence for the same seed.
  const make = () => denseClassModel({ numUsers: 9, numMovies: 11, numClasses: 5, dim: 5, hidden: [64], dropout: 0.5, seed: 3 });
  const d1 = make();
  const d2 = make();
  const out = (m2: typeof d1, training: boolean) =>
    m2.manualHead!.forward(tf.concat(rows, 1) as tf.Tensor2D, training).output.dataSync() as Float32Array;
  assert.ok(
    maxAbsDiff(out(d1, false), (d1.head.predict(rows) as tf.Tensor).dataSync() as Float32Array) < 1e-6,
    "inference ignores dropout",
  );
  const first = out(d1, true);
  const second = out(d1, true);
  assert.ok(maxAbsDiff(first, second) > 1e-3, "two training steps used the same dropout mask");
  assert.equal(maxAbsDiff(first, out(d2, true)), 0, "the same seed gives the same first mask");
  assert.equal(maxAbsDiff(second, out(d2, true)), 0, "and the same second mask");
  d1.dispose();
  d2.dispose();
  tf.dispose(rows);
});

test("the closed-form losses match tf.losses and the tape in value and gradient", () => {
  const y = tf.tensor2d([[0], [0.25], [1], [0.5], [0.75]]);
  const x = tf.variable(tf.tensor2d([[0.1], [0.3], [0.999], [0.5], [0.01]]));
  const labels = tf.tensor1d([0, 2, 4, 1, 3], "int32");
  const oneHot = tf.oneHot(labels, 5, 1, 0, "float32");
  const logits = tf.variable(
    tf.tensor2d([
      [2, 1, 0, -1, -30],
      [0, 0, 0, 0, 0],
      [1, 2, 3, 4, 5],
      [-1, 3, 0.5, 0, 2],
      [0, 0, 0, 0, 40],
    ]),
  );
  const check = (name: string, v: tf.Variable, ours: () => tf.Scalar, stock: () => tf.Scalar) => {
    const a = tf.variableGrads(ours, [v]);
    const b = tf.variableGrads(stock, [v]);
    assert.ok(
      Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0]) < 1e-6,
      `${name}: value ${a.value.dataSync()[0]} vs ${b.value.dataSync()[0]}`,
    );
    const d = maxAbsDiff(a.grads[v.name].dataSync() as Float32Array, b.grads[v.name].dataSync() as Float32Array);
    assert.ok(d < 1e-5, `${name}: gradient differs by ${d}`);
  };
  check(
    "mse",
    x,
    () => meanSquaredError(y, x),
    () => tf.losses.meanSquaredError(y, x) as tf.Scalar,
  );
  check(
    "log loss",
    x,
    () => logLoss(y, x, 1e-7),
    () => tf.losses.logLoss(y, x, undefined, 1e-7) as tf.Scalar,
  );
  // Through a softmax, as in the dense-class model; the last row's true class has p < 1e-7 (clipped: no gradient).
  check(
    "class cross-entropy",
    logits,
    () => classCrossEntropy(oneHot, tf.softmax(logits)),
    () => tf.losses.softmaxCrossEntropy(oneHot, tf.log(tf.softmax(logits).clipByValue(1e-7, 1))) as tf.Scalar,
  );
  tf.dispose([y, x, labels, oneHot, logits]);
});

test("anchored stage 2 (L2 towards stage 1's vectors): sparse row updates equal TF.js's optimiser under SGD", async () => {
  const anchor = { data: Float32Array.from({ length: ds.numMovies * 6 }, (_, i) => Math.sin(i) * 0.1), rows: ds.numMovies, cols: 6 };
  const make = () =>
    userMovieModel({
      numUsers: ds.numUsers,
      numMovies: ds.numMovies,
      dim: 6,
      seed: 2,
      offset: 3,
      l2: 0.05,
      movieEmbeddings: anchor,
      movieInit: "anchored",
    });
  const opts = { epochs: 2, batchSize: 32, learningRate: 0.05, seed: 9, optimizer: "sgd" as const, progress: "none" as const };
  const a = make();
  const b = make();
  await fit(a, ratingTask(ds, { train: split.train }), { ...opts, updates: "sparse" });
  await fit(b, ratingTask(ds, { train: split.train }), { ...opts, updates: "tfjs" });
  assert.ok(maxAbsDiff(a.weight("movie_embedding").data, b.weight("movie_embedding").data) < 1e-4);
  a.dispose();
  b.dispose();
});

test("session biases: inputs, task checks, and a planted per-day offset is learned and used for held-out ratings", async () => {
  // Each user rates on two days; on the second day half the users rate 1.5 stars higher than their taste says.
  const r = ds.ratings;
  const day = (i: number) => (i % 2 === 0 ? 0 : 1);
  const moody = (u: number) => u % 2 === 0;
  const timestamp = Uint32Array.from({ length: r.length }, (_, i) => 1_000_000 + day(i) * 86_400);
  const rating = Float32Array.from(r.rating, (v, i) => (moody(r.user[i]) && day(i) === 1 ? Math.min(5, v + 1.5) : v));
  const planted = buildDataset({ ...ds, ratings: makeRatings(r.user, r.movie, rating, timestamp) });
  const sessions = ratingSessions(planted);
  assert.equal(sessions.count, 2 * ds.numUsers);
  const sp = tinySplit(planted, 4);
  const make = (withSessions: boolean) =>
    userMovieModel({
      numUsers: ds.numUsers,
      numMovies: ds.numMovies,
      dim: 3,
      seed: 3,
      offset: 3,
      l2: 0.1,
      ...(withSessions ? { numSessions: sessions.count, sessionL2: 0.01 } : {}),
    });
  const plain = make(false);
  const withS = make(true);
  assert.deepEqual(withS.inputNames, ["user", "movie", "session"]);
  assert.match(withS.summary(), /session_bias/);
  await assert.rejects(
    fit(plain, ratingTask(planted, { train: sp.train, sessions: sessions.session }), {
      epochs: 1,
      batchSize: 8,
      seed: 1,
      progress: "none",
    }),
    /needs a model with inputs user, movie, session/,
  );
  assert.throws(
    () => ratingTask(planted, { train: sp.train, sessions: sessions.session.subarray(1) }),
    /sessions has \d+ entries for \d+ ratings/,
  );
  const opts = { epochs: 20, batchSize: 32, learningRate: 0.01, seed: 5, progress: "none" as const };
  await fit(plain, ratingTask(planted, { train: sp.train }), opts);
  await fit(withS, ratingTask(planted, { train: sp.train, sessions: sessions.session }), opts);
  const testRmse = (m: RecModel, ctx?: SessionContext) => {
    const scorer = dotScorer("m", dotWeights(m), ratingTransform(planted, sp.train, "raw"), ctx);
    const pred = ctx
      ? scorer.predictRatingsAt!(sp.test)
      : scorer.predictRatings!(
          Int32Array.from(sp.test, (i) => r.user[i]),
          Int32Array.from(sp.test, (i) => r.movie[i]),
        );
    return Math.sqrt(sp.test.reduce((s, i, k) => s + (pred[k] - rating[i]) ** 2, 0) / sp.test.length);
  };
  const a = testRmse(plain);
  const b = testRmse(withS, { ratings: planted.ratings, sessions: sessions.session });
  assert.ok(b < a - 0.1, `held-out RMSE with session biases ${b.toFixed(3)} vs without ${a.toFixed(3)}`);
  // The learned biases recover the plant: moody users' day-2 session sits above their day-1 session.
  const sb = withS.weight("session_bias").data;
  let gapMoody = 0;
  let gapCalm = 0;
  for (let u = 0; u < ds.numUsers; u++) {
    const first = sessions.session.find((_, i) => r.user[i] === u && day(i) === 0)!;
    const second = sessions.session.find((_, i) => r.user[i] === u && day(i) === 1)!;
    moody(u) ? (gapMoody += sb[second] - sb[first]) : (gapCalm += sb[second] - sb[first]);
  }
  assert.ok(gapMoody / (ds.numUsers / 2) > 0.5 && Math.abs(gapCalm / (ds.numUsers / 2)) < 0.3, `gaps ${gapMoody} ${gapCalm}`);
  // A held-out rating from a session the model never trained on is predicted as without the session term.
  const unseen = dotScorer("m", { ...dotWeights(withS), sessionBias: new Float32Array(0) }, ratingTransform(planted, sp.train, "raw"), {
    ratings: planted.ratings,
    sessions: sessions.session,
  });
  const i0 = sp.test[0];
  assert.equal(
    unseen.predictRatingsAt!(Int32Array.of(i0))[0],
    unseen.predictRatings!(Int32Array.of(r.user[i0]), Int32Array.of(r.movie[i0]))[0],
  );
  plain.dispose();
  withS.dispose();
});

test("averaging user–movie models: one model whose scores are the members' mean; mismatches are refused", async () => {
  const sessions = ratingSessions(ds);
  const make = (seed: number, dim: number) =>
    userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim, seed, offset: 3, l2: 0.01, numSessions: sessions.count });
  const members = [make(1, 4), make(2, 4), make(3, 6)];
  for (const [k, m] of members.entries()) {
    await fit(m, ratingTask(ds, { train: split.train, sessions: sessions.session }), {
      epochs: 2,
      batchSize: 32,
      learningRate: 0.01,
      seed: k,
      progress: "none",
    });
  }
  const avg = averageUserMovieModels(members);
  assert.equal(avg.weight("user_embedding").cols, 14);
  assert.equal(avg.spec.options.members, 3);
  const ids = (col: Int32Array) =>
    tf.tensor2d(
      Int32Array.from(split.test.slice(0, 50), (i) => col[i]),
      [50, 1],
      "int32",
    );
  const inputs = [ids(ds.ratings.user), ids(ds.ratings.movie), ids(sessions.session)];
  const want = new Float32Array(50);
  for (const m of members)
    m.forward(inputs)
      .dataSync()
      .forEach((v, i) => (want[i] += v / members.length));
  assert.ok(maxAbsDiff(avg.forward(inputs).dataSync() as Float32Array, want) < 1e-5);
  const sig = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 4, seed: 1, output: "sigmoid" });
  assert.throws(() => averageUserMovieModels([members[0], sig]), /has numSessions undefined|has offset/);
  assert.throws(() => averageUserMovieModels([sig, sig]), /sigmoid outputs cannot be averaged/);
  assert.throws(() => averageUserMovieModels([]), /no models/);
  tf.dispose(inputs);
  for (const m of [...members, avg, sig]) m.dispose();
});

test("stage 2 refit: early-stops on validation, then retrains on train + validation for the best epoch count", async () => {
  const { train, validation } = validationSplit(split.train, 0.2, 3);
  const t = await trainStage2(ds, train, {
    validation,
    earlyStopping: { patience: 2, monitor: "rmse" },
    epochs: 30,
    dim: 4,
    refit: true,
    sessionBias: true,
    progress: "none",
  });
  const best = Number(/refit for (\d+) epochs/.exec(t.name)![1]);
  assert.ok(best >= 1 && best <= 30);
  assert.equal(t.history!.epochs.length, best, "the refit runs exactly the chosen number of epochs");
  assert.equal(t.history!.epochs[0].valLoss, null, "the refit has no validation set left");
  assert.ok(t.scorer.predictRatingsAt, "a session-aware scorer");
  await assert.rejects(
    trainStage2(ds, train, { refit: true, epochs: 2, progress: "none" }),
    /refit needs validation ratings and earlyStopping/,
  );
  t.model!.dispose();
});

test("a model with session biases saves and loads with its session table", async () => {
  const sessions = ratingSessions(ds);
  const m = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 3, seed: 4, offset: 3, numSessions: sessions.count });
  await fit(m, ratingTask(ds, { train: split.train, sessions: sessions.session }), { epochs: 1, batchSize: 64, seed: 1, progress: "none" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-session-"));
  await saveModel(m, path.join(dir, "m"), { dataset: ds.name, userIds: Array.from(ds.userIds), movieIds: Array.from(ds.movies.ids) });
  const { model: back } = await loadModel(path.join(dir, "m"));
  assert.deepEqual(back.inputNames, ["user", "movie", "session"]);
  assert.deepEqual(Array.from(back.weight("session_bias").data), Array.from(m.weight("session_bias").data));
  fs.rmSync(dir, { recursive: true, force: true });
  m.dispose();
  back.dispose();
});

test("dense-class manual head: same output as the layers head, the tape's gradients, and the layers head's dropout masks", () => {
  const m = denseClassModel({ numUsers: 9, numMovies: 11, numClasses: 5, dim: 5, hidden: [6, 4], seed: 3 });
  const vars = m.trainableVariables().filter((v) => !m.tables.some((t) => m.tableVariable(t.layer) === v));
  const rows = m.tables.map((_, i) => tf.variable(tf.randomNormal([7, 5], 0, 1, "float32", i + 1)));
  const dOut = tf.randomNormal([7, 5], 0, 1, "float32", 9);
  // Tape: d/d(everything) of sum(head(rows) * dOut).
  const { grads } = tf.variableGrads(() => (m.head.apply(rows) as tf.Tensor).mul(dOut).sum() as tf.Scalar, [...vars, ...rows]);
  const { output, backward } = m.manualHead!.forward(tf.concat(rows, 1) as tf.Tensor2D, false);
  assert.ok(maxAbsDiff(output.dataSync() as Float32Array, (m.head.predict(rows) as tf.Tensor).dataSync() as Float32Array) < 1e-6);
  const g = backward(dOut.dataSync() as Float32Array, output.dataSync() as Float32Array, new Float32Array(7 * 10));
  for (const v of vars)
    assert.ok(
      maxAbsDiff(g.weights.get(v)!.dataSync() as Float32Array, grads[v.name].dataSync() as Float32Array) < 1e-5,
      `gradient of ${v.name}`,
    );
  const rowGrad = tf.concat(
    rows.map((r) => grads[r.name]),
    1,
  );
  assert.ok(maxAbsDiff(rowValues(g.rows), rowGrad.dataSync() as Float32Array) < 1e-5, "row gradients");
  m.dispose();
  // With dropout in training, the manual head and the layers head draw the same seeded masks, call after call.
  const make = () => denseClassModel({ numUsers: 9, numMovies: 11, numClasses: 5, dim: 5, hidden: [16], dropout: 0.5, seed: 4 });
  const a = make();
  const b = make();
  for (let step = 0; step < 2; step++) {
    const viaManual = a.manualHead!.forward(tf.concat(rows, 1) as tf.Tensor2D, true).output.dataSync() as Float32Array;
    const viaHeadFn = (b.head.apply(rows, { training: true }) as tf.Tensor).dataSync() as Float32Array;
    assert.ok(maxAbsDiff(viaManual, viaHeadFn) < 1e-6, `step ${step}`);
  }
  a.dispose();
  b.dispose();
  tf.dispose([...rows, dOut]);
});

test("user-movie manual head: the layers head's output and the tape's row gradients, for every head shape", () => {
  const shapes = [
    { output: "linear" as const, offset: 3.5 },
    { output: "sigmoid" as const },
    { output: "linear" as const, biases: "none" as const },
    { output: "linear" as const, biases: "user" as const, offset: -0.5 },
    { output: "linear" as const, offset: 3, numSessions: 6 },
  ];
  for (const [k, o] of shapes.entries()) {
    const m = userMovieModel({ numUsers: 9, numMovies: 11, dim: 5, seed: 3, ...o });
    assert.ok(m.manualHead, `shape ${k} has a manual head`);
    const rows = m.tables.map((t, i) =>
      tf.variable(tf.randomNormal([7, m.tableVariable(t.layer).shape[1] as number], 0, 1, "float32", 10 * k + i + 1)),
    );
    const dOut = tf.randomNormal([7, 1], 0, 1, "float32", 9);
    const { grads } = tf.variableGrads(() => (m.head.apply(rows) as tf.Tensor).mul(dOut).sum() as tf.Scalar, rows);
    const { output, backward } = m.manualHead!.forward(tf.concat(rows, 1) as tf.Tensor2D, true);
    const out = output.dataSync() as Float32Array;
    assert.ok(maxAbsDiff(out, (m.head.predict(rows) as tf.Tensor).dataSync() as Float32Array) < 1e-5, `shape ${k}: output`);
    const width = m.tables.reduce((w, t) => w + (m.tableVariable(t.layer).shape[1] as number), 0);
    const g = backward(dOut.dataSync() as Float32Array, out, new Float32Array(7 * width).fill(NaN));
    assert.equal(g.weights.size, 0, "the head has no weights of its own");
    const tape = tf.concat(
      rows.map((r) => grads[r.name]),
      1,
    );
    assert.ok(maxAbsDiff(rowValues(g.rows), tape.dataSync() as Float32Array) < 1e-5, `shape ${k}: row gradients`);
    tf.dispose([...rows, dOut, tape, output, ...Object.values(grads)]);
    m.dispose();
  }
});

test("the rating task's closed-form output gradient equals its loss and the tape's gradient, MSE and BCE", () => {
  for (const loss of ["mse", "bce"] as const) {
    const task = ratingTask(ds, { train: split.train, loss });
    const batch = task.batch(
      Int32Array.from({ length: 12 }, (_, i) => i),
      "train",
    );
    const raw = tf.randomNormal([12, 1], loss === "bce" ? 0 : 3.5, 1, "float32", 5);
    const p = tf.variable(loss === "bce" ? tf.sigmoid(raw) : raw);
    const { value, grads } = tf.variableGrads(() => task.loss(() => p, batch), [p]);
    const closed = task.outputGradient!([p.dataSync() as Float32Array], batch);
    assert.ok(Math.abs(closed.loss - value.dataSync()[0]) < 1e-5, `${loss}: ${closed.loss} vs ${value.dataSync()[0]}`);
    assert.ok(maxAbsDiff(closed.gradients[0], grads[p.name].dataSync() as Float32Array) < 1e-6, `${loss}: gradient`);
    tf.dispose([raw, p, value, ...Object.values(grads), batch.target, ...(batch.aux ?? [])]);
  }
});

test("the implicit task's closed-form output gradients equal its loss and the tape's gradients, BPR and sampled BCE", () => {
  for (const o of [{ loss: "bpr" as const }, { loss: "sampled" as const, negatives: 3 }]) {
    const task = implicitTask(ds, { train: split.train, threshold: null, seed: 2, ...o });
    const batch = task.batch(
      Int32Array.from({ length: 10 }, (_, i) => i),
      "train",
    );
    const k = o.loss === "bpr" ? 1 : 3;
    const pos = tf.variable(tf.randomNormal([10, 1], 0, 2, "float32", 6));
    const neg = tf.variable(tf.randomNormal([10 * k, 1], 0, 2, "float32", 7));
    const { value, grads } = tf.variableGrads(() => task.loss((s) => (s === 0 ? pos : neg), batch), [pos, neg]);
    const closed = task.outputGradient!([pos.dataSync() as Float32Array, neg.dataSync() as Float32Array], batch);
    assert.ok(Math.abs(closed.loss - value.dataSync()[0]) < 1e-5, `${o.loss}: ${closed.loss} vs ${value.dataSync()[0]}`);
    assert.ok(maxAbsDiff(closed.gradients[0], grads[pos.name].dataSync() as Float32Array) < 1e-6, `${o.loss}: positives`);
    assert.ok(maxAbsDiff(closed.gradients[1], grads[neg.name].dataSync() as Float32Array) < 1e-6, `${o.loss}: negatives`);
    tf.dispose([pos, neg, value, ...Object.values(grads), batch.target]);
  }
});

test("a user-movie model trains to the same numbers with its manual head as through the tape", async () => {
  // Two epochs of `task` on a small model, with its manual head or (as a model without one) through the tape.
  const train = async (manual: boolean, task: Task, model: Partial<UserMovieModelOptions>, table: string) => {
    const m = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 4, seed: 2, l2: 1e-3, ...model });
    if (!manual) Object.defineProperty(m, "manualHead", { value: null });
    const h = await fit(m, task, { epochs: 2, batchSize: 16, seed: 1, progress: "none", validate: false });
    const w = m.weight(table).data;
    m.dispose();
    return { losses: h.epochs.map((e) => e.loss), w };
  };
  const cases = [
    { name: "mse", task: () => ratingTask(ds, { train: split.train }), model: { offset: 3.5 }, table: "movie_embedding" },
    {
      name: "bce",
      task: () => ratingTask(ds, { train: split.train, loss: "bce" }),
      model: { output: "sigmoid" as const },
      table: "movie_embedding",
    },
    // BPR reads two index sets (positives, negatives): the manual head runs on each.
    { name: "BPR", task: () => implicitTask(ds, { train: split.train, threshold: null, seed: 3 }), model: {}, table: "user_embedding" },
  ];
  for (const c of cases) {
    const a = await train(true, c.task(), c.model, c.table);
    const b = await train(false, c.task(), c.model, c.table);
    a.losses.forEach((l, i) => assert.ok(Math.abs(l - b.losses[i]) < 1e-6, `${c.name} epoch ${i + 1}: ${l} vs ${b.losses[i]}`));
    assert.ok(maxAbsDiff(a.w, b.w) < 1e-5, `${c.name}: ${c.table} after training`);
  }
});

test("the rating-class task's closed-form output gradient equals its loss and the tape's gradient", () => {
  const task = ratingClassTask(ds, { train: split.train });
  const batch = task.batch(
    Int32Array.from({ length: 12 }, (_, i) => i),
    "train",
  );
  const p = tf.variable(tf.softmax(tf.randomNormal([12, task.classes.length], 0, 2, "float32", 5)));
  const { value, grads } = tf.variableGrads(() => task.loss(() => p, batch), [p]);
  const closed = task.outputGradient!([p.dataSync() as Float32Array], batch);
  assert.ok(Math.abs(closed.loss - value.dataSync()[0]) < 1e-5);
  assert.ok(maxAbsDiff(closed.gradients[0], grads[p.name].dataSync() as Float32Array) < 1e-5);
  tf.dispose([p, value, ...Object.values(grads), batch.target, ...(batch.aux ?? [])]);
});
