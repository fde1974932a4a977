// Rating-prediction accuracy metrics (RMSE, MAE) over parallel arrays of predicted and actual ratings.

/** Any array-like of numbers: a plain array or a typed array such as Float32Array. */
export type NumericArray = ArrayLike<number>;

/** Throws a RangeError unless `pred` and `actual` are non-empty, equally long and finite everywhere. */
function checkPairs(fn: string, pred: NumericArray, actual: NumericArray): void {
  if (pred.length !== actual.length) {
    throw new RangeError(`${fn}: predicted and actual lengths differ (${pred.length} vs ${actual.length})`);
  }
  if (pred.length === 0) throw new RangeError(`${fn}: no ratings (both arrays are empty); the error is undefined`);
  for (let i = 0; i < pred.length; i++) {
    if (!Number.isFinite(pred[i])) throw new RangeError(`${fn}: predicted[${i}] is not a finite number (${pred[i]})`);
    if (!Number.isFinite(actual[i])) throw new RangeError(`${fn}: actual[${i}] is not a finite number (${actual[i]})`);
  }
}

/**
 * Root mean squared error: sqrt(mean((pred[i] - actual[i])^2)).
 * Throws a RangeError when the lengths differ, the arrays are empty, or any value is NaN/infinite.
 */
export function rmse(pred: NumericArray, actual: NumericArray): number {
  checkPairs("rmse", pred, actual);
  let sum = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - actual[i];
    sum += d * d;
  }
  return Math.sqrt(sum / pred.length);
}

/**
 * Mean absolute error: mean(|pred[i] - actual[i]|).
 * Throws a RangeError when the lengths differ, the arrays are empty, or any value is NaN/infinite.
 */
export function mae(pred: NumericArray, actual: NumericArray): number {
  checkPairs("mae", pred, actual);
  let sum = 0;
  for (let i = 0; i < pred.length; i++) sum += Math.abs(pred[i] - actual[i]);
  return sum / pred.length;
}

/**
 * Mean signed error (bias): mean(pred[i] - actual[i]); positive means the model over-predicts.
 * Same errors as {@link rmse}.
 */
export function meanError(pred: NumericArray, actual: NumericArray): number {
  checkPairs("meanError", pred, actual);
  let sum = 0;
  for (let i = 0; i < pred.length; i++) sum += pred[i] - actual[i];
  return sum / pred.length;
}

/** Clamps every prediction into [min, max] (a new Float32Array); e.g. clip MF outputs to the rating scale before RMSE. */
export function clampRatings(pred: NumericArray, min: number, max: number): Float32Array {
  if (!(min <= max)) throw new RangeError(`clampRatings: min (${min}) must be <= max (${max})`);
  const out = new Float32Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    const v = pred[i];
    out[i] = v < min ? min : v > max ? max : v;
  }
  return out;
}
