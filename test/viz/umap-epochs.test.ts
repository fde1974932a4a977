// Tests for UMAP's flat-array epoch loop: umap-js's own step() to rounding for one epoch, and the same neighbourhoods over a whole run, from the same initialised model and random stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UMAP } from "umap-js";
import { gaussianClusters, knnPreservation, toRows } from "../../src/viz/projection";
import { umapLayout, umapLayoutEpoch } from "../../src/viz/projection/umap-epochs";
import { Rng } from "../../src/util/random";

test("the flat epoch loop reproduces umap-js's optimizeLayoutStep: its first epochs to 1e-12 in 2-D and 3-D, a whole run with the same draws and neighbourhoods", () => {
  const m = gaussianClusters({ n: 700, dim: 12, clusters: 5, centerStd: 1, seed: 8 });
  const rows = toRows(m);
  const model = (rng: Rng) => new UMAP({ nComponents: 2, nNeighbors: 12, nEpochs: 120, random: () => rng.next() });
  const rngA = new Rng(17);
  const a = model(rngA);
  const epochs = a.initializeFit(rows);
  const rngB = new Rng(17);
  const b = model(rngB);
  assert.equal(b.initializeFit(rows), epochs);
  const layout = umapLayout(b);
  const start = Float64Array.from(layout.embedding);
  // Epoch 0 samples no edge (each is first due at its epochsPerSample ≥ 1): compare after three.
  const early = 3;
  for (let e = 0; e < early; e++) {
    a.step();
    umapLayoutEpoch(layout, () => rngB.next());
  }
  let worst = 0;
  let moved = 0;
  for (let i = 0; i < rows.length; i++)
    for (let d = 0; d < 2; d++) {
      worst = Math.max(worst, Math.abs(layout.embedding[i * 2 + d] - a.getEmbedding()[i][d]));
      if (layout.embedding[i * 2 + d] !== start[i * 2 + d]) moved++;
    }
  assert.ok(worst < 1e-12, `${early} epochs: largest difference ${worst}`);
  assert.ok(moved > rows.length, "the epochs moved the layout");
  for (let e = early; e < epochs; e++) {
    a.step();
    umapLayoutEpoch(layout, () => rngB.next());
  }
  assert.equal(layout.epoch, epochs);
  assert.equal(rngA.next(), rngB.next(), "both drew the same number of negatives");
  const ours = knnPreservation(m, { rows: rows.length, cols: 2, data: layout.embedding });
  const reference = knnPreservation(m, a.getEmbedding());
  assert.ok(reference > 0.2, `umap-js's layout keeps neighbourhoods (${reference})`);
  assert.ok(Math.abs(ours - reference) < 0.03, `10-NN preservation: ours ${ours}, umap-js ${reference}`);
  assert.throws(() => umapLayout(model(new Rng(1))), /has not run initializeFit/);
  // 2-D runs a loop of its own; the general loop (here 3-D) agrees with umap-js too.
  const rng3a = new Rng(4);
  const rng3b = new Rng(4);
  const three = (rng: Rng) => new UMAP({ nComponents: 3, nNeighbors: 12, nEpochs: 60, random: () => rng.next() });
  const a3 = three(rng3a);
  a3.initializeFit(rows);
  const b3 = three(rng3b);
  b3.initializeFit(rows);
  const layout3 = umapLayout(b3);
  for (let e = 0; e < early; e++) {
    a3.step();
    umapLayoutEpoch(layout3, () => rng3b.next());
  }
  let worst3 = 0;
  for (let i = 0; i < rows.length; i++)
    for (let d = 0; d < 3; d++) worst3 = Math.max(worst3, Math.abs(layout3.embedding[i * 3 + d] - a3.getEmbedding()[i][d]));
  assert.ok(worst3 < 1e-12, `3-D, ${early} epochs: largest difference ${worst3}`);
  assert.equal(rng3a.next(), rng3b.next());
});
