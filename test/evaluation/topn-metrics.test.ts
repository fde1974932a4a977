// Tests for the per-list top-N metrics, the aggregator and catalogue coverage against hand-computed values.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  averagePrecisionAtK,
  catalogCoverage,
  hitRateAtK,
  idealDcg,
  meanTopN,
  ndcgAtK,
  normalizeKs,
  precisionAtK,
  recallAtK,
  topNMetrics,
} from "../../src/evaluation";
import { Rng } from "../../src/util/random";
import { close } from "./fixtures";

const A = 10;
const B = 20;
const C = 30;

test("ranked [a,b,c], relevant {a,c}, K = 3", () => {
  const ranked = [A, B, C];
  const rel = new Set([A, C]);
  // hits at ranks 1 and 3
  close(precisionAtK(ranked, rel, 3), 2 / 3, "P@3"); // 2 hits / 3
  close(recallAtK(ranked, rel, 3), 1, "R@3"); // 2 hits / 2 relevant
  // DCG = 1/log2(2) + 1/log2(4) = 1 + 0.5; IDCG (2 hits) = 1/log2(2) + 1/log2(3)
  close(ndcgAtK(ranked, rel, 3), (1 / Math.log2(2) + 1 / Math.log2(4)) / (1 / Math.log2(2) + 1 / Math.log2(3)), "NDCG@3");
  close(ndcgAtK(ranked, rel, 3), 0.9197207891481876, "NDCG@3 numeric");
  assert.equal(hitRateAtK(ranked, rel, 3), 1);
  // AP = (P@1 + P@3) / min(3, 2) = (1/1 + 2/3) / 2 = 5/6
  close(averagePrecisionAtK(ranked, rel, 3), 5 / 6, "AP@3");
});

test("ranked [a,b,c], relevant {a,c}, K = 1 and K = 2", () => {
  const ranked = [A, B, C];
  const rel = new Set([A, C]);
  close(precisionAtK(ranked, rel, 1), 1, "P@1"); // a is a hit
  close(recallAtK(ranked, rel, 1), 0.5, "R@1"); // 1 of 2
  close(ndcgAtK(ranked, rel, 1), 1, "NDCG@1"); // 1 / IDCG(min(1,2)=1 hit) = 1/1
  close(averagePrecisionAtK(ranked, rel, 1), 1, "AP@1"); // P@1 / min(1,2) = 1
  close(precisionAtK(ranked, rel, 2), 0.5, "P@2"); // [a,b]: 1 hit / 2
  // DCG = 1; IDCG over min(2,2) = 2 hits = 1 + 1/log2(3)
  close(ndcgAtK(ranked, rel, 2), 1 / (1 + 1 / Math.log2(3)), "NDCG@2");
  close(averagePrecisionAtK(ranked, rel, 2), 0.5, "AP@2"); // (1/1) / min(2,2)
});

test("more relevant items than K: IDCG and AP use min(K, #relevant)", () => {
  const ranked = [1, 2, 3, 4];
  const rel = new Set([2, 5, 6]);
  // K = 2: [1, 2] -> one hit at rank 2
  close(precisionAtK(ranked, rel, 2), 1 / 2, "P@2");
  close(recallAtK(ranked, rel, 2), 1 / 3, "R@2");
  // DCG = 1/log2(3); IDCG over min(2,3) = 2 hits = 1 + 1/log2(3)
  close(ndcgAtK(ranked, rel, 2), 1 / Math.log2(3) / (1 + 1 / Math.log2(3)), "NDCG@2");
  // AP = P@2 / min(2,3) = (1/2) / 2
  close(averagePrecisionAtK(ranked, rel, 2), 0.25, "AP@2");
  assert.equal(hitRateAtK(ranked, rel, 1), 0);
  assert.equal(hitRateAtK(ranked, rel, 2), 1);
});

test("K larger than the list: precision still divides by K, the rest use the whole list", () => {
  const ranked = Int32Array.from([A, B, C]);
  const rel = new Set([A, C]);
  close(precisionAtK(ranked, rel, 5), 2 / 5, "P@5"); // 2 hits / K = 5
  close(recallAtK(ranked, rel, 5), 1, "R@5");
  // IDCG over min(5, 2) = 2 hits, so NDCG equals NDCG@3
  close(ndcgAtK(ranked, rel, 5), 1.5 / (1 + 1 / Math.log2(3)), "NDCG@5");
  close(averagePrecisionAtK(ranked, rel, 5), 5 / 6, "AP@5");
  assert.equal(hitRateAtK(ranked, rel, 100), 1);
});

test("no hits gives zeros; an empty ranked list gives zeros", () => {
  const rel = new Set([7]);
  for (const ranked of [[1, 2, 3], []]) {
    assert.equal(precisionAtK(ranked, rel, 3), 0);
    assert.equal(recallAtK(ranked, rel, 3), 0);
    assert.equal(ndcgAtK(ranked, rel, 3), 0);
    assert.equal(hitRateAtK(ranked, rel, 3), 0);
    assert.equal(averagePrecisionAtK(ranked, rel, 3), 0);
  }
});

