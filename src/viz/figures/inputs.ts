// Normalises the plain-array inputs of the figure functions (coordinates, matrices, index lists) and rounds numbers for compact JSON.
import type { Coordinates2D, EmbeddingMatrix } from "./types";

/** Two coordinate columns of equal length. */
export interface XYColumns {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly length: number;
}

function isArrayLikeOfNumbers(value: unknown): value is ArrayLike<number> {
  return ArrayBuffer.isView(value) || (Array.isArray(value) && (value.length === 0 || typeof value[0] === "number"));
}

/** Converts any {@link Coordinates2D} form to x and y columns; throws a RangeError on malformed input. */
export function toXY(input: Coordinates2D, who: string): XYColumns {
  if (typeof input === "object" && input !== null && "coords" in input && !ArrayBuffer.isView(input)) {
    const { coords, dims } = input;
    if (!Number.isInteger(dims) || dims < 2) throw new RangeError(`${who}: coordinates need dims >= 2, got ${dims}`);
    if (coords.length % dims !== 0) throw new RangeError(`${who}: coords length ${coords.length} is not a multiple of dims ${dims}`);
    const n = coords.length / dims;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = coords[i * dims];
      y[i] = coords[i * dims + 1];
    }
    return { x, y, length: n };
  }
  if (typeof input === "object" && input !== null && "x" in input && "y" in input && !ArrayBuffer.isView(input)) {
    const cols = input as { readonly x: ArrayLike<number>; readonly y: ArrayLike<number> };
    if (cols.x.length !== cols.y.length) throw new RangeError(`${who}: x has ${cols.x.length} values but y has ${cols.y.length}`);
    return { x: Float64Array.from(cols.x), y: Float64Array.from(cols.y), length: cols.x.length };
  }
  if (isArrayLikeOfNumbers(input)) {
    if (input.length % 2 !== 0) throw new RangeError(`${who}: a flat coordinate array needs an even length, got ${input.length}`);
    const n = input.length / 2;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = input[2 * i];
      y[i] = input[2 * i + 1];
    }
    return { x, y, length: n };
  }
  const rows = input as ReadonlyArray<ArrayLike<number>>;
  const n = rows.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (!row || row.length < 2) throw new RangeError(`${who}: coordinate row ${i} needs at least 2 values`);
    x[i] = row[0];
    y[i] = row[1];
  }
  return { x, y, length: n };
}

/** Converts an {@link EmbeddingMatrix} to an array of Float64Array rows; throws a RangeError on ragged or mis-sized input. */
export function toRows(input: EmbeddingMatrix, who: string): Float64Array[] {
  if (!Array.isArray(input)) {
    const m = input as { readonly data: ArrayLike<number>; readonly rows: number; readonly cols: number };
    if (m.data.length !== m.rows * m.cols) {
      throw new RangeError(`${who}: matrix data has ${m.data.length} values, expected ${m.rows}x${m.cols}`);
    }
    const out: Float64Array[] = [];
    for (let i = 0; i < m.rows; i++) {
      const row = new Float64Array(m.cols);
      for (let j = 0; j < m.cols; j++) row[j] = m.data[i * m.cols + j];
      out.push(row);
    }
    return out;
  }
  const rows = input as ReadonlyArray<ArrayLike<number>>;
  const cols = rows.length > 0 ? rows[0].length : 0;
  return rows.map((r, i) => {
    if (r.length !== cols) throw new RangeError(`${who}: row ${i} has ${r.length} values, row 0 has ${cols}`);
    return Float64Array.from(r);
  });
}

/**
 * Indices of the table rows the points belong to: point i is row `index[i]` (default: point i is row i).
 * Checks that every index is an integer in [0, tableSize).
 */
export function pointRows(points: number, index: ArrayLike<number> | undefined, tableSize: number, who: string): Int32Array {
  if (index === undefined) {
    if (points > tableSize) throw new RangeError(`${who}: ${points} points but the table has only ${tableSize} rows; pass an index`);
    const out = new Int32Array(points);
    for (let i = 0; i < points; i++) out[i] = i;
    return out;
  }
  if (index.length !== points) throw new RangeError(`${who}: index has ${index.length} entries for ${points} points`);
  const out = new Int32Array(points);
  for (let i = 0; i < points; i++) {
    const r = index[i];
    if (!Number.isInteger(r) || r < 0 || r >= tableSize) throw new RangeError(`${who}: index[${i}] = ${r} is outside 0..${tableSize - 1}`);
    out[i] = r;
  }
  return out;
}

/** Rounds to `digits` significant digits so JSON stays compact; non-finite values become null (Plotly leaves a gap). */
export function roundValue(value: number, digits = 5): number | null {
  if (!Number.isFinite(value)) return null;
  if (value === 0) return 0;
  return Number(value.toPrecision(digits));
}

/** Rounds every value of `values` (see {@link roundValue}) into a plain array. */
export function roundAll(values: ArrayLike<number>, digits = 5): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = roundValue(values[i], digits);
  return out;
}
