// Item-kNN: shrunk cosine similarity between movies over baseline residuals; top-N sums a movie's similarity to the user's rated neighbours, ratings follow Surprise's KNNBaseline. Fitted in plain JS (no TensorFlow).
import { groupUserColumn } from "../data/splits";
import { Dataset } from "../data/types";
import { BaselineBiases, fitBaselineBiases } from "./baselines";
import { scoreEach, type MovieScorer } from "./scorer";

/** Options for {@link fitItemKnn}. */
export interface ItemKnnOptions {
  /** Neighbours used per prediction: the k most similar movies the user rated (default 40, Surprise's default). */
  k?: number;
  /** Shrinkage: a similarity computed from n common users is scaled by (n - 1) / (n - 1 + shrinkage) (default 100). */
  shrinkage?: number;
  /** Neighbours kept per movie, most similar first (default 400): predictions look for the user's movies among them. */
  keep?: number;
  /** Damping of the baseline's user and movie biases (default 10, as the bias baseline). */
  reg?: number;
}

/** A fitted item-kNN model: each movie's most similar movies (positive similarities only) and the baseline. */
export interface ItemKnn {
  readonly k: number;
  /** Neighbours stored per movie (row length of `neighbour` and `similarity`). */
  readonly keep: number;
  /** numMovies x keep neighbour indices, most similar first, -1 past the last. */
  readonly neighbour: Int32Array;
  readonly similarity: Float32Array;
  readonly biases: BaselineBiases;
  /** Training ratings grouped by user: movies and baseline residuals r - (mu + b_u + b_i) at offsets[u]..offsets[u+1]. */
  readonly byUser: { readonly offsets: Int32Array; readonly movie: Int32Array; readonly residual: Float32Array };
  readonly ratingScale: { readonly min: number; readonly max: number };
}

/**
 * Fits item-kNN on the dataset's ratings at `train`: baseline residuals z = r - (mu + b_u + b_i), the cosine of two
 * movies' residual vectors over their common users (Surprise's "pearson_baseline"), shrunk by (n - 1) / (n - 1 +
 * shrinkage). Work is O(sum over users of ratings^2); memory O(numMovies x keep).
 */
export function fitItemKnn(ds: Dataset, train: Int32Array, o: ItemKnnOptions = {}): ItemKnn {
  const k = o.k ?? 40;
  const shrinkage = o.shrinkage ?? 100;
  const keep = Math.min(o.keep ?? 400, Math.max(ds.numMovies - 1, 1));
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`fitItemKnn: k must be a positive integer, got ${k}`);
  if (!(shrinkage >= 0)) throw new RangeError(`fitItemKnn: shrinkage must be >= 0, got ${shrinkage}`);
  const biases = fitBaselineBiases(ds, train, { reg: o.reg });
  const r = ds.ratings;
  const users = Int32Array.from(train, (i) => r.user[i]);
  const movies = Int32Array.from(train, (i) => r.movie[i]);
  const z = Float32Array.from(train, (i) => r.rating[i] - biases.mean - biases.userBias[r.user[i]] - biases.movieBias[r.movie[i]]);
  const byU = groupUserColumn(users, ds.numUsers);
  const byM = groupUserColumn(movies, ds.numMovies);
  const userMovie = Int32Array.from(byU.order, (p) => movies[p]);
  const userZ = Float32Array.from(byU.order, (p) => z[p]);

  const M = ds.numMovies;
  const neighbour = new Int32Array(M * keep).fill(-1);
  const similarity = new Float32Array(M * keep);
  const dot = new Float64Array(M);
  const sqI = new Float64Array(M);
  const sqJ = new Float64Array(M);
  const common = new Int32Array(M);
  const touched = new Int32Array(M);
  const keys = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    let nTouched = 0;
    for (let a = byM.offsets[i]; a < byM.offsets[i + 1]; a++) {
      const p = byM.order[a];
      const u = users[p];
      const zi = z[p];
      for (let b = byU.offsets[u]; b < byU.offsets[u + 1]; b++) {
        const j = userMovie[b];
        if (j === i) continue;
        if (common[j] === 0) touched[nTouched++] = j;
        const zj = userZ[b];
        common[j]++;
        dot[j] += zi * zj;
        sqI[j] += zi * zi;
        sqJ[j] += zj * zj;
      }
    }
    // Positive shrunk similarities, ranked with one native sort of (1 - sim, j) packed into doubles.
    let nKeys = 0;
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t];
      const c = common[j];
      const norm = Math.sqrt(sqI[j] * sqJ[j]);
      const sim = norm > 0 ? (dot[j] / norm) * ((c - 1) / (c - 1 + shrinkage)) : 0;
      if (sim > 0) keys[nKeys++] = Math.round((1 - Math.min(sim, 1)) * 2 ** 24) * 2 ** 26 + j;
      common[j] = 0;
      dot[j] = 0;
      sqI[j] = 0;
      sqJ[j] = 0;
    }
    const ranked = keys.subarray(0, nKeys).sort();
    const stored = Math.min(keep, nKeys);
    for (let t = 0; t < stored; t++) {
      const j = ranked[t] % 2 ** 26;
      neighbour[i * keep + t] = j;
      similarity[i * keep + t] = 1 - Math.floor(ranked[t] / 2 ** 26) / 2 ** 24;
    }
  }
  return {
    k,
    keep,
    neighbour,
    similarity,
    biases,
    byUser: { offsets: byU.offsets, movie: userMovie, residual: userZ },
    ratingScale: ds.ratingScale,
  };
}

