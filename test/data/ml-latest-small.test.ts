// Tests the CSV-family loader on the real ml-latest-small (committed copy and shared copy), CRLF and LF, tags and links.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { loadDataset, loadMovieLensCsv, resolveDatasetDir } from "../../src/data";
import { SMALL_DIR, sharedDir, tempDir } from "./helpers";

test("ml-latest-small (default dataset): counts, mean, genre vocabulary", async () => {
  const ds = await loadDataset(undefined, { movielensDir: null });
  assert.equal(ds.name, "ml-latest-small");
  assert.equal(path.resolve(ds.source), path.resolve(SMALL_DIR));
  assert.equal(ds.ratings.length, 100_836);
  assert.equal(ds.numUsers, 610);
  assert.equal(ds.numMovies, 9_742);
  assert.equal(ds.users, null);
  assert.deepEqual(ds.ratingScale, { min: 0.5, max: 5 });
  let sum = 0;
  const rated = new Set<number>();
  for (let i = 0; i < ds.ratings.length; i++) {
    sum += ds.ratings.rating[i];
    rated.add(ds.ratings.movie[i]);
  }
  assert.equal(Number((sum / ds.ratings.length).toFixed(5)), 3.50156);
  assert.equal(rated.size, 9_724);
  // 19 real genres plus "(no genres listed)", which becomes an empty genre list and is not in the vocabulary.
  assert.deepEqual(ds.movies.genreVocabulary, [
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "IMAX",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
  ]);
  const noGenres = ds.movies.genres.filter((g) => g.length === 0).length;
  assert.equal(noGenres, 34);
  const i = ds.movieIndex.get(114335)!; // "La cravate (1957),(no genres listed)"
  assert.deepEqual(ds.movies.genres[i], []);
  const g = ds.movies.genreVocabulary.length;
  assert.ok(ds.movies.genreMatrix.subarray(i * g, i * g + g).every((x) => x === 0));
  // Users are indexed by ascending id, and ids map back.
  assert.deepEqual(Array.from(ds.userIds.subarray(0, 3)), [1, 2, 3]);
  assert.equal(ds.userIndex.get(610), 609);
});

test("ml-latest-small: quoted titles with commas and doubled quotes, years, tags and links", () => {
  const ds = loadMovieLensCsv(SMALL_DIR);
  const m = ds.movies;
  const at = (id: number): number => ds.movieIndex.get(id)!;
  assert.equal(m.rawTitles[at(11)], "American President, The (1995)");
  assert.equal(m.titles[at(11)], "American President, The");
  assert.equal(m.rawTitles[at(7789)], `11'09"01 - September 11 (2002)`);
  assert.equal(m.titles[at(7789)], `11'09"01 - September 11`);
  assert.equal(m.years[at(7789)], 2002);
  assert.equal(m.rawTitles[at(29)], "City of Lost Children, The (Cité des enfants perdus, La) (1995)");
  assert.equal(m.years[at(40697)], null); // "Babylon 5"
  assert.equal(m.years[at(171749)], 2006); // "Death Note: Desu nôto (2006–2007)"
  assert.equal(m.titles[at(171749)], "Death Note: Desu nôto");
  assert.deepEqual(m.genres[at(1)], ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]);
  assert.equal(ds.tags!.length, 3_683);
  assert.ok(ds.tags!.tag.includes('"artsy"'));
  assert.equal(ds.links!.length, 9_742);
  assert.equal(ds.links!.imdbId[0], "0114709");
  assert.equal(ds.links!.tmdbId[0], 862);
  assert.ok(ds.links!.tmdbId.some((x) => x === -1)); // a few empty tmdbIds
});

test("ml-latest-small: CRLF (as distributed) and LF copies load identically; small chunks too", (t) => {
  assert.ok(fs.readFileSync(path.join(SMALL_DIR, "ratings.csv")).includes("\r\n"), "the committed copy is CRLF");
  const lf = tempDir(t);
  for (const f of ["ratings.csv", "movies.csv", "tags.csv", "links.csv"]) {
    fs.writeFileSync(path.join(lf, f), fs.readFileSync(path.join(SMALL_DIR, f), "utf8").replace(/\r\n/g, "\n"));
  }
  const a = loadMovieLensCsv(SMALL_DIR);
  const b = loadMovieLensCsv(lf);
  const c = loadMovieLensCsv(SMALL_DIR, { chunkBytes: 1000 }); // lines and CRLFs cut across chunk boundaries
  for (const other of [b, c]) {
    assert.deepEqual(other.ratings.user, a.ratings.user);
    assert.deepEqual(other.ratings.movie, a.ratings.movie);
    assert.deepEqual(other.ratings.rating, a.ratings.rating);
    assert.deepEqual(other.ratings.timestamp, a.ratings.timestamp);
    assert.deepEqual(other.movies.rawTitles, a.movies.rawTitles);
    assert.deepEqual(other.tags!.tag, a.tags!.tag);
  }
});

test("dataset folder resolution: dir option, MOVIELENS_DIR, repo data/", (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  assert.deepEqual(resolveDatasetDir("ml-latest-small", { dir: SMALL_DIR }), { dir: SMALL_DIR, origin: "option" });
  assert.deepEqual(resolveDatasetDir("ml-100k", { dir: shared }), { dir: path.join(shared, "ml-100k"), origin: "option" });
  assert.deepEqual(resolveDatasetDir("ml-100k", { movielensDir: shared }), { dir: path.join(shared, "ml-100k"), origin: "env" });
  assert.deepEqual(resolveDatasetDir("ml-latest-small", { movielensDir: null }), { dir: SMALL_DIR, origin: "repo" });
  const empty = tempDir(t);
  assert.equal(resolveDatasetDir("ml-25m", { movielensDir: empty, dataDir: empty }), null);
  const shared1 = loadMovieLensCsv(path.join(shared, "ml-latest-small"));
  assert.equal(shared1.ratings.length, 100_836);
});
