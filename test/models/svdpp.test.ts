// Tests SVD++: the fast path's loss and gradients against the TF.js tape on real ml-100k users, the TF.js and scorer predictions agreeing, seeded determinism, early stopping, option checks, and RMSE on ml-100k u1.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../../src/backend";
import { loadDataset } from "../../src/data/load";
import { predefinedSplit } from "../../src/data/splits";
import { Dataset } from "../../src/data/types";
import { predictHeldOut } from "../../src/evaluation/held-out";
import { mae, rmse } from "../../src/evaluation/rating-metrics";
import { fitBaselineBiases } from "../../src/models/baselines";
import {
  SvdppEpochLog,
  SvdppGradients,
  SvdppVariables,
  fitSvdpp,
  svdppLossAndGradients,
  svdppLossTf,
  svdppPredictTf,
  svdppScorer,
  svdppVariables,
} from "../../src/models/svdpp";
import { tinyDataset, tinySplit } from "../helpers/tiny";

const shared = process.env.MOVIELENS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "data", "movielens");
let cached: Promise<Dataset> | null = null;
function ml100k(): Promise<Dataset> {
  assert.ok(fs.existsSync(path.join(shared, "ml-100k")), `ml-100k not found under ${shared} (set MOVIELENS_DIR)`);
  return (cached ??= loadDataset("ml-100k", { movielensDir: shared }));
}

