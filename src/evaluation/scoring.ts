// Model-independent scoring callbacks for the protocols (per-user candidate lists or batched user/movie pairs) and how they are driven.
import { RatingColumns, groupColumnsByUser } from "./data";

/** Scores of many candidate movies for one user: `result[i]` is the score of `movies[i]` (higher = better). */
export type ScoreFn = (user: number, movies: Int32Array) => Float32Array | Promise<Float32Array>;

/** Batched multi-user variant: `result[i]` is the score of the pair (`users[i]`, `movies[i]`). */
export type PairScoreFn = (users: Int32Array, movies: Int32Array) => Float32Array | Promise<Float32Array>;

/** A {@link PairScoreFn} plus how many pairs to send per call (whole users are never split across calls). */
export interface PairScorer {
  readonly pairs: PairScoreFn;
  /** Soft cap on pairs per call; default 1,048,576. A single user with more candidates is sent alone. */
  readonly maxPairsPerCall?: number;
}

/** What the protocols accept: a per-user {@link ScoreFn} or a batched {@link PairScorer} (fewer calls, e.g. one TF.js predict per batch). */
export type Scorer = ScoreFn | PairScorer;

/** One user's candidate movies to score. */
export interface ScoringJob {
  readonly user: number;
  readonly movies: Int32Array;
}

const DEFAULT_MAX_PAIRS = 1 << 20;

/** Throws unless `scores` is array-like with one finite-or-infinite (not NaN) number per movie of `job`. */
function checkScores(fn: string, job: ScoringJob, scores: ArrayLike<number>): void {
  if (scores === null || typeof scores !== "object" || typeof scores.length !== "number") {
    throw new TypeError(`${fn}: the score function returned ${String(scores)} for user ${job.user}, expected a Float32Array`);
  }
  if (scores.length !== job.movies.length) {
    throw new RangeError(`${fn}: the score function returned ${scores.length} scores for user ${job.user}'s ${job.movies.length} movies`);
  }
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (s !== s) throw new RangeError(`${fn}: the score function returned NaN for user ${job.user}, movie ${job.movies[i]}`);
  }
}

/**
 * Scores `jobs` in order and hands each job's scores to `onScored` (the scores may be a view into a batch; copy to keep).
 * A {@link PairScorer} gets whole jobs packed into calls of up to `maxPairsPerCall` pairs.
 * Throws when the callback returns the wrong length or a NaN score.
 */
export async function runScoring<J extends ScoringJob>(
  fn: string,
  scorer: Scorer,
  jobs: Iterable<J>,
  onScored: (job: J, scores: Float32Array) => void,
): Promise<void> {
  if (typeof scorer === "function") {
    for (const job of jobs) {
      const scores = await scorer(job.user, job.movies);
      checkScores(fn, job, scores);
      onScored(job, scores);
    }
    return;
  }
  if (!scorer || typeof scorer.pairs !== "function") {
    throw new TypeError(`${fn}: the scorer must be a function (user, movies) or an object { pairs(users, movies) }`);
  }
  const maxPairs = scorer.maxPairsPerCall ?? DEFAULT_MAX_PAIRS;
  if (!Number.isInteger(maxPairs) || maxPairs < 1) {
    throw new RangeError(`${fn}: maxPairsPerCall must be a positive integer, got ${maxPairs}`);
  }
  let batch: J[] = [];
  let pairs = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const users = new Int32Array(pairs);
    const movies = new Int32Array(pairs);
    let at = 0;
    for (const job of batch) {
      users.fill(job.user, at, at + job.movies.length);
      movies.set(job.movies, at);
      at += job.movies.length;
    }
    const scores = await scorer.pairs(users, movies);
    if (scores === null || typeof scores !== "object" || scores.length !== pairs) {
      throw new RangeError(
        `${fn}: the pair score function returned ${scores && typeof scores === "object" ? scores.length : String(scores)} scores for ${pairs} pairs`,
      );
    }
    at = 0;
    for (const job of batch) {
      const view = scores.subarray(at, at + job.movies.length);
      at += job.movies.length;
      checkScores(fn, job, view);
      onScored(job, view);
    }
    batch = [];
    pairs = 0;
  };
  for (const job of jobs) {
    if (pairs > 0 && pairs + job.movies.length > maxPairs) await flush();
    batch.push(job);
    pairs += job.movies.length;
  }
  await flush();
}

/**
 * The scorer's prediction for every rating in `ratings` (same order), e.g. to compare with `ratings.rating` via
 * rmse/mae or ratingDistributions. Users are scored one call each (or in pair batches).
 */
export async function scoreRatings(ratings: RatingColumns, scorer: Scorer): Promise<Float32Array> {
  const n = ratings.user.length;
  if (ratings.movie.length !== n) {
    throw new RangeError(`scoreRatings: ${n} users but ${ratings.movie.length} movies in the columns`);
  }
  let numUsers = 0;
  for (let i = 0; i < n; i++) {
    const u = ratings.user[i];
    if (!Number.isInteger(u) || u < 0) throw new RangeError(`scoreRatings: user[${i}] = ${u} is not a valid index`);
    if (u + 1 > numUsers) numUsers = u + 1;
  }
  const out = new Float32Array(n);
  const groups = groupColumnsByUser(ratings, numUsers);
  function* jobs(): Generator<ScoringJob & { positions: Int32Array }> {
    for (let u = 0; u < numUsers; u++) {
      const positions = groups.order.subarray(groups.offsets[u], groups.offsets[u + 1]);
      if (positions.length === 0) continue;
      const movies = new Int32Array(positions.length);
      for (let i = 0; i < positions.length; i++) movies[i] = ratings.movie[positions[i]];
      yield { user: u, movies, positions };
    }
  }
  await runScoring("scoreRatings", scorer, jobs(), (job, scores) => {
    for (let i = 0; i < job.positions.length; i++) out[job.positions[i]] = scores[i];
  });
  return out;
}
