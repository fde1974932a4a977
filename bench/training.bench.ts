// Training throughput (ratings/s) of every model on ml-100k and synthetic ML-1M/ML-25M-shaped data, against Keras training the same model at the same batch size on the same data in the same run.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadDataset } from "../src/data/load";
import { generateSyntheticDataset } from "../src/data/synthetic";
import { Dataset } from "../src/data/types";
import { RecModel } from "../src/models/base";
import { denseClassModel } from "../src/models/dense-classes";
import { movieGenreModel } from "../src/models/movie-genre";
import { userMovieModel } from "../src/models/user-movie";
import { sasrecModel } from "../src/models/sasrec";
import { leaveLastOutSplit } from "../src/data/sequences";
import { SASREC_DEFAULTS } from "../src/experiments/sasrec-recipe";
import { nextMovieTask } from "../src/training/tasks/next-movie";
import { fit } from "../src/training/fit";
import { defaultTrainingThreads } from "../src/util/worker";
import { movieGenreTask, positivePairs } from "../src/training/tasks/movie-genre";
import { ratingClasses, ratingClassTask } from "../src/training/tasks/rating-classes";
import { ratingTask } from "../src/training/tasks/ratings";
import { Task } from "../src/training/task";
import { Rng } from "../src/util/random";
import { BenchRecord, movielensDir, record, benchPython } from "./lib";

export const name = "training";

const root = path.resolve(__dirname, "..");
/** Epochs per run: the first is dropped (warm-up) and the median of the rest is reported. Fewer on the 25M-shaped tables, where Keras and the dense runs are slow. */
const EPOCHS_SMALL = 7;
const EPOCHS_LARGE = 3;

/** One model configuration, defined once for both TF.js and Keras. */
interface Case {
  /** Stable id (the registry id of the model whose architecture this is). */
  id: string;
  /** Display label in the results. */
  label: string;
  keras: "dot-bias-sigmoid" | "dot-bias-linear" | "dot" | "dense-classes" | "movie-genre";
  dim: number;
  batchSize: number;
  build(ds: Dataset): RecModel;
  task(ds: Dataset, train: Int32Array): Task;
  /** Index arrays and targets as Keras sees them. */
  arrays(
    ds: Dataset,
    train: Int32Array,
  ): { a: Int32Array; b: Int32Array; target: Float32Array; numA: number; numB: number; numClasses?: number };
}

function ratingArrays(ds: Dataset, train: Int32Array, target: (r: number) => number) {
  return {
    a: Int32Array.from(train, (i) => ds.ratings.user[i]),
    b: Int32Array.from(train, (i) => ds.ratings.movie[i]),
    target: Float32Array.from(train, (i) => target(ds.ratings.rating[i])),
    numA: ds.numUsers,
    numB: ds.numMovies,
  };
}

function cases(): Case[] {
  const minmax = (ds: Dataset) => (r: number) => (r - ds.ratingScale.min) / (ds.ratingScale.max - ds.ratingScale.min);
  return [
    {
      id: "dot-bias-bce",
      label: "Keras example: dot + biases, BCE (batch 64)",
      keras: "dot-bias-sigmoid",
      dim: 50,
      batchSize: 64,
      build: (ds) => userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 50, seed: 1, output: "sigmoid", l2: 1e-6 }),
      task: (ds, train) => ratingTask(ds, { train, loss: "bce" }),
      arrays: (ds, train) => ratingArrays(ds, train, minmax(ds)),
    },
    {
      id: "stage2",
      label: "stage 2 explicit (dot + biases + mean, MSE)",
      keras: "dot-bias-linear",
      dim: 32,
      batchSize: 1024,
      build: (ds) => userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 32, seed: 1, offset: 3.5, l2: 1e-6 }),
      task: (ds, train) => ratingTask(ds, { train }),
      arrays: (ds, train) => ratingArrays(ds, train, (r) => r),
    },
    {
      id: "dot64-mse",
      label: "64-d dot product, MSE",
      keras: "dot",
      dim: 64,
      batchSize: 1024,
      build: (ds) => userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 64, seed: 1, biases: "none" }),
      task: (ds, train) => ratingTask(ds, { train }),
      arrays: (ds, train) => ratingArrays(ds, train, (r) => r),
    },
    {
      id: "dense-rating-classifier",
      label: "dense rating classifier",
      keras: "dense-classes",
      dim: 32,
      batchSize: 1024,
      build: (ds) =>
        denseClassModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, numClasses: ratingClasses(ds).length, dim: 32, seed: 1 }),
      task: (ds, train) => ratingClassTask(ds, { train }),
      arrays: (ds, train) => {
        const cls = ratingClasses(ds);
        return { ...ratingArrays(ds, train, (r) => cls.indexOf(r)), numClasses: cls.length };
      },
    },
  ];
}

