// Tests for the full-ranking protocol on a hand-built dataset with a popularity scorer, plus exclusion and batching checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateFullRanking, evaluationData, metricsAt, metricsTable, predictHeldOut } from "../../src/evaluation";
import type { MovieScorer } from "../../src/models/scorer";
import { close, hashScorer, popularityScorer, randomData, scorer, tinyData } from "./fixtures";

const L2 = 1 / Math.log2(3); // discount at rank 2
const IDCG2 = 1 + L2;

test("hand-computed full ranking, threshold 4, index tie-break", async () => {
  const data = tinyData();
  // popularity: m0 3, m1 2, m2 2, m3 1, m4 0, m5 0
  // u0: candidates {2,3,4,5} -> ranked [2,3,4,5]; relevant {2 (5★), 4 (4★)}; m3 (2★) is not relevant
  // u1: candidates {1,4,5}   -> ranked [1,4,5] (4 and 5 tie at 0: lower id first); relevant {4}
  // u2: test {5 (3★)} -> no relevant item -> skipped
  const r = await evaluateFullRanking(data, popularityScorer(data), {
    ks: [3, 1, 2],
    relevanceThreshold: 4,
    tieBreak: "index",
    perUser: true,
  });
  assert.deepEqual(r.ks, [1, 2, 3]);
  assert.equal(r.testUsers, 3);
  assert.equal(r.usersEvaluated, 2);
  assert.equal(r.usersSkipped, 1);
  assert.equal(r.usersNotSampled, 0);
  assert.deepEqual(
    r.perUser?.map((u) => Array.from(u.topItems)),
    [
      [2, 3, 4],
      [1, 4, 5],
    ],
  );

  const m1 = metricsAt(r, 1);
  // u0 [2]: hit -> P 1, R 1/2, NDCG 1, AP 1.  u1 [1]: miss -> all 0
  close(m1.precision, 0.5, "P@1");
  close(m1.recall, 0.25, "R@1");
  close(m1.ndcg, 0.5, "NDCG@1");
  close(m1.hitRate, 0.5, "HR@1");
  close(m1.map, 0.5, "MAP@1");
  close(m1.coverage ?? NaN, 2 / 6, "coverage@1"); // {2} ∪ {1}

  const m2 = metricsAt(r, 2);
  // u0 [2,3]: P 1/2, R 1/2, NDCG 1/IDCG2, AP (1/1)/2.  u1 [1,4]: P 1/2, R 1, NDCG L2/1, AP (1/2)/1
  close(m2.precision, 0.5, "P@2");
  close(m2.recall, 0.75, "R@2");
  close(m2.ndcg, (1 / IDCG2 + L2) / 2, "NDCG@2");
  close(m2.hitRate, 1, "HR@2");
  close(m2.map, 0.5, "MAP@2");
  close(m2.coverage ?? NaN, 4 / 6, "coverage@2"); // {2,3} ∪ {1,4}

  const m3 = metricsAt(r, 3);
  // u0 [2,3,4]: P 2/3, R 1, NDCG (1 + 1/2)/IDCG2, AP (1 + 2/3)/2.  u1 [1,4,5]: P 1/3, R 1, NDCG L2, AP 1/2
  close(m3.precision, 0.5, "P@3");
  close(m3.recall, 1, "R@3");
  close(m3.ndcg, (1.5 / IDCG2 + L2) / 2, "NDCG@3");
  close(m3.hitRate, 1, "HR@3");
  close(m3.map, (5 / 6 + 1 / 2) / 2, "MAP@3");
  close(m3.coverage ?? NaN, 5 / 6, "coverage@3"); // {2,3,4} ∪ {1,4,5}

  const table = metricsTable(r);
  assert.equal(table.length, 3);
  assert.equal(table[2].ndcg, m3.ndcg);
  assert.throws(() => metricsAt(r, 10), /was not evaluated/);
});

