// A t-SNE worker thread (see tsne-threads.ts): waits for each iteration's signal, rebuilds the Barnes–Hut tree from the shared coordinates, and writes the repulsive and attractive forces of its share of the points.
import { workerData } from "node:worker_threads";
import { BhTree } from "./bhtree";
import { CONTROL, ForceWorkerData, attractionRows } from "./tsne-threads";

const d = workerData as ForceWorkerData;
const ctrl = new Int32Array(d.ctrl);
const y = new Float64Array(d.y);
const forces = new Float64Array(d.forces);
const shared = new Float64Array(d.shared);
const gradient = new Float64Array(d.gradient);
const P = { rows: d.n, rowPtr: new Int32Array(d.pRowPtr), cols: new Int32Array(d.pCols), vals: new Float64Array(d.pVals) };
const tree = new BhTree(d.n, 2, d.leafCapacity);
tree.groupSize = d.groupSize;
let generation = 0;
for (;;) {
  Atomics.wait(ctrl, CONTROL.GENERATION, generation);
  generation = Atomics.load(ctrl, CONTROL.GENERATION);
  if (Atomics.load(ctrl, CONTROL.STOP)) break;
  try {
    tree.build(y);
    shared[2 * d.index + 1] = tree.repulsionPart(shared[0], forces, d.from, d.to);
    shared[2 * d.index + 2] = attractionRows(y, P, d.rowFrom, d.rowTo, shared[1], gradient, shared[2] === 1);
  } catch (err) {
    Atomics.store(ctrl, CONTROL.FAILED, 1);
    console.error(err);
  }
  Atomics.add(ctrl, CONTROL.DONE, 1);
  Atomics.notify(ctrl, CONTROL.DONE);
}
