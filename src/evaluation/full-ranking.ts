// Full-ranking top-N protocol: rank every movie a test user has not rated in train, score top-K against their relevant test items.
import { EvaluationData, checkEvaluationData, groupColumnsByUser } from "./data";
import { CandidateRule } from "./candidates";
import type { MovieScorer } from "../models/scorer";
import { ScoringJob, runScoring } from "./scoring";
import { selectTopK } from "./top-k";
import { TopNAtK, meanTopN, topNMetrics } from "./topn-metrics";
import { TopNEvaluation, TopNProtocolOptions, TopNSummary, consideredUsers, resolveOptions, sampleEligible } from "./protocol";

/** Options of {@link evaluateFullRanking}; see {@link TopNProtocolOptions}. */
export interface FullRankingOptions extends TopNProtocolOptions {
  /**
   * Only movies with at least this many training ratings are candidates (default 1: every unrated movie), the filter
   * `recommendForUser` and the facade's `recommend` apply, so the metric measures exactly the list a person sees.
   */
  readonly minRatings?: number;
}

/** One evaluated user of the full-ranking protocol. */
export interface FullRankingUserResult {
  readonly user: number;
  /** The user's relevant test movies (ascending movie index). */
  readonly relevant: Int32Array;
  /** Movies ranked: every movie the user has not rated in train. */
  readonly numCandidates: number;
  /** The top max(ks) movies, best first, and their scores. */
  readonly topItems: Int32Array;
  readonly topScores: Float32Array;
  /** Metrics at each K, ascending. */
  readonly metrics: TopNAtK[];
}

interface FullRankingJob extends ScoringJob {
  readonly relevant: Int32Array;
}

/**
 * Full-ranking evaluation. For each considered user with test ratings: candidates = every movie the user has NOT
 * rated in train (train items can never be recommended); relevant = the user's test movies with
 * rating >= `relevanceThreshold` (all of them when null). Users without a relevant test movie are skipped and counted.
 * The top max(ks) candidates are picked with a heap (no full sort) and scored with Precision/Recall/NDCG/HR/MAP@K;
 * coverage@K is the fraction of all movies in some evaluated user's top K.
 * A relevant test movie the user also rated in train (a leaky split) stays relevant but can never be a hit.
 *
 * @param data   table sizes plus train and test rating columns (see `evaluationData(dataset, split)`).
 * @param scorer a MovieScorer (its `scorePairs`, when it has one, is called with whole users packed into batches).
 */
export async function evaluateFullRanking(
  data: EvaluationData,
  scorer: MovieScorer,
  options: FullRankingOptions,
): Promise<TopNEvaluation<FullRankingUserResult>> {
  const fn = "evaluateFullRanking";
  const opts = resolveOptions(fn, options);
  checkEvaluationData(fn, data);
  const { numUsers, numMovies, train, test } = data;
  const testGroups = groupColumnsByUser(test, numUsers);
  const threshold = opts.threshold;
  const isRelevant = (pos: number): boolean => threshold === null || test.rating[pos] >= threshold;

  // Which users are test users, which of them have a relevant test item.
  const considered = consideredUsers(fn, numUsers, options.users);
  const eligibleList: number[] = [];
  let testUsers = 0;
  for (const u of considered) {
    const from = testGroups.offsets[u];
    const to = testGroups.offsets[u + 1];
    if (to === from) continue;
    testUsers++;
    for (let i = from; i < to; i++) {
      if (isRelevant(testGroups.order[i])) {
        eligibleList.push(u);
        break;
      }
    }
  }
  const eligible = Int32Array.from(eligibleList);
  const evaluated = sampleEligible(eligible, options.sampleUsers, opts.seed);

  const rule = new CandidateRule(numUsers, numMovies, train, { minRatings: options.minRatings });
  function* jobs(): Generator<FullRankingJob> {
    for (const u of evaluated) {
      const movies = rule.candidates(u);
      const rel = new Set<number>();
      for (let i = testGroups.offsets[u]; i < testGroups.offsets[u + 1]; i++) {
        const pos = testGroups.order[i];
        if (isRelevant(pos)) rel.add(test.movie[pos]);
      }
      const relevant = Int32Array.from(rel).sort();
      yield { user: u, movies, relevant };
    }
  }

  const relevantFlags = new Uint8Array(numMovies);
  // bestRank[m] = best (0-based) position movie m reached in any evaluated user's top list; maxK = never.
  const bestRank = new Int32Array(numMovies).fill(opts.maxK);
  const perUserMetrics: TopNAtK[][] = [];
  const perUser: FullRankingUserResult[] | null = opts.perUser ? [] : null;
  let done = 0;
  await runScoring(fn, scorer, jobs(), (job, scores) => {
    const flags = opts.tieBreak === "pessimistic" ? relevantFlags : null;
    if (flags) for (const m of job.relevant) flags[m] = 1;
    const top = selectTopK(job.movies, scores, opts.maxK, flags);
    if (flags) for (const m of job.relevant) flags[m] = 0;
    const metrics = topNMetrics(top.items, new Set(job.relevant), opts.ks);
    perUserMetrics.push(metrics);
    for (let i = 0; i < top.items.length; i++) {
      const m = top.items[i];
      if (i < bestRank[m]) bestRank[m] = i;
    }
    if (perUser) {
      perUser.push({
        user: job.user,
        relevant: job.relevant,
        numCandidates: job.movies.length,
        topItems: top.items,
        topScores: top.scores,
        metrics,
      });
    }
    done++;
    if (options.onProgress) options.onProgress(done, evaluated.length);
  });

  const means = meanTopN(perUserMetrics, opts.ks);
  const metrics: TopNSummary[] = means.map((m) => {
    let covered = 0;
    for (let i = 0; i < numMovies; i++) if (bestRank[i] < m.k) covered++;
    return { ...m, coverage: covered / numMovies };
  });
  return {
    protocol: "full-ranking",
    ks: opts.ks,
    relevanceThreshold: threshold,
    metrics,
    testUsers,
    usersEvaluated: evaluated.length,
    usersSkipped: testUsers - eligible.length,
    usersNotSampled: eligible.length - evaluated.length,
    perUser,
  };
}
