// Tests the seeded generator's Gamma draws (the Gibbs sampler's precisions): moments for shapes below and above 1, determinism, bad shapes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/util/random";

test("Rng.gamma has the Gamma(shape, 1) mean and variance, for shapes below and above 1", () => {
  for (const shape of [0.3, 1, 3.5, 400]) {
    const rng = new Rng(17);
    const n = 40_000;
    let sum = 0;
    let squares = 0;
    for (let k = 0; k < n; k++) {
      const x = rng.gamma(shape);
      assert.ok(x >= 0 && Number.isFinite(x), `draw ${x}`);
      sum += x;
      squares += x * x;
    }
    const mean = sum / n;
    const variance = squares / n - mean * mean;
    // Both moments equal the shape; the mean's standard error is sqrt(shape / n), so 5 of them is a safe margin.
    assert.ok(Math.abs(mean - shape) < 5 * Math.sqrt(shape / n), `shape ${shape}: mean ${mean}`);
    assert.ok(Math.abs(variance / shape - 1) < 0.06, `shape ${shape}: variance ${variance}`);
  }
});

test("Rng.gamma repeats for a seed and refuses a shape that is not a positive finite number", () => {
  const a = new Rng(5);
  const b = new Rng(5);
  for (let k = 0; k < 100; k++) assert.equal(a.gamma(2.5), b.gamma(2.5));
  assert.throws(() => a.gamma(0), /shape must be a finite number > 0, got 0/);
  assert.throws(() => a.gamma(Number.NaN), /got NaN/);
});