test("pessimistic tie-break puts the relevant movie after equally scored ones", async () => {
  const data = tinyData();
  // u1: m4 (relevant) and m5 tie at 0 -> ranked [1,5,4]: the hit moves from rank 2 to rank 3
  const r = await evaluateFullRanking(data, popularityScorer(data), { ks: [2, 3], relevanceThreshold: 4, perUser: true });
  assert.deepEqual(Array.from(r.perUser?.[1].topItems ?? []), [1, 5, 4]);
  const u1 = r.perUser?.[1].metrics ?? [];
  assert.equal(u1[0].hitRate, 0); // K = 2
  close(u1[1].ndcg, 0.5, "u1 NDCG@3"); // 1/log2(4)
  close(u1[1].map, 1 / 3, "u1 AP@3"); // P@3 / min(3,1)

  // A constant scorer earns nothing from ties: every relevant movie ranks after every other candidate.
  const constant = await evaluateFullRanking(
    data,
    scorer((_u, movies) => new Float32Array(movies.length)),
    {
      ks: [1, 2],
      relevanceThreshold: 4,
    },
  );
  assert.equal(metricsAt(constant, 2).hitRate, 0);
});

test("relevanceThreshold null makes every test movie relevant", async () => {
  const data = tinyData();
  const r = await evaluateFullRanking(data, popularityScorer(data), { ks: [1], relevanceThreshold: null, perUser: true });
  assert.equal(r.usersEvaluated, 3);
  assert.equal(r.usersSkipped, 0);
  assert.deepEqual(
    r.perUser?.map((u) => Array.from(u.relevant)),
    [[2, 3, 4], [1, 4], [5]],
  );
  // A threshold above every rating skips everyone; the means are NaN, coverage 0.
  const none = await evaluateFullRanking(data, popularityScorer(data), { ks: [1], relevanceThreshold: 6 });
  assert.equal(none.usersEvaluated, 0);
  assert.equal(none.usersSkipped, 3);
  assert.ok(Number.isNaN(none.metrics[0].ndcg));
});

test("train movies are never recommended, even when the scorer ranks them first", async () => {
  const data = randomData(11, 40, 60, 25);
  const trainOf = new Map<number, Set<number>>();
  for (let i = 0; i < data.train.user.length; i++) {
    const u = data.train.user[i];
    if (!trainOf.has(u)) trainOf.set(u, new Set());
    trainOf.get(u)?.add(data.train.movie[i]);
  }
  // Adversarial: the scorer gives the user's own train movies the top scores.
  const adversarial = scorer((user: number, movies: Int32Array): Float32Array => {
    const base = hashScorer(1).scoreMovies(user, movies);
    return base.map((s, i) => (trainOf.get(user)?.has(movies[i]) ? 100 + s : s));
  });
  const r = await evaluateFullRanking(data, adversarial, { ks: [5, 20], relevanceThreshold: null, perUser: true });
  assert.ok(r.usersEvaluated > 30);
  for (const u of r.perUser ?? []) {
    assert.equal(u.numCandidates, data.numMovies - (trainOf.get(u.user)?.size ?? 0));
    for (const m of u.topItems) assert.ok(!trainOf.get(u.user)?.has(m), `user ${u.user} got train movie ${m}`);
    assert.ok(u.topScores.every((s) => s < 100));
  }
});

test("top-K equals a full sort of the candidates; a batched pair scorer gives identical results", async () => {
  const data = randomData(5, 30, 80, 30);
  const perUserScorer = hashScorer(9);
  const a = await evaluateFullRanking(data, perUserScorer, { ks: [5, 10], relevanceThreshold: 3, perUser: true });
  for (const u of a.perUser ?? []) {
    const rated = new Set<number>();
    for (let i = 0; i < data.train.user.length; i++) if (data.train.user[i] === u.user) rated.add(data.train.movie[i]);
    const cands = Int32Array.from(Array.from({ length: data.numMovies }, (_, m) => m).filter((m) => !rated.has(m)));
    const s = perUserScorer.scoreMovies(u.user, cands);
    const order = Array.from(cands.keys()).sort((x, y) => s[y] - s[x] || cands[x] - cands[y]);
    assert.deepEqual(
      Array.from(u.topItems),
      order.slice(0, 10).map((i) => cands[i]),
    );
  }
  let calls = 0;
  const pairScorer: MovieScorer = {
    name: "batched",
    scoreMovies: () => {
      throw new Error("a scorer with scorePairs is called through it");
    },
    maxPairsPerCall: 200, // ~4 users per call
    scorePairs: (users, movies) => {
      calls++;
      const out = new Float32Array(users.length);
      for (let i = 0; i < users.length; i++) out[i] = perUserScorer.scoreMovies(users[i], Int32Array.of(movies[i]))[0];
      return Promise.resolve(out);
    },
  };
  const b = await evaluateFullRanking(data, pairScorer, { ks: [5, 10], relevanceThreshold: 3, perUser: true });
  assert.deepEqual(b.metrics, a.metrics);
  assert.deepEqual(
    b.perUser?.map((u) => Array.from(u.topItems)),
    a.perUser?.map((u) => Array.from(u.topItems)),
  );
  assert.ok(calls > 1 && calls < a.usersEvaluated);
});

