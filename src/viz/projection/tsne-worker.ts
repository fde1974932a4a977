// A t-SNE worker thread (see tsne-threads.ts): waits for each iteration's signal, rebuilds the Barnes–Hut tree from the shared coordinates, writes the attraction of its share of the pairs, then takes repulsion chunks until none are left.
import { workerData } from "node:worker_threads";
import { BhTree } from "./bhtree";
import { CONTROL, ForceWorkerData, attractionPairs, repulsionChunks, repulsionChunksLoop } from "./tsne-threads";

const d = workerData as ForceWorkerData;
const ctrl = new Int32Array(d.ctrl);
const y = new Float64Array(d.y);
const forces = new Float64Array(d.forces);
const shared = new Float64Array(d.shared);
const zParts = new Float64Array(d.zParts);
const bounds = repulsionChunks(d.n, d.threads);
const attraction = new Float64Array(d.attraction, 8 * 2 * d.n * d.index, 2 * d.n);
const U = { rows: d.n, rowPtr: new Int32Array(d.uRowPtr), cols: new Int32Array(d.uCols), vals: new Float64Array(d.uVals) };
const tree = new BhTree(d.n, 2, d.leafCapacity);
tree.groupSize = d.groupSize;
let generation = 0;
for (;;) {
  Atomics.wait(ctrl, CONTROL.GENERATION, generation);
  generation = Atomics.load(ctrl, CONTROL.GENERATION);
  if (Atomics.load(ctrl, CONTROL.STOP)) break;
  try {
    tree.build(y);
    shared[2 + d.index] = attractionPairs(y, U, d.rowFrom, d.rowTo, attraction, shared[2] === 1);
    repulsionChunksLoop(tree, shared[0], forces, ctrl, bounds, zParts);
  } catch (err) {
    Atomics.store(ctrl, CONTROL.FAILED, 1);
    console.error(err);
  }
  Atomics.add(ctrl, CONTROL.DONE, 1);
  Atomics.notify(ctrl, CONTROL.DONE);
}
