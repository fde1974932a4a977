// How the protocols drive a scorer (the one MovieScorer interface): per-user candidate lists, or whole users packed into batched pair calls.
import type { MovieScorer } from "../models/scorer";

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
 * A scorer with `scorePairs` gets whole jobs packed into calls of up to `maxPairsPerCall` pairs; otherwise
 * `scoreMovies` is called once per job. Throws when the scorer returns the wrong length or a NaN score.
 */
export async function runScoring<J extends ScoringJob>(
  fn: string,
  scorer: MovieScorer,
  jobs: Iterable<J>,
  onScored: (job: J, scores: Float32Array) => void,
): Promise<void> {
  if (!scorer || typeof scorer !== "object" || typeof scorer.scoreMovies !== "function") {
    throw new TypeError(`${fn}: the scorer must be a MovieScorer { name, scoreMovies(user, movies), ... }, got ${typeof scorer}`);
  }
  const scorePairs = scorer.scorePairs;
  if (typeof scorePairs !== "function") {
    for (const job of jobs) {
      const scores = await scorer.scoreMovies(job.user, job.movies);
      checkScores(fn, job, scores);
      onScored(job, scores);
    }
    return;
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
    const scores = await scorePairs.call(scorer, users, movies);
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
