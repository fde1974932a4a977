// Tests rating targets (data/targets): min-max scaling and mean-centring with their inverses, the TF form against the JS form, and the JSON form through a checkpoint.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { tf } from "../../src/backend";
import { loadMovieLensCsv, randomSplit, withRatingValues } from "../../src/data";
import {
  RATING_TARGETS,
  TARGET_KINDS,
  checkRatingTransformJSON,
  fitRatingTransform,
  outputsToRatings,
  ratingTransformFromJSON,
  ratingsToTargets,
} from "../../src/data/targets";
import { userMovieModel } from "../../src/models/user-movie";
import { loadModel, saveModel } from "../../src/training/checkpoint";
import { Rng } from "../../src/util/random";
import { SMALL_DIR } from "./helpers";

const small = loadMovieLensCsv(SMALL_DIR, { tags: false, links: false });
const { user, movie, rating } = small.ratings;

function close(a: Float32Array, b: Float32Array, eps = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > eps) assert.fail(`index ${i}: ${a[i]} vs ${b[i]}`);
}

test("min-max normalisation to [0,1] and its inverse round-trip", () => {
  const before = rating.slice();
  const byScale = fitRatingTransform(small, null, "minmax");
  assert.deepEqual({ kind: byScale.kind, min: byScale.min, max: byScale.max }, { kind: "minmax", min: 0.5, max: 5 });
  const values = ratingsToTargets(byScale, small.ratings);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
  close(outputsToRatings(byScale, values, movie), rating);
  // The observed range of the fitted ratings instead of the scale: ratings 2, 3, 4 scale to 0, 0.5, 1.
  const pick = Int32Array.from([2, 3, 4], (v) => rating.indexOf(v));
  const observed = fitRatingTransform(small, pick, "minmax", { range: "observed" });
  assert.deepEqual(
    Array.from(pick, (i) => observed.toTarget(rating[i], movie[i])),
    [0, 0.5, 1],
  );
  assert.deepEqual(rating, before, "input untouched");
  const d = withRatingValues(small, values);
  assert.deepEqual(d.ratingScale, { min: 0, max: 1 });
  assert.equal(d.ratings.user, small.ratings.user);
});

test("global and per-user mean-centring and their inverses round-trip", () => {
  const g = fitRatingTransform(small, null, "global-mean");
  assert.ok(Math.abs(g.globalMean - 3.501557) < 1e-5);
  assert.equal(g.userMean, null);
  close(outputsToRatings(g, ratingsToTargets(g, small.ratings), movie), rating);
  const u = fitRatingTransform(small, null, "user-mean");
  assert.equal(u.userMean!.length, small.numUsers);
  // Each user's centred ratings sum to ~0.
  const values = ratingsToTargets(u, small.ratings);
  const sums = new Float64Array(small.numUsers);
  for (let i = 0; i < small.ratings.length; i++) sums[user[i]] += values[i];
  assert.ok(sums.every((s) => Math.abs(s) < 1e-2));
  close(outputsToRatings(u, values, movie, user), rating);
  // Means fitted on a train set only: users without train ratings fall back to the global train mean.
  const split = randomSplit(small, { testFraction: 0.2, seed: 1 });
  const f = fitRatingTransform(small, split.train, "user-mean");
  let s = 0;
  for (const i of split.train) s += rating[i];
  assert.ok(Math.abs(f.globalMean - s / split.train.length) < 1e-9);
  close(outputsToRatings(f, ratingsToTargets(f, small.ratings), movie, user), rating);
});

test("every kind round-trips ratings; movies without training ratings get the global mean; user-mean needs the user", () => {
  assert.deepEqual(RATING_TARGETS, ["raw", "minmax", "movie-mean", "global-mean"]);
  const split = randomSplit(small, { testFraction: 0.2, seed: 2 });
  for (const kind of TARGET_KINDS) {
    const t = fitRatingTransform(small, split.train, kind);
    close(outputsToRatings(t, ratingsToTargets(t, small.ratings), movie, user), rating);
  }
  const mm = fitRatingTransform(small, split.train, "movie-mean");
  const trained = new Uint8Array(small.numMovies);
  for (const i of split.train) trained[movie[i]] = 1;
  const unrated = trained.indexOf(0);
  assert.ok(unrated >= 0);
  assert.equal(mm.movieMean![unrated], Math.fround(mm.globalMean));
  // Outputs are clipped to the scale.
  assert.equal(mm.toRating(100, 0), 5);
  assert.equal(mm.toRating(-100, 0), 0.5);
  const um = fitRatingTransform(small, split.train, "user-mean");
  assert.throws(() => um.toRating(0, 0), /"user-mean" transform needs the user/);
  assert.throws(() => fitRatingTransform(small, null, "z" as "raw"), /fitRatingTransform: argument "kind" must be one of/);
});

