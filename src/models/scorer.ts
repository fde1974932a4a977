// The one scorer interface: what every model (learned or not) gives evaluation, recommendation, the debug view and the facade.
import type { Ratings } from "../data/types";

/**
 * Anything that can rank movies for a user, and maybe predict ratings. A model's scorer is a view of the same formula
 * as its layers (see each model's file); evaluation (src/evaluation), recommendation (src/recommend), the per-user
 * debug view and the facade all take this one interface.
 */
export interface MovieScorer {
  /** A display label (for tables and logs; never used to pick a model: models are picked by their registry id). */
  readonly name: string;
  /** Ranking scores of candidate movies for one user (dense indices); higher is better. */
  scoreMovies(user: number, movies: Int32Array): Float32Array;
  /**
   * Optional batched form: `result[i]` scores the pair (`users[i]`, `movies[i]`). Evaluation packs whole users into
   * calls of up to {@link maxPairsPerCall} pairs when a scorer has it (fewer calls, e.g. one TF.js predict per batch).
   */
  scorePairs?(users: Int32Array, movies: Int32Array): Float32Array | Promise<Float32Array>;
  /** Soft cap on pairs per {@link scorePairs} call (default 1,048,576); a single user with more candidates is sent alone. */
  readonly maxPairsPerCall?: number;
  /**
   * Optional: ranking scores of candidate movies for someone who is not in the training data, from the movies they liked
   * (dense indices) — what a model with no user table of its own (EASE, item-kNN) gets for free. The facade's cold-start
   * user uses it; models without it fold a new user in by other means, or not at all.
   */
  scoreNewUser?(liked: Int32Array, movies: Int32Array): Float32Array;
  /** Predicted ratings in rating units for (user, movie) pairs; absent for ranking-only scorers. */
  predictRatings?(users: Int32Array, movies: Int32Array): Float32Array;
  /**
   * Predicted ratings for the dataset's own ratings at these indices, using what the model knows of each rating beyond
   * its user and movie (stage 2's session bias). Absent when a scorer has no such context; evaluation then falls back
   * to `predictRatings`.
   */
  predictRatingsAt?(ratingIndices: Int32Array): Float32Array;
}

/** A check that throws a RangeError naming the scorer when a (user, movie) pair of dense indices is out of range. */
export function pairChecker(name: string, numUsers: number, numMovies: number): (user: number, movie: number) => void {
  return (u, i) => {
    if (!(u >= 0 && u < numUsers)) throw new RangeError(`${name}: user index ${u} out of range 0..${numUsers - 1}`);
    if (!(i >= 0 && i < numMovies)) throw new RangeError(`${name}: movie index ${i} out of range 0..${numMovies - 1}`);
  };
}

/** What a session-aware scorer needs to place a dataset rating in its session: the rating columns and their session ids. */
export interface SessionContext {
  ratings: Pick<Ratings, "user" | "movie">;
  /** Session id per rating (data's `ratingSessions(ds).session`). */
  sessions: Int32Array;
}

/**
 * `out[k] = f(ids[k], k)` as a Float32Array: the loop behind scorers' batch methods. `Float32Array.from(ids, f)` takes
 * V8's generic path, 2× slower than this loop on the 9,700 candidates of a full ranking (4× slower than a loop with the
 * formula inline, which the hottest scorers write out).
 */
export function scoreEach(ids: Int32Array, f: (id: number, k: number) => number): Float32Array {
  const out = new Float32Array(ids.length);
  for (let k = 0; k < ids.length; k++) out[k] = f(ids[k], k);
  return out;
}
