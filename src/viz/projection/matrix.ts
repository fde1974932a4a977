// The plain-matrix input every projection accepts (row-major typed array or nested arrays), plus validation helpers.

/** A dense row-major matrix: row `i`, column `j` is `data[i * cols + j]`. */
export interface DenseMatrix {
  readonly data: Float32Array | Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** What projections accept: a {@link DenseMatrix} or an array of equally long number rows. */
export type MatrixInput = DenseMatrix | ReadonlyArray<ArrayLike<number>>;

/** True when `input` is the `{ data, rows, cols }` form rather than nested rows. */
export function isMatrix(input: MatrixInput): input is DenseMatrix {
  return !Array.isArray(input) && typeof (input as DenseMatrix).rows === "number";
}

/**
 * Normalises `input` to a {@link DenseMatrix}, checking its shape. Nested rows are copied into a Float64Array;
 * a DenseMatrix is returned as is (not copied). Throws a RangeError on ragged rows or a data length that does not match.
 */
export function toMatrix(input: MatrixInput, who = "projection"): DenseMatrix {
  if (isMatrix(input)) {
    const { data, rows, cols } = input;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new RangeError(`${who}: matrix shape must be non-negative integers, got ${rows}x${cols}`);
    }
    if (data.length !== rows * cols) {
      throw new RangeError(`${who}: matrix data has ${data.length} values, expected rows*cols = ${rows}*${cols} = ${rows * cols}`);
    }
    return input;
  }
  const rows = input.length;
  const cols = rows > 0 ? input[0].length : 0;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = input[i];
    if (row.length !== cols) throw new RangeError(`${who}: row ${i} has ${row.length} values, row 0 has ${cols}`);
    for (let j = 0; j < cols; j++) data[i * cols + j] = row[j];
  }
  return { data, rows, cols };
}

/** Throws a RangeError naming the first NaN or ±Infinity in `m` (row and column), if any. */
export function assertFinite(m: DenseMatrix, who = "projection"): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      const row = cols > 0 ? Math.floor(i / cols) : 0;
      const col = cols > 0 ? i % cols : 0;
      throw new RangeError(`${who}: input contains ${v} at row ${row}, column ${col}; remove or impute non-finite values first`);
    }
  }
}

/** Nested `number[][]` rows of `m` (for libraries that want them, e.g. umap-js, tsne-js, Plotly). */
export function toRows(m: DenseMatrix): number[][] {
  const out: number[][] = new Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const row: number[] = new Array(m.cols);
    for (let j = 0; j < m.cols; j++) row[j] = m.data[i * m.cols + j];
    out[i] = row;
  }
  return out;
}

/** Row `i` of `m` as a new plain array. */
export function rowOf(m: DenseMatrix, i: number): number[] {
  return Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));
}

/** Splits projection coordinates into per-dimension columns (`[xs, ys, ...]`), handy for Plotly traces. */
export function columnsOf(coords: Float32Array, dims: number): Float32Array[] {
  const n = dims > 0 ? coords.length / dims : 0;
  const cols: Float32Array[] = [];
  for (let d = 0; d < dims; d++) {
    const c = new Float32Array(n);
    for (let i = 0; i < n; i++) c[i] = coords[i * dims + d];
    cols.push(c);
  }
  return cols;
}

/**
 * Groups exactly equal rows (-0 equals 0). Returns `firstOf[i]` = the index of the first row equal to row `i`,
 * `unique` = the first occurrences in order, and `duplicates` = rows - unique.length.
 */
export function findDuplicateRows(m: DenseMatrix): { firstOf: Int32Array; unique: Int32Array; duplicates: number } {
  const { data, rows, cols } = m;
  const firstOf = new Int32Array(rows);
  const buckets = new Map<number, number[]>();
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const unique: number[] = [];
  for (let i = 0; i < rows; i++) {
    let h = 0x811c9dc5 | 0;
    const base = i * cols;
    for (let j = 0; j < cols; j++) {
      f64[0] = data[base + j] + 0; // + 0 maps -0 to 0
      h = Math.imul(h ^ u32[0], 0x01000193);
      h = Math.imul(h ^ u32[1], 0x01000193);
    }
    let bucket = buckets.get(h);
    let found = -1;
    if (bucket) {
      for (const k of bucket) {
        const kb = k * cols;
        let same = true;
        for (let j = 0; j < cols; j++) {
          if (data[kb + j] !== data[base + j]) {
            same = false;
            break;
          }
        }
        if (same) {
          found = k;
          break;
        }
      }
    } else {
      bucket = [];
      buckets.set(h, bucket);
    }
    if (found >= 0) firstOf[i] = found;
    else {
      firstOf[i] = i;
      bucket.push(i);
      unique.push(i);
    }
  }
  return { firstOf, unique: Int32Array.from(unique), duplicates: rows - unique.length };
}

/** The rows of `m` listed in `indices`, as a new Float64 matrix. */
export function selectRows(m: DenseMatrix, indices: ArrayLike<number>): { data: Float64Array; rows: number; cols: number } {
  const { cols } = m;
  const data = new Float64Array(indices.length * cols);
  for (let r = 0; r < indices.length; r++) {
    const src = indices[r] * cols;
    for (let j = 0; j < cols; j++) data[r * cols + j] = m.data[src + j];
  }
  return { data, rows: indices.length, cols };
}

/** Rows scaled to unit L2 norm (zero rows stay zero), as a new Float64 matrix. */
export function normaliseRows(m: DenseMatrix): DenseMatrix {
  const { rows, cols } = m;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += m.data[i * cols + j] * m.data[i * cols + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < cols; j++) data[i * cols + j] = m.data[i * cols + j] * inv;
  }
  return { data, rows, cols };
}
