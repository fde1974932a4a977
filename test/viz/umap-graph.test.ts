// Tests for UMAP's typed-array graph and starting layout: umap-js's initializeFit state, bit for bit, and whole runs equal to umap-js's fit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UMAP } from "umap-js";
import { gaussianClusters, knnPreservation, toRows, umap } from "../../src/viz/projection";
import { umapLayout } from "../../src/viz/projection/umap-epochs";
import { umapNeighbours } from "../../src/viz/projection/umap";
import { UmapNeighbourLists, umapInitialLayout } from "../../src/viz/projection/umap-graph";
import { Rng } from "../../src/util/random";

/** Exact neighbour lists (self first), by brute force. */
function bruteLists(rows: number[][], k: number): UmapNeighbourLists {
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const d = rows.map((r, j) => ({ j, d: j === i ? 0 : Math.hypot(...r.map((v, a) => v - rows[i][a])) }));
    d.sort((x, y) => (x.j === i ? -1 : y.j === i ? 1 : x.d - y.d || x.j - y.j));
    indices.push(d.slice(0, k).map((e) => e.j));
    distances.push(d.slice(0, k).map((e) => e.d));
  }
  return { indices, distances };
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

const cases: { name: string; options: Record<string, number> }[] = [
  { name: "defaults", options: {} },
  {
    name: "local connectivity 1.5, mix 0.7, min dist 0.3, 4 negatives",
    options: { localConnectivity: 1.5, setOpMixRatio: 0.7, minDist: 0.3, negativeSampleRate: 4, nEpochs: 90 },
  },
];

for (const c of cases) {
  test(`the typed-array graph and start equal umap-js's initializeFit state (${c.name})`, () => {
    const rows = toRows(gaussianClusters({ n: 600, dim: 10, clusters: 4, centerStd: 1, seed: 5 }));
    const k = 11;
    const lists = bruteLists(rows, k);
    // A repeated neighbour (umap-js keeps the later one) and a missing one (-1), as an approximate search may give.
    lists.indices[3][5] = lists.indices[3][4];
    lists.distances[3][5] = lists.distances[3][4] * 1.01;
    lists.indices[7][k - 1] = -1;
    const rngA = new Rng(9);
    const model = new UMAP({ nComponents: 2, nNeighbors: k, random: () => rngA.next(), ...c.options });
    model.setPrecomputedKNN(lists.indices, lists.distances);
    model.initializeFit(rows);
    const reference = umapLayout(model);
    const rngB = new Rng(9);
    const ours = umapInitialLayout(lists, { dims: 2, nNeighbors: k, ...c.options }, () => rngB.next());
    assert.equal(ours.nEpochs, reference.nEpochs);
    sameArray(ours.head, reference.head, "head");
    sameArray(ours.tail, reference.tail, "tail");
    sameArray(ours.epochsPerSample, reference.epochsPerSample, "epochsPerSample");
    sameArray(ours.epochsPerNegativeSample, reference.epochsPerNegativeSample, "epochsPerNegativeSample");
    sameArray(ours.embedding, reference.embedding, "embedding");
    for (const key of ["a", "b", "gamma", "alpha", "initialAlpha"] as const) assert.ok(Object.is(ours[key], reference[key]), key);
    assert.ok(ours.head.length > rows.length * (k - 1), "the union adds reverse edges");
    assert.equal(rngA.next(), rngB.next(), "the same number of random draws");
  });
}

test("umap() runs umap-js's UMAP: the same neighbourhoods as its fit, with its NN-descent and with the exact neighbours", () => {
  const m = gaussianClusters({ n: 500, dim: 8, clusters: 3, centerStd: 1, seed: 2 });
  const rows = toRows(m);
  for (const knn of ["nn-descent", "exact"] as const) {
    const ours = umap(m, { seed: 4, nEpochs: 60, knn, nNeighbors: 10 });
    const rng = new Rng(4);
    const model = new UMAP({ nNeighbors: 10, nEpochs: 60, random: () => rng.next() });
    if (knn === "exact") {
      const lists = umapNeighbours(m, 10, "euclidean");
      model.setPrecomputedKNN(lists.indices, lists.distances);
    }
    const reference = model.fit(rows);
    const a = knnPreservation(m, { rows: rows.length, cols: 2, data: ours.coords });
    const b = knnPreservation(m, reference);
    assert.ok(b > 0.3 && Math.abs(a - b) < 0.03, `${knn}: 10-NN preservation ours ${a}, umap-js ${b}`);
  }
});
