// Stage 1's task: (movie, genre) pairs labelled 1 when the movie has the genre, with seeded negatives, under binary cross-entropy.
import { tf } from "../../backend";
import { Movies } from "../../data/types";
import { RecModel } from "../../models/base";
import { Rng } from "../../util/random";
import { Forward, Task, TaskBatch, TaskMetric } from "../task";
import { checkMovies, describe, requireOptions, requireSeed } from "./args";

/** Options for {@link movieGenreTask}. */
export interface MovieGenreTaskOptions {
  /** Negative pairs per positive pair (default 1: balanced). */
  negativeRatio?: number;
  /** Fraction of positive pairs held out for validation (default 0.1). */
  validationFraction?: number;
  seed: number;
}

/** All positive (movie, genre) pairs of a catalogue, from its multi-hot genre matrix. */
export function positivePairs(movies: Movies): { movie: Int32Array; genre: Int32Array } {
  const g = movies.genreVocabulary.length;
  const n = movies.ids.length;
  let count = 0;
  for (let i = 0; i < n * g; i++) count += movies.genreMatrix[i] ? 1 : 0;
  const movie = new Int32Array(count);
  const genre = new Int32Array(count);
  let k = 0;
  for (let m = 0; m < n; m++) {
    for (let j = 0; j < g; j++) {
      if (movies.genreMatrix[m * g + j]) {
        movie[k] = m;
        genre[k] = j;
        k++;
      }
    }
  }
  return { movie, genre };
}

/** The stage 1 task, with `movieGenreTask(...).pairs` exposing the pairs it trains on. */
export interface MovieGenreTask extends Task {
  readonly numGenres: number;
  readonly negativeRatio: number;
  /** The training positive pairs. */
  readonly pairs: { movie: Int32Array; genre: Int32Array };
  /** Materialises the current epoch's labelled pairs (positives and negatives), e.g. for inspection in a notebook. */
  labelledPairs(): { movie: Int32Array; genre: Int32Array; label: Float32Array };
}

/**
 * Stage 1's task. A training unit is a positive pair plus `negativeRatio` negatives (the same movie with genres it
 * lacks, resampled every epoch from the loop's seeded generator), so every batch keeps the same positive:negative
 * balance. Validation uses held-out positives with negatives drawn once from `seed`.
 */
export function movieGenreTask(movies: Movies, options: MovieGenreTaskOptions): MovieGenreTask {
  const F = "movieGenreTask";
  checkMovies(F, movies);
  requireOptions(F, options, "{ seed, negativeRatio?, validationFraction? }");
  const seed = requireSeed(F, options.seed);
  const r = options.negativeRatio ?? 1;
  if (!(Number.isInteger(r) && r >= 0))
    throw new RangeError(`movieGenreTask: option "negativeRatio" must be a non-negative integer, got ${describe(r)}`);
  const vf = options.validationFraction ?? 0.1;
  if (!(typeof vf === "number" && vf >= 0 && vf < 1))
    throw new RangeError(`movieGenreTask: option "validationFraction" must be in [0, 1), got ${describe(vf)}`);
  const G = movies.genreVocabulary.length;
  if (G < 2) throw new Error(`the catalogue has ${G} genre(s); stage 1 needs at least 2`);
  const all = positivePairs(movies);
  if (all.movie.length === 0) throw new Error("no movie has a genre: stage 1 has nothing to learn");
  const rng = new Rng(seed);
  const perm = rng.permutation(all.movie.length);
  const nVal = Math.floor(all.movie.length * vf);
  const pick = (from: number, to: number): { movie: Int32Array; genre: Int32Array } => {
    const idx = perm.subarray(from, to);
    const movie = new Int32Array(idx.length);
    const genre = new Int32Array(idx.length);
    idx.forEach((p, k) => {
      movie[k] = all.movie[p];
      genre[k] = all.genre[p];
    });
    return { movie, genre };
  };
  const val = pick(0, nVal);
  const train = pick(nVal, all.movie.length);
  const lacks = (m: number, g: number): boolean => movies.genreMatrix[m * G + g] === 0;
  const sampleNegatives = (pos: Int32Array, gen: Rng): Int32Array => {
    const out = new Int32Array(pos.length * r).fill(-1);
    for (let k = 0; k < pos.length; k++) {
      const m = pos[k];
      for (let j = 0; j < r; j++) {
        for (let tries = 0; tries < 64; tries++) {
          const g = gen.int(G);
          if (lacks(m, g)) {
            out[k * r + j] = g;
            break;
          }
        }
      }
    }
    return out;
  };
  let trainNeg = sampleNegatives(train.movie, new Rng(seed + 1));
  const valNeg = sampleNegatives(val.movie, new Rng(seed + 2));

  const build = (src: { movie: Int32Array; genre: Int32Array }, neg: Int32Array, units: Int32Array): TaskBatch => {
    const size = units.length * (1 + r);
    const movie = new Int32Array(size);
    const genre = new Int32Array(size);
    const label = new Float32Array(size);
    let k = 0;
    for (let i = 0; i < units.length; i++) {
      const u = units[i];
      movie[k] = src.movie[u];
      genre[k] = src.genre[u];
      label[k++] = 1;
      for (let j = 0; j < r; j++) {
        const g = neg[u * r + j];
        if (g < 0) continue; // the movie has every genre: no negative exists
        movie[k] = src.movie[u];
        genre[k] = g;
        label[k++] = 0;
      }
    }
    return {
      ids: [[movie.subarray(0, k), genre.subarray(0, k)]],
      target: tf.tensor2d(label.subarray(0, k), [k, 1]),
      size: k,
    };
  };

  const metrics: TaskMetric[] = [
    {
      name: "accuracy",
      perExample: (_m, batch, out) => tf.equal(tf.greater(out, 0.5), tf.greater(batch.target, 0.5)).cast("float32").reshape([-1]),
    },
  ];

  return {
    name: "stage 1: movie–genre",
    trainSize: train.movie.length,
    validationSize: val.movie.length,
    examplesPerUnit: 1 + r,
    numGenres: G,
    negativeRatio: r,
    pairs: train,
    metrics,
    beginEpoch(epoch: number, loopRng: Rng): void {
      if (epoch > 0) trainNeg = sampleNegatives(train.movie, loopRng.fork());
    },
    batch(units, which) {
      return which === "train" ? build(train, trainNeg, units) : build(val, valNeg, units);
    },
    loss(forward: Forward, batch: TaskBatch): tf.Scalar {
      return tf.losses.logLoss(batch.target, forward(0), undefined, 1e-7) as tf.Scalar;
    },
    check(model: RecModel): void {
      if (model.kind !== "movie-genre") throw new Error(`the movie–genre task needs a movie-genre model, got ${model.kind}`);
    },
    labelledPairs() {
      const units = new Int32Array(train.movie.length).map((_, i) => i);
      const b = build(train, trainNeg, units);
      const out = { movie: b.ids[0][0], genre: b.ids[0][1], label: b.target.dataSync() as Float32Array };
      b.target.dispose();
      return out;
    },
  };
}
