// The result shape and base options shared by every projection (PCA, UMAP, t-SNE, tsne-js).

/** Options every projection understands. */
export interface BaseProjectionOptions {
  /** Output dimensions (default 2). */
  dim?: number;
  /** Seed for every random choice; the same seed and input give identical coordinates (default 42). */
  seed?: number;
}

/** The default seed used when none is given, so un-seeded calls are repeatable too. */
export const DEFAULT_SEED = 42;

/** Names of the projection methods. */
export type ProjectionMethod = "pca" | "umap" | "tsne" | "tsne-exact";

/** A projection's output: `coords` is row-major `rows x dims` (point `i` is `coords[i*dims .. i*dims+dims-1]`). */
export interface ProjectionResult<D> {
  readonly method: ProjectionMethod;
  readonly coords: Float32Array;
  readonly rows: number;
  readonly dims: number;
  /** The seed actually used. */
  readonly seed: number;
  /** Wall-clock seconds the projection took. */
  readonly seconds: number;
  /** Method-specific numbers (explained variance, KL divergence, trap handling, ...). */
  readonly diagnostics: D;
}

/** Validates `dim` (a positive integer ≤ `max`) and returns it, defaulting to 2. */
export function checkDim(dim: number | undefined, max: number, who: string): number {
  const d = dim ?? 2;
  if (!Number.isInteger(d) || d < 1 || d > max) throw new RangeError(`${who}: dim must be an integer in 1..${max}, got ${dim}`);
  return d;
}

/** Validates a seed (finite) and returns it, defaulting to {@link DEFAULT_SEED}. */
export function checkSeed(seed: number | undefined, who: string): number {
  const s = seed ?? DEFAULT_SEED;
  if (!Number.isFinite(s)) throw new RangeError(`${who}: seed must be a finite number, got ${seed}`);
  return s;
}

/** A projection's coordinates viewed as a {@link DenseMatrix} (`rows x dims`, no copy), e.g. to feed the metrics. */
export function asMatrix(result: Pick<ProjectionResult<unknown>, "coords" | "rows" | "dims">): {
  data: Float32Array;
  rows: number;
  cols: number;
} {
  return { data: result.coords, rows: result.rows, cols: result.dims };
}