/** A seeded subset of `n` ratings (the tables keep the full dataset's size, which is what scales). */
function subset(ds: Dataset, n: number, seed: number): Int32Array {
  const perm = new Rng(seed).permutation(ds.ratings.length);
  return perm.slice(0, Math.min(n, perm.length));
}

function medianEpochRate(examples: number, epochSeconds: number[]): number {
  const rest = epochSeconds.length > 1 ? epochSeconds.slice(1) : epochSeconds;
  const s = [...rest].sort((a, b) => a - b)[Math.floor(rest.length / 2)];
  return examples / s;
}

async function ours(model: RecModel, task: Task, batchSize: number, updates: "sparse" | "dense" | "tfjs", epochs: number): Promise<number> {
  const h = await fit(model, task, { epochs, batchSize, learningRate: 1e-3, seed: 1, progress: "none", updates, validate: false });
  model.dispose();
  return medianEpochRate(
    task.trainSize * task.examplesPerUnit,
    h.epochs.map((e) => e.seconds),
  );
}

function keras(py: string, c: Case, arrays: ReturnType<Case["arrays"]>, tmp: string, epochs: number): number {
  const prefix = path.join(tmp, "data");
  fs.writeFileSync(`${prefix}.user.i32`, Buffer.from(arrays.a.buffer, arrays.a.byteOffset, arrays.a.byteLength));
  fs.writeFileSync(`${prefix}.movie.i32`, Buffer.from(arrays.b.buffer, arrays.b.byteOffset, arrays.b.byteLength));
  fs.writeFileSync(`${prefix}.target.f32`, Buffer.from(arrays.target.buffer, arrays.target.byteOffset, arrays.target.byteLength));
  const job = {
    data: prefix,
    model: c.keras,
    numUsers: arrays.numA,
    numMovies: arrays.numB,
    numClasses: arrays.numClasses,
    dim: c.dim,
    batchSize: c.batchSize,
    epochs,
    learningRate: 1e-3,
    l2: c.keras.startsWith("dot-bias") ? 1e-6 : 0,
    offset: c.keras === "dot-bias-linear" ? 3.5 : 0,
    seed: 1,
  };
  return fasterKeras(py, "train_reference.py", job, tmp, "examplesPerSecond", c.id);
}

/**
 * Runs a bench/python script on `job` twice, with TensorFlow's default intra-op threads and with one (the lab's default,
 * see src/backend.ts), and returns the faster rate (the result's `field`): that is the reference.
 */
function fasterKeras(py: string, script: string, job: object, tmp: string, field: string, what: string): number {
  const jobFile = path.join(tmp, "job.json");
  const resFile = path.join(tmp, "result.json");
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const rates = [undefined, "1"].map((threads) => {
    const env = { ...process.env };
    if (threads === undefined) delete env.TF_NUM_INTRAOP_THREADS;
    else env.TF_NUM_INTRAOP_THREADS = threads;
    fs.rmSync(resFile, { force: true });
    const r = spawnSync(py, [path.join(root, "bench", "python", script), jobFile, resFile], { encoding: "utf8", env });
    if (r.status !== 0) throw new Error(`Keras reference (${script}) failed for ${what}: ${r.stderr.slice(-2000)}`);
    return (JSON.parse(fs.readFileSync(resFile, "utf8")) as Record<string, number>)[field];
  });
  console.log(`      Keras: ${rates[0].toFixed(0)}/s with default threads, ${rates[1].toFixed(0)}/s with one intra-op thread`);
  return Math.max(...rates);
}

