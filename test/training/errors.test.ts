// Clear errors for bad training inputs: task factories' missing or bad options, truncated or padded weights.bin, and an exploding loss.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadDataset } from "../../src/data";
import { Dataset } from "../../src/data/types";
import { userMovieModel } from "../../src/models/user-movie";
import { loadModel, saveModel } from "../../src/training/checkpoint";
import { FitOptions, TrainingDivergedError, fit } from "../../src/training/fit";
import { ImplicitTaskOptions, implicitTask } from "../../src/training/tasks/implicit";
import { MovieGenreTaskOptions, movieGenreTask } from "../../src/training/tasks/movie-genre";
import { RatingClassTaskOptions, ratingClassTask } from "../../src/training/tasks/rating-classes";
import { RatingTarget, RatingTaskOptions, ratingTask, ratingTransform } from "../../src/training/tasks/ratings";
import { Movies } from "../../src/data/types";
import { Task } from "../../src/training/task";
import { RecModel } from "../../src/models/base";
import { tinyDataset, tinySplit } from "../helpers/tiny";

const ds = tinyDataset({ users: 30, movies: 40, seed: 5 });
const split = tinySplit(ds, 3);
const n = ds.ratings.length;
// Bad inputs, typed as what the factories accept so the calls compile (a notebook user gets no such check at run time).
const bad = <T>(v: unknown): T => v as T;

test("every task factory names its missing required option, at construction", async () => {
  assert.throws(() => ratingTask(ds, bad<RatingTaskOptions>({ validation: split.test })), {
    name: "TypeError",
    message: 'ratingTask: option "train" is required (the indices of the training ratings)',
  });
  // What used to fail inside fit with "Cannot read properties of undefined (reading 'length')".
  const m = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 3, seed: 1 });
  await assert.rejects(
    async () => fit(m, ratingTask(ds, bad<RatingTaskOptions>({})), { epochs: 1, batchSize: 16, seed: 1, progress: "none" }),
    /ratingTask: option "train" is required/,
  );
  m.dispose();
  assert.throws(
    () => ratingClassTask(ds, bad<RatingClassTaskOptions>({})),
    /^TypeError: ratingClassTask: option "train" is required \(the indices of the training ratings\)$/,
  );
  assert.throws(
    () => implicitTask(ds, bad<ImplicitTaskOptions>({ seed: 1 })),
    /^TypeError: implicitTask: option "train" is required \(the indices of the training ratings\)$/,
  );
  assert.throws(
    () => implicitTask(ds, bad<ImplicitTaskOptions>({ train: split.train })),
    /^TypeError: implicitTask: option "seed" is required/,
  );
  assert.throws(() => movieGenreTask(ds.movies, bad<MovieGenreTaskOptions>({})), /^TypeError: movieGenreTask: option "seed" is required/);
  assert.throws(() => ratingTransform(ds, bad<Int32Array>(undefined), "raw"), /^TypeError: ratingTransform: argument "train" is required/);
  // No options object at all.
  assert.throws(
    () => ratingTask(ds, bad<RatingTaskOptions>(undefined)),
    /^TypeError: ratingTask: the options argument is required \(\{ train, .*\}\), got undefined$/,
  );
  assert.throws(() => ratingClassTask(ds, bad<RatingClassTaskOptions>(undefined)), /ratingClassTask: the options argument is required/);
  assert.throws(() => implicitTask(ds, bad<ImplicitTaskOptions>(null)), /implicitTask: the options argument is required .* got null/);
  assert.throws(() => movieGenreTask(ds.movies, bad<MovieGenreTaskOptions>(undefined)), /movieGenreTask: the options argument is required/);
});

