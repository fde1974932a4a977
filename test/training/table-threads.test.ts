// Tests the table worker of sparse updates (training/table-threads.ts): sharing a model's tables with a second thread trains the same numbers bit for bit (manual and tape heads, lazy and dense rows, two index sets, frozen and anchored tables), a batch too large for its buffers runs here alone, a bad id is reported as on one thread, and the tables are split by width.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ml100k } from "../helpers/movielens";
import { Dataset } from "../../src/data/types";
import { RecModel } from "../../src/models/base";
import { movieGenreModel } from "../../src/models/movie-genre";
import { userMovieModel } from "../../src/models/user-movie";
import { SparseTableUpdater } from "../../src/training/sparse";
import { Task, TaskBatch, disposeBatch } from "../../src/training/task";
import { workerTables } from "../../src/training/table-threads";
import { implicitTask } from "../../src/training/tasks/implicit";
import { movieGenreTask } from "../../src/training/tasks/movie-genre";
import { ratingTask } from "../../src/training/tasks/ratings";
import { Rng } from "../../src/util/random";

interface Run {
  losses: number[];
  tables: Float32Array[];
  twoThreadSteps: number;
}

/** Trains a fresh model for `sizes.length` steps (batch k has `sizes[k]` units, in a seeded order) on one or two threads. */
function run(build: () => RecModel, task: Task, threads: 1 | 2, sizes: number[], rows: "lazy" | "dense" = "lazy"): Run {
  const model = build();
  const updater = new SparseTableUpdater(model, "adam", 0.01, rows, null, threads);
  const order = new Rng(11).permutation(task.trainSize);
  const batches: TaskBatch[] = [];
  let at = 0;
  for (const n of sizes) {
    batches.push(task.batch(order.subarray(at, at + n), "train"));
    at += n;
  }
  try {
    if (threads === 2) assert.equal(updater.waitForTableWorker(60_000, batches[0]), true, "the table worker did not start");
    const losses = batches.map((b) => updater.step(task, b));
    updater.sync();
    return {
      losses,
      tables: model.tables.map((t) => Float32Array.from(model.tableVariable(t.layer).dataSync() as Float32Array)),
      twoThreadSteps: updater.twoThreadSteps,
    };
  } finally {
    updater.stop();
    batches.forEach(disposeBatch);
    model.dispose();
  }
}

/** One thread and two: the same losses and tables, bit for bit, with the worker in `shared` of the steps. */
function assertSame(build: () => RecModel, task: Task, sizes: number[], rows: "lazy" | "dense" = "lazy", shared = sizes.length): void {
  const one = run(build, task, 1, sizes, rows);
  const two = run(build, task, 2, sizes, rows);
  assert.equal(one.twoThreadSteps, 0);
  assert.equal(two.twoThreadSteps, shared, "steps the worker took part in");
  assert.deepEqual(two.losses, one.losses);
  assert.ok(one.losses.every(Number.isFinite));
  one.tables.forEach((t, i) => assert.ok(Buffer.from(t.buffer).equals(Buffer.from(two.tables[i].buffer)), `table ${i} differs`));
  // The tables moved: a test of nothing would pass the comparison too.
  const start = build();
  const before = start.tables.map((t) => start.tableVariable(t.layer).dataSync() as Float32Array);
  assert.ok(
    one.tables.some((t, i) => t.some((x, j) => x !== before[i][j])),
    "training changed no table",
  );
  start.dispose();
}

let data: Dataset;
const stage1 = (ds: Dataset, dim: number) => ({
  data: Float32Array.from({ length: ds.numMovies * dim }, (_, i) => Math.sin(i) * 0.1),
  rows: ds.numMovies,
  cols: dim,
});

