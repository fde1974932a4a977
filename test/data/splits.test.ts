// Tests every split function: no train/test overlap, union = all, seeded repeatability, and cold-start counts.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import {
  Split,
  SplitSource,
  argsortUint32,
  checkSplit,
  kFoldSplits,
  loadMovieLensCsv,
  perUserHoldout,
  randomSplit,
  temporalSplit,
} from "../../src/data";
import { SMALL_DIR } from "./helpers";

const ds = loadMovieLensCsv(SMALL_DIR, { tags: false, links: false });

/** Cold-start counts computed the slow, obvious way. */
function bruteCold(data: SplitSource, s: Split): [number, number] {
  const tu = new Set<number>();
  const tm = new Set<number>();
  for (const i of s.train) {
    tu.add(data.ratings.user[i]);
    tm.add(data.ratings.movie[i]);
  }
  const cu = new Set<number>();
  const cm = new Set<number>();
  for (const i of s.test) {
    if (!tu.has(data.ratings.user[i])) cu.add(data.ratings.user[i]);
    if (!tm.has(data.ratings.movie[i])) cm.add(data.ratings.movie[i]);
  }
  return [cu.size, cm.size];
}

function checkAll(s: Split): void {
  checkSplit(s, ds.ratings.length); // in range, no repeats, no overlap, union = all
  assert.deepEqual([s.coldUsers, s.coldMovies], bruteCold(ds, s), s.name);
  for (let k = 1; k < s.train.length; k++) assert.ok(s.train[k - 1] < s.train[k], "train sorted");
  for (let k = 1; k < s.test.length; k++) assert.ok(s.test[k - 1] < s.test[k], "test sorted");
}

test("checkSplit rejects overlap, repeats and gaps", () => {
  assert.throws(() => checkSplit({ name: "x", train: Int32Array.from([0, 1]), test: Int32Array.from([1, 2]) }, 3), /both train and test/);
  assert.throws(() => checkSplit({ name: "x", train: Int32Array.from([0, 0]), test: Int32Array.from([1, 2]) }, 3), /twice/);
  assert.throws(() => checkSplit({ name: "x", train: Int32Array.from([0]), test: Int32Array.from([1]) }, 3), /cover 2 of 3/);
  assert.throws(() => checkSplit({ name: "x", train: Int32Array.from([0, 5]), test: Int32Array.from([1]) }, 3), /outside/);
});

test("random split: ratio, no overlap, seeded repeatability, cold-start counts", () => {
  const a = randomSplit(ds, { testFraction: 0.2, seed: 42 });
  checkAll(a);
  assert.equal(a.test.length, Math.round(ds.ratings.length * 0.2));
  assert.deepEqual(randomSplit(ds, { testFraction: 0.2, seed: 42 }), a);
  assert.notDeepEqual(randomSplit(ds, { testFraction: 0.2, seed: 43 }).test, a.test);
  assert.ok(a.coldMovies > 0, "some movies rated once end up only in test");
  assert.throws(() => randomSplit(ds, { testFraction: 1, seed: 1 }), RangeError);
});

test("per-user holdout: last k by time, or k at random", () => {
  const last = perUserHoldout(ds, { k: 5, by: "time" });
  checkAll(last);
  assert.equal(last.test.length, ds.numUsers * 5); // every user has >= 20 ratings
  assert.equal(last.coldUsers, 0);
  assert.deepEqual(perUserHoldout(ds, { k: 5, by: "time" }), last);
  // Every test rating of a user is at least as late as all of that user's train ratings.
  const maxTrain = new Float64Array(ds.numUsers).fill(-1);
  for (const i of last.train) maxTrain[ds.ratings.user[i]] = Math.max(maxTrain[ds.ratings.user[i]], ds.ratings.timestamp[i]);
  for (const i of last.test) assert.ok(ds.ratings.timestamp[i] >= maxTrain[ds.ratings.user[i]]);
  const rnd = perUserHoldout(ds, { k: 3, by: "random", seed: 7 });
  checkAll(rnd);
  const per = new Int32Array(ds.numUsers);
  for (const i of rnd.test) per[ds.ratings.user[i]]++;
  assert.ok(per.every((c) => c === 3));
  assert.deepEqual(perUserHoldout(ds, { k: 3, by: "random", seed: 7 }), rnd);
  assert.notDeepEqual(perUserHoldout(ds, { k: 3, by: "random", seed: 8 }).test, rnd.test);
  // A user with fewer than k + 1 ratings keeps one in train.
  const tiny = perUserHoldout(ds, { k: 1000, by: "time" });
  checkAll(tiny);
  const counts = new Int32Array(ds.numUsers);
  for (const u of ds.ratings.user) counts[u]++;
  assert.equal(
    tiny.train.length,
    counts.reduce((sum, n) => sum + n - Math.min(1000, n - 1), 0),
  );
  assert.equal(tiny.coldUsers, 0);
});

test("global temporal split: the latest ratings go to test", () => {
  const s = temporalSplit(ds, { testFraction: 0.1 });
  checkAll(s);
  assert.equal(s.test.length, Math.round(ds.ratings.length * 0.1));
  let maxTrain = 0;
  for (const i of s.train) maxTrain = Math.max(maxTrain, ds.ratings.timestamp[i]);
  let minTest = Infinity;
  for (const i of s.test) minTest = Math.min(minTest, ds.ratings.timestamp[i]);
  assert.ok(maxTrain <= minTest);
  assert.ok(s.coldUsers > 0, "users who joined late are cold");
  const c = temporalSplit(ds, { cutoff: minTest });
  checkAll(c);
  for (const i of c.test) assert.ok(ds.ratings.timestamp[i] >= minTest);
  const keys = Uint32Array.from([5, 3, 5, 1, 3, 70000, 65536]);
  assert.deepEqual(Array.from(argsortUint32(keys)), [3, 1, 4, 0, 2, 6, 5]);
});

test("k-fold: test folds partition all ratings; each split is disjoint and seeded", () => {
  const folds = kFoldSplits(ds, { k: 5, seed: 3 });
  assert.equal(folds.length, 5);
  const cover = new Uint8Array(ds.ratings.length);
  for (const f of folds) {
    checkAll(f);
    for (const i of f.test) cover[i]++;
    assert.ok(Math.abs(f.test.length - ds.ratings.length / 5) <= 1);
  }
  assert.ok(cover.every((c) => c === 1));
  assert.deepEqual(kFoldSplits(ds, { k: 5, seed: 3 }), folds);
  assert.throws(() => kFoldSplits(ds, { k: 1, seed: 3 }), RangeError);
});