test("task factories reject wrong types, lengths, values and out-of-range indices, naming the argument", () => {
  // Index arrays: type, range (both ends), for train and validation, in every factory that takes them.
  assert.throws(
    () => ratingTask(ds, { train: bad<Int32Array>([0, 1, 2]) }),
    /^TypeError: ratingTask: option "train" must be an Int32Array of rating indices, got an Array of 3 \(use Int32Array\.from\(\.\.\.\)\)$/,
  );
  assert.throws(
    () => ratingTask(ds, { train: bad<Int32Array>(Float64Array.of(0, 1)) }),
    /option "train" must be an Int32Array of rating indices, got a Float64Array/,
  );
  assert.throws(
    () => ratingTask(ds, { train: split.train, validation: Int32Array.of(0, n) }),
    new RegExp(
      `^RangeError: ratingTask: option "validation" has index ${n} at position 1, outside the dataset's ${n} ratings \\(0\\.\\.${n - 1}\\)$`,
    ),
  );
  assert.throws(
    () => ratingClassTask(ds, { train: Int32Array.of(3, -1) }),
    /ratingClassTask: option "train" has index -1 at position 1, outside the dataset's \d+ ratings/,
  );
  assert.throws(
    () => ratingClassTask(ds, { train: split.train, validation: bad<Int32Array>("test") }),
    /ratingClassTask: option "validation" must be an Int32Array of rating indices, got "test"/,
  );
  assert.throws(
    () => implicitTask(ds, { train: Int32Array.of(n + 5), seed: 1 }),
    /implicitTask: option "train" has index \d+ at position 0/,
  );
  assert.throws(() => ratingTransform(ds, Int32Array.of(n), "raw"), /ratingTransform: argument "train" has index \d+ at position 0/);
  // Enumerations and numbers.
  assert.throws(
    () => ratingTask(ds, { train: split.train, target: bad<RatingTarget>("stars") }),
    /^RangeError: ratingTask: option "target" must be one of "raw", "minmax", "movie-mean", "global-mean", got "stars"$/,
  );
  assert.throws(
    () => ratingTask(ds, { train: split.train, loss: bad<"mse">("mae") }),
    /ratingTask: option "loss" must be one of "mse", "bce", got "mae"/,
  );
  assert.throws(() => ratingTransform(ds, split.train, bad<RatingTarget>("z")), /ratingTransform: argument "kind" must be one of/);
  assert.throws(
    () => implicitTask(ds, { train: split.train, seed: 1, loss: bad<"bpr">("bce") }),
    /implicitTask: option "loss" must be one of "bpr", "sampled", got "bce"/,
  );
  assert.throws(
    () => implicitTask(ds, { train: split.train, seed: 1, loss: "sampled", negatives: 0 }),
    /implicitTask: option "negatives" must be a positive integer, got 0/,
  );
  assert.throws(
    () => implicitTask(ds, { train: split.train, seed: 1, threshold: bad<number>("4") }),
    /implicitTask: option "threshold" must be a rating \(a finite number\) or null, got "4"/,
  );
  assert.throws(
    () => implicitTask(ds, { train: split.train, seed: NaN }),
    /^RangeError: implicitTask: option "seed" must be a finite number, got NaN$/,
  );
  assert.throws(
    () => movieGenreTask(ds.movies, { seed: 1, negativeRatio: -1 }),
    /movieGenreTask: option "negativeRatio" must be a non-negative integer, got -1/,
  );
  assert.throws(
    () => movieGenreTask(ds.movies, { seed: 1, validationFraction: 1 }),
    /movieGenreTask: option "validationFraction" must be in \[0, 1\), got 1/,
  );
  // Sessions: type and length.
  assert.throws(
    () => ratingTask(ds, { train: split.train, sessions: bad<Int32Array>(new Float32Array(n)) }),
    /ratingTask: option "sessions" must be an Int32Array \(ratingSessions\(ds\)\.session\), got a Float32Array/,
  );
  assert.throws(
    () => ratingTask(ds, { train: split.train, sessions: new Int32Array(n - 1) }),
    /ratingTask: sessions has \d+ entries for \d+ ratings/,
  );
  // The data argument itself.
  assert.throws(
    () => ratingTask(bad<Dataset>(undefined), { train: split.train }),
    /^TypeError: ratingTask: argument "ds" must be a Dataset \(from loadDataset\), got undefined$/,
  );
  assert.throws(() => ratingClassTask(bad<Dataset>(ds.movies), { train: split.train }), /ratingClassTask: argument "ds" must be a Dataset/);
  assert.throws(
    () => implicitTask(bad<Dataset>({}), { train: split.train, seed: 1 }),
    /implicitTask: argument "ds" must be a Dataset .*got an object with keys \(none\)/,
  );
  assert.throws(
    () => movieGenreTask(bad<Movies>(ds), { seed: 1 }),
    /movieGenreTask: argument "movies" must be a movie table: pass the dataset's movies \(ds\.movies\), not the dataset/,
  );
  // Valid options still build, with null and undefined meaning "absent" as before.
  assert.equal(ratingTask(ds, { train: split.train, validation: bad<Int32Array>(null) }).validationSize, 0);
  assert.equal(implicitTask(ds, { train: split.train, seed: 1, threshold: null }).trainSize, split.train.length);
});

