// Tests preprocessing: min-max and mean-centring inverses, min-ratings filters with dense re-indexing, duplicate averaging.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import {
  Dataset,
  averageDuplicates,
  buildDataset,
  buildMovies,
  filterByMinRatings,
  invertMeanCenter,
  invertMinMax,
  loadMovieLensCsv,
  makeRatings,
  meanCenter,
  minMaxNormalize,
  randomSplit,
  withRatingValues,
} from "../../src/data";
import { SMALL_DIR } from "./helpers";

const small = loadMovieLensCsv(SMALL_DIR, { tags: false, links: false });

function close(a: Float32Array, b: Float32Array, eps = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > eps) assert.fail(`index ${i}: ${a[i]} vs ${b[i]}`);
}

test("min-max normalisation to [0,1] and its inverse round-trip", () => {
  const r = small.ratings.rating;
  const byScale = minMaxNormalize(r, small.ratingScale);
  assert.deepEqual(byScale.transform, { kind: "min-max", min: 0.5, max: 5 });
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of byScale.values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
  close(invertMinMax(byScale.values, byScale.transform), r);
  const observed = minMaxNormalize(new Float32Array([2, 3, 4]));
  assert.deepEqual(Array.from(observed.values), [0, 0.5, 1]);
  assert.deepEqual(r, small.ratings.rating, "input untouched");
  const d = withRatingValues(small, byScale.values);
  assert.deepEqual(d.ratingScale, { min: 0, max: 1 });
  assert.equal(d.ratings.user, small.ratings.user);
});

test("global and per-user mean-centring and their inverses round-trip", () => {
  const g = meanCenter(small.ratings, { perUser: false });
  assert.ok(Math.abs(g.transform.globalMean - 3.501557) < 1e-5);
  assert.equal(g.transform.userMeans, null);
  close(invertMeanCenter(g.values, small.ratings.user, g.transform), small.ratings.rating);
  const u = meanCenter(small.ratings, { perUser: true, numUsers: small.numUsers });
  assert.equal(u.transform.userMeans!.length, small.numUsers);
  // Each user's centred ratings sum to ~0.
  const sums = new Float64Array(small.numUsers);
  for (let i = 0; i < small.ratings.length; i++) sums[small.ratings.user[i]] += u.values[i];
  assert.ok(sums.every((s) => Math.abs(s) < 1e-2));
  close(invertMeanCenter(u.values, small.ratings.user, u.transform), small.ratings.rating);
  // Means fitted on a train set only: users without train ratings fall back to the global train mean.
  const split = randomSplit(small, { testFraction: 0.2, seed: 1 });
  const f = meanCenter(small.ratings, { perUser: true, numUsers: small.numUsers, fitIndices: split.train });
  let s = 0;
  for (const i of split.train) s += small.ratings.rating[i];
  assert.ok(Math.abs(f.transform.globalMean - s / split.train.length) < 1e-9);
  close(invertMeanCenter(f.values, small.ratings.user, f.transform), small.ratings.rating);
});

test("filters by minimum ratings per user and per movie re-index densely (k-core)", () => {
  const res = filterByMinRatings(small, { minPerUser: 50, minPerMovie: 20 });
  const d = res.dataset;
  assert.equal(d.ratings.length + res.removedRatings, small.ratings.length);
  assert.equal(d.numUsers + res.removedUsers, small.numUsers);
  assert.equal(d.numMovies + res.removedMovies, small.numMovies);
  const uc = new Int32Array(d.numUsers);
  const mc = new Int32Array(d.numMovies);
  for (let i = 0; i < d.ratings.length; i++) {
    uc[d.ratings.user[i]]++;
    mc[d.ratings.movie[i]]++;
  }
  assert.ok(uc.every((c) => c >= 50));
  assert.ok(mc.every((c) => c >= 20));
  // Dense: indices cover 0..n-1, maps agree, and each kept rating still points at the same original ids and title.
  assert.equal(d.userIndex.size, d.numUsers);
  assert.equal(d.movieIndex.size, d.numMovies);
  assert.equal(d.movies.titles.length, d.numMovies);
  assert.equal(d.movies.genreMatrix.length, d.numMovies * d.movies.genreVocabulary.length);
  const orig = new Map<string, number>();
  for (let i = 0; i < small.ratings.length; i++) orig.set(`${small.userIds[small.ratings.user[i]]}:${small.movies.ids[small.ratings.movie[i]]}`, small.ratings.rating[i]);
  for (let i = 0; i < d.ratings.length; i += 97) {
    const key = `${d.userIds[d.ratings.user[i]]}:${d.movies.ids[d.ratings.movie[i]]}`;
    assert.equal(orig.get(key), d.ratings.rating[i]);
    const mi = d.ratings.movie[i];
    assert.equal(d.movies.titles[mi], small.movies.titles[small.movieIndex.get(d.movies.ids[mi])!]);
  }
  // minPerMovie 1 drops exactly the 18 movies nobody rated.
  const rated = filterByMinRatings(small, { minPerMovie: 1 });
  assert.equal(rated.removedMovies, 18);
  assert.equal(rated.removedRatings, 0);
  // One pass only may leave users under the threshold after movies were removed; repeated passes do not.
  const once = filterByMinRatings(small, { minPerUser: 100, minPerMovie: 50, repeatUntilStable: false });
  assert.equal(once.rounds, 1);
  const stable = filterByMinRatings(small, { minPerUser: 100, minPerMovie: 50 });
  assert.ok(stable.rounds >= 2);
  assert.ok(stable.dataset.ratings.length <= once.dataset.ratings.length);
});

function tinyDataset(rows: [number, number, number, number][]): Dataset {
  const movies = buildMovies(Int32Array.from([10, 20, 30]), ["A (2000)", "B (2001)", "C"], [["Drama"], [], ["Drama", "War"]], ["Drama", "War"]);
  return buildDataset({
    name: "tiny",
    source: "memory",
    ratings: makeRatings(
      Int32Array.from(rows.map((r) => r[0])),
      Int32Array.from(rows.map((r) => r[1])),
      Float32Array.from(rows.map((r) => r[2])),
      Uint32Array.from(rows.map((r) => r[3])),
    ),
    movies,
    users: null,
    userIds: Int32Array.from([1, 2]),
    ratingScale: { min: 0.5, max: 5 },
  });
}

test("duplicate (user, movie) ratings are averaged and counted", () => {
  const d = tinyDataset([
    [0, 0, 4, 100],
    [0, 1, 2, 110],
    [1, 0, 5, 120],
    [0, 0, 3, 130], // duplicate of row 0
    [0, 0, 2.5, 90], // and again
    [1, 2, 1, 140],
    [1, 2, 2, 150], // duplicate of row 5
  ]);
  const res = averageDuplicates(d);
  assert.equal(res.duplicatesRemoved, 3);
  assert.equal(res.duplicatedPairs, 2);
  const r = res.dataset.ratings;
  assert.equal(r.length, 4);
  assert.deepEqual(Array.from(r.user), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(r.movie), [0, 1, 0, 2]);
  assert.deepEqual(Array.from(r.rating), [3.1666667461395264, 2, 5, 1.5]);
  assert.deepEqual(Array.from(r.timestamp), [130, 110, 120, 150]);
  const none = averageDuplicates(small);
  assert.equal(none.duplicatesRemoved, 0);
  assert.equal(none.dataset, small);
});
