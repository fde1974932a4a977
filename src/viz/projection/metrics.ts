// Quality measures for projections: exact t-SNE KL divergence (small n), kNN preservation and kNN label purity.
import { denseAffinities } from "./affinities";
import { KnnMetric, exactKnn } from "./knn";
import { DenseMatrix, MatrixInput, assertFinite, toMatrix } from "./matrix";

/** Options for {@link exactKL}. */
export interface ExactKlOptions {
  /** Perplexity used to build P (default 30). */
  perplexity?: number;
  /** Input distance (default "euclidean"). */
  metric?: KnnMetric;
  /**
   * "squared" (default): Gaussian kernel on squared distances, the standard t-SNE P (what {@link tsne} uses).
   * "plain": on plain distances, as tsne-js computes its P.
   */
  kernelOn?: "squared" | "plain";
  /** Refuse more rows than this (default 3000; memory is 3 n² doubles). */
  maxRows?: number;
}

/**
 * KL(P || Q) with dense P over all pairs (perplexity-calibrated, symmetrised, summing to 1) and Q the Student-t
 * (1 degree of freedom) similarities of the embedding: Σ_{i≠j, P_ij>0} P_ij log(P_ij / Q_ij). O(n²) — for small n,
 * to compare embeddings from different implementations under one definition.
 */
export function exactKL(input: MatrixInput, embedding: MatrixInput, options: ExactKlOptions = {}): number {
  const x = toMatrix(input, "exactKL");
  const y = toMatrix(embedding, "exactKL embedding");
  assertFinite(x, "exactKL");
  assertFinite(y, "exactKL embedding");
  const n = x.rows;
  if (y.rows !== n) throw new RangeError(`exactKL: input has ${n} rows, embedding ${y.rows}`);
  const maxRows = options.maxRows ?? 3000;
  if (n > maxRows) throw new RangeError(`exactKL: ${n} rows exceeds maxRows=${maxRows} (O(n^2) memory)`);
  if (n < 2) return 0;
  const perplexity = Math.min(options.perplexity ?? 30, n - 1);
  const P = denseAffinities(
    pairwiseDistances(x, options.metric ?? "euclidean"),
    n,
    perplexity,
    (options.kernelOn ?? "squared") === "squared",
  );
  // Q
  const { data, cols } = y;
  const q = new Float64Array(n * n);
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let d2 = 0;
      for (let a = 0; a < cols; a++) {
        const v = data[i * cols + a] - data[j * cols + a];
        d2 += v * v;
      }
      const w = 1 / (1 + d2);
      q[i * n + j] = w;
      q[j * n + i] = w;
      z += 2 * w;
    }
  }
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const p = P[i * n + j];
      if (i === j || p <= 0) continue;
      kl += p * Math.log((p * z) / q[i * n + j]);
    }
  }
  return kl;
}

/** Dense n x n distance matrix of the rows (Euclidean or L1). */
export function pairwiseDistances(m: DenseMatrix, metric: KnnMetric = "euclidean"): Float64Array {
  const { rows: n, cols, data } = m;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let a = 0; a < cols; a++) {
        const v = data[i * cols + a] - data[j * cols + a];
        s += metric === "manhattan" ? Math.abs(v) : v * v;
      }
      const d = metric === "manhattan" ? s : Math.sqrt(s);
      out[i * n + j] = d;
      out[j * n + i] = d;
    }
  }
  return out;
}

/**
 * Mean fraction of each row's k nearest neighbours in the input (exact, `metric`) that are also among its k nearest
 * in the embedding (Euclidean). 1 = every neighbourhood kept. k is clamped to rows-1.
 */
export function knnPreservation(input: MatrixInput, embedding: MatrixInput, k = 10, metric: KnnMetric = "euclidean"): number {
  const x = toMatrix(input, "knnPreservation");
  const y = toMatrix(embedding, "knnPreservation embedding");
  if (y.rows !== x.rows) throw new RangeError(`knnPreservation: input has ${x.rows} rows, embedding ${y.rows}`);
  assertFinite(x, "knnPreservation");
  assertFinite(y, "knnPreservation embedding");
  const n = x.rows;
  const a = exactKnn(x, k, { metric });
  const b = exactKnn(y, k);
  const kk = a.k;
  if (kk === 0) return 1;
  const mark = new Int32Array(n).fill(-1);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < kk; t++) mark[b.indices[i * kk + t]] = i;
    for (let t = 0; t < kk; t++) if (mark[a.indices[i * kk + t]] === i) hits++;
  }
  return hits / (n * kk);
}

/** Mean fraction of each row's k nearest neighbours in the embedding that share its label (cluster separation). */
export function knnLabelPurity(embedding: MatrixInput, labels: ArrayLike<number>, k = 10): number {
  const y = toMatrix(embedding, "knnLabelPurity");
  if (labels.length !== y.rows) throw new RangeError(`knnLabelPurity: ${labels.length} labels for ${y.rows} rows`);
  assertFinite(y, "knnLabelPurity");
  const nn = exactKnn(y, k);
  if (nn.k === 0) return 1;
  let same = 0;
  for (let i = 0; i < y.rows; i++) for (let t = 0; t < nn.k; t++) if (labels[nn.indices[i * nn.k + t]] === labels[i]) same++;
  return same / (y.rows * nn.k);
}