test("fit names a bad model, task or maxLoss", async () => {
  const m = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 3, seed: 1 });
  const opts: FitOptions = { epochs: 1, batchSize: 16, seed: 1, progress: "none" };
  await assert.rejects(
    fit(m, bad<Task>(undefined), opts),
    /^TypeError: fit: argument "task" must be a task \(e\.g\. from ratingTask\), got undefined$/,
  );
  await assert.rejects(fit(bad<RecModel>({}), ratingTask(ds, { train: split.train }), opts), /fit: argument "model" must be a model/);
  const task = ratingTask(ds, { train: split.train });
  await assert.rejects(
    fit(m, { ...task, trainSize: NaN }, opts),
    /fit: task "ratings \(MSE on raw targets\)" has trainSize NaN; it must be a non-negative integer/,
  );
  for (const maxLoss of [0, -1, NaN]) {
    await assert.rejects(fit(m, task, { ...opts, maxLoss }), /fit: maxLoss must be a positive number \(Infinity turns the check off\)/);
  }
  m.dispose();
});

test("loadModel names weights.bin and the expected and found bytes when the file is truncated or too long", async () => {
  const m = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 5, seed: 8, offset: 3 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-weights-"));
  try {
    const target = path.join(dir, "m");
    await saveModel(m, target, { dataset: ds.name, userIds: Array.from(ds.userIds), movieIds: Array.from(ds.movies.ids) });
    const file = path.join(target, "weights.bin");
    const original = fs.readFileSync(file);
    // float32 weights: the two embedding tables and the two bias tables.
    const expected = (ds.numUsers + ds.numMovies) * (5 + 1) * 4;
    assert.equal(original.length, expected);
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    // 100 bytes is 25 float32 values (TF.js said "the tensor should have N values but has 25"); 25 bytes is not whole values.
    for (const found of [100, 25]) {
      fs.writeFileSync(file, original.subarray(0, found));
      await assert.rejects(
        loadModel(target),
        new RegExp(
          `^Error: loadModel: ${esc(file)} is truncated: the weights manifest in model\\.json \\(4 weights\\) expects ${expected} bytes, found ${found} bytes\\. `,
        ),
      );
    }
    fs.writeFileSync(file, Buffer.concat([original, Buffer.alloc(8)]));
    await assert.rejects(
      loadModel(target),
      new RegExp(
        `^Error: loadModel: ${esc(file)} is too long: the weights manifest in model\\.json \\(4 weights\\) expects ${expected} bytes, found ${expected + 8} bytes\\. `,
      ),
    );
    fs.writeFileSync(file, original);
    const { model: back } = await loadModel(target);
    assert.deepEqual(Array.from(back.weight("user_embedding").data), Array.from(m.weight("user_embedding").data));
    back.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    m.dispose();
  }
});

let real: Dataset | null = null;
/** The committed ml-latest-small (real ratings, 0.5–5 stars) and a seeded slice of 4,000 of its ratings. */
async function realData(): Promise<{ ds: Dataset; train: Int32Array }> {
  real ??= await loadDataset(undefined, { movielensDir: null });
  return { ds: real, train: tinySplit(real, 7).train.slice(0, 4000) };
}