/**
 * The item-kNN scorer. For movie i and user u, N = the k movies most similar to i (among each movie's `keep` stored
 * neighbours) that u rated. Ranking: the sum of their similarities to i. Rating (KNNBaseline): b_ui + sum(sim * z_uj) /
 * sum(sim) over N, or b_ui when N is empty, clipped to the rating scale.
 */
export function itemKnnScorer(model: ItemKnn, name = "item-kNN"): MovieScorer {
  const { k, keep, neighbour, similarity, biases, byUser, ratingScale } = model;
  const numMovies = model.neighbour.length / keep;
  // The current user's residual per movie (NaN: not rated), rebuilt when the user changes.
  const rated = new Float64Array(numMovies).fill(NaN);
  let current = -1;
  const load = (user: number): void => {
    if (user === current) return;
    if (current >= 0) for (let b = byUser.offsets[current]; b < byUser.offsets[current + 1]; b++) rated[byUser.movie[b]] = NaN;
    if (!(user >= 0 && user + 1 < byUser.offsets.length))
      throw new RangeError(`item-kNN: user ${user} is outside 0..${byUser.offsets.length - 2}`);
    for (let b = byUser.offsets[user]; b < byUser.offsets[user + 1]; b++) rated[byUser.movie[b]] = byUser.residual[b];
    current = user;
  };
  /** Sum of similarities and of similarity-weighted residuals over the k nearest rated neighbours of `movie`. */
  const neighbourhood = (movie: number): { simSum: number; weighted: number } => {
    let simSum = 0;
    let weighted = 0;
    let used = 0;
    for (let t = movie * keep, end = t + keep; t < end && used < k; t++) {
      const j = neighbour[t];
      if (j < 0) break;
      const zj = rated[j];
      if (zj !== zj) continue;
      simSum += similarity[t];
      weighted += similarity[t] * zj;
      used++;
    }
    return { simSum, weighted };
  };
  const predict = (user: number, movie: number): number => {
    load(user);
    const { simSum, weighted } = neighbourhood(movie);
    const base = biases.mean + biases.userBias[user] + biases.movieBias[movie];
    const est = simSum > 0 ? base + weighted / simSum : base;
    return est < ratingScale.min ? ratingScale.min : est > ratingScale.max ? ratingScale.max : est;
  };
  // Full ranking scores every movie for a user, and the forward scan reads all `keep` stored neighbours of each movie
  // when the user has rated few of them (31 MB per user on ml-latest-small). The same sums come from the other side:
  // each rated movie j adds its similarity to every movie that keeps j as a neighbour (the reverse lists below),
  // about (ratings × keep) work per user. Where a movie gets more than k such hits, only its k most similar count,
  // so those movies are summed by the forward scan, which then stops early.
  const revOffsets = new Int32Array(numMovies + 1);
  for (let t = 0; t < neighbour.length; t++) if (neighbour[t] >= 0) revOffsets[neighbour[t] + 1]++;
  for (let j = 0; j < numMovies; j++) revOffsets[j + 1] += revOffsets[j];
  const revMovie = new Int32Array(revOffsets[numMovies]);
  const revSim = new Float32Array(revOffsets[numMovies]);
  const fill = revOffsets.slice(0, numMovies);
  for (let i = 0; i < numMovies; i++)
    for (let t = i * keep, end = t + keep; t < end; t++) {
      const j = neighbour[t];
      if (j < 0) break;
      revMovie[fill[j]] = i;
      revSim[fill[j]++] = similarity[t];
    }
  const hits = new Int32Array(numMovies);
  const sums = new Float64Array(numMovies);
  const counted = new Int32Array(numMovies); // counted[j] = pass once j's hits are added in that pass (repeats count once)
  let pass = 0;
  let ranked = -1; // the user whose sums are in `sums`
  const rankAll = (user: number): void => {
    if (user === ranked) return;
    load(user);
    hits.fill(0);
    sums.fill(0);
    pass++;
    for (let b = byUser.offsets[user]; b < byUser.offsets[user + 1]; b++) {
      const j = byUser.movie[b];
      if (counted[j] === pass) continue;
      counted[j] = pass;
      for (let r = revOffsets[j]; r < revOffsets[j + 1]; r++) {
        hits[revMovie[r]]++;
        sums[revMovie[r]] += revSim[r];
      }
    }
    for (let i = 0; i < numMovies; i++) if (hits[i] > k) sums[i] = neighbourhood(i).simSum;
    ranked = user;
  };
  return {
    name,
    scoreMovies: (user, movies) => {
      const out = new Float32Array(movies.length);
      if (movies.length * 8 < numMovies) {
        // A few candidates (the sampled protocol): the forward scan of each is cheaper than ranking every movie.
        load(user);
        for (let c = 0; c < movies.length; c++) out[c] = neighbourhood(movies[c]).simSum;
        return out;
      }
      rankAll(user);
      for (let c = 0; c < movies.length; c++) {
        const m = movies[c];
        if (!(m >= 0 && m < numMovies)) throw new RangeError(`item-kNN: movie ${m} is outside 0..${numMovies - 1}`);
        out[c] = sums[m];
      }
      return out;
    },
    predictRatings: (users, movies) => scoreEach(users, (u, i) => predict(u, movies[i])),
  };
}