test("user subsets and seeded user sampling", async () => {
  const data = randomData(2, 50, 40, 15);
  const scorer = hashScorer(3);
  const subset = await evaluateFullRanking(data, scorer, { ks: [5], relevanceThreshold: null, users: [3, 1, 3], perUser: true });
  assert.deepEqual(
    subset.perUser?.map((u) => u.user),
    [1, 3],
  );
  const s1 = await evaluateFullRanking(data, scorer, { ks: [5], relevanceThreshold: null, sampleUsers: 10, seed: 4, perUser: true });
  const s2 = await evaluateFullRanking(data, scorer, { ks: [5], relevanceThreshold: null, sampleUsers: 10, seed: 4, perUser: true });
  const s3 = await evaluateFullRanking(data, scorer, { ks: [5], relevanceThreshold: null, sampleUsers: 10, seed: 5, perUser: true });
  const users = (r: typeof s1): number[] => r.perUser?.map((u) => u.user) ?? [];
  assert.equal(s1.usersEvaluated, 10);
  assert.equal(s1.usersNotSampled, s1.testUsers - s1.usersSkipped - 10);
  assert.deepEqual(users(s1), users(s2));
  assert.notDeepEqual(users(s1), users(s3));
  let progress = 0;
  await evaluateFullRanking(data, scorer, { ks: [5], relevanceThreshold: null, onProgress: (done) => (progress = done) });
  assert.ok(progress > 40);
});

test("bad input fails with clear errors", async () => {
  const data = tinyData();
  const pop = popularityScorer(data);
  await assert.rejects(evaluateFullRanking(data, pop, { ks: [], relevanceThreshold: 4 }), /empty/);
  await assert.rejects(evaluateFullRanking(data, pop, { ks: [0], relevanceThreshold: 4 }), /positive integer/);
  await assert.rejects(evaluateFullRanking(data, pop, { ks: [1], relevanceThreshold: NaN }), /relevanceThreshold/);
  await assert.rejects(
    evaluateFullRanking({ ...data, numMovies: 5 }, pop, { ks: [1], relevanceThreshold: 4 }),
    /test\.movie\[5\] = 5 is outside 0\.\.4/,
  );
  await assert.rejects(
    evaluateFullRanking(
      data,
      scorer((_u, movies) => new Float32Array(movies.length - 1)),
      { ks: [1], relevanceThreshold: 4 },
    ),
    /returned 3 scores for user 0's 4 movies/,
  );
  await assert.rejects(
    evaluateFullRanking(
      data,
      scorer((_u, movies) => new Float32Array(movies.length).fill(NaN)),
      { ks: [1], relevanceThreshold: 4 },
    ),
    /NaN for user 0, movie 2/,
  );
});

test("evaluationData + predictHeldOut build inputs from a dataset and split", async () => {
  const data = tinyData();
  const ratings = {
    user: Int32Array.from([...data.train.user, ...data.test.user]),
    movie: Int32Array.from([...data.train.movie, ...data.test.movie]),
    rating: Float32Array.from([...data.train.rating, ...data.test.rating]),
    timestamp: Uint32Array.from([...(data.train.timestamp ?? []), ...(data.test.timestamp ?? [])]),
    length: 14,
  };
  const split = { train: Int32Array.from({ length: 8 }, (_, i) => i), test: Int32Array.from({ length: 6 }, (_, i) => 8 + i) };
  const built = evaluationData({ ratings, numUsers: 3, numMovies: 6 }, split);
  assert.deepEqual(built.test, data.test);
  assert.deepEqual(built.train, data.train);
  // popularity of the test movies [2,3,4,1,4,5] = [2,1,0,2,0,0]
  const pop = popularityScorer(data);
  const predictor: MovieScorer = { ...pop, predictRatings: (_users, movies) => pop.scoreMovies(0, movies) };
  const { predicted, actual } = predictHeldOut({ ratings }, predictor, split.test);
  assert.deepEqual(Array.from(predicted), [2, 1, 0, 2, 0, 0]);
  assert.deepEqual(actual, data.test.rating);
});
