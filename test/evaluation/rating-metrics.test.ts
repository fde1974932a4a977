// Tests for RMSE / MAE / mean error / clamping against hand-computed values and their error cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clampRatings, mae, meanError, rmse } from "../../src/evaluation";
import { close } from "./fixtures";

test("rmse and mae on a hand-computed case", () => {
  // errors: 0, 0, -2  -> squared 0, 0, 4 -> RMSE = sqrt(4/3); MAE = (0 + 0 + 2) / 3
  close(rmse([1, 2, 3], [1, 2, 5]), Math.sqrt(4 / 3), "rmse");
  close(mae([1, 2, 3], [1, 2, 5]), 2 / 3, "mae");
  // errors: +0.5, -1.5 -> RMSE = sqrt((0.25 + 2.25) / 2) = sqrt(1.25); MAE = (0.5 + 1.5) / 2 = 1; bias = -0.5
  const pred = Float32Array.from([3.5, 2.5]);
  const actual = Float32Array.from([3, 4]);
  close(rmse(pred, actual), Math.sqrt(1.25), "rmse f32");
  close(mae(pred, actual), 1, "mae f32");
  close(meanError(pred, actual), -0.5, "meanError");
});

test("perfect predictions give 0", () => {
  assert.equal(rmse([4, 5], Float32Array.from([4, 5])), 0);
  assert.equal(mae([4, 5], [4, 5]), 0);
});

test("rating metrics reject mismatched, empty and NaN input with clear errors", () => {
  assert.throws(() => rmse([1, 2], [1]), /lengths differ \(2 vs 1\)/);
  assert.throws(() => mae([1], [1, 2]), /lengths differ/);
  assert.throws(() => rmse([], []), /empty/);
  assert.throws(() => mae(new Float32Array(0), new Float32Array(0)), /empty/);
  assert.throws(() => rmse([1, NaN], [1, 2]), /predicted\[1\]/);
  assert.throws(() => mae([1, 2], [Infinity, 2]), /actual\[0\]/);
});

test("clampRatings clips into the scale", () => {
  assert.deepEqual(Array.from(clampRatings([0.2, 3, 5.7], 0.5, 5)), [0.5, 3, 5]);
  assert.throws(() => clampRatings([1], 5, 1), /min/);
});
