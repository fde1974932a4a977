// The native exact kNN search's worker thread (see knn-native.ts): computes the neighbours of its range of rows on its own TensorFlow and writes them into shared memory.
import { workerData } from "node:worker_threads";
import { KNN_CONTROL, NativeKnnSearch, NativeKnnWorkerData } from "./knn-native";

const d = workerData as NativeKnnWorkerData;
const ctrl = new Int32Array(d.ctrl);
let search: NativeKnnSearch | null = null;
try {
  search = new NativeKnnSearch(new Float64Array(d.data), d.n, d.d, d.k, new Int32Array(d.indices), new Float64Array(d.distances));
  for (const done of search.rows(d.from, d.to)) Atomics.store(ctrl, KNN_CONTROL.ROWS_DONE, done);
} catch (err) {
  Atomics.store(ctrl, KNN_CONTROL.FAILED, 1);
  console.error(err);
} finally {
  search?.dispose();
}
Atomics.add(ctrl, KNN_CONTROL.DONE, 1);
Atomics.notify(ctrl, KNN_CONTROL.DONE);
