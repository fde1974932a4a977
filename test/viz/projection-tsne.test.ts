// Tests fast t-SNE against the tsne-js reference (exact KL and kNN preservation) and the seeding of the tsne-js wrapper.
import { test } from "node:test";
import assert from "node:assert/strict";
import { asMatrix, exactKL, gaussianClusters, knnPreservation, tsne, tsneExact } from "../../src/viz/projection";

test("tsneExact is repeatable with a seed and restores Math.random", () => {
  const m = gaussianClusters({ n: 60, seed: 2, dim: 8, clusters: 3 });
  const original = Math.random;
  const a = tsneExact(m, { seed: 9, nIter: 200, perplexity: 10 });
  assert.equal(Math.random, original);
  const b = tsneExact(m, { seed: 9, nIter: 200, perplexity: 10 });
  const c = tsneExact(m, { seed: 10, nIter: 200, perplexity: 10 });
  assert.deepEqual(Array.from(a.coords), Array.from(b.coords));
  assert.notDeepEqual(Array.from(a.coords), Array.from(c.coords));
  assert.equal(a.coords.length, 120);
  assert.throws(() => tsneExact(gaussianClusters({ n: 501, seed: 1, dim: 2 })), /exceeds maxRows=500/);
  assert.throws(
    () =>
      tsneExact([
        [NaN, 1],
        [0, 1],
      ]),
    /NaN at row 0, column 0/,
  );
});

test("fast t-SNE vs tsne-js on 300 points: exact KL within 5% (or lower) and kNN preservation at least as good", () => {
  const m = gaussianClusters({ n: 300, seed: 8, clusters: 10, centerStd: 1 });
  const fast = tsne(m, { seed: 1 });
  // tsne-js as its README configures it (its default learning rate 1000 stalls early on inputs this small).
  const ref = tsneExact(m, { seed: 1, perplexity: 30, earlyExaggeration: 4, learningRate: 100, nIter: 1000 });
  const klFast = exactKL(m, asMatrix(fast));
  const klRef = exactKL(m, asMatrix(ref));
  const presFast = knnPreservation(m, asMatrix(fast), 10);
  const presRef = knnPreservation(m, asMatrix(ref), 10);
  console.log(
    `fast t-SNE ${fast.seconds.toFixed(2)} s KL ${klFast.toFixed(4)} kNN-pres ${presFast.toFixed(3)} | ` +
      `tsne-js ${ref.seconds.toFixed(1)} s KL ${klRef.toFixed(4)} kNN-pres ${presRef.toFixed(3)} (stopped at ${ref.diagnostics.iterations})`,
  );
  assert.ok(klFast <= 1.05 * klRef, `fast KL ${klFast} vs tsne-js ${klRef}`);
  assert.ok(presFast >= presRef, `fast kNN preservation ${presFast} vs tsne-js ${presRef}`);
  // The same comparison under tsne-js's own P (kernel on plain distances); that KL reproduces tsne-js's reported error.
  const klRefPlain = exactKL(m, asMatrix(ref), { kernelOn: "plain" });
  assert.ok(Math.abs(klRefPlain / ref.diagnostics.error - 1) < 0.01, `${klRefPlain} vs tsne-js's own ${ref.diagnostics.error}`);
  assert.ok(exactKL(m, asMatrix(fast), { kernelOn: "plain" }) <= 1.05 * klRefPlain);
});

test("fast t-SNE's θ schedule: each phase runs at its own θ (coarse during early exaggeration, finer at the end), on one thread and two; the defaults are reported; bad values are refused", () => {
  const m = gaussianClusters({ n: 1_500, seed: 4, dim: 16, clusters: 6, centerStd: 1 });
  const base = { seed: 2, nIter: 30, knnMethod: "brute" as const };
  const same = (a: { coords: Float32Array }, b: { coords: Float32Array }) => assert.deepEqual(Array.from(a.coords), Array.from(b.coords));
  for (const threads of [1, 2]) {
    // All 30 iterations in the final phase: finalTheta 0.3 must act exactly like a flat θ 0.3, and unlike θ 0.5.
    const final = tsne(m, { ...base, threads, exaggerationIter: 0, finalIterations: 30, theta: 0.5, finalTheta: 0.3 });
    same(final, tsne(m, { ...base, threads, exaggerationIter: 0, finalIterations: 30, theta: 0.3, finalTheta: 0.3 }));
    assert.notDeepEqual(
      Array.from(final.coords),
      Array.from(tsne(m, { ...base, threads, exaggerationIter: 0, finalIterations: 30, theta: 0.5, finalTheta: 0.5 }).coords),
    );
    // All 30 iterations exaggerated: exaggerationTheta rules them, and the final phase never starts inside them.
    const early = tsne(m, { ...base, threads, exaggerationIter: 30, theta: 0.5, exaggerationTheta: 0.9, finalTheta: 0.2 });
    same(early, tsne(m, { ...base, threads, exaggerationIter: 30, theta: 0.9, exaggerationTheta: 0.9, finalTheta: 0.9 }));
    assert.equal(early.diagnostics.threads, threads);
  }
  const d = tsne(m, { ...base, nIter: 5 }).diagnostics;
  assert.equal(d.theta, 0.5);
  assert.deepEqual(d.thetaSchedule, { exaggeration: 1, main: 0.5, final: 0.3, finalIterations: 150 });
  assert.deepEqual(tsne(m, { ...base, nIter: 5, theta: 0.2 }).diagnostics.thetaSchedule, {
    exaggeration: 0.4,
    main: 0.2,
    final: 0.2 * 0.6,
    finalIterations: 150,
  });
  assert.throws(() => tsne(m, { ...base, finalTheta: 1.5 }), /finalTheta must be in \[0, 1\], got 1\.5/);
  assert.throws(() => tsne(m, { ...base, exaggerationTheta: -0.1 }), /exaggerationTheta must be in \[0, 1\]/);
  assert.throws(() => tsne(m, { ...base, theta: 0, finalTheta: 0.3 }), /theta 0 asks for the exact repulsion throughout/);
  assert.throws(() => tsne(m, { ...base, finalIterations: 2.5 }), /finalIterations must be a non-negative integer, got 2\.5/);
});
