// Tests the shared Cholesky factor and solve (cold start, iALS and EASE use them) against known factors and a direct Gauss–Jordan solve.
import { test } from "node:test";
import assert from "node:assert/strict";
import { choleskyInPlace, choleskySolveInPlace, dotAt, solveSPD } from "../../src/util/linalg";
import { Rng } from "../../src/util/random";

/** x with A x = b by Gauss–Jordan elimination with partial pivoting (independent of the Cholesky code). */
function gaussJordan(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Array.from({ length: n }, (_, i) => [...A.slice(i * n, i * n + n), b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return Float64Array.from(m.map((row, i) => row[n] / row[i]));
}

/** A random SPD matrix MᵀM + I (n x n). */
function randomSpd(n: number, rng: Rng): Float64Array {
  const M = Float64Array.from({ length: n * n }, () => rng.normal());
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] = dotAt(colOf(M, n, i), 0, colOf(M, n, j), 0, n) + (i === j ? 1 : 0);
  return A;
}

function colOf(M: Float64Array, n: number, j: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => M[i * n + j]);
}

test("choleskyInPlace reproduces a known factor, reads only the lower triangle and leaves the upper one as it was", () => {
  // A = LLᵀ with L = [[2,0,0],[6,1,0],[-8,5,3]]; the upper triangle holds junk that must be neither read nor written.
  const A = Float64Array.from([4, 99, 99, 12, 37, 99, -16, -43, 98]);
  choleskyInPlace(A, 3, "test matrix");
  assert.deepEqual(Array.from(A), [2, 99, 99, 6, 1, 99, -8, 5, 3]);
});

test("solveSPD and the in-place solve agree with Gauss–Jordan for even and odd sizes, and leave their inputs unchanged", () => {
  const rng = new Rng(7);
  for (const n of [1, 2, 5, 8, 33]) {
    const A = randomSpd(n, rng);
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const A0 = Float64Array.from(A);
    const b0 = Float64Array.from(b);
    const want = gaussJordan(A, b, n);
    const x = solveSPD(A, b, n);
    assert.deepEqual(A, A0);
    assert.deepEqual(b, b0);
    const L = Float64Array.from(A);
    choleskyInPlace(L, n, "test matrix");
    const y = Float64Array.from(b);
    choleskySolveInPlace(L, y, n);
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(x[i] - want[i]) < 1e-9 * (1 + Math.abs(want[i])), `n=${n} x[${i}] ${x[i]} vs ${want[i]}`);
      assert.equal(y[i], x[i]);
    }
  }
});

test("an indefinite matrix is rejected with the caller's words and the failing pivot", () => {
  assert.throws(
    () => choleskyInPlace(Float64Array.from([1, 2, 2, 1]), 2, "iALS: not positive definite"),
    /iALS: not positive definite \(pivot -3\)/,
  );
  assert.throws(() => solveSPD(Float64Array.from([1, 2, 2, 1]), Float64Array.from([1, 1]), 2), /solveSPD: .*not positive definite.*L2/);
  assert.throws(() => solveSPD(new Float64Array(3), new Float64Array(2), 2), RangeError);
});
