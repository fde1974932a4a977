// A plain row-major float matrix: how embeddings leave TensorFlow for projections, similarity search and figures.

/** Row-major `rows x cols` matrix. Row i is `data.subarray(i*cols, (i+1)*cols)`. */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** Wraps `data` as a matrix, checking the size. */
export function matrix(data: Float32Array, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`matrix: data has ${data.length} values, expected ${rows}x${cols}=${rows * cols}`);
  }
  return { data, rows, cols };
}

/** Row i as a view (no copy). */
export function row(m: Matrix, i: number): Float32Array {
  if (i < 0 || i >= m.rows) throw new RangeError(`row ${i} out of range 0..${m.rows - 1}`);
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** Copies the rows `idx` into a new matrix. */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float32Array(idx.length * m.cols);
  for (let k = 0; k < idx.length; k++) out.set(row(m, idx[k]), k * m.cols);
  return { data: out, rows: idx.length, cols: m.cols };
}

/** L2-normalised copy of the rows (zero rows stay zero). */
export function normalizeRows(m: Matrix): Matrix {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    const o = i * m.cols;
    for (let j = 0; j < m.cols; j++) s += m.data[o + j] * m.data[o + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < m.cols; j++) out[o + j] = m.data[o + j] * inv;
  }
  return { data: out, rows: m.rows, cols: m.cols };
}

/** Dot product of two equal-length vectors. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