test("an exploding loss (learning rate 1e6) stops training with the epoch, batch and maxLoss, under sparse and dense updates", async () => {
  const { ds: ml, train } = await realData();
  const make = () => userMovieModel({ numUsers: ml.numUsers, numMovies: ml.numMovies, dim: 8, seed: 1, offset: 3.5 });
  const base: FitOptions = { epochs: 3, batchSize: 256, seed: 1, learningRate: 1e6, progress: "none" };
  const explodes = (limit: string) => (err: unknown) => {
    assert.ok(err instanceof TrainingDivergedError, String(err));
    assert.match(
      err.message,
      new RegExp(
        `^training diverged: the loss reached \\d\\.\\d\\de\\+\\d+ at epoch 1, batch 2, above maxLoss ${limit}\\. Try a lower learning rate or stronger L2 \\(fit's maxLoss option sets the limit; Infinity turns it off\\)\\.$`,
      ),
    );
    assert.ok(Number.isFinite(err.loss) && err.loss > 1e8, `loss ${err.loss}`);
    assert.deepEqual([err.epoch, err.batch], [0, 1]);
    return true;
  };
  for (const updates of ["sparse", "dense"] as const) {
    for (const optimizer of ["adam", "adagrad"] as const) {
      const m = make();
      await assert.rejects(
        fit(m, ratingTask(ml, { train }), { ...base, updates, optimizer }),
        explodes("1\\.00e\\+8"),
        `${updates} ${optimizer}`,
      );
      m.dispose();
    }
  }
  // The implicit task (two index sets per batch, through the gradient tape) reaches the same check.
  const imp = userMovieModel({ numUsers: ml.numUsers, numMovies: ml.numMovies, dim: 8, seed: 1 });
  await assert.rejects(fit(imp, implicitTask(ml, { train, seed: 1, threshold: null }), base), explodes("1\\.00e\\+8"));
  imp.dispose();
  // An explicit limit is used as given.
  const m = make();
  await assert.rejects(fit(m, ratingTask(ml, { train }), { ...base, maxLoss: 1e3 }), explodes("1\\.00e\\+3"));
  m.dispose();
});

test("a healthy run is unaffected by the loss limit; maxLoss: Infinity turns it off", async () => {
  const { ds: ml, train } = await realData();
  const run = async (o: Partial<FitOptions>) => {
    const m = userMovieModel({
      numUsers: ml.numUsers,
      numMovies: ml.numMovies,
      dim: 8,
      seed: 2,
      ...(o.learningRate === 1e6 ? { offset: 3.5 } : {}),
    });
    const h = await fit(m, ratingTask(ml, { train }), {
      epochs: 3,
      batchSize: 256,
      seed: 2,
      learningRate: 0.01,
      progress: "none",
      validate: false,
      ...o,
    });
    m.dispose();
    return h.epochs.map((e) => e.loss);
  };
  // No offset: the first losses are the largest a healthy MSE run of the lab sees (about 13 on 0.5-5 stars).
  const healthy = await run({});
  assert.ok(healthy[0] > 5 && healthy[2] < healthy[0], `losses ${healthy.join(", ")}`);
  assert.deepEqual(await run({ maxLoss: Infinity }), healthy, "the default limit changed a healthy run's numbers");
  assert.deepEqual(await run({ updates: "dense", maxLoss: Infinity }), await run({ updates: "dense" }));
  // With the check off, a diverging run goes on until the loss overflows or the epochs end.
  await assert.rejects(
    run({ learningRate: 1e6, optimizer: "sgd", maxLoss: Infinity }),
    /the loss became (Infinity|NaN) at epoch \d+, batch \d+/,
  );
  const exploded = await run({ learningRate: 1e6, epochs: 1, maxLoss: Infinity });
  assert.ok(exploded[0] > 1e8, `adam at 1e6 without a limit: loss ${exploded[0]}`);
});
