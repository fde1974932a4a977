// Recommendations from a watch sequence: "what next after these movies?" for ids or titles, and the per-user view of a sequence model (last watched, next 10, attention).
import { userSequences } from "../data/sequences";
import { ratingSummary } from "../data/stats";
import { Dataset } from "../data/types";
import { CandidateRule, unseenMovies } from "../evaluation/candidates";
import { selectColumns } from "../evaluation/data";
import { RecModel } from "../models/base";
import type { MovieScorer } from "../models/scorer";
import { sasrecAttention, sasrecOptions } from "../models/sasrec";
import { MovieRow, movieIndexOf, rankMovies, userIndexOf } from "./recommend";

/** A movie named by its original id, or by a title (exact, case-insensitive, with or without "(year)"; else the most-rated title containing it). */
export type MovieRef = number | string;

/** Dense movie indices for ids or titles, in the order given; an unknown id or title is a RangeError naming it. */
export function resolveMovies(ds: Dataset, movies: readonly MovieRef[]): Int32Array {
  const out = new Int32Array(movies.length);
  const counts = ratingSummary(ds).movieCount;
  movies.forEach((ref, k) => {
    if (typeof ref === "number") {
      out[k] = movieIndexOf(ds, ref);
      return;
    }
    if (typeof ref !== "string" || ref.trim() === "")
      throw new RangeError(`movie ${k + 1}: expected a movie id or a title, got ${JSON.stringify(ref)}`);
    const q = ref.trim().toLowerCase();
    let best = -1;
    const better = (m: number): boolean => best < 0 || counts[m] > counts[best];
    ds.movies.titles.forEach((t, m) => {
      if ((t.toLowerCase() === q || ds.movies.rawTitles[m].toLowerCase() === q) && better(m)) best = m;
    });
    if (best < 0) ds.movies.titles.forEach((t, m) => t.toLowerCase().includes(q) && better(m) && (best = m));
    if (best < 0) throw new RangeError(`movie ${k + 1}: no title in ${ds.name} matches ${JSON.stringify(ref)} (try lab.findMovies)`);
    out[k] = best;
  });
  return out;
}

/** Options for {@link nextMovies}. */
export interface NextMoviesOptions {
  n?: number;
  /** Skip movies with fewer ratings than this in the dataset (default 1). */
  minRatings?: number;
}

/**
 * "What next after these movies?": the scorer's top-n for someone whose history is `movies` (ids or titles, oldest
 * first), none of them repeated. Needs a scorer that reads a new history (`scoreNewUser`: SASRec, EASE, item-kNN); a
 * sequence model reads the order, the others only the set.
 */
export function nextMovies(ds: Dataset, scorer: MovieScorer, movies: readonly MovieRef[], o: NextMoviesOptions = {}): MovieRow[] {
  if (!scorer.scoreNewUser)
    throw new Error(`nextMovies: the ${scorer.name} scorer cannot read a new history (use SASRec, EASE or item-kNN)`);
  if (movies.length === 0) throw new RangeError("nextMovies: give at least one movie (an id or a title)");
  const history = resolveMovies(ds, movies);
  const minRatings = o.minRatings ?? 1;
  const allowed = minRatings > 1 ? Uint8Array.from(ratingSummary(ds).movieCount, (c) => (c >= minRatings ? 1 : 0)) : null;
  // The one candidate rule, with the history as the new user's seen movies.
  const candidates = unseenMovies(ds.numMovies, history, allowed);
  return rankMovies(ds, candidates, scorer.scoreNewUser(history, candidates), o.n ?? 10);
}

/** One user through a sequence model: what they watched last, what the model puts next, and where it looked. */
export interface SequenceUserView {
  userId: number;
  /** The latest movies of the user's history the model reads (at most L), oldest first. */
  lastWatched: { movieId: number; title: string; year: number | null; genres: string }[];
  /** The model's next movies (unseen in the history), best first. */
  next: MovieRow[];
  /** Per block: attention weights [n, n] over `lastWatched` (row t: position t's weights on positions ≤ t), row-major. */
  attention: Float32Array[];
}

/**
 * The per-user view of a SASRec model: the user's history from the ratings at `seen` (e.g. the split's training
 * ratings), read in watch order; the next `n` movies by `scorer` among movies not in that history; and each block's
 * attention over the last L movies.
 */
export function sequenceUserView(
  ds: Dataset,
  model: RecModel,
  scorer: MovieScorer,
  userId: number,
  o: { seen?: Int32Array; n?: number; minRatings?: number } = {},
): SequenceUserView {
  const u = userIndexOf(ds, userId);
  const L = sasrecOptions(model).maxLength;
  const seq = userSequences(ds, { minLength: 1 }, o.seen);
  const history = seq.movies.subarray(seq.offsets[u], seq.offsets[u + 1]);
  if (history.length === 0) throw new RangeError(`sequenceUserView: user ${userId} has no ratings in the given history`);
  const seen = o.seen ? selectColumns(ds.ratings, o.seen) : ds.ratings;
  const candidates = new CandidateRule(ds.numUsers, ds.numMovies, seen, { minRatings: o.minRatings }).candidates(u);
  const next = rankMovies(ds, candidates, scorer.scoreMovies(u, candidates), o.n ?? 10);
  const last = history.subarray(Math.max(0, history.length - L));
  const { weights } = sasrecAttention(model, last);
  const n = last.length;
  // The model's window is left-padded: keep the rows and columns of the real positions.
  const attention = weights.map((w) => {
    const out = new Float32Array(n * n);
    for (let t = 0; t < n; t++) for (let j = 0; j < n; j++) out[t * n + j] = w[(L - n + t) * L + (L - n + j)];
    return out;
  });
  const lastWatched = Array.from(last, (m) => ({
    movieId: ds.movies.ids[m],
    title: ds.movies.titles[m],
    year: ds.movies.years[m],
    genres: ds.movies.genres[m].join("|"),
  }));
  return { userId, lastWatched, next, attention };
}
