// Per-user debugging: one user's top-K recommendations and held-out test movies with titles, actual ratings and predicted scores.
import type { Movies } from "../data/types";
import { EvaluationData, checkEvaluationData } from "./data";
import { CandidateRule } from "./candidates";
import type { MovieScorer } from "../models/scorer";
import { ScoringJob, runScoring } from "./scoring";
import { TieBreak } from "./protocol";
import { selectTopK } from "./top-k";
import { TopNAtK, topNMetrics } from "./topn-metrics";

/** Options of {@link debugUser}. */
export interface DebugUserOptions {
  /** How many recommendations to list (default 10). */
  readonly k?: number;
  /** Test ratings >= this count as relevant (hits); null (default) = every test movie. */
  readonly relevanceThreshold?: number | null;
  /** How many of the user's best-rated train movies to list as context (default 10; 0 = none). */
  readonly historySize?: number;
  /** Same meaning as in the protocols (default "pessimistic"), so the list matches evaluateFullRanking's. */
  readonly tieBreak?: TieBreak;
  /** Only movies with at least this many training ratings are candidates (default 1), as in `evaluateFullRanking`. */
  readonly minRatings?: number;
}

/** A movie with its display fields. */
export interface DebugMovie {
  /** Dense movie index. */
  readonly movie: number;
  /** Original MovieLens movie id. */
  readonly movieId: number;
  readonly title: string;
  readonly year: number | null;
  readonly genres: string[];
}

/** One recommended movie. */
export interface DebugRecommendation extends DebugMovie {
  /** 1-based. */
  readonly rank: number;
  readonly score: number;
  /** The movie is one of the user's held-out (test) movies. */
  readonly heldOut: boolean;
  /** Held out and rated >= the threshold: a hit. */
  readonly relevant: boolean;
  /** The held-out rating, or null when the movie is not in the user's test set. */
  readonly actualRating: number | null;
}

/** One of the user's held-out (test) movies. */
export interface DebugHeldOut extends DebugMovie {
  readonly actualRating: number;
  readonly predictedScore: number;
  /** 1-based rank among all the user's candidates; null when the movie is not a candidate (see {@link excluded}). */
  readonly rank: number | null;
  /** Why a held-out movie is not a candidate: also rated in train, or fewer training ratings than `minRatings`; else null. */
  readonly excluded: "rated in train" | "too few ratings" | null;
  readonly relevant: boolean;
  readonly inTopK: boolean;
  readonly timestamp: number | null;
}

/** One of the user's train ratings, for context. */
export interface DebugHistoryItem extends DebugMovie {
  readonly rating: number;
  readonly timestamp: number | null;
}

/** Everything {@link debugUser} reports about one user. */
export interface UserDebugReport {
  readonly user: number;
  readonly k: number;
  readonly relevanceThreshold: number | null;
  readonly numTrain: number;
  readonly numTest: number;
  /** Movies ranked (not rated in train). */
  readonly numCandidates: number;
  /** The top K, best first. */
  readonly recommendations: DebugRecommendation[];
  /** The user's test movies, best actual rating first, then best predicted score. */
  readonly heldOut: DebugHeldOut[];
  /** The user's best-rated train movies (ties: most recent first). */
  readonly history: DebugHistoryItem[];
  /** This user's metrics at K, or null when no test movie is relevant. */
  readonly metrics: TopNAtK | null;
}

/** Display fields of movie `m`; throws a RangeError when the movie table does not have it. */
function describe(movies: Movies, m: number): DebugMovie {
  if (m >= movies.titles.length) {
    throw new RangeError(`debugUser: movie ${m} is outside the movie table (${movies.titles.length} movies)`);
  }
  return { movie: m, movieId: movies.ids[m], title: movies.titles[m], year: movies.years[m], genres: movies.genres[m] };
}

/**
 * One user's recommendations and held-out movies side by side, for eyeballing a model: the top K among the movies
 * the user has not rated in train (as in evaluateFullRanking), each marked when it is a held-out hit, plus every
 * held-out movie with its actual rating, predicted score and rank, plus the user's best-rated train movies.
 */
