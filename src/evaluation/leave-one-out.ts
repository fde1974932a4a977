// NCF-style leave-one-out protocol: each user's held-out movie ranked against seeded sampled negatives (99 by default).
import { Rng } from "../util/random";
import { EvaluationData, RatingColumns, checkEvaluationData, groupColumnsByUser } from "./data";
import type { MovieScorer } from "../models/scorer";
import { ScoringJob, runScoring } from "./scoring";
import { rankOf, selectTopK } from "./top-k";
import { TopNAtK, meanTopN, topNMetrics } from "./topn-metrics";
import { TopNEvaluation, TopNProtocolOptions, TopNSummary, consideredUsers, resolveOptions, sampleEligible } from "./protocol";

/** Options of {@link evaluateLeaveOneOut}. */
export interface LeaveOneOutOptions extends TopNProtocolOptions {
  /** Negatives per user (default 99, as in NCF). Fewer are used when the user has not that many unrated movies. */
  readonly numNegatives?: number;
  /**
   * The held-out movie per user (length numUsers; -1 = none). Used as given: the relevance threshold is not applied.
   * Default: {@link latestTestItems} (each user's latest relevant test rating).
   */
  readonly heldOut?: ArrayLike<number>;
}

/** One evaluated user of the leave-one-out protocol. */
export interface LeaveOneOutUserResult {
  readonly user: number;
  readonly heldOut: number;
  /** The sampled negatives, in draw order. */
  readonly negatives: Int32Array;
  /** 1-based rank of the held-out movie among its 1 + negatives.length candidates. */
  readonly rank: number;
  /** The top max(ks) candidates, best first, and their scores. */
  readonly topItems: Int32Array;
  readonly topScores: Float32Array;
  readonly metrics: TopNAtK[];
}

/** The leave-one-out result: {@link TopNEvaluation} plus the negatives shortfall count. */
export interface LeaveOneOutEvaluation extends TopNEvaluation<LeaveOneOutUserResult> {
  readonly numNegatives: number;
  /** Evaluated users that had fewer unrated movies than `numNegatives` (all of them were used). */
  readonly usersWithFewerNegatives: number;
}

/**
 * Each user's latest test movie by timestamp among the relevant ones (rating >= threshold; any when null), -1 when
 * the user has none. Equal timestamps: the rating that comes later in the columns wins.
 * Throws a RangeError when `test` has no timestamp column.
 */
export function latestTestItems(test: RatingColumns, numUsers: number, relevanceThreshold: number | null): Int32Array {
  const ts = test.timestamp;
  if (!ts) {
    throw new RangeError("latestTestItems: test ratings have no timestamp column; pass the held-out items explicitly");
  }
  const out = new Int32Array(numUsers).fill(-1);
  const best = new Float64Array(numUsers).fill(-1);
  for (let i = 0; i < test.user.length; i++) {
    if (relevanceThreshold !== null && !(test.rating[i] >= relevanceThreshold)) continue;
    const u = test.user[i];
    if (ts[i] >= best[u]) {
      best[u] = ts[i];
      out[u] = test.movie[i];
    }
  }
  return out;
}

/** The per-user generator for the negatives: depends only on (seed, user), not on which other users are evaluated. */
export function userRng(seed: number, user: number): Rng {
  return new Rng((Math.trunc(seed) ^ Math.imul(user + 1, 0x9e3779b1)) | 0);
}

/**
 * Draws up to `count` distinct movies in 0..numMovies-1 whose `excluded` mark is 0, uniformly without replacement.
 * `numExcluded` must be the number of marked movies. `excluded` is used as scratch but restored before returning.
 * When fewer than `count` movies are available, all of them are returned (ascending).
 */
