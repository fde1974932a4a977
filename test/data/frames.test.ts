// Tests the danfojs-node views: frames built from our typed arrays read back the same values.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import {
  genreStats,
  genreStatsFrame,
  loadMl100k,
  loadMovieLensCsv,
  moviesFrame,
  ratingSummary,
  ratingsFrame,
  ratingsWithTitlesFrame,
  usersFrame,
} from "../../src/data";
import { SMALL_DIR, sharedDir } from "./helpers";

const ds = loadMovieLensCsv(SMALL_DIR);

test("ratings frame (all rows, or chosen indices) holds original ids and values", () => {
  const df = ratingsFrame(ds);
  assert.deepEqual(df.shape, [100_836, 4]);
  assert.deepEqual(df.columns, ["userId", "movieId", "rating", "timestamp"]);
  assert.deepEqual(df.column("userId").values.slice(0, 2), [1, 1]);
  assert.deepEqual(df.column("movieId").values.slice(0, 2), [1, 3]);
  assert.deepEqual(df.column("rating").values.slice(0, 2), [4, 4]);
  assert.deepEqual(df.column("timestamp").values.slice(0, 2), [964982703, 964981247]);
  const some = ratingsFrame(ds, { indices: Int32Array.from([5, 100_835]) });
  assert.deepEqual(some.shape, [2, 4]);
  assert.equal(some.column("userId").values[1], 610);
  assert.equal(ratingsFrame(ds, { limit: 10 }).shape[0], 10);
});

test("movies frame and ratings joined with titles", () => {
  const m = moviesFrame(ds);
  assert.deepEqual(m.shape, [9_742, 6]);
  const titles = m.column("title").values as string[];
  const i = ds.movieIndex.get(7789)!;
  assert.equal(titles[i], `11'09"01 - September 11`);
  assert.equal((m.column("year").values as number[])[i], 2002);
  assert.equal((m.column("genres").values as string[])[0], "Adventure|Animation|Children|Comedy|Fantasy");
  const s = ratingSummary(ds);
  assert.equal((m.column("numRatings").values as number[])[0], s.movieCount[0]);
  const j = ratingsWithTitlesFrame(ds, { limit: 3 });
  assert.deepEqual(j.columns, ["userId", "movieId", "title", "year", "rating", "timestamp"]);
  assert.deepEqual(j.column("title").values, ["Toy Story", "Grumpier Old Men", "Heat"]);
});

test("users frame: counts for the CSV family, demographics for ml-100k", (t) => {
  const u = usersFrame(ds);
  assert.deepEqual(u.columns, ["userId", "numRatings", "meanRating"]);
  assert.equal(u.shape[0], 610);
  assert.equal(
    (u.column("numRatings").values as number[]).reduce((a, b) => a + b, 0),
    100_836,
  );
  const shared = sharedDir(t);
  if (!shared) return;
  const k = loadMl100k(path.join(shared, "ml-100k"));
  const f = usersFrame(k);
  assert.deepEqual(f.columns, ["userId", "numRatings", "meanRating", "gender", "age", "ageBracket", "occupation", "zip"]);
  assert.deepEqual(f.iloc({ rows: [0] }).values, [
    [1, 272, (f.column("meanRating").values as number[])[0], "M", 24, "18-24", "technician", "85711"],
  ]);
});

test("per-genre counts and mean ratings", () => {
  const df = genreStatsFrame(ds);
  const g = genreStats(ds);
  assert.deepEqual(df.shape, [19, 4]);
  const genres = df.column("genre").values as string[];
  const drama = genres.indexOf("Drama");
  assert.equal((df.column("movies").values as number[])[drama], 4_361);
  assert.equal((df.column("ratings").values as number[])[drama], g.ratings[drama]);
  // Check the Drama mean the slow way.
  const col = ds.movies.genreVocabulary.indexOf("Drama");
  const G = ds.movies.genreVocabulary.length;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < ds.ratings.length; i++) {
    if (ds.movies.genreMatrix[ds.ratings.movie[i] * G + col]) {
      sum += ds.ratings.rating[i];
      n++;
    }
  }
  assert.equal(n, g.ratings[drama]);
  assert.ok(Math.abs((df.column("meanRating").values as number[])[drama] - sum / n) < 1e-6);
});
