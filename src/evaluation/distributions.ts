// Histograms of predicted vs actual ratings, returned as plain data (bin edges, centres, counts) for plotting.

/** A rating scale: the allowed values min, min + step, ..., max (e.g. 0.5..5 step 0.5, or 1..5 step 1). */
export interface RatingGrid {
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

/** Counts of values per bin. Bin i is [edges[i], edges[i+1]); the last bin also includes its right edge. */
export interface Histogram {
  /** Bin edges, strictly increasing; length = counts.length + 1. */
  readonly edges: number[];
  /** Bin midpoints. */
  readonly centers: number[];
  readonly counts: number[];
  /** Values below edges[0] (0 when clipped into the first bin). */
  readonly below: number;
  /** Values above the last edge (0 when clipped into the last bin). */
  readonly above: number;
  /** All values counted, including below and above. */
  readonly total: number;
}

/** Predicted and actual rating histograms over the same bins, plus their joint counts. */
export interface RatingDistributions {
  readonly edges: number[];
  readonly centers: number[];
  readonly predicted: Histogram;
  readonly actual: Histogram;
  /**
   * joint[a][p] = ratings whose actual value is in bin a and prediction in bin p (a heat map / confusion matrix).
   * Pairs with a value outside the edges are left out unless `clipPredictions` moved the prediction inside.
   */
  readonly joint: number[][];
  /** Mean (unclipped) prediction per actual-rating bin, null for an empty bin: a calibration curve. */
  readonly meanPredictedByActual: (number | null)[];
}

/** Bin specification: explicit edges, or a rating scale (one bin centred on each allowed rating). */
export type BinSpec = { readonly edges: readonly number[] } | RatingGrid;

/**
 * Edges of one bin per allowed rating of `scale`, each centred on the rating: for 0.5..5 step 0.5 that is
 * 0.25, 0.75, ..., 5.25 (10 bins). Throws a RangeError when (max - min) is not a whole number of steps.
 */
export function scaleEdges(scale: RatingGrid): number[] {
  const { min, max, step } = scale;
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(step > 0) || !Number.isFinite(step) || !(min <= max)) {
    throw new RangeError(`scaleEdges: need finite min <= max and step > 0, got ${min}..${max} step ${step}`);
  }
  const steps = (max - min) / step;
  const n = Math.round(steps);
  if (Math.abs(steps - n) > 1e-9 * Math.max(1, steps)) {
    throw new RangeError(`scaleEdges: ${min}..${max} is not a whole number of ${step} steps`);
  }
  const edges: number[] = [];
  for (let i = 0; i <= n + 1; i++) edges.push(min + (i - 0.5) * step);
  return edges;
}

/** Throws a RangeError unless `edges` has >= 2 finite, strictly increasing entries. */
function checkEdges(fn: string, edges: readonly number[]): void {
  if (edges.length < 2) throw new RangeError(`${fn}: need at least 2 bin edges, got ${edges.length}`);
  for (let i = 0; i < edges.length; i++) {
    if (!Number.isFinite(edges[i])) throw new RangeError(`${fn}: edge ${i} is not finite (${edges[i]})`);
    if (i > 0 && !(edges[i] > edges[i - 1])) throw new RangeError(`${fn}: edges must strictly increase (at ${i})`);
  }
}

/** Bin of `v` in `edges`: -1 below, edges.length - 1 above, else the index (last bin closed on the right). */
function binOf(edges: readonly number[], v: number): number {
  const last = edges.length - 1;
  if (v < edges[0]) return -1;
  if (v > edges[last]) return last;
  if (v === edges[last]) return last - 1;
  let lo = 0;
  let hi = last - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Midpoints of consecutive edges. */
function centersOf(edges: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < edges.length; i++) out.push((edges[i] + edges[i + 1]) / 2);
  return out;
}

/**
 * Histogram of `values` over `edges`. With `clip`, values outside the edges are counted in the first/last bin.
 * Throws a RangeError on bad edges or a NaN value. Empty `values` gives all-zero counts.
 */
export function histogram(values: ArrayLike<number>, edges: readonly number[], clip = false): Histogram {
  checkEdges("histogram", edges);
  const nb = edges.length - 1;
  const counts = new Array<number>(nb).fill(0);
  let below = 0;
  let above = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) throw new RangeError(`histogram: value ${i} is NaN`);
    const b = binOf(edges, v);
    if (b < 0) {
      if (clip) counts[0]++;
      else below++;
    } else if (b >= nb) {
      if (clip) counts[nb - 1]++;
      else above++;
    } else counts[b]++;
  }
  return { edges: edges.slice(), centers: centersOf(edges), counts, below, above, total: values.length };
}

/**
 * Distributions of predicted and actual ratings over the same bins (given edges, or one bin per rating of a scale),
 * with joint counts and the mean prediction per actual-rating bin. `clipPredictions` (default false) counts
 * out-of-range predictions (e.g. an MF model's 5.3) in the edge bins. Throws on a length mismatch or NaN.
 */
export function ratingDistributions(
  pred: ArrayLike<number>,
  actual: ArrayLike<number>,
  bins: BinSpec,
  clipPredictions = false,
): RatingDistributions {
  if (pred.length !== actual.length) {
    throw new RangeError(`ratingDistributions: predicted and actual lengths differ (${pred.length} vs ${actual.length})`);
  }
  const edges = "edges" in bins ? bins.edges.slice() : scaleEdges(bins);
  const predicted = histogram(pred, edges, clipPredictions);
  const actualHist = histogram(actual, edges, false);
  const nb = edges.length - 1;
  const joint: number[][] = [];
  for (let a = 0; a < nb; a++) joint.push(new Array<number>(nb).fill(0));
  const sums = new Array<number>(nb).fill(0);
  const ns = new Array<number>(nb).fill(0);
  for (let i = 0; i < pred.length; i++) {
    const a = binOf(edges, actual[i]);
    if (a < 0 || a >= nb) continue;
    sums[a] += pred[i];
    ns[a]++;
    let p = binOf(edges, pred[i]);
    if (clipPredictions) p = Math.min(Math.max(p, 0), nb - 1);
    if (p >= 0 && p < nb) joint[a][p]++;
  }
  return {
    edges,
    centers: centersOf(edges),
    predicted,
    actual: actualHist,
    joint,
    meanPredictedByActual: sums.map((s, a) => (ns[a] > 0 ? s / ns[a] : null)),
  };
}