function drawNegatives(numMovies: number, excluded: Uint8Array, numExcluded: number, count: number, rng: Rng): Int32Array {
  const available = numMovies - numExcluded;
  if (available <= count) {
    const all = new Int32Array(Math.max(available, 0));
    let at = 0;
    for (let m = 0; m < numMovies && at < all.length; m++) if (excluded[m] === 0) all[at++] = m;
    return all;
  }
  const out = new Int32Array(count);
  if (available * 2 >= numMovies) {
    // Rejection sampling: at most ~2 draws per negative on average.
    let at = 0;
    while (at < count) {
      const m = rng.int(numMovies);
      if (excluded[m] !== 0) continue;
      excluded[m] = 2;
      out[at++] = m;
    }
    for (let i = 0; i < count; i++) excluded[out[i]] = 0;
    return out;
  }
  // Dense exclusions: list the available movies and take a partial Fisher–Yates prefix.
  const pool = new Int32Array(available);
  let at = 0;
  for (let m = 0; m < numMovies; m++) if (excluded[m] === 0) pool[at++] = m;
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(available - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
    out[i] = pool[i];
  }
  return out;
}

/**
 * Samples up to `count` distinct negatives for one user: movies in 0..numMovies-1 not in `exclude` (the user's
 * rated movies), uniformly without replacement, driven by `rng`. Same rng state + inputs = same negatives.
 * Fewer than `count` available returns them all (ascending).
 */
export function sampleNegatives(numMovies: number, exclude: ArrayLike<number>, count: number, rng: Rng): Int32Array {
  if (!Number.isInteger(numMovies) || numMovies < 1) {
    throw new RangeError(`sampleNegatives: numMovies must be a positive integer, got ${numMovies}`);
  }
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`sampleNegatives: count must be >= 0, got ${count}`);
  const marks = new Uint8Array(numMovies);
  let numExcluded = 0;
  for (let i = 0; i < exclude.length; i++) {
    const m = exclude[i];
    if (!Number.isInteger(m) || m < 0 || m >= numMovies) {
      throw new RangeError(`sampleNegatives: excluded movie ${m} is outside 0..${numMovies - 1}`);
    }
    if (marks[m] === 0) {
      marks[m] = 1;
      numExcluded++;
    }
  }
  return drawNegatives(numMovies, marks, numExcluded, count, rng);
}

interface LeaveOneOutJob extends ScoringJob {
  readonly heldOut: number;
  readonly negatives: Int32Array;
}

/**
 * NCF leave-one-out evaluation. Per user: the held-out movie (default: the latest relevant test rating, see
 * {@link latestTestItems}; or `options.heldOut`) is ranked against `numNegatives` (99) negatives sampled uniformly
 * from the movies the user rated neither in train nor in test, with a generator seeded by (seed, user).
 * Reports HR@K, NDCG@K, and Precision/Recall/MAP@K with the single held-out movie as the relevant set
 * (recall = HR, MAP = reciprocal rank if within K, precision = HR / K). Coverage is null (candidates are sampled).
 * Users with test ratings but no held-out movie are skipped and counted.
 */
