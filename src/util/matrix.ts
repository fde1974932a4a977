// A plain row-major float matrix: how embeddings leave TensorFlow for projections, similarity search and figures.

/** Row-major `rows x cols` matrix. Row i is `data.subarray(i*cols, (i+1)*cols)`. */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
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
