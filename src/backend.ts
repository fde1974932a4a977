// Owns the choice of TensorFlow.js backend: native TensorFlow when it loads, else the pure-JS CPU backend with a fast UnsortedSegmentSum.
//
// Every module in src/ imports `tf` from here, never from a tfjs package directly, so that the whole lab runs on one
// backend. `MOVIELENS_LAB_BACKEND=tensorflow|cpu` forces a choice; forcing `tensorflow` when it cannot load is an error.
import * as tf from "@tensorflow/tfjs";
import type * as TF from "@tensorflow/tfjs";

/** The TensorFlow.js namespace (values and types). The backend below is chosen when this module loads. */
export { tf };

/** The backends the lab can run on. */
export type BackendName = "tensorflow" | "cpu";

/** Which backend is active and why. */
export interface BackendInfo {
  readonly name: BackendName;
  /** How the choice was made. */
  readonly reason: string;
  /** Versions of the tfjs packages in use. */
  readonly versions: Record<string, string>;
  /** Why native TensorFlow was not used (when it wasn't). */
  readonly nativeError: string | null;
}

// Quieten TensorFlow's C++ info logs (oneDNN banners) unless the user asked for them.
if (process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = "2";

// TensorFlow's intra-op thread pool, read once when TensorFlow starts. The lab's kernels are small (batches of a few
// thousand rows at most), and handing each one to a second thread costs more than it saves: on a 2-core machine one
// thread trains the dense rating-class model ~40% faster, the dot-product models within 4% either way, and evaluates
// faster too (bench/training.bench.ts measures Keras both ways). Set TF_NUM_INTRAOP_THREADS yourself to override.
const userIntraOpThreads = process.env.TF_NUM_INTRAOP_THREADS;
if (userIntraOpThreads === undefined) process.env.TF_NUM_INTRAOP_THREADS = "1";

/** TensorFlow's intra-op threads: the user's TF_NUM_INTRAOP_THREADS, else the lab's default of 1. */
export const intraOpThreads: { readonly value: string; readonly source: "TF_NUM_INTRAOP_THREADS" | "lab default" } = {
  value: process.env.TF_NUM_INTRAOP_THREADS!,
  source: userIntraOpThreads === undefined ? "lab default" : "TF_NUM_INTRAOP_THREADS",
};

/** Loads tfjs-node, which registers the "tensorflow" backend in the shared tfjs-core engine. */
function loadNative(): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  require("@tensorflow/tfjs-node");
}

/**
 * Registers an O(N·D) UnsortedSegmentSum kernel on the CPU backend.
 * The stock kernel loops over every segment and masks the whole input (O(numSegments·N·D)); it is the gradient of
 * every embedding lookup, so with it one epoch of a 100k-rating model takes minutes instead of seconds.
 */
export function registerFastSegmentSum(tf: typeof TF): void {
  const kernelName = "UnsortedSegmentSum";
  if (tf.getKernel(kernelName, "cpu")) tf.unregisterKernel(kernelName, "cpu");
  tf.registerKernel({
    kernelName,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as unknown as { x: TF.TensorInfo; segmentIds: TF.TensorInfo };
      const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
      const cpu = backend as unknown as {
        data: { get(id: object): { values: ArrayLike<number> } };
        makeTensorInfo(shape: number[], dtype: string, values: TF.TypedArray): TF.TensorInfo;
      };
      const xv = cpu.data.get(x.dataId).values;
      const ids = cpu.data.get(segmentIds.dataId).values;
      const n = ids.length;
      const inner = n === 0 ? 0 : xv.length / n;
      const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
      const out = x.dtype === "int32" ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
      for (let i = 0; i < n; i++) {
        const s = ids[i];
        if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids
        const o = s * inner;
        const xi = i * inner;
        for (let j = 0; j < inner; j++) out[o + j] += xv[xi + j];
      }
      return cpu.makeTensorInfo(outShape, x.dtype, out);
    },
  });
}

function choose(): BackendInfo {
  const forced = (process.env.MOVIELENS_LAB_BACKEND || "").trim().toLowerCase();
  if (forced && forced !== "tensorflow" && forced !== "cpu") {
    throw new Error(`MOVIELENS_LAB_BACKEND must be "tensorflow" or "cpu", got "${forced}"`);
  }
  let nativeError: string | null = null;
  if (forced !== "cpu") {
    try {
      loadNative();
      void tf.setBackend("tensorflow");
      if (tf.getBackend() !== "tensorflow") throw new Error(`setBackend("tensorflow") left "${tf.getBackend()}" active`);
      return {
        name: "tensorflow",
        reason: forced ? "forced by MOVIELENS_LAB_BACKEND" : "native TensorFlow loaded",
        versions: { ...(tf.version as Record<string, string>), "tfjs-node": nodeVersion() },
        nativeError: null,
      };
    } catch (err) {
      nativeError = (err as Error).message.split("\n")[0];
      if (forced === "tensorflow") {
        throw new Error(`MOVIELENS_LAB_BACKEND=tensorflow but @tensorflow/tfjs-node did not load: ${nativeError}. Run \`npm run setup\`.`);
      }
    }
  }
  registerFastSegmentSum(tf);
  void tf.setBackend("cpu");
  if (tf.getBackend() !== "cpu") throw new Error(`could not activate the cpu backend (active: ${tf.getBackend()})`);
  return {
    name: "cpu",
    reason: forced === "cpu" ? "forced by MOVIELENS_LAB_BACKEND" : "native TensorFlow unavailable; pure-JS CPU fallback",
    versions: { ...(tf.version as Record<string, string>) },
    nativeError,
  };
}

function nodeVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require("@tensorflow/tfjs-node/package.json") as { version: string }).version;
  } catch {
    return "?";
  }
}

/** Which backend is active, why, and the versions. */
export const backendInfo: BackendInfo = choose();

/** One line for notebooks and logs, e.g. `TF.js 4.22.0 on tensorflow (native TensorFlow loaded)`. */
export function describeBackend(): string {
  const v = backendInfo.versions["tfjs-core"] ?? "?";
  const why = backendInfo.nativeError ? `${backendInfo.reason}: ${backendInfo.nativeError}` : backendInfo.reason;
  return `TF.js ${v} on ${backendInfo.name} (${why})`;
}
