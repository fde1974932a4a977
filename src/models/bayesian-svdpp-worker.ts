// Bayesian SVD++'s worker thread (see bayesian-svdpp.ts): runs its share of the Gibbs chains, writing their draws into shared memory.
import { workerData } from "node:worker_threads";
import { BAYESIAN_CONTROL, BayesianSvdppWorkerData, runBayesianSvdppChain } from "./bayesian-svdpp";

const job = workerData as BayesianSvdppWorkerData;
const ctrl = new Int32Array(job.ctrl);
try {
  for (const chain of job.chains) runBayesianSvdppChain(chain, () => Atomics.add(ctrl, BAYESIAN_CONTROL.SWEEPS, 1));
} catch (err) {
  Atomics.store(ctrl, BAYESIAN_CONTROL.FAILED, 1);
  console.error(err);
}
Atomics.add(ctrl, BAYESIAN_CONTROL.DONE, 1);
Atomics.notify(ctrl, BAYESIAN_CONTROL.DONE);
