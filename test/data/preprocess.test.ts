// Tests preprocessing: min-ratings filters with dense re-indexing, duplicate averaging (scaling and centring are tested in targets.test.ts).
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { Dataset, averageDuplicates, buildDataset, buildMovies, filterByMinRatings, loadMovieLensCsv, makeRatings } from "../../src/data";
import { SMALL_DIR } from "./helpers";

const small = loadMovieLensCsv(SMALL_DIR, { tags: false, links: false });

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
  for (let i = 0; i < small.ratings.length; i++)
    orig.set(`${small.userIds[small.ratings.user[i]]}:${small.movies.ids[small.ratings.movie[i]]}`, small.ratings.rating[i]);
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
  const movies = buildMovies(
    Int32Array.from([10, 20, 30]),
    ["A (2000)", "B (2001)", "C"],
    [["Drama"], [], ["Drama", "War"]],
    ["Drama", "War"],
  );
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
