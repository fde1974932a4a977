// Tests for heap-based top-K selection and rank lookup: agreement with a full sort, tie rules, edge cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rankOf, selectTopK } from "../../src/evaluation";
import { Rng } from "../../src/util/random";

/** Reference: full sort by (score desc, flagged last, id asc). */
function naive(items: Int32Array, scores: Float32Array, k: number, flags: Uint8Array | null): number[] {
  const idx = Array.from(items.keys());
  idx.sort((a, b) => {
    if (scores[a] !== scores[b]) return scores[b] - scores[a];
    const fa = flags ? flags[items[a]] : 0;
    const fb = flags ? flags[items[b]] : 0;
    if (fa !== fb) return fa - fb;
    return items[a] - items[b];
  });
  return idx.slice(0, k).map((i) => items[i]);
}

test("selectTopK matches a full sort on random scores with many ties", () => {
  const rng = new Rng(3);
  for (let t = 0; t < 100; t++) {
    const n = rng.int(300);
    const items = rng.permutation(400).subarray(0, n);
    const scores = Float32Array.from({ length: n }, () => rng.int(20)); // plenty of ties
    const flags = t % 2 === 0 ? Uint8Array.from({ length: 400 }, () => (rng.next() < 0.3 ? 1 : 0)) : null;
    const k = 1 + rng.int(30);
    const top = selectTopK(items, scores, k, flags);
    assert.deepEqual(Array.from(top.items), naive(items, scores, k, flags));
    for (let i = 0; i < top.items.length; i++) {
      assert.equal(top.scores[i], scores[items.indexOf(top.items[i])]);
    }
  }
});

test("ties: lower id first, flagged (relevant) items last when pessimistic", () => {
  const items = Int32Array.from([5, 3, 9, 1]);
  const scores = Float32Array.from([1, 1, 2, 1]);
  assert.deepEqual(Array.from(selectTopK(items, scores, 4).items), [9, 1, 3, 5]);
  const flags = new Uint8Array(10);
  flags[1] = 1;
  assert.deepEqual(Array.from(selectTopK(items, scores, 4, flags).items), [9, 3, 5, 1]);
  assert.equal(rankOf(1, items, scores), 2);
  assert.equal(rankOf(1, items, scores, flags), 4);
  assert.equal(rankOf(9, items, scores, flags), 1);
});

test("K beyond the list returns the whole list sorted; K = 0 returns nothing", () => {
  const items = Int32Array.from([0, 1, 2]);
  const scores = Float32Array.from([0.1, 0.9, 0.5]);
  assert.deepEqual(Array.from(selectTopK(items, scores, 10).items), [1, 2, 0]);
  assert.equal(selectTopK(items, scores, 0).items.length, 0);
  assert.equal(selectTopK(new Int32Array(0), new Float32Array(0), 5).items.length, 0);
});

test("-Infinity and +Infinity are ordinary scores; NaN and bad input throw", () => {
  const items = Int32Array.from([0, 1, 2]);
  assert.deepEqual(Array.from(selectTopK(items, Float32Array.from([-Infinity, Infinity, 0]), 3).items), [1, 2, 0]);
  assert.throws(() => selectTopK(items, Float32Array.from([0, NaN, 1]), 2), /NaN/);
  assert.throws(() => selectTopK(items, new Float32Array(2), 2), /3 items but 2 scores/);
  assert.throws(() => selectTopK(items, new Float32Array(3), -1), /non-negative/);
  assert.throws(() => rankOf(7, items, new Float32Array(3)), /not among/);
});
