// Exact O(N²) t-SNE through tsne-js, the slow reference for small inputs, made repeatable by seeding its Math.random.
import { Rng } from "../../util/random";
import { MatrixInput, assertFinite, toMatrix, toRows } from "./matrix";
import { BaseProjectionOptions, ProjectionResult, checkDim, checkSeed } from "./types";

/** Options for {@link tsneExact}; passed to tsne-js unchanged (its defaults apply when omitted). */
export interface TsneExactOptions extends BaseProjectionOptions {
  /** Default 30. */
  perplexity?: number;
  /** tsne-js default 4 (it exaggerates for its first 100 iterations). */
  earlyExaggeration?: number;
  /** tsne-js default 1000. */
  learningRate?: number;
  /** Maximum iterations; tsne-js default 1000 (it may stop earlier, see {@link TsneExactDiagnostics.iterations}). */
  nIter?: number;
  metric?: "euclidean" | "manhattan" | "jaccard" | "dice";
  /** Refuse inputs with more rows than this (default 500): tsne-js is O(N²) in time and memory (≈ 300 s for 1,000 rows). */
  maxRows?: number;
}

/** What {@link tsneExact} reports besides coordinates. */
export interface TsneExactDiagnostics {
  /** tsne-js's own final KL divergence (its P calibrates on plain, not squared, distances). */
  error: number;
  /** Iteration at which tsne-js stopped (it stops early when the error stalls). */
  iterations: number;
  perplexity: number;
  earlyExaggeration: number;
  learningRate: number;
  nIter: number;
}

interface TsneJsModel {
  init(opts: { data: number[][]; type: "dense" | "sparse" }): void;
  run(): [number, number];
  getOutput(): number[][];
}
type TsneJsConstructor = new (config: {
  dim?: number;
  perplexity?: number;
  earlyExaggeration?: number;
  learningRate?: number;
  nIter?: number;
  metric?: string;
}) => TsneJsModel;

/**
 * Exact t-SNE via tsne-js (reference implementation; O(N²) per iteration). tsne-js draws its initial layout from
 * Math.random, so Math.random is replaced by a seeded generator for the duration of the call and restored in
 * `finally`: the same input, options and seed give identical coordinates. Synchronous; do not run concurrently
 * with code that relies on Math.random.
 * @throws RangeError when rows > maxRows, on NaN/Infinity, or invalid options.
 */
export function tsneExact(input: MatrixInput, options: TsneExactOptions = {}): ProjectionResult<TsneExactDiagnostics> {
  const t0 = performance.now();
  const m = toMatrix(input, "tsneExact");
  assertFinite(m, "tsneExact");
  const dims = checkDim(options.dim, 3, "tsneExact");
  const seed = checkSeed(options.seed, "tsneExact");
  const maxRows = options.maxRows ?? 500;
  if (m.rows > maxRows) {
    throw new RangeError(`tsneExact: ${m.rows} rows exceeds maxRows=${maxRows}; tsne-js is O(N^2) (use tsne() for large inputs)`);
  }
  const perplexity = options.perplexity ?? 30;
  const earlyExaggeration = options.earlyExaggeration ?? 4;
  const learningRate = options.learningRate ?? 1000;
  const nIter = options.nIter ?? 1000;
  const coords = new Float32Array(m.rows * dims);
  if (m.rows < 2) {
    return {
      method: "tsne-exact",
      coords,
      rows: m.rows,
      dims,
      seed,
      seconds: (performance.now() - t0) / 1000,
      diagnostics: { error: 0, iterations: 0, perplexity, earlyExaggeration, learningRate, nIter },
    };
  }
  const TSNE = require("tsne-js") as TsneJsConstructor;
  const model = new TSNE({ dim: dims, perplexity, earlyExaggeration, learningRate, nIter, metric: options.metric ?? "euclidean" });
  const rng = new Rng(seed);
  const savedRandom = Math.random;
  let error: number;
  let iterations: number;
  let out: number[][];
  Math.random = () => rng.next();
  try {
    model.init({ data: toRows(m), type: "dense" });
    [error, iterations] = model.run();
    out = model.getOutput();
  } finally {
    Math.random = savedRandom;
  }
  for (let i = 0; i < m.rows; i++) for (let a = 0; a < dims; a++) coords[i * dims + a] = out[i][a];
  return {
    method: "tsne-exact",
    coords,
    rows: m.rows,
    dims,
    seed,
    seconds: (performance.now() - t0) / 1000,
    diagnostics: { error, iterations, perplexity, earlyExaggeration, learningRate, nIter },
  };
}
