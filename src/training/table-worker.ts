// The table worker thread of sparse updates (see table-threads.ts): on each signal it runs one phase of a step (lookup, gradient, optimiser step) for its embedding tables, on the shared tables and buffers.
import { workerData } from "node:worker_threads";
import { JsOptimizer } from "./optimizer-rules";
import { RowGradients, TableStep, placeRows } from "./table-rows";
import { TABLE_CTRL, TABLE_CTRL_SIZES_AT, TABLE_ERROR_BYTES, TABLE_PHASE, TABLE_SPIN_MS, TableWorkerData } from "./table-threads";

const d = workerData as TableWorkerData;
const ctrl = new Int32Array(d.ctrl);
const ids = new Int32Array(d.ids);
const xs = new Float32Array(d.x);
const gs = new Float32Array(d.g);
const penalties = new Float64Array(d.penalty);
const error = new Uint8Array(d.error);
const optimizer = new JsOptimizer(d.optimizer.name, d.optimizer.lr);
const tables = d.tables.map((t) => ({ index: t.index, step: new TableStep(t.state) }));

/** Table `index`'s rows of set `s` (n examples) in a shared buffer (rows or gradients), in the step's layout. */
function place(buffer: Float32Array, s: number, n: number, index: number, dim: number, side: boolean): RowGradients {
  const at = s * d.capacity * d.width;
  return placeRows(buffer.subarray(at, at + n * d.width), n, d.columns[index], dim, d.width, side);
}

function run(phase: number): void {
  const sets = Atomics.load(ctrl, TABLE_CTRL.SETS);
  const sizes = Array.from({ length: sets }, (_, s) => Atomics.load(ctrl, TABLE_CTRL_SIZES_AT + s));
  const side = Atomics.load(ctrl, TABLE_CTRL.LAYOUT) === 0;
  if (phase === TABLE_PHASE.LOOKUP) {
    optimizer.setSteps(Atomics.load(ctrl, TABLE_CTRL.STEPS));
    for (const { index, step } of tables) {
      const input = step.table.input;
      const setIds = sizes.map((n, s) => ids.subarray((s * d.inputs + input) * d.capacity, (s * d.inputs + input) * d.capacity + n));
      step.lookup(
        setIds,
        sizes.map((n, s) => place(xs, s, n, index, step.table.dim, side)),
        optimizer,
        d.rows,
      );
    }
  } else if (phase === TABLE_PHASE.GRADIENT) {
    const mask = Atomics.load(ctrl, TABLE_CTRL.USED);
    const used = sizes.map((_, s) => s).filter((s) => mask & (1 << s));
    for (const { index, step } of tables) {
      step.gradient(
        sizes.map((n, s) => place(gs, s, n, index, step.table.dim, side)),
        used,
      );
      penalties[index] = step.penalty;
    }
  } else if (phase === TABLE_PHASE.STEP) {
    optimizer.setSteps(Atomics.load(ctrl, TABLE_CTRL.STEPS));
    for (const { step } of tables) step.step(optimizer, d.rows);
  } else {
    throw new Error(`table worker: unknown phase ${phase}`);
  }
}

Atomics.store(ctrl, TABLE_CTRL.READY, 1);
Atomics.notify(ctrl, TABLE_CTRL.READY);
let generation = 0;
for (;;) {
  // Poll first: a sleeping thread takes tens to hundreds of microseconds to wake (longer than a phase takes), and the
  // next phase usually comes within a millisecond. Sleep once training pauses (between epochs, or when it ends).
  const idleSince = performance.now();
  while (Atomics.load(ctrl, TABLE_CTRL.GENERATION) === generation && performance.now() - idleSince < TABLE_SPIN_MS);
  Atomics.wait(ctrl, TABLE_CTRL.GENERATION, generation);
  generation = Atomics.load(ctrl, TABLE_CTRL.GENERATION);
  if (Atomics.load(ctrl, TABLE_CTRL.STOP)) break;
  try {
    run(Atomics.load(ctrl, TABLE_CTRL.PHASE));
  } catch (err) {
    // Handed back to the training thread, which throws it (so a bad id reads as it does on one thread).
    const e = err instanceof Error ? err : new Error(String(err));
    const bytes = new TextEncoder().encode(`${e.name}\n${e.message}`).subarray(0, TABLE_ERROR_BYTES);
    error.set(bytes);
    Atomics.store(ctrl, TABLE_CTRL.ERROR_LENGTH, bytes.length);
    Atomics.store(ctrl, TABLE_CTRL.FAILED, 1);
  }
  Atomics.store(ctrl, TABLE_CTRL.DONE, generation);
  Atomics.notify(ctrl, TABLE_CTRL.DONE);
}
