// A UMAP epoch worker thread (see umap-threads.ts): waits for each epoch's signal and runs its share of the edges on the shared layout.
import { workerData } from "node:worker_threads";
import { UMAP_CONTROL, UmapShare, UmapWorkerData } from "./umap-threads";

const d = workerData as UmapWorkerData;
const ctrl = new Int32Array(d.ctrl);
const epochState = new Float64Array(d.epochState);
const share = new UmapShare(d, d.index);
let generation = 0;
for (;;) {
  Atomics.wait(ctrl, UMAP_CONTROL.GENERATION, generation);
  generation = Atomics.load(ctrl, UMAP_CONTROL.GENERATION);
  if (Atomics.load(ctrl, UMAP_CONTROL.STOP)) break;
  try {
    share.run(epochState[0], epochState[1]);
  } catch (err) {
    Atomics.store(ctrl, UMAP_CONTROL.FAILED, 1);
    console.error(err);
  }
  Atomics.add(ctrl, UMAP_CONTROL.DONE, 1);
  Atomics.notify(ctrl, UMAP_CONTROL.DONE);
}
