// Tests for the NCF leave-one-out protocol: hand-computed ranks, negative sampling rules and seeded repeatability.
import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateLeaveOneOut, latestTestItems, metricsAt, sampleNegatives, userRng } from "../../src/evaluation";
import { Rng } from "../../src/util/random";
import { close, hashScorer, popularityScorer, randomData, tinyData } from "./fixtures";

test("latestTestItems picks each user's latest (relevant) test movie", () => {
  const data = tinyData();
  // u0: m2 @10, m3 @20, m4 @15 -> m3; u1: m1 @5, m4 @6 -> m4; u2: m5 @7 -> m5
  assert.deepEqual(Array.from(latestTestItems(data.test, 3, null)), [3, 4, 5]);
  // relevant (>= 4) only: u0 m2 @10, m4 @15 -> m4; u1 m4; u2 none
  assert.deepEqual(Array.from(latestTestItems(data.test, 3, 4)), [4, 4, -1]);
  assert.throws(() => latestTestItems({ ...data.test, timestamp: undefined }, 3, null), /no timestamp/);
});

test("hand-computed leave-one-out with a popularity scorer", async () => {
  const data = tinyData();
  // popularity: m0 3, m1 2, m2 2, m3 1, m4 0, m5 0.  numNegatives = 2.
  // u0: rated {0,1,2,3,4} -> only m5 unrated -> 1 negative (fewer). held-out m3 (score 1) vs m5 (0): rank 1
  // u1: rated {0,1,2,3,4} -> negative m5. held-out m4 (0) ties m5 (0), pessimistic: rank 2
  // u2: rated {0,1,2,5} -> negatives {3,4}. held-out m5 (0) vs m3 (1), m4 (0): rank 3
  const r = await evaluateLeaveOneOut(data, popularityScorer(data), {
    ks: [1, 2],
    relevanceThreshold: null,
    numNegatives: 2,
    seed: 1,
    perUser: true,
  });
  assert.equal(r.protocol, "leave-one-out");
  assert.equal(r.usersEvaluated, 3);
  assert.equal(r.usersSkipped, 0);
  assert.equal(r.usersWithFewerNegatives, 2);
  assert.deepEqual(
    r.perUser?.map((u) => [u.heldOut, u.rank, Array.from(u.negatives).sort()]),
    [
      [3, 1, [5]],
      [4, 2, [5]],
      [5, 3, [3, 4]],
    ],
  );
  const m1 = metricsAt(r, 1);
  // only u0 hits at K = 1 (rank 1): HR = NDCG = P = R = MAP = 1/3
  close(m1.hitRate, 1 / 3, "HR@1");
  close(m1.ndcg, 1 / 3, "NDCG@1");
  close(m1.precision, 1 / 3, "P@1");
  close(m1.map, 1 / 3, "MAP@1");
  assert.equal(m1.coverage, null);
  const m2 = metricsAt(r, 2);
  // K = 2: u0 rank 1 (NDCG 1, AP 1, P 1/2), u1 rank 2 (NDCG 1/log2(3), AP 1/2, P 1/2), u2 miss
  close(m2.hitRate, 2 / 3, "HR@2");
  close(m2.recall, 2 / 3, "R@2");
  close(m2.ndcg, (1 + 1 / Math.log2(3)) / 3, "NDCG@2");
  close(m2.map, (1 + 0.5) / 3, "MAP@2");
  close(m2.precision, (0.5 + 0.5) / 3, "P@2");

  // With "index" ties u1's m4 beats m5 (lower id): rank 1.
  const idx = await evaluateLeaveOneOut(data, popularityScorer(data), {
    ks: [1],
    relevanceThreshold: null,
    numNegatives: 2,
    tieBreak: "index",
    perUser: true,
  });
  assert.equal(idx.perUser?.[1].rank, 1);
});

test("threshold: held-out = latest relevant test movie; users without one are skipped", async () => {
  const data = tinyData();
  const r = await evaluateLeaveOneOut(data, popularityScorer(data), {
    ks: [1],
    relevanceThreshold: 4,
    numNegatives: 2,
    perUser: true,
  });
  assert.deepEqual(
    r.perUser?.map((u) => u.heldOut),
    [4, 4],
  );
  assert.equal(r.testUsers, 3);
  assert.equal(r.usersEvaluated, 2);
  assert.equal(r.usersSkipped, 1);
});

