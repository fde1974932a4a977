// Tests the ml-100k loader and its predefined splits against the real files in the shared MovieLens folder.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ML100K_SPLITS, checkSplit, loadDataset, loadMl100k, predefinedSplit } from "../../src/data";
import { sharedDir } from "./helpers";

test("ml-100k: counts, genres in u.genre order, titles and years", async (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  const ds = await loadDataset("ml-100k", { dir: path.join(shared, "ml-100k") });
  assert.equal(ds.name, "ml-100k");
  assert.equal(ds.ratings.length, 100_000);
  assert.equal(ds.numUsers, 943);
  assert.equal(ds.numMovies, 1682);
  assert.deepEqual(ds.ratingScale, { min: 1, max: 5 });
  assert.deepEqual(ds.movies.genreVocabulary, [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
  ]);
  let sum = 0;
  for (const r of ds.ratings.rating) sum += r;
  assert.ok(Math.abs(sum / 1e5 - 3.52986) < 1e-5);
  const toy = ds.movieIndex.get(1)!;
  assert.equal(ds.movies.titles[toy], "Toy Story");
  assert.equal(ds.movies.years[toy], 1995);
  assert.deepEqual(ds.movies.genres[toy], ["Animation", "Children's", "Comedy"]);
  const g = ds.movies.genreVocabulary.length;
  assert.deepEqual(
    Array.from(ds.movies.genreMatrix.subarray(toy * g, toy * g + g)),
    [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  );
  const unknown = ds.movieIndex.get(267)!;
  assert.equal(ds.movies.titles[unknown], "unknown");
  assert.equal(ds.movies.years[unknown], null);
  assert.deepEqual(ds.movies.genres[unknown], ["unknown"]);
  const v = ds.movieIndex.get(1412)!;
  assert.equal(ds.movies.rawTitles[v], "Land Before Time III: The Time of the Great Giving (1995) (V)");
  assert.equal(ds.movies.years[v], 1995);
});

test("ml-100k: item 1633 is decoded from its exact Latin-1 bytes", (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  const dir = path.join(shared, "ml-100k");
  const raw = fs.readFileSync(path.join(dir, "u.item"));
  const start = raw.indexOf(Buffer.from("\n1633|", "latin1")) + 6;
  // "Á köldum klaka": 0xC1 = Á, 0xF6 = ö in Latin-1 (in UTF-8 they would be two bytes each).
  assert.deepEqual([...raw.subarray(start, start + 4)], [0xc1, 0x20, 0x6b, 0xf6]);
  const ds = loadMl100k(dir);
  const i = ds.movieIndex.get(1633)!;
  assert.equal(ds.movies.rawTitles[i], "Á köldum klaka (Cold Fever) (1994)");
  assert.equal(ds.movies.titles[i], "Á köldum klaka (Cold Fever)");
  assert.equal(ds.movies.years[i], 1994);
});

test("ml-100k: demographics from u.user", (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  const ds = loadMl100k(path.join(shared, "ml-100k"));
  const u = ds.users!;
  assert.equal(u.ids.length, 943);
  const one = ds.userIndex.get(1)!;
  assert.equal(u.age[one], 24);
  assert.equal(u.ageBracket[one], "18-24");
  assert.equal(u.gender[one], "M");
  assert.equal(u.occupation[one], "technician");
  assert.equal(u.zip[one], "85711");
  const two = ds.userIndex.get(2)!;
  assert.deepEqual([u.age[two], u.gender[two], u.occupation[two], u.ageBracket[two]], [53, "F", "other", "50-55"]);
  assert.equal(new Set(u.occupation).size, 21);
  assert.deepEqual(Array.from(ds.userIds), Array.from(u.ids));
});

test("ml-100k: predefined splits map to rating indices with the published sizes", (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  const ds = loadMl100k(path.join(shared, "ml-100k"));
  const testCover = new Uint8Array(ds.ratings.length);
  for (const name of ML100K_SPLITS) {
    const s = predefinedSplit(ds, name);
    const big = name === "ua" || name === "ub";
    assert.equal(s.train.length, big ? 90_570 : 80_000, name);
    assert.equal(s.test.length, big ? 9_430 : 20_000, name);
    checkSplit(s, ds.ratings.length); // no overlap, union = all
    assert.equal(s.coldUsers >= 0 && s.coldMovies >= 0, true);
    if (big) {
      // ua/ub: exactly 10 test ratings per user, so no cold user.
      const perUser = new Int32Array(ds.numUsers);
      for (const i of s.test) perUser[ds.ratings.user[i]]++;
      assert.ok(
        perUser.every((c) => c === 10),
        name,
      );
      assert.equal(s.coldUsers, 0);
    } else for (const i of s.test) testCover[i]++;
  }
  // u1..u5 test sets partition u.data.
  assert.ok(testCover.every((c) => c === 1));
  // The first line of u1.base maps to a rating with the same fields.
  const first = fs
    .readFileSync(path.join(shared, "ml-100k", "u1.base"), "latin1")
    .split("\n")[0]
    .split("\t")
    .map(Number);
  const s1 = predefinedSplit(ds, "u1");
  const i = s1.train.find((k) => ds.userIds[ds.ratings.user[k]] === first[0] && ds.movies.ids[ds.ratings.movie[k]] === first[1])!;
  assert.equal(ds.ratings.rating[i], first[2]);
  assert.equal(ds.ratings.timestamp[i], first[3]);
});
