// Small generated datasets with planted structure, for unit tests of models and training (real data is used elsewhere).
import { Dataset, Movies } from "../../src/data/types";
import { Rng } from "../../src/util/random";

/**
 * A dataset of `users x movies` ratings generated from planted rank-`rank` factors plus biases, 1..5 scale, with
 * `density` of the pairs observed, and genres that follow the movie factors' signs.
 */
export function tinyDataset(o: { users?: number; movies?: number; rank?: number; density?: number; seed?: number } = {}): Dataset {
  const nu = o.users ?? 60;
  const nm = o.movies ?? 80;
  const rank = o.rank ?? 3;
  const density = o.density ?? 0.3;
  const rng = new Rng(o.seed ?? 7);
  const U = Float64Array.from({ length: nu * rank }, () => rng.normal());
  const M = Float64Array.from({ length: nm * rank }, () => rng.normal());
  const genres = ["Action", "Comedy", "Drama", "Horror"];
  const users: number[] = [];
  const movies: number[] = [];
  const ratings: number[] = [];
  const ts: number[] = [];
  for (let u = 0; u < nu; u++) {
    for (let m = 0; m < nm; m++) {
      if (rng.next() > density) continue;
      let s = 0;
      for (let k = 0; k < rank; k++) s += U[u * rank + k] * M[m * rank + k];
      const r = Math.min(5, Math.max(1, Math.round(3 + s * 0.8 + rng.normal() * 0.3)));
      users.push(u);
      movies.push(m);
      ratings.push(r);
      ts.push(1_000_000 + users.length);
    }
  }
  const genreMatrix = new Uint8Array(nm * genres.length);
  const genreLists: string[][] = [];
  for (let m = 0; m < nm; m++) {
    const list: string[] = [];
    for (let g = 0; g < genres.length; g++) {
      const on = g < rank ? M[m * rank + g] > 0.3 : m % 7 === 0;
      if (on) {
        genreMatrix[m * genres.length + g] = 1;
        list.push(genres[g]);
      }
    }
    genreLists.push(list);
  }
  const movieIds = Int32Array.from({ length: nm }, (_, i) => i + 1);
  const userIds = Int32Array.from({ length: nu }, (_, i) => i + 1);
  const mv: Movies = {
    ids: movieIds,
    titles: Array.from(movieIds, (i) => `Movie ${i}`),
    rawTitles: Array.from(movieIds, (i) => `Movie ${i} (2000)`),
    years: Array.from(movieIds, () => 2000),
    genres: genreLists,
    genreVocabulary: genres,
    genreMatrix,
  };
  return {
    name: "tiny",
    source: "generated",
    ratings: {
      user: Int32Array.from(users),
      movie: Int32Array.from(movies),
      rating: Float32Array.from(ratings),
      timestamp: Uint32Array.from(ts),
      length: users.length,
    },
    movies: mv,
    users: null,
    userIds,
    numUsers: nu,
    numMovies: nm,
    userIndex: new Map(Array.from(userIds, (id, i) => [id, i] as [number, number])),
    movieIndex: new Map(Array.from(movieIds, (id, i) => [id, i] as [number, number])),
    ratingScale: { min: 1, max: 5 },
  };
}

/** A seeded 80/20 split of a dataset's rating indices. */
export function tinySplit(ds: Dataset, seed = 1): { train: Int32Array; test: Int32Array } {
  const perm = new Rng(seed).permutation(ds.ratings.length);
  const n = Math.floor(ds.ratings.length * 0.8);
  return { train: perm.slice(0, n), test: perm.slice(n) };
}
