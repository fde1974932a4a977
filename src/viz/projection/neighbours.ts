// The one k-nearest-neighbour search the projections use: picks exact or approximate by size, metric and backend, and reports its progress as steps.
import { backendInfo } from "../../backend";
import { KnnMetric, KnnResult, exactKnn } from "./knn";
import { nativeKnnSteps } from "./knn-native";
import { DenseMatrix } from "./matrix";
import { approximateKnn } from "./nndescent";

/**
 * How neighbours are found: "native" (exact, blocked matrix products on native TensorFlow; Euclidean only),
 * "nndescent" (approximate: random-projection forest + NN-descent), "vptree" or "brute" (exact, in JS), or "auto".
 */
export type KnnMethod = "auto" | "native" | "nndescent" | "vptree" | "brute";

/** Options for {@link nearestNeighbours}. */
export interface NeighbourOptions {
  method?: KnnMethod;
  metric?: KnnMetric;
  /** Seeds NN-descent and the locality order (default 1). */
  seed?: number;
  /** Threads of the native search: 1 or 2 (default 2 from NATIVE_KNN_THREADS_MIN_ROWS rows); the result is the same. */
  threads?: number;
}

/** "auto" uses brute force in JS up to this many rows. */
export const BRUTE_FORCE_MAX_ROWS = 1_500;
/**
 * "auto" uses the native exact search up to this many rows, NN-descent above: the exact search's work grows with
 * rows², NN-descent's about linearly. On the 2-core machine (32-D overlapping clusters, k 90) the native search took
 * 16 s at 60,000 rows and NN-descent 40–53 s at 0.97 recall, so the crossing is well above MovieLens's largest catalogue
 * (87,585 movies in ml-32m).
 */
export const NATIVE_KNN_MAX_ROWS = 150_000;

/** The method "auto" picks for `rows` rows under `metric` on the active backend. */
export function autoKnnMethod(rows: number, metric: KnnMetric): Exclude<KnnMethod, "auto"> {
  if (rows <= BRUTE_FORCE_MAX_ROWS) return "brute";
  if (metric === "euclidean" && backendInfo.name === "tensorflow" && rows <= NATIVE_KNN_MAX_ROWS) return "native";
  return "nndescent";
}

/** Progress of a search: rows done out of `total` (null while a phase has no count). */
export interface NeighbourProgress {
  done: number;
  total: number | null;
}

/** {@link nearestNeighbours} as steps, for the projections' progress displays. */
export function* neighbourSteps(m: DenseMatrix, k: number, o: NeighbourOptions = {}): Generator<NeighbourProgress, KnnResult, void> {
  const metric = o.metric ?? "euclidean";
  const seed = o.seed ?? 1;
  const method = o.method === undefined || o.method === "auto" ? autoKnnMethod(m.rows, metric) : o.method;
  switch (method) {
    case "native": {
      if (metric !== "euclidean")
        throw new RangeError(`nearest neighbours: method "native" supports the euclidean metric only, got ${metric}`);
      const steps = nativeKnnSteps(m, k, seed, o.threads);
      for (;;) {
        const r = steps.next();
        // Explicit casts: tslab's TypeScript does not narrow IteratorResult on `done`.
        if (r.done === true) return r.value as KnnResult;
        yield { done: r.value as number, total: m.rows };
      }
    }
    case "nndescent":
      yield { done: 0, total: null };
      return approximateKnn(m, k, { metric, seed });
    case "vptree":
    case "brute":
      yield { done: 0, total: null };
      return exactKnn(m, k, { metric, method, seed });
    default:
      throw new RangeError(`nearest neighbours: unknown method ${String(method)} (use auto, native, nndescent, vptree or brute)`);
  }
}

/** The k nearest other rows of every row of `m`, nearest first, by `method` (default "auto": see {@link autoKnnMethod}). */
export function nearestNeighbours(m: DenseMatrix, k: number, o: NeighbourOptions = {}): KnnResult {
  const steps = neighbourSteps(m, k, o);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value as KnnResult;
  }
}
