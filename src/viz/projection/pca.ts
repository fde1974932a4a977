// PCA projection (ml-pca eigendecomposition of a typed-array covariance) with explained-variance diagnostics.
import { PCA } from "ml-pca";
import { MatrixInput, assertFinite, toMatrix, toRows } from "./matrix";
import { BaseProjectionOptions, ProjectionResult, checkDim, checkSeed } from "./types";

/** Options for {@link pca}. */
export interface PcaOptions extends BaseProjectionOptions {
  /** Divide each column by its standard deviation before the decomposition (default false). Zero-variance columns are left unscaled. */
  scale?: boolean;
}

/** What {@link pca} reports besides coordinates. */
export interface PcaDiagnostics {
  /** Fraction of the total variance captured by each returned component (descending). */
  explainedVarianceRatio: number[];
  /** Sum of {@link explainedVarianceRatio}. */
  totalExplainedVarianceRatio: number;
  /** Variance (eigenvalue of the sample covariance) of each returned component. */
  componentVariances: number[];
  /** Principal axes, row-major `dims x cols` (unit vectors; sign fixed so each axis's largest-magnitude entry is positive). */
  components: Float64Array;
  /** Column means that were subtracted. */
  means: Float64Array;
  /** Column scales that were divided by (all 1 unless `scale`). */
  scales: Float64Array;
  /** "covariance" (eigendecomposition of the cols x cols covariance) or "svd" (ml-pca SVD on the data, used when cols > rows and cols is large). */
  solver: "covariance" | "svd";
}

/**
 * Projects rows onto their first `dim` principal components (centred; optionally scaled).
 * Deterministic: `seed` is accepted for interface symmetry but PCA has no random choices.
 * With fewer than 2 rows, or fewer components than `dim`, the missing coordinates are 0.
 */
export function pca(input: MatrixInput, options: PcaOptions = {}): ProjectionResult<PcaDiagnostics> {
  const t0 = performance.now();
  const m = toMatrix(input, "pca");
  assertFinite(m, "pca");
  const dims = checkDim(options.dim, 1024, "pca");
  const seed = checkSeed(options.seed, "pca");
  const { rows: n, cols: p, data } = m;

  const means = new Float64Array(p);
  const scales = new Float64Array(p).fill(1);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) means[j] += data[i * p + j];
  if (n > 0) for (let j = 0; j < p; j++) means[j] /= n;
  if (options.scale && n > 1) {
    const ss = new Float64Array(p);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < p; j++) {
        const d = data[i * p + j] - means[j];
        ss[j] += d * d;
      }
    for (let j = 0; j < p; j++) {
      const sd = Math.sqrt(ss[j] / (n - 1));
      if (sd > 0) scales[j] = sd;
    }
  }

  const coords = new Float32Array(n * dims);
  const components = new Float64Array(dims * p);
  const explainedVarianceRatio: number[] = new Array(dims).fill(0);
  const componentVariances: number[] = new Array(dims).fill(0);
  let solver: "covariance" | "svd" = "covariance";

  if (n >= 2 && p > 0) {
    let eigenvalues: number[];
    let vectors: number[][]; // p x k, columns are axes
    if (p > n && p > 512) {
      solver = "svd";
      const centred = toRows(m).map((row) => row.map((v, j) => (v - means[j]) / scales[j]));
      const model = new PCA(centred, { center: false, scale: false, method: "SVD" });
      eigenvalues = model.getEigenvalues();
      vectors = model.getEigenvectors().to2DArray();
    } else {
      const cov = covariance(data, n, p, means, scales);
      const model = new PCA(cov, { isCovarianceMatrix: true });
      eigenvalues = model.getEigenvalues();
      vectors = model.getEigenvectors().to2DArray();
    }
    let total = 0;
    for (const ev of eigenvalues) total += Math.max(0, ev);
    const k = Math.min(dims, eigenvalues.length, vectors.length > 0 ? vectors[0].length : 0);
    for (let c = 0; c < k; c++) {
      let big = 0;
      for (let j = 0; j < p; j++) if (Math.abs(vectors[j][c]) > Math.abs(big)) big = vectors[j][c];
      const sign = big < 0 ? -1 : 1;
      for (let j = 0; j < p; j++) components[c * p + j] = sign * vectors[j][c];
      const ev = Math.max(0, eigenvalues[c]);
      componentVariances[c] = ev;
      explainedVarianceRatio[c] = total > 0 ? ev / total : 0;
    }
    const centred = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) centred[j] = (data[i * p + j] - means[j]) / scales[j];
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += centred[j] * components[c * p + j];
        coords[i * dims + c] = s;
      }
    }
  }

  let totalRatio = 0;
  for (const r of explainedVarianceRatio) totalRatio += r;
  return {
    method: "pca",
    coords,
    rows: n,
    dims,
    seed,
    seconds: (performance.now() - t0) / 1000,
    diagnostics: {
      explainedVarianceRatio,
      totalExplainedVarianceRatio: totalRatio,
      componentVariances,
      components,
      means,
      scales,
      solver,
    },
  };
}

/** Sample covariance (divided by n-1) of the centred, scaled columns, as nested rows for ml-pca. */
function covariance(data: ArrayLike<number>, n: number, p: number, means: Float64Array, scales: Float64Array): number[][] {
  const acc = new Float64Array(p * p);
  const row = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) row[j] = (data[i * p + j] - means[j]) / scales[j];
    for (let a = 0; a < p; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const base = a * p;
      for (let b = a; b < p; b++) acc[base + b] += ra * row[b];
    }
  }
  const cov: number[][] = [];
  for (let a = 0; a < p; a++) {
    const r: number[] = new Array(p);
    for (let b = 0; b < p; b++) r[b] = (a <= b ? acc[a * p + b] : acc[b * p + a]) / (n - 1);
    cov.push(r);
  }
  return cov;
}