test("the TF form (toRatingTensor) agrees with the JS form (toRating) for every kind", () => {
  const split = randomSplit(small, { testFraction: 0.2, seed: 3 });
  const rng = new Rng(5);
  const n = 2000;
  const at = Int32Array.from({ length: n }, () => rng.int(small.ratings.length));
  const movies = Int32Array.from(at, (i) => movie[i]);
  const users = Int32Array.from(at, (i) => user[i]);
  for (const kind of TARGET_KINDS) {
    const t = fitRatingTransform(small, split.train, kind);
    // Outputs a little beyond the targets' range, so clipping is exercised too.
    const outputs = Float32Array.from({ length: n }, () =>
      kind === "minmax" ? rng.next() * 1.4 - 0.2 : rng.next() * 8 - (kind === "raw" ? 1 : 4),
    );
    const js = outputsToRatings(t, outputs, movies, users);
    const inTf = tf.tidy(() => t.toRatingTensor(tf.tensor2d(outputs, [n, 1]), movies, users).dataSync() as Float32Array);
    close(inTf, js);
  }
  const um = fitRatingTransform(small, split.train, "user-mean");
  assert.throws(() => tf.tidy(() => um.toRatingTensor(tf.zeros([2]), Int32Array.of(0, 1))), /needs the users/);
});

test("the JSON form round-trips, is checked, and is what a checkpoint saves and loads", async () => {
  const split = randomSplit(small, { testFraction: 0.2, seed: 4 });
  for (const kind of TARGET_KINDS) {
    const t = fitRatingTransform(small, split.train, kind);
    const back = ratingTransformFromJSON(JSON.parse(JSON.stringify(t)));
    assert.deepEqual(back.toJSON(), t.toJSON());
    assert.deepEqual(Object.keys(t.toJSON()).sort(), [
      "globalMean",
      "kind",
      "max",
      "min",
      ...(kind === "movie-mean" ? ["movieMean"] : kind === "user-mean" ? ["userMean"] : []),
    ]);
    const outputs = Float32Array.from({ length: 50 }, (_, k) => k / 10 - 2);
    const at = Int32Array.from({ length: 50 }, (_, k) => k * 97);
    const ms = Int32Array.from(at, (i) => movie[i]);
    const us = Int32Array.from(at, (i) => user[i]);
    assert.deepEqual(outputsToRatings(back, outputs, ms, us), outputsToRatings(t, outputs, ms, us));
  }
  assert.throws(
    () => checkRatingTransformJSON({ kind: "stars", min: 1, max: 5, globalMean: 3 }, "here"),
    /^TypeError: here: .*"kind" one of/,
  );
  assert.throws(() => checkRatingTransformJSON({ kind: "movie-mean", min: 1, max: 5, globalMean: 3 }, "here"), /"movieMean"/);
  assert.throws(() => checkRatingTransformJSON({ kind: "minmax", min: 5, max: 5, globalMean: 3 }, "here"), /max > min/);

  const t = fitRatingTransform(small, split.train, "movie-mean");
  const m = userMovieModel({ numUsers: 3, numMovies: 4, dim: 2, seed: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-targets-"));
  try {
    const meta = { dataset: small.name, userIds: [1, 2, 3], movieIds: [1, 2, 3, 4] };
    const target = path.join(dir, "m");
    await assert.rejects(
      saveModel(m, target, { ...meta, transform: { ...t.toJSON(), kind: "z" as "raw" } }),
      /saveModel: metadata\.transform/,
    );
    assert.equal(fs.existsSync(target), false, "nothing written for a bad transform");
    await saveModel(m, target, { ...meta, transform: t.toJSON() });
    const { model: back, metadata } = await loadModel(target);
    back.dispose();
    assert.deepEqual(metadata.transform, t.toJSON());
    assert.deepEqual(ratingTransformFromJSON(metadata.transform!).movieMean, t.movieMean);
    const labFile = path.join(target, "lab.json");
    const lab = JSON.parse(fs.readFileSync(labFile, "utf8"));
    delete lab.metadata.transform.movieMean;
    fs.writeFileSync(labFile, JSON.stringify(lab));
    await assert.rejects(loadModel(target), /loadModel: .*lab\.json metadata\.transform: a rating transform needs "movieMean"/);
  } finally {
    m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
