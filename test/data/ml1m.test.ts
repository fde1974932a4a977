// Tests the ml-1m loaders: real movies.dat and users.dat, and the "::" ratings parser on an ML-1M-format fixture built from ml-100k.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { MissingFileError, ML1M_GENRES, loadDataset, loadMl100k, loadMl1m, parseMl1mMovies, parseMl1mUsers } from "../../src/data";
import { sharedDir, tempDir, writeMl100kAsMl1m } from "./helpers";

test("ml-1m movies.dat: 3,883 movies, Latin-1 titles, README genres", (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  const m = parseMl1mMovies(path.join(shared, "ml-1m", "movies.dat"));
  assert.equal(m.ids.length, 3_883);
  assert.equal(m.ids[m.ids.length - 1], 3952);
  assert.deepEqual(m.genreVocabulary, ML1M_GENRES);
  assert.equal(m.genreVocabulary.length, 18);
  const at = (id: number): number => m.ids.indexOf(id);
  assert.equal(m.rawTitles[at(73)], "Misérables, Les (1995)");
  assert.equal(m.titles[at(582)], "Metisse (Café au Lait)");
  assert.equal(m.years[at(582)], 1993);
  assert.deepEqual(m.genres[at(1)], ["Animation", "Children's", "Comedy"]);
  assert.ok(m.genres.every((g) => g.length > 0));
});

test("ml-1m users.dat: 6,040 users with decoded gender, age bracket and occupation", (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  const u = parseMl1mUsers(path.join(shared, "ml-1m", "users.dat"));
  assert.equal(u.ids.length, 6_040);
  assert.deepEqual(Array.from(u.ids.subarray(0, 3)), [1, 2, 3]);
  // 1::F::1::10::48067 and 2::M::56::16::70072
  assert.deepEqual([u.gender[0], u.age[0], u.ageBracket[0], u.occupation[0], u.zip[0]], ["F", 1, "Under 18", "K-12 student", "48067"]);
  assert.deepEqual([u.gender[1], u.age[1], u.ageBracket[1], u.occupation[1], u.zip[1]], ["M", 56, "56+", "self-employed", "70072"]);
  assert.equal(new Set(u.ageBracket).size, 7);
  assert.equal(new Set(u.occupation).size, 21);
});

test("ml-1m: the shared copy has no ratings.dat, which is reported as a missing file", async (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  await assert.rejects(loadDataset("ml-1m", { dir: path.join(shared, "ml-1m") }), (err: unknown) => {
    assert.ok(err instanceof MissingFileError);
    assert.match(err.message, /ratings\.dat/);
    return true;
  });
});

test("ml-1m ratings.dat parser on ml-100k rewritten in exactly the ML-1M format", (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  const src = path.join(shared, "ml-100k");
  const dir = tempDir(t);
  writeMl100kAsMl1m(shared, dir);

  const a = loadMl1m(dir);
  const b = loadMl100k(src);
  const c = loadMl1m(dir, { chunkBytes: 1024 }); // "::" and lines split across chunk boundaries
  assert.equal(a.name, "ml-1m");
  assert.equal(a.ratings.length, 100_000);
  assert.equal(a.numUsers, 943);
  assert.equal(a.numMovies, 1_682);
  for (const x of [a, c]) {
    assert.deepEqual(x.ratings.user, b.ratings.user);
    assert.deepEqual(x.ratings.movie, b.ratings.movie);
    assert.deepEqual(x.ratings.rating, b.ratings.rating);
    assert.deepEqual(x.ratings.timestamp, b.ratings.timestamp);
  }
  assert.equal(a.movies.titles[a.movieIndex.get(1633)!], "Á köldum klaka (Cold Fever)");
  // "unknown" is not an ML-1M genre: it is appended after the README's 18.
  assert.deepEqual(a.movies.genreVocabulary, [...ML1M_GENRES, "unknown"]);
  assert.equal(a.users!.occupation[0], "K-12 student");
});
