// The one candidate rule: a user may be recommended the movies they have not rated in the "seen" ratings (the training split), optionally only movies rated often enough; metrics, recommendations, the debug view and cold start all use it.
import { groupUserColumn } from "../data/splits";
import type { RatingColumns } from "./data";

/** Options of a {@link CandidateRule}. */
export interface CandidateOptions {
  /** Keep only movies with at least this many seen ratings (default 1: every movie, even unrated ones, is a candidate). */
  readonly minRatings?: number;
}

/**
 * The movies 0..numMovies-1 that are not in `rated` and (when `allowed` is given) are marked allowed, in increasing
 * order. This is the rule; {@link CandidateRule} only finds a user's rated movies for it.
 */
export function unseenMovies(numMovies: number, rated: ArrayLike<number>, allowed: Uint8Array | null = null): Int32Array {
  const mark = new Uint8Array(numMovies);
  for (let i = 0; i < rated.length; i++) {
    const m = rated[i];
    if (m >= 0 && m < numMovies) mark[m] = 1;
  }
  let count = 0;
  for (let m = 0; m < numMovies; m++) if (mark[m] === 0 && (!allowed || allowed[m] === 1)) count++;
  const out = new Int32Array(count);
  for (let m = 0, at = 0; m < numMovies; m++) if (mark[m] === 0 && (!allowed || allowed[m] === 1)) out[at++] = m;
  return out;
}

/**
 * "Movies this user has not seen", built once from the seen ratings (grouped by user, O(n + numUsers)): full-ranking
 * evaluation, `debugUser`, `recommendForUser` and the facade's cold start all ask it, so a debug view ranks exactly the
 * candidates its metric ranked.
 */
export class CandidateRule {
  private readonly offsets: Int32Array;
  private readonly order: Int32Array;
  /** Movies with at least `minRatings` seen ratings (null: all movies). */
  private readonly allowed: Uint8Array | null;

  /**
   * @param numUsers  user table size (user indices in `seen` must be below it)
   * @param numMovies movie table size
   * @param seen      the ratings whose movies count as seen (e.g. the training split's columns)
   */
  constructor(
    readonly numUsers: number,
    readonly numMovies: number,
    private readonly seen: Pick<RatingColumns, "user" | "movie">,
    options: CandidateOptions = {},
  ) {
    const minRatings = options.minRatings ?? 1;
    if (!Number.isInteger(minRatings) || minRatings < 0) {
      throw new RangeError(`CandidateRule: minRatings must be a non-negative integer, got ${minRatings}`);
    }
    const grouped = groupUserColumn(seen.user, numUsers);
    this.offsets = grouped.offsets;
    this.order = grouped.order;
    if (minRatings > 1) {
      const counts = new Int32Array(numMovies);
      for (let i = 0; i < seen.movie.length; i++) counts[seen.movie[i]]++;
      this.allowed = Uint8Array.from(counts, (c) => (c >= minRatings ? 1 : 0));
    } else {
      this.allowed = null;
    }
  }

  /** The movies `user` rated in the seen ratings (in rating order; a movie rated twice appears twice). */
  ratedBy(user: number): Int32Array {
    if (!Number.isInteger(user) || user < 0 || user >= this.numUsers) {
      throw new RangeError(`CandidateRule: user ${user} is outside 0..${this.numUsers - 1}`);
    }
    const from = this.offsets[user];
    const to = this.offsets[user + 1];
    const out = new Int32Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = this.seen.movie[this.order[i]];
    return out;
  }

  /** The candidates of a known user: every movie they have not rated in the seen ratings (and rated often enough, if asked). */
  candidates(user: number): Int32Array {
    return unseenMovies(this.numMovies, this.ratedBy(user), this.allowed);
  }

  /** The candidates of a user who is not in the seen ratings (cold start): every movie not in `rated` (dense indices). */
  candidatesExcluding(rated: ArrayLike<number>): Int32Array {
    return unseenMovies(this.numMovies, rated, this.allowed);
  }
}
