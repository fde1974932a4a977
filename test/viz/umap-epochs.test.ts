// Tests for UMAP's flat-array epoch loop: the same coordinates as umap-js's own step(), bit for bit, from the same initialised model and random stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UMAP } from "umap-js";
import { gaussianClusters, toRows } from "../../src/viz/projection";
import { umapLayout, umapLayoutEpoch } from "../../src/viz/projection/umap-epochs";
import { Rng } from "../../src/util/random";

test("the flat epoch loop reproduces umap-js's optimizeLayoutStep exactly (same state, same random draws)", () => {
  const rows = toRows(gaussianClusters({ n: 700, dim: 12, clusters: 5, centerStd: 1, seed: 8 }));
  const model = (rng: Rng) => new UMAP({ nComponents: 2, nNeighbors: 12, nEpochs: 120, random: () => rng.next() });
  const rngA = new Rng(17);
  const a = model(rngA);
  const epochs = a.initializeFit(rows);
  const rngB = new Rng(17);
  const b = model(rngB);
  assert.equal(b.initializeFit(rows), epochs);
  const layout = umapLayout(b);
  for (let e = 0; e < epochs; e++) {
    a.step();
    umapLayoutEpoch(layout, () => rngB.next());
  }
  const reference = a.getEmbedding();
  let moved = 0;
  for (let i = 0; i < rows.length; i++)
    for (let d = 0; d < 2; d++) {
      assert.ok(Object.is(layout.embedding[i * 2 + d], reference[i][d]), `row ${i}, dimension ${d}`);
      if (layout.embedding[i * 2 + d] !== 0) moved++;
    }
  assert.ok(moved > rows.length, "the layout is not trivial");
  assert.equal(layout.epoch, epochs);
  assert.equal(rngA.next(), rngB.next(), "both drew the same number of negatives");
  assert.throws(() => umapLayout(model(new Rng(1))), /has not run initializeFit/);
});
