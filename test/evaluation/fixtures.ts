// Shared hand-built datasets and scorers for the evaluation tests.
import type { Movies } from "../../src/data/types";
import type { EvaluationData, RatingColumns } from "../../src/evaluation";
import type { MovieScorer } from "../../src/models/scorer";
import { Rng } from "../../src/util/random";

/** Rating columns from [user, movie, rating, timestamp] rows. */
export function columns(rows: readonly (readonly [number, number, number, number])[]): Required<RatingColumns> {
  return {
    user: Int32Array.from(rows.map((r) => r[0])),
    movie: Int32Array.from(rows.map((r) => r[1])),
    rating: Float32Array.from(rows.map((r) => r[2])),
    timestamp: Uint32Array.from(rows.map((r) => r[3])),
  };
}

/**
 * 3 users, 6 movies (0..5).
 * train: u0 {m0:5, m1:3}; u1 {m0:4, m2:5, m3:2}; u2 {m0:3, m1:4, m2:2}
 *   -> train popularity: m0 3, m1 2, m2 2, m3 1, m4 0, m5 0
 * test:  u0 {m2:5 @t10, m3:2 @t20, m4:4 @t15}; u1 {m1:3 @t5, m4:5 @t6}; u2 {m5:3 @t7}
 */
export function tinyData(): EvaluationData {
  return {
    numUsers: 3,
    numMovies: 6,
    train: columns([
      [0, 0, 5, 1],
      [0, 1, 3, 2],
      [1, 0, 4, 1],
      [1, 2, 5, 2],
      [1, 3, 2, 3],
      [2, 0, 3, 1],
      [2, 1, 4, 2],
      [2, 2, 2, 3],
    ]),
    test: columns([
      [0, 2, 5, 10],
      [0, 3, 2, 20],
      [0, 4, 4, 15],
      [1, 1, 3, 5],
      [1, 4, 5, 6],
      [2, 5, 3, 7],
    ]),
  };
}

/** A MovieScorer from a per-user score function (the one scorer interface the protocols take). */
export function scorer(scoreMovies: (user: number, movies: Int32Array) => Float32Array, name = "test scorer"): MovieScorer {
  return { name, scoreMovies };
}

/** Score = number of train ratings of the movie (ignores the user). */
export function popularityScorer(data: EvaluationData): MovieScorer {
  const pop = new Float32Array(data.numMovies);
  for (let i = 0; i < data.train.movie.length; i++) pop[data.train.movie[i]]++;
  return scorer((_user, movies) => {
    const out = new Float32Array(movies.length);
    for (let i = 0; i < movies.length; i++) out[i] = pop[movies[i]];
    return out;
  }, "popularity");
}

/** A random dataset: each user rates `perUser` distinct movies; a random ~20% of each user's ratings go to test. */
export function randomData(seed: number, numUsers: number, numMovies: number, perUser: number): EvaluationData {
  const rng = new Rng(seed);
  const train: [number, number, number, number][] = [];
  const test: [number, number, number, number][] = [];
  for (let u = 0; u < numUsers; u++) {
    const movies = rng.permutation(numMovies).subarray(0, perUser);
    movies.forEach((m, i) => {
      const row: [number, number, number, number] = [u, m, 1 + rng.int(5), 1000 + i];
      if (rng.next() < 0.2) test.push(row);
      else train.push(row);
    });
  }
  return { numUsers, numMovies, train: columns(train), test: columns(test) };
}

/** A deterministic pseudo-random score per (user, movie). */
export function hashScorer(seed: number): MovieScorer {
  return scorer((user, movies) => {
    const out = new Float32Array(movies.length);
    for (let i = 0; i < movies.length; i++) {
      let h = Math.imul(user + 1, 0x9e3779b1) ^ Math.imul(movies[i] + 1, 0x85ebca6b) ^ seed;
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
      out[i] = ((h ^ (h >>> 12)) >>> 0) / 4294967296;
    }
    return out;
  }, `hash ${seed}`);
}

/** A Movies table with titles "Movie <i>", years 2000 + i and one genre each. */
export function fakeMovies(n: number): Movies {
  const titles = Array.from({ length: n }, (_, i) => `Movie ${i}`);
  return {
    ids: Int32Array.from({ length: n }, (_, i) => 100 + i),
    titles,
    rawTitles: titles.map((t, i) => `${t} (${2000 + i})`),
    years: titles.map((_, i) => 2000 + i),
    genres: titles.map((_, i) => [i % 2 === 0 ? "Drama" : "Comedy"]),
    genreVocabulary: ["Comedy", "Drama"],
    genreMatrix: Uint8Array.from({ length: n * 2 }, (_, j) => ((j >> 1) % 2 === 0 ? j % 2 : 1 - (j % 2))),
  };
}

/** assert-style closeness check with a readable message. */
export function close(actual: number, expected: number, label: string, eps = 1e-9): void {
  if (!(Math.abs(actual - expected) <= eps)) {
    throw new Error(`${label}: expected ${expected}, got ${actual}`);
  }
}
