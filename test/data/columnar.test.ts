// Tests the columnar form: 16 bytes per rating, memory report, id tables (dense and overflow), and title/year parsing.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { BYTES_PER_RATING, IdTable, loadMovieLensCsv, memoryUsage, parseCsv, splitTitleYear } from "../../src/data";
import { SMALL_DIR } from "./helpers";

test("ratings are four exactly-sized typed arrays: 16 bytes per rating", () => {
  const ds = loadMovieLensCsv(SMALL_DIR);
  const r = ds.ratings;
  assert.ok(r.user instanceof Int32Array && r.movie instanceof Int32Array);
  assert.ok(r.rating instanceof Float32Array && r.timestamp instanceof Uint32Array);
  for (const col of [r.user, r.movie, r.rating, r.timestamp]) {
    assert.equal(col.length, r.length);
    assert.equal(col.buffer.byteLength, r.length * 4, "no hidden over-allocation");
  }
  const mem = memoryUsage(ds);
  assert.equal(BYTES_PER_RATING, 16);
  assert.equal(mem.ratingsBytes, r.length * 16);
  assert.equal(mem.bytesPerRating, 16);
  assert.ok(mem.totalBytesApprox > mem.ratingsBytes);
  // Dense index <-> original id maps agree both ways.
  for (let u = 0; u < ds.numUsers; u++) assert.equal(ds.userIndex.get(ds.userIds[u]), u);
  for (let m = 0; m < ds.numMovies; m++) assert.equal(ds.movieIndex.get(ds.movies.ids[m]), m);
});

test("IdTable: dense lookups, growth, and ids beyond the flat table", () => {
  const t = new IdTable(4, 2);
  assert.equal(t.add(3), 0);
  assert.equal(t.add(100_000), 1);
  assert.equal(t.getOrAdd(2_000_000_000), 2);
  assert.equal(t.getOrAdd(3), 0);
  assert.equal(t.get(2_000_000_000), 2);
  assert.equal(t.get(7), -1);
  assert.equal(t.get(1_999_999_999), -1);
  assert.equal(t.size, 3);
  assert.deepEqual(Array.from(t.ids()), [3, 100_000, 2_000_000_000]);
  assert.deepEqual(
    [...t.toMap()],
    [
      [3, 0],
      [100_000, 1],
      [2_000_000_000, 2],
    ],
  );
  assert.throws(() => IdTable.fromIds([1, 2, 1]), /duplicate id 1/);
});

test("titles and years; CSV records with quotes and embedded newlines", () => {
  assert.deepEqual(splitTitleYear("Toy Story (1995)"), { title: "Toy Story", year: 1995 });
  assert.deepEqual(splitTitleYear("Heidi Fleiss: Hollywood Madam (1995) "), { title: "Heidi Fleiss: Hollywood Madam", year: 1995 });
  assert.deepEqual(splitTitleYear("Babylon 5"), { title: "Babylon 5", year: null });
  assert.deepEqual(splitTitleYear("Death Note (2006–2007)"), { title: "Death Note", year: 2006 });
  assert.deepEqual(splitTitleYear("Land Before Time III (1995) (V)"), { title: "Land Before Time III (V)", year: 1995 });
  assert.deepEqual(splitTitleYear("1984 (1984)"), { title: "1984", year: 1984 });
  const rows: [string[], number][] = [];
  parseCsv('a,b\r\n1,"x, ""y"""\r\n2,"multi\nline"\n3,\n', "t.csv", ["a", "b"], (f, line) => rows.push([f, line]));
  assert.deepEqual(rows, [
    [["1", 'x, "y"'], 2],
    [["2", "multi\nline"], 3],
    [["3", ""], 5],
  ]);
  assert.throws(() => parseCsv('a,b\n1,"open\n', "t.csv", ["a", "b"], () => {}), /closing quote/);
  assert.throws(() => parseCsv("a,b\n1,2,3\n", "t.csv", ["a", "b"], () => {}), /t\.csv:2: expected 2 comma-separated fields/);
});
