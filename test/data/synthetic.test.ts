// Tests the synthetic generator: real formats that our loaders read back, exact sizes, seeding, power-law skew, atomicity.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { generateSyntheticDataset, loadMl1m, loadMovieLensCsv, ratingSummary } from "../../src/data";
import { tempDir } from "./helpers";

test("ML-25M shape: CSV files load back with the requested sizes; quoted titles; power-law popularity", async (t) => {
  const dir = path.join(tempDir(t), "syn25");
  const s = await generateSyntheticDataset({
    format: "ml-25m",
    dir,
    numUsers: 500,
    numMovies: 2_000,
    numRatings: 60_000,
    seed: 5,
    lineEnding: "\r\n",
  });
  assert.deepEqual(s.files, ["movies.csv", "links.csv", "ratings.csv", "README.txt"]);
  const ds = loadMovieLensCsv(dir);
  assert.equal(ds.ratings.length, 60_000);
  assert.equal(ds.numUsers, 500);
  assert.equal(ds.numMovies, 2_000);
  assert.equal(ds.links!.length, 2_000);
  assert.ok(ds.movies.rawTitles.some((x) => x.includes(", The")));
  assert.ok(ds.movies.rawTitles.some((x) => x.includes('"Quoted"')));
  assert.ok(ds.movies.rawTitles.some((x) => x.startsWith("Café")));
  assert.ok(
    ds.movies.genres.some((g) => g.length === 0),
    "some (no genres listed)",
  );
  const sum = ratingSummary(ds);
  // Every user has at least 20 ratings; the top 1% of movies carry far more than 1% of ratings; heavy users exist.
  assert.ok(sum.userCount.every((c) => c >= 20));
  const sorted = Array.from(sum.movieCount).sort((a, b) => b - a);
  const top = sorted.slice(0, 20).reduce((a, b) => a + b, 0);
  assert.ok(top / 60_000 > 0.05, `top 1% share ${top / 60_000}`);
  assert.ok(Math.max(...sum.userCount) > 5 * (60_000 / 500));
  for (const r of ds.ratings.rating) assert.ok(r >= 0.5 && r <= 5 && Number.isInteger(r * 2));
  // No duplicate (user, movie) pairs.
  const pairs = new Set<number>();
  for (let i = 0; i < ds.ratings.length; i++) pairs.add(ds.ratings.user[i] * 2_000 + ds.ratings.movie[i]);
  assert.equal(pairs.size, 60_000);
});

test("ML-1M shape: '::' files (Latin-1 movies.dat, coded users.dat) load back; same seed gives the same bytes", async (t) => {
  const root = tempDir(t);
  const a = path.join(root, "a");
  const b = path.join(root, "b");
  const c = path.join(root, "c");
  const opts = { format: "ml-1m", numUsers: 300, numMovies: 800, numRatings: 30_000 } as const;
  await generateSyntheticDataset({ ...opts, dir: a, seed: 9 });
  await generateSyntheticDataset({ ...opts, dir: b, seed: 9 });
  await generateSyntheticDataset({ ...opts, dir: c, seed: 10 });
  for (const f of ["ratings.dat", "movies.dat", "users.dat"])
    assert.deepEqual(fs.readFileSync(path.join(a, f)), fs.readFileSync(path.join(b, f)), f);
  assert.notDeepEqual(fs.readFileSync(path.join(a, "ratings.dat")), fs.readFileSync(path.join(c, "ratings.dat")));
  const raw = fs.readFileSync(path.join(a, "movies.dat"));
  assert.ok(raw.includes(Buffer.from("Café", "latin1")) && !raw.includes(Buffer.from("Café", "utf8")), "movies.dat is Latin-1");
  const ds = loadMl1m(a);
  assert.equal(ds.ratings.length, 30_000);
  assert.equal(ds.numUsers, 300);
  assert.equal(ds.numMovies, 800);
  assert.ok(ds.movies.titles.includes("Café 53"));
  for (const r of ds.ratings.rating) assert.ok(Number.isInteger(r) && r >= 1 && r <= 5);
  assert.ok(ds.users!.ageBracket.every((x) => x.length > 0));
});

test("generation is atomic: invalid sizes leave no folder behind", async (t) => {
  const root = tempDir(t);
  await assert.rejects(
    generateSyntheticDataset({ format: "ml-25m", dir: path.join(root, "x"), numUsers: 10, numMovies: 10, numRatings: 1_000 }),
    RangeError,
  );
  assert.deepEqual(fs.readdirSync(root), []);
});