async function syntheticDataset(format: "ml-1m" | "ml-25m"): Promise<Dataset> {
  const dir = path.join(root, "data", "synthetic", format === "ml-1m" ? "ml-1m" : "ml-25m");
  if (!fs.existsSync(path.join(dir, format === "ml-1m" ? "ratings.dat" : "ratings.csv"))) {
    console.log(`  generating synthetic ${format} data in ${path.relative(root, dir)} (one-off)`);
    await generateSyntheticDataset({ format, dir, seed: 1 });
  }
  return loadDataset(format, { dir });
}

/** What the rating models' rates are measured against, and issue 17's goal for them. */
const KERAS_MODEL_REFERENCE = "Keras (tf-cpu, same model, batch, data; the faster of default and one intra-op thread)";
const MODEL_TRAINING_GOAL = ">= 1.5x Keras";

/** `--only models`: the rating and stage-1 tables; `--only sasrec`: SASRec against Keras. */
export const sections = ["models", "sasrec"] as const;

export async function run({ quick, only }: { quick: boolean; only?: string }): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const py = benchPython();
  if (!py) console.log("  Keras reference unavailable (bench/python/ensure_venv.sh failed); reporting TF.js only");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-training-"));
  if (only === "sasrec") {
    try {
      return [await sasrecSpeed(py, tmp, quick)];
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  // `stockOptimiser`: also time TF.js's own optimiser over whole tables (on the larger tables it rewrites every
  // embedding float and Adam's moments per step, minutes per epoch at batch 64).
  const datasets: { label: string; load: () => Promise<Dataset>; n: number; stockOptimiser?: boolean }[] = [
    { label: "ml-100k", load: () => loadDataset("ml-100k", { movielensDir: movielensDir() }), n: 100_000, stockOptimiser: true },
    { label: "synthetic ML-1M-shaped (6,040 users x 3,883 movies)", load: () => syntheticDataset("ml-1m"), n: quick ? 102_400 : 204_800 },
  ];
  // At ML-25M scale a dense step rewrites 11M embedding floats (and Adam's moments): fewer ratings keep the dense runs short.
  if (!quick)
    datasets.push({ label: "synthetic ML-25M-shaped (162,541 users x 62,423 movies)", load: () => syntheticDataset("ml-25m"), n: 51_200 });
  try {
    for (const d of datasets) {
      const ds = await d.load();
      const train = subset(ds, d.n, 7);
      const label = `${d.label}, ${train.length.toLocaleString("en-US")} training ratings per epoch`;
      console.log(`  ${label}`);
      const list = cases().filter((_, i) => !quick || i < 2);
      for (const c of list) {
        const epochs = ds.numUsers > 100_000 ? EPOCHS_LARGE : EPOCHS_SMALL;
        const sparse = await ours(c.build(ds), c.task(ds, train), c.batchSize, "sparse", epochs);
        // Dense updates step every row at every step, as Keras's optimiser does: the same update rule as the reference.
        const dense = await ours(c.build(ds), c.task(ds, train), c.batchSize, "dense", epochs);
        const stock = d.stockOptimiser ? await ours(c.build(ds), c.task(ds, train), c.batchSize, "tfjs", epochs) : NaN;
        const ref = py ? keras(py, c, c.arrays(ds, train), tmp, epochs) : null;
        console.log(
          `    ${c.label}: sparse ${sparse.toFixed(0)}/s, dense ${dense.toFixed(0)}/s${d.stockOptimiser ? `, TF.js optimiser ${stock.toFixed(0)}/s` : ""}${ref ? `, Keras ${ref.toFixed(0)}/s` : ""}`,
        );
        records.push(
          record({
            metric: `${c.label}: TF.js, sparse row updates`,
            value: sparse,
            unit: "ratings/s",
            reference: ref ? KERAS_MODEL_REFERENCE : null,
            referenceValue: ref,
            goal: MODEL_TRAINING_GOAL,
            dataset: label,
          }),
        );
        records.push(
          record({
            metric: `${c.label}: TF.js, dense updates (every row stepped, as Keras)`,
            value: dense,
            unit: "ratings/s",
            reference: ref ? KERAS_MODEL_REFERENCE : null,
            referenceValue: ref,
            goal: MODEL_TRAINING_GOAL,
            dataset: label,
          }),
        );
        if (d.stockOptimiser) {
          records.push(
            record({
              metric: `${c.label}: TF.js, dense updates (stock optimiser)`,
              value: stock,
              unit: "ratings/s",
              reference: ref ? KERAS_MODEL_REFERENCE : null,
              referenceValue: ref,
              goal: null,
              dataset: label,
            }),
          );
        }
      }
      // Stage 1 trains on movie–genre pairs: one positive + 4 negatives per unit.
      const pairs = positivePairs(ds.movies);
      if (pairs.movie.length > 0) {
        const s1 = movieGenreModel({ numMovies: ds.numMovies, numGenres: ds.movies.genreVocabulary.length, dim: 32, seed: 1 });
        const t = movieGenreTask(ds.movies, { seed: 1, negativeRatio: 4, validationFraction: 0 });
        const rate = await ours(s1, t, 256, "sparse", EPOCHS_SMALL);
        records.push(
          record({
            metric: "stage 1 movie–genre (pairs incl. 4 negatives, batch 256 groups)",
            value: rate,
            unit: "pairs/s",
            dataset: `${d.label}, ${t.trainSize.toLocaleString("en-US")} positive pairs`,
          }),
        );
      }
    }
    if (only !== "models") records.push(await sasrecSpeed(py, tmp, quick));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return records;
}

/**
 * SASRec training speed in sequences/s on ml-latest-small's leave-last-out training windows (the lab's defaults: L 50,
 * d 50, 2 blocks, batch 128), against bench/python/sasrec_reference.py training the same architecture on the same windows
 * (the faster of TF's default threads and one intra-op thread).
 */
async function sasrecSpeed(py: string | null, tmp: string, quick: boolean): Promise<BenchRecord> {
  const ds = await loadDataset("ml-latest-small");
  const split = leaveLastOutSplit(ds);
  const d = SASREC_DEFAULTS;
  const epochs = quick ? 3 : 5;
  const t = nextMovieTask(ds, { train: split.train, maxLength: d.maxLength, seed: 1 });
  const model = sasrecModel({ numMovies: ds.numMovies, maxLength: d.maxLength, dim: d.dim, blocks: d.blocks, dropout: d.dropout, seed: 1 });
  const h = await fit(model, t, {
    epochs,
    batchSize: d.batchSize,
    learningRate: d.learningRate,
    seed: 1,
    progress: "none",
  });
  model.dispose();
  console.log(`    SASRec epochs (s): ${h.epochs.map((e) => e.seconds.toFixed(2)).join(", ")}`);
  const rate = medianEpochRate(
    t.trainSize,
    h.epochs.map((e) => e.seconds),
  );
  let ref: number | null = null;
  if (py) {
    // One epoch's windows with their negatives, as the TF.js task makes them.
    t.beginEpoch!(0, new Rng(1));
    const b = t.batch(
      Int32Array.from({ length: t.trainSize }, (_, k) => k),
      "train",
    );
    const prefix = path.join(tmp, "sasrec");
    const [history, candidates] = b.ids[0];
    fs.writeFileSync(`${prefix}.history.i32`, Buffer.from(history.buffer, history.byteOffset, history.byteLength));
    fs.writeFileSync(`${prefix}.candidates.i32`, Buffer.from(candidates.buffer, candidates.byteOffset, candidates.byteLength));
    b.target.dispose();
    const job = {
      data: prefix,
      numMovies: ds.numMovies,
      maxLength: d.maxLength,
      dim: d.dim,
      blocks: d.blocks,
      dropout: d.dropout,
      batchSize: d.batchSize,
      epochs,
      learningRate: d.learningRate,
      seed: 1,
    };
    ref = fasterKeras(py, "sasrec_reference.py", job, tmp, "sequencesPerSecond", "SASRec");
  }
  console.log(`    SASRec: TF.js ${rate.toFixed(0)} sequences/s${ref ? `, Keras ${ref.toFixed(0)}/s` : ""}`);
  return record({
    metric: `SASRec (L 50, d 50, 2 blocks, batch 128): TF.js on ${defaultTrainingThreads()} thread(s), Adam on every weight (in JS)`,
    value: rate,
    unit: "sequences/s",
    reference: ref ? "Keras (tf-cpu, same architecture, batch and windows; the faster of default and one intra-op thread)" : null,
    referenceValue: ref,
    goal: ">= 1x Keras",
    dataset: `ml-latest-small leave-last-out training windows (${t.trainSize.toLocaleString("en-US")} of up to 50 transitions)`,
  });
}
