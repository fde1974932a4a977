// Top-N ranking metrics (Precision, Recall, NDCG, HR, MAP @K, catalogue coverage) over ranked item lists and relevant sets.

/** A ranked list of item ids, best first (a plain array or an Int32Array). */
export type RankedItems = ArrayLike<number>;

/** The items that count as relevant (hits) for one user. */
export type RelevantItems = ReadonlySet<number>;

/** All top-N metrics of one ranked list (or their means over users) at one cutoff K. */
export interface TopNAtK {
  /** The cutoff. */
  readonly k: number;
  /** Hits in the top K divided by K. */
  readonly precision: number;
  /** Hits in the top K divided by the number of relevant items. */
  readonly recall: number;
  /** Binary-relevance NDCG with a log2(rank + 1) discount; the ideal DCG uses min(K, #relevant) hits. */
  readonly ndcg: number;
  /** 1 when at least one relevant item is in the top K, else 0 (averaged: the hit rate HR@K). */
  readonly hitRate: number;
  /** AP@K: sum of precision@i over hit positions i <= K, divided by min(K, #relevant) (averaged: MAP@K). */
  readonly map: number;
}

/** Throws a RangeError unless `k` is a positive integer. */
function checkK(fn: string, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${fn}: K must be a positive integer, got ${k}`);
}

/** Throws a RangeError when the first `k` entries of `ranked` repeat an item (hits would be double-counted). */
function checkNoDuplicates(fn: string, ranked: RankedItems, k: number): void {
  const n = Math.min(k, ranked.length);
  if (n <= 1) return;
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const item = ranked[i];
    if (seen.has(item)) throw new RangeError(`${fn}: ranked list repeats item ${item} (position ${i + 1})`);
    seen.add(item);
  }
}

/** Throws a RangeError when there is no relevant item (recall, NDCG and AP are 0/0 then). */
function checkHasRelevant(fn: string, relevant: RelevantItems): void {
  if (relevant.size === 0) {
    throw new RangeError(`${fn}: the relevant set is empty, so the metric is undefined (skip such users)`);
  }
}

/** Number of relevant items among the first `k` entries of `ranked`. */
function hitsInTopK(ranked: RankedItems, relevant: RelevantItems, k: number): number {
  const n = Math.min(k, ranked.length);
  let hits = 0;
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) hits++;
  return hits;
}

/** Sum of 1/log2(i + 2) for i = 0..n-1: the DCG of n hits at the top of a list. */
export function idealDcg(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += 1 / Math.log2(i + 2);
  return s;
}

/**
 * Precision@K = (relevant items in the top K) / K.
 * The denominator is K even when `ranked` has fewer than K items (fixed-cutoff convention).
 * An empty `ranked` list or an empty `relevant` set gives 0. Throws on K < 1 or repeated items.
 */
export function precisionAtK(ranked: RankedItems, relevant: RelevantItems, k: number): number {
  checkK("precisionAtK", k);
  checkNoDuplicates("precisionAtK", ranked, k);
  return hitsInTopK(ranked, relevant, k) / k;
}

/**
 * Recall@K = (relevant items in the top K) / (number of relevant items).
 * Throws a RangeError when `relevant` is empty (undefined), K < 1, or items repeat. An empty `ranked` gives 0.
 */
export function recallAtK(ranked: RankedItems, relevant: RelevantItems, k: number): number {
  checkK("recallAtK", k);
  checkHasRelevant("recallAtK", relevant);
  checkNoDuplicates("recallAtK", ranked, k);
  return hitsInTopK(ranked, relevant, k) / relevant.size;
}

/**
 * NDCG@K with binary relevance: DCG = sum over hit positions i (1-based, i <= K) of 1/log2(i + 1),
 * divided by the ideal DCG of min(K, #relevant) hits at the top. In [0, 1].
 * Throws a RangeError when `relevant` is empty, K < 1, or items repeat. An empty `ranked` gives 0.
 */
export function ndcgAtK(ranked: RankedItems, relevant: RelevantItems, k: number): number {
  checkK("ndcgAtK", k);
  checkHasRelevant("ndcgAtK", relevant);
  checkNoDuplicates("ndcgAtK", ranked, k);
  const n = Math.min(k, ranked.length);
  let dcg = 0;
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) dcg += 1 / Math.log2(i + 2);
  return dcg / idealDcg(Math.min(k, relevant.size));
}

/**
 * HR@K for one list: 1 when any relevant item is in the top K, else 0.
 * An empty `ranked` list or an empty `relevant` set gives 0. Throws on K < 1.
 */
export function hitRateAtK(ranked: RankedItems, relevant: RelevantItems, k: number): number {
  checkK("hitRateAtK", k);
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) return 1;
  return 0;
}

/**
 * AP@K = (sum over hit positions i <= K of precision@i) / min(K, #relevant). In [0, 1]; its mean over users is MAP@K.
 * Throws a RangeError when `relevant` is empty, K < 1, or items repeat. An empty `ranked` gives 0.
 */
export function averagePrecisionAtK(ranked: RankedItems, relevant: RelevantItems, k: number): number {
  checkK("averagePrecisionAtK", k);
  checkHasRelevant("averagePrecisionAtK", relevant);
  checkNoDuplicates("averagePrecisionAtK", ranked, k);
  const n = Math.min(k, ranked.length);
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (relevant.has(ranked[i])) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / Math.min(k, relevant.size);
}

/**
 * Validates a list of cutoffs and returns them sorted ascending without duplicates.
 * Throws a RangeError when the list is empty or any K is not a positive integer.
 */
export function normalizeKs(ks: readonly number[]): number[] {
  if (ks.length === 0) throw new RangeError("normalizeKs: the list of K values is empty");
  for (const k of ks) checkK("normalizeKs", k);
  return Array.from(new Set(ks)).sort((a, b) => a - b);
}

/**
 * Every metric at every cutoff in one pass over the top max(ks) items of `ranked`.
 * Returns one {@link TopNAtK} per K, in ascending K (see {@link normalizeKs}).
 * Throws a RangeError when `relevant` is empty, a K is invalid, or items repeat in the top max(ks).
 */
export function topNMetrics(ranked: RankedItems, relevant: RelevantItems, ks: readonly number[]): TopNAtK[] {
  const sortedKs = normalizeKs(ks);
  checkHasRelevant("topNMetrics", relevant);
  const maxK = sortedKs[sortedKs.length - 1];
  checkNoDuplicates("topNMetrics", ranked, maxK);
  const out: TopNAtK[] = [];
  let hits = 0;
  let dcg = 0;
  let apSum = 0;
  let pos = 0;
  for (const k of sortedKs) {
    const n = Math.min(k, ranked.length);
    for (; pos < n; pos++) {
      if (relevant.has(ranked[pos])) {
        hits++;
        dcg += 1 / Math.log2(pos + 2);
        apSum += hits / (pos + 1);
      }
    }
    const denom = Math.min(k, relevant.size);
    out.push({
      k,
      precision: hits / k,
      recall: hits / relevant.size,
      ndcg: dcg / idealDcg(denom),
      hitRate: hits > 0 ? 1 : 0,
      map: apSum / denom,
    });
  }
  return out;
}

/**
 * Means of per-user metric lists (each as returned by {@link topNMetrics} for the same `ks`).
 * With no users every mean is NaN (nothing was measured). Throws a RangeError when a user's cutoffs differ from `ks`.
 */
export function meanTopN(perUser: readonly (readonly TopNAtK[])[], ks: readonly number[]): TopNAtK[] {
  const sortedKs = normalizeKs(ks);
  const sums = sortedKs.map((k) => ({ k, precision: 0, recall: 0, ndcg: 0, hitRate: 0, map: 0 }));
  perUser.forEach((metrics, u) => {
    if (metrics.length !== sortedKs.length || metrics.some((m, j) => m.k !== sortedKs[j])) {
      throw new RangeError(`meanTopN: entry ${u} has cutoffs [${metrics.map((m) => m.k).join(", ")}], expected [${sortedKs.join(", ")}]`);
    }
    metrics.forEach((m, j) => {
      const s = sums[j];
      s.precision += m.precision;
      s.recall += m.recall;
      s.ndcg += m.ndcg;
      s.hitRate += m.hitRate;
      s.map += m.map;
    });
  });
  const n = perUser.length;
  return sums.map((s) => ({
    k: s.k,
    precision: s.precision / n,
    recall: s.recall / n,
    ndcg: s.ndcg / n,
    hitRate: s.hitRate / n,
    map: s.map / n,
  }));
}

/**
 * Catalogue coverage: the fraction of the `numItems` catalogue items (ids 0..numItems-1) that appear in the
 * top `k` of at least one list (all of each list when `k` is omitted). No lists gives 0.
 * Throws a RangeError when numItems < 1, K is invalid, or a list holds an id outside 0..numItems-1.
 */
export function catalogCoverage(lists: Iterable<RankedItems>, numItems: number, k?: number): number {
  if (!Number.isInteger(numItems) || numItems < 1) {
    throw new RangeError(`catalogCoverage: numItems must be a positive integer, got ${numItems}`);
  }
  if (k !== undefined) checkK("catalogCoverage", k);
  const seen = new Uint8Array(numItems);
  let distinct = 0;
  for (const list of lists) {
    const n = k === undefined ? list.length : Math.min(k, list.length);
    for (let i = 0; i < n; i++) {
      const item = list[i];
      if (!Number.isInteger(item) || item < 0 || item >= numItems) {
        throw new RangeError(`catalogCoverage: item ${item} is outside the catalogue 0..${numItems - 1}`);
      }
      if (seen[item] === 0) {
        seen[item] = 1;
        distinct++;
      }
    }
  }
  return distinct / numItems;
}