test("no relevant items: precision and HR are 0, recall / NDCG / AP throw", () => {
  const none = new Set<number>();
  assert.equal(precisionAtK([1, 2], none, 2), 0);
  assert.equal(hitRateAtK([1, 2], none, 2), 0);
  assert.throws(() => recallAtK([1, 2], none, 2), /relevant set is empty/);
  assert.throws(() => ndcgAtK([1, 2], none, 2), /relevant set is empty/);
  assert.throws(() => averagePrecisionAtK([1, 2], none, 2), /relevant set is empty/);
  assert.throws(() => topNMetrics([1, 2], none, [2]), /relevant set is empty/);
});

test("invalid K and repeated items are rejected", () => {
  const rel = new Set([1]);
  assert.throws(() => precisionAtK([1], rel, 0), /positive integer/);
  assert.throws(() => ndcgAtK([1], rel, 1.5), /positive integer/);
  assert.throws(() => hitRateAtK([1], rel, -1), /positive integer/);
  assert.throws(() => precisionAtK([1, 1], rel, 2), /repeats item 1/);
  assert.throws(() => topNMetrics([1, 2, 1], rel, [3]), /repeats item 1/);
  // a repeat beyond K is not looked at
  assert.equal(precisionAtK([1, 2, 1], rel, 2), 0.5);
  assert.throws(() => normalizeKs([]), /empty/);
  assert.deepEqual(normalizeKs([20, 5, 10, 5]), [5, 10, 20]);
});

test("idealDcg: sum of 1/log2(i+1) for i = 1..n", () => {
  assert.equal(idealDcg(0), 0);
  close(idealDcg(3), 1 + 1 / Math.log2(3) + 0.5, "IDCG(3)");
});

test("topNMetrics agrees with the single-metric functions on random lists", () => {
  const rng = new Rng(7);
  for (let t = 0; t < 200; t++) {
    const ranked = Array.from(rng.permutation(30).subarray(0, 1 + rng.int(25)));
    const rel = new Set(Array.from(rng.permutation(30).subarray(0, 1 + rng.int(10))));
    const ks = [1, 3, 5, 10, 40];
    const all = topNMetrics(ranked, rel, ks);
    all.forEach((m, j) => {
      const k = ks[j];
      assert.equal(m.k, k);
      close(m.precision, precisionAtK(ranked, rel, k), `P@${k}`, 1e-12);
      close(m.recall, recallAtK(ranked, rel, k), `R@${k}`, 1e-12);
      close(m.ndcg, ndcgAtK(ranked, rel, k), `NDCG@${k}`, 1e-12);
      close(m.hitRate, hitRateAtK(ranked, rel, k), `HR@${k}`, 1e-12);
      close(m.map, averagePrecisionAtK(ranked, rel, k), `AP@${k}`, 1e-12);
      assert.ok(m.ndcg >= 0 && m.ndcg <= 1 + 1e-12 && m.map >= 0 && m.map <= 1 + 1e-12);
    });
  }
});

test("meanTopN averages per K; no users gives NaN; mismatched cutoffs throw", () => {
  const u1 = topNMetrics([A, B, C], new Set([A, C]), [1, 3]); // P@1 1, P@3 2/3
  const u2 = topNMetrics([B, A], new Set([A]), [1, 3]); // P@1 0, P@3 1/3; NDCG@3 = 1/log2(3)
  const mean = meanTopN([u1, u2], [3, 1]);
  assert.deepEqual(
    mean.map((m) => m.k),
    [1, 3],
  );
  close(mean[0].precision, 0.5, "mean P@1"); // (1 + 0) / 2
  close(mean[1].precision, 0.5, "mean P@3"); // (2/3 + 1/3) / 2
  close(mean[1].hitRate, 1, "mean HR@3");
  close(mean[1].ndcg, (1.5 / (1 + 1 / Math.log2(3)) + 1 / Math.log2(3)) / 2, "mean NDCG@3");
  close(mean[1].map, (5 / 6 + 1 / 2) / 2, "mean MAP@3"); // u2: AP = P@2 / min(3,1) = 1/2
  assert.ok(Number.isNaN(meanTopN([], [5])[0].ndcg));
  assert.throws(() => meanTopN([u1], [1, 5]), /cutoffs/);
});

test("catalogCoverage counts distinct items in the top K of any list", () => {
  const lists = [[0, 1, 2], Int32Array.from([2, 3])];
  close(catalogCoverage(lists, 10, 2), 4 / 10, "K=2"); // {0,1} ∪ {2,3}
  close(catalogCoverage(lists, 10, 1), 2 / 10, "K=1"); // {0} ∪ {2}
  close(catalogCoverage(lists, 10), 4 / 10, "whole lists"); // {0,1,2,3}
  assert.equal(catalogCoverage([], 10, 5), 0);
  assert.throws(() => catalogCoverage([[10]], 10), /outside the catalogue/);
  assert.throws(() => catalogCoverage([[1]], 0), /numItems/);
});