export async function debugUser(
  data: EvaluationData,
  movies: Movies,
  user: number,
  scorer: MovieScorer,
  options: DebugUserOptions = {},
): Promise<UserDebugReport> {
  const fn = "debugUser";
  checkEvaluationData(fn, data);
  const { numUsers, numMovies, train, test } = data;
  if (!Number.isInteger(user) || user < 0 || user >= numUsers) {
    throw new RangeError(`${fn}: user ${user} is outside 0..${numUsers - 1}`);
  }
  if (movies.titles.length < numMovies) {
    throw new RangeError(`${fn}: the movie table has ${movies.titles.length} titles for ${numMovies} movies`);
  }
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${fn}: k must be a positive integer, got ${k}`);
  const threshold = options.relevanceThreshold ?? null;
  const historySize = options.historySize ?? 10;
  const tieBreak = options.tieBreak ?? "pessimistic";

  // The same candidates the full-ranking metric ranks for this user (one rule, src/evaluation/candidates.ts).
  const rule = new CandidateRule(numUsers, numMovies, train, { minRatings: options.minRatings });
  const inTrain = new Uint8Array(numMovies);
  for (const m of rule.ratedBy(user)) inTrain[m] = 1;
  const trainPos: number[] = [];
  for (let i = 0; i < train.user.length; i++) if (train.user[i] === user) trainPos.push(i);
  const testPos: number[] = [];
  const testRating = new Map<number, number>();
  for (let i = 0; i < test.user.length; i++) {
    if (test.user[i] === user) {
      testPos.push(i);
      testRating.set(test.movie[i], test.rating[i]);
    }
  }
  const isRelevant = (rating: number): boolean => threshold === null || rating >= threshold;

  const candidates = rule.candidates(user);
  const numCandidates = candidates.length;
  const jobs: ScoringJob[] = [{ user, movies: candidates }];
  const isCandidate = new Uint8Array(numMovies);
  for (const m of candidates) isCandidate[m] = 1;
  // Held-out movies that are not candidates (rated in train too, or too rarely rated) are scored on their own.
  const testOutside = Int32Array.from(Array.from(testRating.keys()).filter((m) => isCandidate[m] === 0));
  if (testOutside.length > 0) jobs.push({ user, movies: testOutside });
  const scoreOf = new Map<number, number>();
  let candidateScores = new Float32Array(0);
  await runScoring(fn, scorer, jobs, (job, scores) => {
    if (job.movies === candidates) candidateScores = Float32Array.from(scores);
    for (let i = 0; i < job.movies.length; i++) if (testRating.has(job.movies[i])) scoreOf.set(job.movies[i], scores[i]);
  });

  // Rank every candidate once (n log n for one user) so each held-out movie gets its rank.
  const flags = new Uint8Array(numMovies);
  let numRelevant = 0;
  const relevantSet = new Set<number>();
  testRating.forEach((rating, m) => {
    if (isRelevant(rating)) {
      relevantSet.add(m);
      numRelevant++;
      if (tieBreak === "pessimistic") flags[m] = 1;
    }
  });
  const ranking = selectTopK(candidates, candidateScores, candidates.length, flags);
  const rankOfMovie = new Map<number, number>();
  for (let i = 0; i < ranking.items.length; i++) {
    if (testRating.has(ranking.items[i])) rankOfMovie.set(ranking.items[i], i + 1);
  }

  const topN = Math.min(k, ranking.items.length);
  const recommendations: DebugRecommendation[] = [];
  for (let i = 0; i < topN; i++) {
    const m = ranking.items[i];
    const actual = testRating.get(m);
    recommendations.push({
      ...describe(movies, m),
      rank: i + 1,
      score: ranking.scores[i],
      heldOut: actual !== undefined,
      relevant: relevantSet.has(m),
      actualRating: actual === undefined ? null : actual,
    });
  }

  const heldOut: DebugHeldOut[] = testPos.map((i) => {
    const m = test.movie[i];
    const rank = rankOfMovie.get(m);
    return {
      ...describe(movies, m),
      actualRating: test.rating[i],
      predictedScore: scoreOf.get(m) ?? NaN,
      rank: rank === undefined ? null : rank,
      excluded: isCandidate[m] === 1 ? null : inTrain[m] === 1 ? "rated in train" : "too few ratings",
      relevant: relevantSet.has(m),
      inTopK: rank !== undefined && rank <= k,
      timestamp: test.timestamp ? test.timestamp[i] : null,
    };
  });
  heldOut.sort((a, b) => b.actualRating - a.actualRating || b.predictedScore - a.predictedScore || a.movie - b.movie);

  const history: DebugHistoryItem[] = trainPos
    .map((i) => ({
      ...describe(movies, train.movie[i]),
      rating: train.rating[i],
      timestamp: train.timestamp ? train.timestamp[i] : null,
    }))
    .sort((a, b) => b.rating - a.rating || (b.timestamp ?? 0) - (a.timestamp ?? 0) || a.movie - b.movie)
    .slice(0, Math.max(0, historySize));

  const metrics = numRelevant > 0 ? topNMetrics(ranking.items.subarray(0, topN), relevantSet, [k])[0] : null;
  return {
    user,
    k,
    relevanceThreshold: threshold,
    numTrain: trainPos.length,
    numTest: testPos.length,
    numCandidates,
    recommendations,
    heldOut,
    history,
    metrics,
  };
}

/** Pads or cuts `text` to `width` characters. */
function cell(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** A plain-text rendering of a {@link UserDebugReport} for console.log in a notebook. */
export function formatUserDebug(report: UserDebugReport): string {
  const title = (d: DebugMovie): string => (d.year === null ? d.title : `${d.title} (${d.year})`);
  const lines: string[] = [];
  const m = report.metrics;
  lines.push(
    `user ${report.user}: ${report.numTrain} train, ${report.numTest} test, ${report.numCandidates} candidates` +
      (m
        ? ` | P@${m.k} ${m.precision.toFixed(3)} R@${m.k} ${m.recall.toFixed(3)} NDCG@${m.k} ${m.ndcg.toFixed(3)}`
        : " | no relevant test movie"),
  );
  lines.push(`top ${report.k} (* = held-out hit, o = held out but below threshold):`);
  for (const r of report.recommendations) {
    const mark = r.relevant ? "*" : r.heldOut ? "o" : " ";
    const actual = r.actualRating === null ? "" : `  actual ${r.actualRating}`;
    lines.push(`  ${String(r.rank).padStart(3)} ${mark} ${cell(title(r), 50)} score ${r.score.toFixed(3)}${actual}`);
  }
  lines.push("held out (actual / predicted / rank):");
  for (const h of report.heldOut) {
    const rank = h.rank !== null ? `#${h.rank}` : h.excluded === "rated in train" ? "in train" : "too few ratings";
    lines.push(`    ${h.relevant ? "*" : " "} ${cell(title(h), 50)} ${h.actualRating} / ${h.predictedScore.toFixed(3)} / ${rank}`);
  }
  if (report.history.length > 0) {
    lines.push("best-rated in train:");
    for (const h of report.history) lines.push(`      ${cell(title(h), 50)} ${h.rating}`);
  }
  return lines.join("\n");
}
