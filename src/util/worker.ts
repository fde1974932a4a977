// Starts a worker thread from a module beside the calling file, reporting a failure to start through the shared control flags the starting thread waits on.
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";

/**
 * How many threads training uses by default (fit's `threads`, the Gibbs sampler's chains): MOVIELENS_LAB_TRAINING_THREADS
 * (1 or 2) when set, else 2. `npm run reproduce` sets 1 when two notebooks already share the cores.
 */
export function defaultTrainingThreads(): 1 | 2 {
  const v = process.env.MOVIELENS_LAB_TRAINING_THREADS;
  if (v === undefined || v === "") return 2;
  if (v === "1" || v === "2") return Number(v) as 1 | 2;
  throw new RangeError(`the environment variable MOVIELENS_LAB_TRAINING_THREADS must be 1 or 2, got "${v}"`);
}

/** Where a worker reports failure: slots of its `ctrl` Int32Array (FAILED set to 1, DONE incremented and notified). */
export interface WorkerFlags {
  failed: number;
  done: number;
}

/**
 * Starts `name` (no extension) from `dir` as a worker thread with `workerData`. The module is the sibling that exists
 * on disk: `name.js` in the compiled lib/ that notebooks import, else `name.ts` in src/, loaded through tsx's require
 * hook whatever started this process (tsx, tslab or plain node; when tslab compiles src/ itself, the caller runs as a
 * .js that is not on disk). The starting thread blocks on Atomics while it waits, so a failure to load or an uncaught
 * error is reported through `flags` in `workerData.ctrl`, and printed. The worker does not keep the process alive.
 */
export function startSiblingWorker(dir: string, name: string, workerData: { ctrl: SharedArrayBuffer }, flags: WorkerFlags): Worker {
  const compiled = path.join(dir, `${name}.js`);
  const file = fs.existsSync(compiled) ? compiled : path.join(dir, `${name}.ts`);
  const fail = `Atomics.store(c, ${flags.failed}, 1); Atomics.add(c, ${flags.done}, 1); Atomics.notify(c, ${flags.done});`;
  const boot = [
    `const { workerData } = require("node:worker_threads");`,
    `try { if (${JSON.stringify(file)}.endsWith(".ts")) require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(file)}); }`,
    `catch (e) { const c = new Int32Array(workerData.ctrl); ${fail} throw e; }`,
  ].join("\n");
  const worker = new Worker(boot, { eval: true, workerData, execArgv: [] });
  const ctrl = new Int32Array(workerData.ctrl);
  worker.on("error", (err) => {
    console.error(`${name}: the worker thread failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    Atomics.store(ctrl, flags.failed, 1);
    Atomics.add(ctrl, flags.done, 1);
    Atomics.notify(ctrl, flags.done);
  });
  worker.unref();
  return worker;
}