test("stage 2 (manual head, biases, L2 anchored to stage 1): two threads train what one does, lazy and dense rows", async () => {
  data = await ml100k();
  const train = new Rng(3).permutation(data.ratings.length).slice(0, 6000);
  const task = ratingTask(data, { train });
  const build = () =>
    userMovieModel({
      numUsers: data.numUsers,
      numMovies: data.numMovies,
      dim: 8,
      seed: 1,
      offset: 3.5,
      l2: 0.05,
      movieEmbeddings: stage1(data, 8),
      movieInit: "anchored",
    });
  assertSame(build, task, [512, 512, 512, 256]);
  assertSame(build, task, [512, 512, 512, 256], "dense");
});

test("a frozen movie table and a task with two index sets (BPR's positives and negatives) train the same on two threads", () => {
  const train = new Rng(4).permutation(data.ratings.length).slice(0, 6000);
  const frozen = () =>
    userMovieModel({
      numUsers: data.numUsers,
      numMovies: data.numMovies,
      dim: 8,
      seed: 2,
      movieEmbeddings: stage1(data, 8),
      movieInit: "frozen",
    });
  assertSame(frozen, ratingTask(data, { train }), [400, 400, 400]);
  const bpr = implicitTask(data, { train, seed: 5 });
  const plain = () => userMovieModel({ numUsers: data.numUsers, numMovies: data.numMovies, dim: 8, seed: 3, biases: "none" });
  assertSame(plain, bpr, [300, 300, 300]);
});

test("stage 1 (through the gradient tape, one tensor per table) trains the same on two threads", () => {
  const task = movieGenreTask(data.movies, { seed: 6 });
  const build = () =>
    movieGenreModel({ numMovies: data.numMovies, numGenres: data.movies.genreVocabulary.length, dim: 8, seed: 4, l2: 0.01 });
  assertSame(build, task, [256, 256, 256]);
});

test("a batch larger than the worker's buffers runs on this thread alone, with the same numbers", () => {
  const train = new Rng(5).permutation(data.ratings.length).slice(0, 4000);
  const build = () => userMovieModel({ numUsers: data.numUsers, numMovies: data.numMovies, dim: 8, seed: 1, offset: 3.5 });
  // The buffers are made for the first batch (200 examples): the 400-example batch cannot be split.
  assertSame(build, ratingTask(data, { train }), [200, 400, 200], "lazy", 2);
});

test("a bad id in the worker's table is reported as on one thread, naming the table", () => {
  const model = userMovieModel({ numUsers: data.numUsers, numMovies: data.numMovies, dim: 8, seed: 1, biases: "none" });
  const task = ratingTask(data, { train: Int32Array.from({ length: 64 }, (_, i) => i) });
  const good = task.batch(
    Int32Array.from({ length: 64 }, (_, i) => i),
    "train",
  );
  const bad = task.batch(
    Int32Array.from({ length: 64 }, (_, i) => i),
    "train",
  );
  // Which table the worker takes is its business; break both inputs' ids, so whichever it runs sees one.
  bad.ids[0][0][3] = data.numUsers + 5;
  bad.ids[0][1][3] = data.numMovies + 5;
  const updater = new SparseTableUpdater(model, "adam", 0.01, "lazy", null, 2);
  try {
    assert.equal(updater.waitForTableWorker(60_000, good), true);
    assert.throws(
      () => updater.step(task, bad),
      (e: unknown) => e instanceof RangeError && /_embedding: id \d+ out of range 0\.\.\d+/.test(e.message),
    );
  } finally {
    updater.stop();
    disposeBatch(good);
    disposeBatch(bad);
    model.dispose();
  }
});

test("the worker takes the tables that balance the work by width, and none when one thread would get everything", () => {
  const t = (dim: number, trainable = true) => ({ dim, trainable });
  // Two 32-wide tables and two biases: one wide table and one bias each.
  assert.deepEqual([...workerTables([t(32), t(32), t(1), t(1)])].sort(), [0, 2]);
  // A frozen table costs a third of a trained one of its width.
  assert.deepEqual([...workerTables([t(30), t(30, false), t(30, false), t(30, false)])].sort(), [0]);
  assert.deepEqual([...workerTables([t(16)])], []);
  assert.deepEqual([...workerTables([])], []);
});