/** ‖a − b‖ / ‖b‖ (0 when both are zero). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let k = 0; k < b.length; k++) {
    diff += (a[k] - b[k]) ** 2;
    norm += b[k] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

test("the fast path's loss and gradients equal the TF.js tape's on a handful of real ml-100k users (with session biases)", async () => {
  const ds = await ml100k();
  const split = predefinedSplit(ds, "u1");
  // Two epochs from the seed: every parameter (y and the session biases included) is away from its initial value.
  const model = fitSvdpp(ds, split.train, { dim: 8, epochs: 2, seed: 5 });
  assert.ok(model.sessionBias && model.sessions);
  const users = new Set([0, 12, 99, 404, 917]);
  const batchIdx = split.train.filter((i) => users.has(ds.ratings.user[i]));
  assert.ok(batchIdx.length > 100, `${batchIdx.length} ratings`);
  const hyper = { l2: 0.07, implicitL2: 0.3, biasL2: 0.02, sessionL2: 0.11 }; // distinct weights, so a mix-up shows
  const fast = svdppLossAndGradients(model, hyper, ds.ratings, model.sessions, batchIdx);

  const batch = {
    user: Int32Array.from(batchIdx, (i) => ds.ratings.user[i]),
    movie: Int32Array.from(batchIdx, (i) => ds.ratings.movie[i]),
    session: Int32Array.from(batchIdx, (i) => model.sessions![i]),
    rating: Float32Array.from(batchIdx, (i) => ds.ratings.rating[i]),
  };
  const v = svdppVariables(model);
  try {
    const { value, grads } = tf.variableGrads(() => svdppLossTf(v, model, hyper, batch));
    const tapeLoss = value.dataSync()[0];
    assert.ok(Math.abs(fast.loss - tapeLoss) / tapeLoss < 1e-5, `loss ${fast.loss} vs tape ${tapeLoss}`);
    const names: [keyof SvdppGradients & keyof SvdppVariables][] = [
      ["userBias"],
      ["movieBias"],
      ["userFactors"],
      ["movieFactors"],
      ["implicitFactors"],
      ["sessionBias"],
    ];
    for (const [name] of names) {
      const variable = v[name]!;
      const tape = grads[variable.name].dataSync();
      const mine = fast.grads[name]!;
      assert.equal(mine.length, tape.length, name);
      let nonZero = 0;
      for (const g of tape) if (g !== 0) nonZero++;
      assert.ok(nonZero > 0, `${name}: the tape's gradient is all zero`);
      const err = relativeError(mine, tape);
      assert.ok(err < 1e-4, `${name}: relative error ${err}`);
    }
    tf.dispose([value, ...Object.values(grads)]);

    // The scorer and the TF.js formula predict the same ratings (scorer clips to 1..5).
    const predicted = svdppPredictTf(v, model, batch);
    const tfPred = predicted.dataSync();
    predicted.dispose();
    const scorerPred = svdppScorer(model).predictRatingsAt!(batchIdx);
    for (let k = 0; k < batchIdx.length; k++) {
      const expected = Math.min(5, Math.max(1, tfPred[k]));
      assert.ok(Math.abs(scorerPred[k] - expected) < 1e-4, `rating ${batchIdx[k]}: scorer ${scorerPred[k]} vs TF ${expected}`);
    }
  } finally {
    tf.dispose(Object.values(v).filter((x): x is tf.Variable => x !== null));
  }
});

test("the same seed gives the same parameters and predictions; another seed does not", () => {
  const ds = tinyDataset({ users: 40, movies: 50, density: 0.3, seed: 3 });
  const { train, test: held } = tinySplit(ds, 2);
  const fit = (seed: number) => fitSvdpp(ds, train, { dim: 6, epochs: 4, seed });
  const a = fit(11);
  const b = fit(11);
  const c = fit(12);
  for (const key of ["userBias", "movieBias", "userFactors", "movieFactors", "implicitFactors", "sessionBias"] as const) {
    assert.deepEqual(a[key], b[key], key);
  }
  assert.notDeepEqual(a.userFactors, c.userFactors);
  const pa = svdppScorer(a).predictRatingsAt!(held);
  assert.deepEqual(pa, svdppScorer(b).predictRatingsAt!(held));
  for (const p of pa) assert.ok(p >= 1 && p <= 5);
});

test("with validation ratings, training reports every epoch and keeps the best epoch's parameters", () => {
  const ds = tinyDataset({ users: 40, movies: 50, density: 0.3, seed: 3 });
  const { train, test: validation } = tinySplit(ds, 4);
  const logs: SvdppEpochLog[] = [];
  let ended = "";
  const model = fitSvdpp(ds, train, {
    dim: 6,
    epochs: 60,
    learningRate: 0.05,
    decay: 1,
    l2: 0,
    implicitL2: 0,
    validation,
    patience: 3,
    progress: { start: () => {}, batch: () => {}, epochEnd: (log) => logs.push(log), end: (_h, note) => (ended = note ?? "") },
  });
  assert.equal(logs.length, model.history.length);
  const best = model.history.reduce((x, y) => (y.valLoss! < x.valLoss! ? y : x));
  assert.equal(model.epochs, best.epoch + 1);
  const { predicted, actual } = predictHeldOut(ds, svdppScorer(model), validation);
  assert.ok(Math.abs(rmse(predicted, actual) - best.valLoss!) < 1e-5, `${rmse(predicted, actual)} vs ${best.valLoss}`);
  // Without L2 the tiny model overfits within a few epochs: training stops after `patience` epochs past the best one.
  assert.ok(model.history.length > model.epochs && model.history.length < 60, `${model.history.length} epochs, kept ${model.epochs}`);
  assert.match(ended, /kept epoch/);
});

test("bad options and indices are RangeErrors naming the argument", () => {
  const ds = tinyDataset({ users: 10, movies: 12, density: 0.5, seed: 1 });
  const { train } = tinySplit(ds, 1);
  const bad: [Parameters<typeof fitSvdpp>[2], RegExp][] = [
    [{ dim: 0 }, /dim/],
    [{ dim: 2.5 }, /dim/],
    [{ epochs: -1 }, /epochs/],
    [{ learningRate: 0 }, /learningRate/],
    [{ learningRate: Number.NaN }, /learningRate/],
    [{ decay: 1.5 }, /decay/],
    [{ l2: -0.1 }, /l2/],
    [{ implicitL2: Number.POSITIVE_INFINITY }, /implicitL2/],
    [{ biasL2: -1 }, /biasL2/],
    [{ sessionL2: -1 }, /sessionL2/],
    [{ initStd: -1 }, /initStd/],
    [{ patience: 0 }, /patience/],
    [{ sessionSeconds: 0 }, /sessionSeconds/],
    [{ seed: Number.NaN }, /seed/],
    [{ validation: Int32Array.of(0, ds.ratings.length) }, /validation/],
  ];
  for (const [o, name] of bad)
    assert.throws(
      () => fitSvdpp(ds, train, o),
      (e: unknown) => e instanceof RangeError && name.test(e.message),
    );
  assert.throws(
    () => fitSvdpp(ds, Int32Array.of(-1), {}),
    (e: unknown) => e instanceof RangeError && /train/.test(e.message),
  );
  const scorer = svdppScorer(fitSvdpp(ds, train, { dim: 2, epochs: 1 }));
  assert.throws(() => scorer.predictRatings!(Int32Array.of(ds.numUsers), Int32Array.of(0)), RangeError);
});

test("ml-100k u1: SVD++ with its defaults beats the user + movie bias baseline well (RMSE < 0.93)", async () => {
  const ds = await ml100k();
  const split = predefinedSplit(ds, "u1");
  const t0 = Date.now();
  const scorer = svdppScorer(fitSvdpp(ds, split.train));
  const seconds = (Date.now() - t0) / 1000;
  const { predicted, actual } = predictHeldOut(ds, scorer, split.test);
  const b = fitBaselineBiases(ds, split.train);
  const baseline = Float32Array.from(split.test, (i) =>
    Math.min(5, Math.max(1, b.mean + b.userBias[ds.ratings.user[i]] + b.movieBias[ds.ratings.movie[i]])),
  );
  const r = rmse(predicted, actual);
  console.log(
    `SVD++ u1: RMSE ${r.toFixed(4)}, MAE ${mae(predicted, actual).toFixed(4)} (bias ${rmse(baseline, actual).toFixed(4)}), ${seconds}s`,
  );
  assert.ok(r < 0.93, `u1 RMSE ${r}`);
  assert.ok(r < rmse(baseline, actual) - 0.03, `u1 RMSE ${r} vs bias baseline ${rmse(baseline, actual)}`);
});