export async function evaluateLeaveOneOut(
  data: EvaluationData,
  scorer: MovieScorer,
  options: LeaveOneOutOptions,
): Promise<LeaveOneOutEvaluation> {
  const fn = "evaluateLeaveOneOut";
  const opts = resolveOptions(fn, options);
  checkEvaluationData(fn, data);
  const numNegatives = options.numNegatives ?? 99;
  if (!Number.isInteger(numNegatives) || numNegatives < 0) {
    throw new RangeError(`${fn}: numNegatives must be a non-negative integer, got ${numNegatives}`);
  }
  const { numUsers, numMovies, train, test } = data;
  let heldOut: ArrayLike<number>;
  if (options.heldOut !== undefined) {
    heldOut = options.heldOut;
    if (heldOut.length !== numUsers) {
      throw new RangeError(`${fn}: heldOut has ${heldOut.length} entries, expected one per user (${numUsers})`);
    }
    for (let u = 0; u < numUsers; u++) {
      const m = heldOut[u];
      if (!Number.isInteger(m) || m < -1 || m >= numMovies) {
        throw new RangeError(`${fn}: heldOut[${u}] = ${m} is neither -1 nor a movie index 0..${numMovies - 1}`);
      }
    }
  } else {
    heldOut = latestTestItems(test, numUsers, opts.threshold);
  }
  const trainGroups = groupColumnsByUser(train, numUsers);
  const testGroups = groupColumnsByUser(test, numUsers);

  const considered = consideredUsers(fn, numUsers, options.users);
  const eligibleList: number[] = [];
  let testUsers = 0;
  for (const u of considered) {
    const hasTest = testGroups.offsets[u + 1] > testGroups.offsets[u];
    if (!hasTest && heldOut[u] < 0) continue;
    testUsers++;
    if (heldOut[u] >= 0) eligibleList.push(u);
  }
  const eligible = Int32Array.from(eligibleList);
  const evaluated = sampleEligible(eligible, options.sampleUsers, opts.seed);

  const rated = new Uint8Array(numMovies);
  let usersWithFewerNegatives = 0;
  function* jobs(): Generator<LeaveOneOutJob> {
    for (const u of evaluated) {
      const target = heldOut[u];
      let numRated = 0;
      const mark = (m: number): void => {
        if (rated[m] === 0) {
          rated[m] = 1;
          numRated++;
        }
      };
      mark(target);
      for (let i = trainGroups.offsets[u]; i < trainGroups.offsets[u + 1]; i++) mark(train.movie[trainGroups.order[i]]);
      for (let i = testGroups.offsets[u]; i < testGroups.offsets[u + 1]; i++) mark(test.movie[testGroups.order[i]]);
      const negatives = drawNegatives(numMovies, rated, numRated, numNegatives, userRng(opts.seed, u));
      if (negatives.length < numNegatives) usersWithFewerNegatives++;
      rated[target] = 0;
      for (let i = trainGroups.offsets[u]; i < trainGroups.offsets[u + 1]; i++) rated[train.movie[trainGroups.order[i]]] = 0;
      for (let i = testGroups.offsets[u]; i < testGroups.offsets[u + 1]; i++) rated[test.movie[testGroups.order[i]]] = 0;
      const movies = new Int32Array(1 + negatives.length);
      movies[0] = target;
      movies.set(negatives, 1);
      yield { user: u, movies, heldOut: target, negatives };
    }
  }

  const flags = new Uint8Array(numMovies);
  const perUserMetrics: TopNAtK[][] = [];
  const perUser: LeaveOneOutUserResult[] | null = opts.perUser ? [] : null;
  let done = 0;
  await runScoring(fn, scorer, jobs(), (job, scores) => {
    const f = opts.tieBreak === "pessimistic" ? flags : null;
    if (f) f[job.heldOut] = 1;
    const top = selectTopK(job.movies, scores, opts.maxK, f);
    const rank = rankOf(job.heldOut, job.movies, scores, f);
    if (f) f[job.heldOut] = 0;
    const metrics = topNMetrics(top.items, new Set([job.heldOut]), opts.ks);
    perUserMetrics.push(metrics);
    if (perUser) {
      perUser.push({
        user: job.user,
        heldOut: job.heldOut,
        negatives: job.negatives,
        rank,
        topItems: top.items,
        topScores: top.scores,
        metrics,
      });
    }
    done++;
    if (options.onProgress) options.onProgress(done, evaluated.length);
  });

  const metrics: TopNSummary[] = meanTopN(perUserMetrics, opts.ks).map((m) => ({ ...m, coverage: null }));
  return {
    protocol: "leave-one-out",
    ks: opts.ks,
    relevanceThreshold: opts.threshold,
    metrics,
    testUsers,
    usersEvaluated: evaluated.length,
    usersSkipped: testUsers - eligible.length,
    usersNotSampled: eligible.length - evaluated.length,
    perUser,
    numNegatives,
    usersWithFewerNegatives,
  };
}
