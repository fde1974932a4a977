// Tests for rating histograms: scale edges, bin boundaries, clipping, joint counts and per-bin mean predictions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { histogram, ratingDistributions, scaleEdges } from "../../src/evaluation";
import { close } from "./fixtures";

test("scaleEdges centres one bin on each rating", () => {
  assert.deepEqual(scaleEdges({ min: 1, max: 5, step: 1 }), [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
  const half = scaleEdges({ min: 0.5, max: 5, step: 0.5 });
  assert.equal(half.length, 11); // 10 ratings 0.5, 1, ..., 5
  close(half[0], 0.25, "first edge");
  close(half[10], 5.25, "last edge");
  assert.throws(() => scaleEdges({ min: 1, max: 5, step: 0.3 }), /whole number/);
  assert.throws(() => scaleEdges({ min: 5, max: 1, step: 1 }), /min <= max/);
});

test("histogram: left-closed bins, last bin closed, outside counted or clipped", () => {
  const edges = [0, 1, 2, 3];
  // 0 -> bin 0; 1 -> bin 1 (left-closed); 2.5 -> bin 2; 3 -> bin 2 (last bin includes its right edge); -1 below; 4 above
  const h = histogram([0, 1, 2.5, 3, -1, 4], edges);
  assert.deepEqual(h.counts, [1, 1, 2]);
  assert.equal(h.below, 1);
  assert.equal(h.above, 1);
  assert.equal(h.total, 6);
  assert.deepEqual(h.centers, [0.5, 1.5, 2.5]);
  const clipped = histogram([0, 1, 2.5, 3, -1, 4], edges, true);
  assert.deepEqual(clipped.counts, [2, 1, 3]);
  assert.equal(clipped.below + clipped.above, 0);
  assert.deepEqual(histogram([], edges).counts, [0, 0, 0]);
  assert.throws(() => histogram([1], [0]), /at least 2/);
  assert.throws(() => histogram([1], [0, 2, 1]), /strictly increase/);
  assert.throws(() => histogram([NaN], edges), /NaN/);
});

test("ratingDistributions on a 1..5 scale", () => {
  const pred = Float32Array.from([1.2, 2.6, 4.9, 5.7, 0.2]);
  const actual = Float32Array.from([1, 3, 5, 5, 1]);
  // bins [0.5,1.5) [1.5,2.5) [2.5,3.5) [3.5,4.5) [4.5,5.5]
  const d = ratingDistributions(pred, actual, { min: 1, max: 5, step: 1 });
  assert.deepEqual(d.centers, [1, 2, 3, 4, 5]);
  assert.deepEqual(d.actual.counts, [2, 0, 1, 0, 2]);
  assert.deepEqual(d.predicted.counts, [1, 0, 1, 0, 1]); // 1.2, 2.6, 4.9 inside
  assert.equal(d.predicted.below, 1); // 0.2
  assert.equal(d.predicted.above, 1); // 5.7
  // joint: (actual 1, pred 1.2), (3, 2.6), (5, 4.9); the out-of-range predictions are left out
  assert.equal(d.joint[0][0], 1);
  assert.equal(d.joint[2][2], 1);
  assert.equal(d.joint[4][4], 1);
  assert.equal(
    d.joint.flat().reduce((a, b) => a + b, 0),
    3,
  );
  // mean prediction per actual bin: 1 -> (1.2 + 0.2)/2, 3 -> 2.6, 5 -> (4.9 + 5.7)/2
  close(d.meanPredictedByActual[0] ?? NaN, 0.7, "mean@1", 1e-6);
  close(d.meanPredictedByActual[2] ?? NaN, 2.6, "mean@3", 1e-6);
  close(d.meanPredictedByActual[4] ?? NaN, 5.3, "mean@5", 1e-6);
  assert.equal(d.meanPredictedByActual[1], null);

  const c = ratingDistributions(pred, actual, { edges: [0.5, 1.5, 2.5, 3.5, 4.5, 5.5] }, true);
  assert.deepEqual(c.predicted.counts, [2, 0, 1, 0, 2]);
  assert.equal(c.joint[0][0], 2); // 0.2 clipped into bin 1
  assert.equal(c.joint[4][4], 2); // 5.7 clipped into bin 5
  assert.throws(() => ratingDistributions([1], [1, 2], { min: 1, max: 5, step: 1 }), /lengths differ/);
});
