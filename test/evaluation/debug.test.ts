// Tests for per-user debugging: recommendations with titles and hit marks, held-out movies with ratings, scores and ranks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { debugUser, formatUserDebug } from "../../src/evaluation";
import { close, fakeMovies, popularityScorer, tinyData } from "./fixtures";

test("debugUser on the tiny dataset", async () => {
  const data = tinyData();
  const movies = fakeMovies(6);
  // u0: candidates {2,3,4,5}, popularity 2,1,0,0 -> ranked [2,3,4,5]; test m2 5★, m3 2★, m4 4★; threshold 4
  const r = await debugUser(data, movies, 0, popularityScorer(data), { k: 2, relevanceThreshold: 4, tieBreak: "index" });
  assert.equal(r.numTrain, 2);
  assert.equal(r.numTest, 3);
  assert.equal(r.numCandidates, 4);
  assert.deepEqual(
    r.recommendations.map((x) => [x.rank, x.movie, x.title, x.score, x.heldOut, x.relevant, x.actualRating]),
    [
      [1, 2, "Movie 2", 2, true, true, 5],
      [2, 3, "Movie 3", 1, true, false, 2],
    ],
  );
  assert.equal(r.recommendations[0].movieId, 102);
  // held out, best actual rating first
  assert.deepEqual(
    r.heldOut.map((h) => [h.movie, h.title, h.actualRating, h.predictedScore, h.rank, h.relevant, h.inTopK, h.timestamp]),
    [
      [2, "Movie 2", 5, 2, 1, true, true, 10],
      [4, "Movie 4", 4, 0, 3, true, false, 15],
      [3, "Movie 3", 2, 1, 2, false, true, 20],
    ],
  );
  assert.deepEqual(
    r.history.map((h) => [h.movie, h.rating]),
    [
      [0, 5],
      [1, 3],
    ],
  );
  // K = 2, relevant {2, 4}: P 1/2, R 1/2, NDCG 1 / (1 + 1/log2(3))
  close(r.metrics?.precision ?? NaN, 0.5, "P@2");
  close(r.metrics?.recall ?? NaN, 0.5, "R@2");
  close(r.metrics?.ndcg ?? NaN, 1 / (1 + 1 / Math.log2(3)), "NDCG@2");
  const text = formatUserDebug(r);
  assert.match(text, /Movie 2 \(2002\)/);
  assert.match(text, /held out/);
});

test("debugUser: a user without relevant test movies has null metrics; test movies also in train get a score but no rank", async () => {
  const data = tinyData();
  const movies = fakeMovies(6);
  const r = await debugUser(data, movies, 2, popularityScorer(data), { relevanceThreshold: 4 });
  assert.equal(r.metrics, null);
  assert.equal(r.recommendations.length, 3); // only 3 candidates {3,4,5} for K = 10
  // leaky split: u0 also has m0 in test
  const leaky = { ...data, test: { ...data.test, movie: Int32Array.from([0, 3, 4, 1, 4, 5]) } };
  const l = await debugUser(leaky, movies, 0, popularityScorer(data), { k: 3 });
  const m0 = l.heldOut.find((h) => h.movie === 0);
  assert.equal(m0?.rank, null);
  assert.equal(m0?.predictedScore, 3);
  assert.ok(!l.recommendations.some((x) => x.movie === 0 || x.movie === 1));
  await assert.rejects(debugUser(data, movies, 3, popularityScorer(data)), /user 3 is outside/);
  await assert.rejects(debugUser(data, fakeMovies(4), 0, popularityScorer(data)), /4 titles for 6 movies/);
});

test("debugUser with minRatings ranks only often-rated movies (recommend's filter); the rest of the held-out movies say why they have no rank", async () => {
  const data = tinyData();
  const movies = fakeMovies(6);
  // u0: unseen movies {2,3,4,5} have 2, 1, 0, 0 training ratings; with minRatings 2 only movie 2 is a candidate.
  const r = await debugUser(data, movies, 0, popularityScorer(data), { k: 3, relevanceThreshold: 4, minRatings: 2 });
  assert.equal(r.numCandidates, 1);
  assert.deepEqual(
    r.recommendations.map((x) => x.movie),
    [2],
  );
  assert.deepEqual(
    r.heldOut.map((h) => [h.movie, h.rank, h.excluded, h.predictedScore]),
    [
      [2, 1, null, 2],
      [4, null, "too few ratings", 0],
      [3, null, "too few ratings", 1],
    ],
  );
  assert.match(formatUserDebug(r), /Movie 4 \(2004\)\s+4 \/ 0\.000 \/ too few ratings/);
  const leaky = { ...data, test: { ...data.test, movie: Int32Array.from([0, 3, 4, 1, 4, 5]) } };
  const l = await debugUser(leaky, movies, 0, popularityScorer(data), { k: 3 });
  assert.equal(l.heldOut.find((h) => h.movie === 0)?.excluded, "rated in train");
});
