// Tests the one candidate rule, and that full ranking, the debug view, recommendations and cold start rank exactly its candidates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CandidateRule, unseenMovies } from "../../src/evaluation/candidates";
import { evaluationData } from "../../src/evaluation/data";
import { evaluateFullRanking } from "../../src/evaluation/full-ranking";
import { debugUser } from "../../src/evaluation/debug";
import { recommendForUser } from "../../src/recommend/recommend";
import { tinyData } from "./fixtures";
import { tinyDataset, tinySplit } from "../helpers/tiny";

test("unseenMovies: every movie not rated, ascending, optionally only allowed ones", () => {
  assert.deepEqual(Array.from(unseenMovies(6, [4, 1, 1])), [0, 2, 3, 5]);
  assert.deepEqual(Array.from(unseenMovies(6, [4, 1], Uint8Array.from([1, 1, 0, 1, 1, 0]))), [0, 3]);
  assert.deepEqual(Array.from(unseenMovies(3, [])), [0, 1, 2]);
});

test("CandidateRule on the hand-built data: a user's candidates are the movies they did not rate in train", () => {
  const data = tinyData();
  const rule = new CandidateRule(data.numUsers, data.numMovies, data.train);
  // train: u0 {m0, m1}; u1 {m0, m2, m3}; u2 {m0, m1, m2}
  assert.deepEqual(Array.from(rule.candidates(0)), [2, 3, 4, 5]);
  assert.deepEqual(Array.from(rule.candidates(1)), [1, 4, 5]);
  assert.deepEqual(Array.from(rule.candidates(2)), [3, 4, 5]);
  // minRatings 2 keeps movies with >= 2 train ratings (m0 3, m1 2, m2 2).
  const popular = new CandidateRule(data.numUsers, data.numMovies, data.train, { minRatings: 2 });
  assert.deepEqual(Array.from(popular.candidates(0)), [2]);
  assert.deepEqual(Array.from(popular.candidatesExcluding([0])), [1, 2]);
  assert.throws(() => rule.candidates(3), /user 3 is outside 0\.\.2/);
});

test("full ranking, debugUser and recommendForUser score exactly the rule's candidates for every user", async () => {
  const ds = tinyDataset({ users: 25, movies: 40, seed: 3 });
  const split = tinySplit(ds, 2);
  const data = evaluationData(ds, split);
  const rule = new CandidateRule(ds.numUsers, ds.numMovies, data.train);
  const scoredByMetric = new Map<number, number[]>();
  const score = (user: number, movies: Int32Array): Float32Array => {
    scoredByMetric.set(user, Array.from(movies));
    return Float32Array.from(movies, (m) => ((m * 7919 + user * 104729) % 1000) / 1000);
  };
  const ev = await evaluateFullRanking(data, { name: "spy", scoreMovies: score }, { ks: [5], relevanceThreshold: null });
  assert.ok(scoredByMetric.size >= 10, `the metric evaluated ${scoredByMetric.size} users`);
  for (const [user, movies] of scoredByMetric) {
    assert.deepEqual(movies, Array.from(rule.candidates(user)), `metric candidates of user ${user}`);
    let debugged: number[] | null = null;
    await debugUser(data, ds.movies, user, {
      name: "spy",
      scoreMovies: (u: number, ms: Int32Array) => {
        debugged ??= Array.from(ms);
        return score(u, ms);
      },
    });
    assert.deepEqual(debugged, movies, `debug view candidates of user ${user}`);
    let recommended: number[] | null = null;
    const scorer = {
      name: "spy",
      scoreMovies: (u: number, ms: Int32Array) => {
        recommended = Array.from(ms);
        return score(u, ms);
      },
    };
    recommendForUser(ds, scorer, ds.userIds[user], { seen: split.train, n: 5 });
    assert.deepEqual(recommended, movies, `recommendation candidates of user ${user}`);
  }
  assert.equal(ev.usersEvaluated, scoredByMetric.size, "every evaluated user was checked");
});
