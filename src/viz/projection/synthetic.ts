// Seeded synthetic embeddings with planted Gaussian clusters, for projection tests, benchmarks and notebook demos.
import { Rng } from "../../util/random";
import { DenseMatrix } from "./matrix";

/** Options for {@link gaussianClusters}. */
export interface GaussianClustersOptions {
  /** Number of points. */
  n: number;
  /** Dimensions (default 32). */
  dim?: number;
  /** Number of clusters (default 10). */
  clusters?: number;
  /** Standard deviation of each coordinate of the cluster centres (default 2). */
  centerStd?: number;
  /** Standard deviation of each coordinate within a cluster (default 1). */
  clusterStd?: number;
  /** Seed (default 1). */
  seed?: number;
}

/** A matrix of points plus the planted cluster label of each row. */
export interface LabelledMatrix extends DenseMatrix {
  readonly data: Float32Array;
  /** Cluster index per row, 0..clusters-1. */
  readonly labels: Int32Array;
}

/**
 * `n` points in `dim`-D drawn from `clusters` isotropic Gaussians whose centres are themselves Gaussian;
 * each point picks its cluster uniformly at random. Same options -> identical data.
 */
export function gaussianClusters(options: GaussianClustersOptions): LabelledMatrix {
  const { n, dim = 32, clusters = 10, centerStd = 2, clusterStd = 1, seed = 1 } = options;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`gaussianClusters: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`gaussianClusters: dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(clusters) || clusters < 1)
    throw new RangeError(`gaussianClusters: clusters must be a positive integer, got ${clusters}`);
  const rng = new Rng(seed);
  const centers = new Float64Array(clusters * dim);
  for (let i = 0; i < centers.length; i++) centers[i] = rng.normal() * centerStd;
  const data = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(clusters);
    labels[i] = c;
    for (let j = 0; j < dim; j++) data[i * dim + j] = centers[c * dim + j] + rng.normal() * clusterStd;
  }
  return { data, rows: n, cols: dim, labels };
}
