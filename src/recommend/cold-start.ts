// Cold start: a new movie embedded from its genres through stage 1's genre vectors, and a new user folded in from a few ratings.
import { Dataset } from "../data/types";
import { RatingTransform } from "../data/targets";
import { solveSPD } from "../util/linalg";
import { Matrix } from "../util/matrix";
import { movieIndexOf } from "./recommend";
import { scoreEach, type MovieScorer } from "../models/scorer";
import { DotWeights, dotScore, rawScore } from "../models/user-movie";

/** Options for {@link coldStartMovieVector}. */
export interface ColdMovieOptions {
  /** L2 on the new vector (keeps it finite when the genres are separable). */
  l2?: number;
  /** Stage 1's negatives per positive; sets the weight of the movie's absent genres to match training (default 1). */
  negativeRatio?: number;
  iterations?: number;
}

/**
 * The stage 1 embedding a new movie would get from its genres alone: the vector m maximising
 * `sum_{g in genres} log σ(m·g) + w · sum_{g not in genres} log σ(-m·g) - l2 |m|²` with the genre vectors fixed —
 * stage 1's own objective for one movie, solved by Newton's method. `w` matches the expected number of sampled
 * negatives per absent genre during training.
 */
export function coldStartMovieVector(
  genreEmbeddings: Matrix,
  vocabulary: string[],
  genres: string[],
  o: ColdMovieOptions = {},
): Float32Array {
  if (genreEmbeddings.rows !== vocabulary.length)
    throw new RangeError(`genre embeddings have ${genreEmbeddings.rows} rows for ${vocabulary.length} genres`);
  if (genres.length === 0) throw new Error("a cold-start movie needs at least one genre");
  const G = vocabulary.length;
  const d = genreEmbeddings.cols;
  const y = new Float64Array(G);
  for (const g of genres) {
    const k = vocabulary.indexOf(g);
    if (k < 0) throw new RangeError(`unknown genre "${g}"; the vocabulary is: ${vocabulary.join(", ")}`);
    y[k] = 1;
  }
  const pos = y.reduce((a, b) => a + b, 0);
  const wNeg = G > pos ? ((o.negativeRatio ?? 1) * pos) / (G - pos) : 0;
  const l2 = o.l2 ?? 0.01;
  const m = new Float64Array(d);
  const E = genreEmbeddings.data;
  for (let it = 0; it < (o.iterations ?? 50); it++) {
    const grad = new Float64Array(d);
    const H = new Float64Array(d * d);
    for (let j = 0; j < d; j++) {
      grad[j] = 2 * l2 * m[j];
      H[j * d + j] = 2 * l2;
    }
    for (let g = 0; g < G; g++) {
      const w = y[g] ? 1 : wNeg;
      if (w === 0) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += m[j] * E[g * d + j];
      const p = 1 / (1 + Math.exp(-s));
      const r = w * (p - y[g]);
      const c = w * p * (1 - p);
      for (let a = 0; a < d; a++) {
        const ea = E[g * d + a];
        grad[a] += r * ea;
        for (let b = 0; b <= a; b++) H[a * d + b] += c * ea * E[g * d + b];
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) H[b * d + a] = H[a * d + b];
    const step = solveSPD(H, grad, d);
    let size = 0;
    for (let j = 0; j < d; j++) {
      m[j] -= step[j];
      size += step[j] * step[j];
    }
    if (size < 1e-12) break;
  }
  return Float32Array.from(m);
}

/** A (user or movie) vector and bias that were not in the training data. */
export interface FoldedIn {
  vector: Float32Array;
  bias: number;
}

/** Options for {@link foldInUser}. */
export interface FoldInOptions {
  /** Ridge penalty on the vector and the bias. */
  l2?: number;
  /** Maps ratings to the model's targets (the task's transform); defaults to raw ratings. */
  transform?: RatingTransform;
}

/**
 * A new user from a handful of ratings, by fold-in: the user vector p (and bias b, if the model has user biases) that
 * best fit the ratings with every movie embedding held fixed — ridge regression in the model's pre-activation space.
 * `ratings` use original movie ids.
 */
export function foldInUser(ds: Dataset, w: DotWeights, ratings: { movieId: number; rating: number }[], o: FoldInOptions = {}): FoldedIn {
  if (ratings.length === 0) throw new Error("fold-in needs at least one rating");
  const d = w.movies.cols;
  const withBias = w.userBias !== null;
  const n = d + (withBias ? 1 : 0);
  const l2 = o.l2 ?? 0.1;
  const A = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (let j = 0; j < n; j++) A[j * n + j] = l2;
  const { min, max } = ds.ratingScale;
  for (const { movieId, rating } of ratings) {
    if (!(rating >= min && rating <= max)) throw new RangeError(`rating ${rating} for movie ${movieId} is outside ${min}..${max}`);
    const m = movieIndexOf(ds, movieId);
    let t = o.transform ? o.transform.toTarget(rating, m) : rating;
    if (w.activation === "sigmoid") {
      const c = Math.min(0.98, Math.max(0.02, t));
      t = Math.log(c / (1 - c));
    }
    t -= w.offset + (w.movieBias ? w.movieBias[m] : 0);
    const x = new Float64Array(n);
    for (let j = 0; j < d; j++) x[j] = w.movies.data[m * d + j];
    if (withBias) x[d] = 1;
    for (let a = 0; a < n; a++) {
      b[a] += x[a] * t;
      for (let c = 0; c < n; c++) A[a * n + c] += x[a] * x[c];
    }
  }
  const sol = solveSPD(A, b, n);
  return { vector: Float32Array.from(sol.subarray(0, d)), bias: withBias ? sol[d] : 0 };
}

/** A scorer for a folded-in user (ranking by the model's raw score); `user` arguments are ignored. */
export function foldedUserScorer(w: DotWeights, user: FoldedIn, name = "new user"): MovieScorer {
  return {
    name,
    scoreMovies: (_u, movies) => scoreEach(movies, (m) => rawScore(w, user.vector, user.bias, m)),
  };
}

/** Scores every user for a cold-start movie vector (mean movie bias assumed): who would like it most. */
export function coldMovieUserScores(w: DotWeights, vector: Float32Array): Float32Array {
  const d = w.users.cols;
  let meanBias = 0;
  if (w.movieBias) {
    for (let i = 0; i < w.movieBias.length; i++) meanBias += w.movieBias[i];
    meanBias /= w.movieBias.length;
  }
  const out = new Float32Array(w.users.rows);
  for (let u = 0; u < w.users.rows; u++) {
    out[u] = dotScore(w, w.users.data.subarray(u * d, (u + 1) * d), w.userBias ? w.userBias[u] : 0, vector, 0, meanBias);
  }
  return out;
}
