// Shared pieces of the two top-N protocols: their options and result types, user selection, and result accessors.
import { Rng } from "../util/random";
import { TopNAtK, normalizeKs } from "./topn-metrics";

/**
 * How equal scores are ordered.
 * - "pessimistic" (default): relevant / held-out items rank after non-relevant ones with the same score, then lower
 *   movie index first. A model that outputs constant (or saturated, e.g. sigmoid = 1) scores earns no hits from ties.
 * - "index": lower movie index first, whatever the relevance (what a deployed recommender with this rule would show).
 */
export type TieBreak = "pessimistic" | "index";

/** Options both protocols share. */
export interface TopNProtocolOptions {
  /** Cutoffs, e.g. [5, 10, 20]; results come in ascending K. */
  readonly ks: readonly number[];
  /** A test rating is relevant when rating >= this; null = every test item is relevant. */
  readonly relevanceThreshold: number | null;
  /** Seed for every random choice (user sampling; leave-one-out negatives). Default 0. */
  readonly seed?: number;
  /** Only these dense user indices are considered (default: every user). */
  readonly users?: ArrayLike<number>;
  /** Evaluate a seeded random sample of this many eligible users instead of all of them. */
  readonly sampleUsers?: number;
  /** Default "pessimistic". */
  readonly tieBreak?: TieBreak;
  /** Keep per-user results in `perUser` (default false). */
  readonly perUser?: boolean;
  /** Called after each scored user with (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Mean metrics over the evaluated users at one K, plus catalogue coverage where the protocol defines it. */
export interface TopNSummary extends TopNAtK {
  /** Fraction of all movies that appear in at least one evaluated user's top K; null for leave-one-out (sampled candidates). */
  readonly coverage: number | null;
}

/** A protocol's result. `U` is the protocol's per-user record. */
export interface TopNEvaluation<U> {
  readonly protocol: "full-ranking" | "leave-one-out";
  /** The cutoffs, ascending. */
  readonly ks: number[];
  readonly relevanceThreshold: number | null;
  /** One summary per K, same order as `ks`. Means are NaN when no user was evaluated. */
  readonly metrics: TopNSummary[];
  /** Considered users with at least one test rating (or a given held-out item). */
  readonly testUsers: number;
  /** Users whose metrics are in the means. */
  readonly usersEvaluated: number;
  /** Test users left out because they have no relevant test item (no held-out item for leave-one-out). */
  readonly usersSkipped: number;
  /** Eligible users left out by `sampleUsers` (0 without sampling). */
  readonly usersNotSampled: number;
  /** Per-user records when `perUser` was set, else null. Ascending user index. */
  readonly perUser: U[] | null;
}

/** The summary at cutoff `k`; throws a RangeError when `k` was not evaluated. */
export function metricsAt<U>(evaluation: TopNEvaluation<U>, k: number): TopNSummary {
  const m = evaluation.metrics.find((s) => s.k === k);
  if (!m) throw new RangeError(`metricsAt: K = ${k} was not evaluated (have ${evaluation.ks.join(", ")})`);
  return m;
}

/** One flat row per K (metric name -> value), convenient for console.table or a notebook data frame. */
export function metricsTable<U>(evaluation: TopNEvaluation<U>): Record<string, number | string | null>[] {
  return evaluation.metrics.map((m) => ({
    protocol: evaluation.protocol,
    k: m.k,
    precision: m.precision,
    recall: m.recall,
    ndcg: m.ndcg,
    hitRate: m.hitRate,
    map: m.map,
    coverage: m.coverage,
    users: evaluation.usersEvaluated,
  }));
}

/** Validated common options. */
export interface ResolvedOptions {
  readonly ks: number[];
  readonly maxK: number;
  readonly threshold: number | null;
  readonly seed: number;
  readonly tieBreak: TieBreak;
  readonly perUser: boolean;
}

/** Validates the shared options; throws a RangeError naming `fn` on bad values. */
export function resolveOptions(fn: string, options: TopNProtocolOptions): ResolvedOptions {
  const ks = normalizeKs(options.ks);
  const threshold = options.relevanceThreshold;
  if (threshold === undefined || (threshold !== null && !Number.isFinite(threshold))) {
    throw new RangeError(`${fn}: relevanceThreshold must be a finite number or null, got ${threshold}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new RangeError(`${fn}: seed must be a finite number, got ${seed}`);
  const tieBreak = options.tieBreak ?? "pessimistic";
  if (tieBreak !== "pessimistic" && tieBreak !== "index") {
    throw new RangeError(`${fn}: tieBreak must be "pessimistic" or "index", got ${String(tieBreak)}`);
  }
  if (options.sampleUsers !== undefined && (!Number.isInteger(options.sampleUsers) || options.sampleUsers < 1)) {
    throw new RangeError(`${fn}: sampleUsers must be a positive integer, got ${options.sampleUsers}`);
  }
  return { ks, maxK: ks[ks.length - 1], threshold, seed, tieBreak, perUser: options.perUser ?? false };
}

/** The users to consider: `options.users` (validated, deduplicated, ascending) or 0..numUsers-1. */
export function consideredUsers(fn: string, numUsers: number, users: ArrayLike<number> | undefined): Int32Array {
  if (users === undefined) {
    const all = new Int32Array(numUsers);
    for (let u = 0; u < numUsers; u++) all[u] = u;
    return all;
  }
  const seen = new Uint8Array(numUsers);
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    if (!Number.isInteger(u) || u < 0 || u >= numUsers) {
      throw new RangeError(`${fn}: users[${i}] = ${u} is outside 0..${numUsers - 1}`);
    }
    seen[u] = 1;
  }
  const out: number[] = [];
  for (let u = 0; u < numUsers; u++) if (seen[u]) out.push(u);
  return Int32Array.from(out);
}

/** A seeded sample of `count` of `eligible` (kept in ascending order), or `eligible` itself when it is small enough. */
export function sampleEligible(eligible: Int32Array, count: number | undefined, seed: number): Int32Array {
  if (count === undefined || count >= eligible.length) return eligible;
  const perm = new Rng(seed).permutation(eligible.length).subarray(0, count).sort();
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = eligible[perm[i]];
  return out;
}
