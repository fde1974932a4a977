// Small dense linear algebra in Float64: the one Cholesky factor and solves that cold start, iALS, EASE and the Gibbs sampler share, and the dot products the scorers use.

/** Σ_{p<n} a[ao + p]·b[bo + p], four partial sums (independent chains the JIT can overlap). */
export function dotAt(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let p = 0;
  for (; p + 3 < n; p += 4) {
    s0 += a[ao + p] * b[bo + p];
    s1 += a[ao + p + 1] * b[bo + p + 1];
    s2 += a[ao + p + 2] * b[bo + p + 2];
    s3 += a[ao + p + 3] * b[bo + p + 3];
  }
  for (; p < n; p++) s0 += a[ao + p] * b[bo + p];
  return s0 + s1 + (s2 + s3);
}

/**
 * {@link dotAt} on float32 arrays (summed in double precision): the scorers' dot product. A separate function, so that
 * each stays monomorphic: one loop for both array types slowed iALS's solves by 5%.
 */
export function dotAt32(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let p = 0;
  for (; p + 3 < n; p += 4) {
    s0 += a[ao + p] * b[bo + p];
    s1 += a[ao + p + 1] * b[bo + p + 1];
    s2 += a[ao + p + 2] * b[bo + p + 2];
    s3 += a[ao + p + 3] * b[bo + p + 3];
  }
  for (; p < n; p++) s0 += a[ao + p] * b[bo + p];
  return s0 + s1 + (s2 + s3);
}

/** The square root of a Cholesky pivot; throws `indefinite` (with the pivot) when the matrix is not positive definite. */
function pivot(s: number, indefinite: string): number {
  if (!(s > 0)) throw new Error(`${indefinite} (pivot ${s})`);
  return Math.sqrt(s);
}

/**
 * Overwrites the lower triangle of the symmetric positive-definite `A` (row-major n x n; only the lower triangle is
 * read, the upper is left as it was) with its Cholesky factor L, A = LLᵀ. Allocation-free; rows are factored in pairs
 * so that each pass over an earlier row serves both. Throws `Error(indefinite + " (pivot …)")` when A is not positive
 * definite: callers say what the matrix is and which term to raise.
 */
export function choleskyInPlace(A: Float64Array, n: number, indefinite: string): void {
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const r0 = i * n;
    const r1 = r0 + n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s0 = 0;
      let s1 = 0;
      let t0 = 0;
      let t1 = 0;
      let k = 0;
      for (; k + 1 < j; k += 2) {
        const x = A[rj + k];
        const y = A[rj + k + 1];
        s0 += A[r0 + k] * x;
        t0 += A[r1 + k] * x;
        s1 += A[r0 + k + 1] * y;
        t1 += A[r1 + k + 1] * y;
      }
      if (k < j) {
        s0 += A[r0 + k] * A[rj + k];
        t0 += A[r1 + k] * A[rj + k];
      }
      A[r0 + j] = (A[r0 + j] - (s0 + s1)) / A[rj + j];
      A[r1 + j] = (A[r1 + j] - (t0 + t1)) / A[rj + j];
    }
    A[r0 + i] = pivot(A[r0 + i] - dotAt(A, r0, A, r0, i), indefinite);
    A[r1 + i] = (A[r1 + i] - dotAt(A, r1, A, r0, i)) / A[r0 + i];
    A[r1 + i + 1] = pivot(A[r1 + i + 1] - dotAt(A, r1, A, r1, i + 1), indefinite);
  }
  if (i < n) {
    const ri = i * n;
    for (let j = 0; j < i; j++) A[ri + j] = (A[ri + j] - dotAt(A, ri, A, j * n, j)) / A[j * n + j];
    A[ri + i] = pivot(A[ri + i] - dotAt(A, ri, A, ri, i), indefinite);
  }
}

/** Solves Lx = b in place (b becomes x) for the lower-triangular factor L that {@link choleskyInPlace} left in `L`. */
export function forwardSolveInPlace(L: Float64Array, b: Float64Array, n: number): void {
  for (let r = 0; r < n; r++) b[r] = (b[r] - dotAt(L, r * n, b, 0, r)) / L[r * n + r];
}

/** Solves Lᵀx = b in place (b becomes x) for the lower-triangular factor L that {@link choleskyInPlace} left in `L`. */
export function backwardSolveInPlace(L: Float64Array, b: Float64Array, n: number): void {
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= L[k * n + r] * b[k];
    b[r] = s / L[r * n + r];
  }
}

/** Solves LLᵀx = b in place (b becomes x), for the factor L that {@link choleskyInPlace} left in the lower triangle of `L`. */
export function choleskySolveInPlace(L: Float64Array, b: Float64Array, n: number): void {
  forwardSolveInPlace(L, b, n);
  backwardSolveInPlace(L, b, n);
}

/**
 * Solves `A x = b` for symmetric positive-definite `A` (row-major n x n) by Cholesky decomposition; `A` and `b` are
 * left unchanged. Throws if `A` is not positive definite (add a ridge term).
 */
export function solveSPD(A: Float64Array, b: Float64Array, n: number): Float64Array {
  if (A.length !== n * n || b.length !== n) throw new RangeError(`solveSPD: expected ${n}x${n} matrix and length-${n} vector`);
  const L = Float64Array.from(A);
  choleskyInPlace(L, n, "solveSPD: matrix is not positive definite (increase the L2 term)");
  const x = Float64Array.from(b);
  choleskySolveInPlace(L, x, n);
  return x;
}