test("given held-out items are used as is", async () => {
  const data = tinyData();
  // u0 held-out m2 (score 2) vs m5 (0) -> rank 1; u1 none; u2 held-out m4 (0) vs negative m3 (1) -> rank 2
  const r = await evaluateLeaveOneOut(data, popularityScorer(data), {
    ks: [1],
    relevanceThreshold: 4,
    numNegatives: 5,
    heldOut: [2, -1, 4],
    perUser: true,
  });
  assert.deepEqual(
    r.perUser?.map((u) => [u.user, u.heldOut, u.rank]),
    [
      [0, 2, 1],
      [2, 4, 2],
    ],
  );
  assert.equal(r.usersSkipped, 1);
  await assert.rejects(
    evaluateLeaveOneOut(data, popularityScorer(data), { ks: [1], relevanceThreshold: null, heldOut: [1, 2] }),
    /one per user/,
  );
  await assert.rejects(
    evaluateLeaveOneOut(data, popularityScorer(data), { ks: [1], relevanceThreshold: null, heldOut: [1, 2, 6] }),
    /heldOut\[2\] = 6/,
  );
});

test("negatives: 99 distinct movies never rated in train or test, repeatable per seed", async () => {
  const data = randomData(21, 40, 400, 60);
  const rated = new Map<number, Set<number>>();
  for (const cols of [data.train, data.test]) {
    for (let i = 0; i < cols.user.length; i++) {
      if (!rated.has(cols.user[i])) rated.set(cols.user[i], new Set());
      rated.get(cols.user[i])?.add(cols.movie[i]);
    }
  }
  const opts = { ks: [10], relevanceThreshold: null, seed: 42, perUser: true };
  const a = await evaluateLeaveOneOut(data, hashScorer(1), opts);
  const b = await evaluateLeaveOneOut(data, hashScorer(2), opts); // the scorer does not influence sampling
  const c = await evaluateLeaveOneOut(data, hashScorer(1), { ...opts, seed: 43 });
  assert.ok(a.usersEvaluated > 30);
  assert.equal(a.numNegatives, 99);
  assert.equal(a.usersWithFewerNegatives, 0);
  for (const u of a.perUser ?? []) {
    assert.equal(u.negatives.length, 99);
    assert.equal(new Set(u.negatives).size, 99);
    for (const m of u.negatives) assert.ok(!rated.get(u.user)?.has(m), `user ${u.user}: negative ${m} was rated`);
    assert.ok(!u.negatives.includes(u.heldOut));
    assert.ok(u.rank >= 1 && u.rank <= 100);
  }
  const negs = (r: typeof a): number[][] => r.perUser?.map((u) => Array.from(u.negatives)) ?? [];
  assert.deepEqual(negs(a), negs(b));
  assert.notDeepEqual(negs(a), negs(c));
  // A user's negatives depend only on (seed, user), not on which other users are evaluated.
  const one = await evaluateLeaveOneOut(data, hashScorer(1), { ...opts, users: [7] });
  const user7 = a.perUser?.find((u) => u.user === 7);
  assert.ok(user7);
  assert.deepEqual(negs(one), [Array.from(user7.negatives)]);
  // Means are consistent with the per-user ranks: HR@10 = share of ranks <= 10.
  const hits = (a.perUser ?? []).filter((u) => u.rank <= 10).length;
  close(metricsAt(a, 10).hitRate, hits / a.usersEvaluated, "HR@10");
});

test("sampleNegatives: both sampling regimes are distinct, exclusive, seeded and roughly uniform", () => {
  // sparse exclusions (rejection sampling) and dense exclusions (partial shuffle of the remaining pool)
  for (const numExcluded of [20, 240]) {
    const exclude = Array.from({ length: numExcluded }, (_, i) => (i * 7) % 300);
    const x = sampleNegatives(300, exclude, 50, new Rng(5));
    const y = sampleNegatives(300, exclude, 50, new Rng(5));
    assert.deepEqual(Array.from(x), Array.from(y));
    assert.equal(new Set(x).size, 50);
    const ex = new Set(exclude);
    for (const m of x) assert.ok(!ex.has(m) && m >= 0 && m < 300);
  }
  // too few available: all of them, ascending
  assert.deepEqual(Array.from(sampleNegatives(5, [0, 2], 10, new Rng(1))), [1, 3, 4]);
  // uniformity: 1 draw from the 10 available movies, 20,000 times -> each ~2,000
  for (const exclude of [[0, 1], Array.from({ length: 90 }, (_, i) => i)]) {
    const numMovies = exclude.length + 10;
    const counts = new Map<number, number>();
    const rng = new Rng(9);
    for (let t = 0; t < 20000; t++) {
      const m = sampleNegatives(numMovies, exclude, 1, rng)[0];
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    assert.equal(counts.size, 10);
    for (const n of counts.values()) assert.ok(n > 1700 && n < 2300, `count ${n}`);
  }
  assert.notDeepEqual(Array.from(sampleNegatives(1000, [], 5, userRng(1, 0))), Array.from(sampleNegatives(1000, [], 5, userRng(1, 1))));
});
