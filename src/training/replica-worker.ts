// The second training thread of a data-parallel fit (see replica.ts): a replica of the network that, on each signal, takes the shared weights and rows and writes its loss and gradients back.
import { workerData } from "node:worker_threads";
import { tf } from "../backend";
import { buildModel } from "../models/build";
import { stepDropouts, withBatchRowOffset } from "../models/layers";
import { REPLICA, REPLICA_COUNTS_AT, ReplicaWorkerData } from "./replica";
import { replicaLoss } from "./replica-losses";
import { TaskBatch, memoForward } from "./task";

const d = workerData as ReplicaWorkerData;
const ctrl = new Int32Array(d.ctrl);
const weights = new Float32Array(d.weights);
const grads = new Float32Array(d.grads);
const ids = new Int32Array(d.ids);
const target = d.targetDtype === "int32" ? new Int32Array(d.target) : new Float32Array(d.target);
const loss64 = new Float64Array(d.loss64);

const model = buildModel(d.spec);
const vars = model.trainableVariables();
if (vars.length !== d.shapes.length || vars.some((v, i) => v.shape.join("x") !== d.shapes[i].join("x")))
  throw new Error(
    `replica: the rebuilt ${d.spec.kind} model's weights (${vars.map((v) => v.shape.join("x")).join(", ")}) differ from the trained model's`,
  );
const dropouts = stepDropouts(model.net);
if (dropouts.length !== d.dropouts)
  throw new Error(`replica: the rebuilt model has ${dropouts.length} dropout layers, the trained one ${d.dropouts}`);
const offsets = [0];
for (const v of vars) offsets.push(offsets[offsets.length - 1] + v.size);
const loss = replicaLoss(d.loss.name, d.loss.options).loss;

let generation = 0;
for (;;) {
  Atomics.wait(ctrl, REPLICA.GENERATION, generation);
  generation = Atomics.load(ctrl, REPLICA.GENERATION);
  if (Atomics.load(ctrl, REPLICA.STOP)) break;
  try {
    const rows = Atomics.load(ctrl, REPLICA.ROWS);
    const offset = Atomics.load(ctrl, REPLICA.OFFSET);
    dropouts.forEach((layer, i) => (layer.callCount = Atomics.load(ctrl, REPLICA_COUNTS_AT + i)));
    // Copies: the backend may keep a reference to the array it is given, and the shared weights change every step.
    vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(weights.slice(offsets[i], offsets[i + 1]), v.shape))));
    let at = 0;
    const inputs = d.widths.map((w) => {
      const a = ids.slice(at, at + rows * w);
      at += rows * w;
      return a;
    });
    tf.tidy(() => {
      const t = tf.tensor(target.slice(0, rows * d.targetWidth), d.targetWidth === 1 ? [rows] : [rows, d.targetWidth], d.targetDtype);
      const batch: TaskBatch = { ids: [inputs], widths: d.widths, target: t, size: rows };
      const tensors = inputs.map((a, i) => tf.tensor2d(a, [rows, d.widths[i]], "int32"));
      const { value, grads: g } = withBatchRowOffset(offset, () =>
        tf.variableGrads(() => loss(memoForward(() => model.forward(tensors, true)).forward, batch), vars),
      );
      loss64[0] = value.dataSync()[0];
      vars.forEach((v, i) => {
        const gi = g[v.name];
        if (gi) grads.set(gi.dataSync() as Float32Array, offsets[i]);
        else grads.fill(0, offsets[i], offsets[i + 1]);
      });
    });
  } catch (err) {
    Atomics.store(ctrl, REPLICA.FAILED, 1);
    console.error(err);
  }
  Atomics.add(ctrl, REPLICA.DONE, 1);
  Atomics.notify(ctrl, REPLICA.DONE);
}
