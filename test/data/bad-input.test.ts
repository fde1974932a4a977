// Tests bad input: every case throws a dedicated error naming the file, the line and what was expected.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import {
  DataError,
  DataFormatError,
  EncodingError,
  MissingFileError,
  loadDataset,
  loadMl100k,
  loadMl1m,
  loadMovieLensCsv,
  parseCsvMovies,
} from "../../src/data";
import { SMALL_DIR, sharedDir, tempDir } from "./helpers";

const MOVIES = 'movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n2,"American President, The (1995)",Drama\n';
const HEADER = "userId,movieId,rating,timestamp\n";

/** Writes a CSV-family folder with the given ratings.csv (and movies.csv) contents. */
function csvDir(dir: string, ratings: string, movies = MOVIES): string {
  fs.writeFileSync(path.join(dir, "movies.csv"), movies);
  fs.writeFileSync(path.join(dir, "ratings.csv"), ratings);
  return dir;
}

/** Asserts `fn` throws an instance of `cls` at `file`:`line` whose `expected` matches. Returns the error. */
function expectError<T extends DataError>(
  fn: () => unknown,
  cls: new (...a: never[]) => T,
  file: string,
  line: number | null,
  expected: RegExp,
): T {
  let caught: unknown = null;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${String(caught)}`);
  const e = caught as T;
  assert.equal(e.file, file);
  assert.equal(e.line, line);
  assert.match(e.expected, expected);
  assert.ok(e.message.startsWith(line === null ? file : `${file}:${line}`), e.message);
  return e;
}

test("wrong separator (ratings.csv with ';', u.data with ',', movies.dat with '|')", (t) => {
  const dir = csvDir(tempDir(t), `${HEADER}1,1,4.0,964982703\n1;2;3.5;964982224\n`);
  const e = expectError(() => loadMovieLensCsv(dir), DataFormatError, path.join(dir, "ratings.csv"), 3, /','/);
  assert.match(e.message, /wrong separator/);
  const d2 = tempDir(t);
  fs.writeFileSync(path.join(d2, "u.item"), "1|Toy Story (1995)|01-Jan-1995||url|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n");
  fs.writeFileSync(path.join(d2, "u.user"), "1|24|M|technician|85711\n");
  fs.writeFileSync(path.join(d2, "u.data"), "1,1,5,874965758\n");
  expectError(() => loadMl100k(d2), DataFormatError, path.join(d2, "u.data"), 1, /a tab after user id/);
  const d3 = tempDir(t);
  fs.writeFileSync(path.join(d3, "movies.dat"), "1|Toy Story (1995)|Animation\n");
  fs.writeFileSync(path.join(d3, "users.dat"), "1::F::1::10::48067\n");
  fs.writeFileSync(path.join(d3, "ratings.dat"), "1::1::5::978300760\n");
  const e3 = expectError(() => loadMl1m(d3), DataFormatError, path.join(d3, "movies.dat"), 1, /3 '::'-separated fields/);
  assert.match(e3.message, /wrong separator/);
});

test("truncated last line", (t) => {
  const dir = tempDir(t);
  csvDir(dir, `${HEADER}1,1,4.0,964982703\n1,2,3.5,96498`);
  const e = expectError(() => loadMovieLensCsv(dir), DataFormatError, path.join(dir, "ratings.csv"), 3, /complete row/);
  assert.match(e.message, /truncated/);
  csvDir(dir, `${HEADER}1,1,4.0,964982703\n1,2`);
  expectError(() => loadMovieLensCsv(dir), DataFormatError, path.join(dir, "ratings.csv"), 3, /complete row/);
  csvDir(dir, `${HEADER}1,1,4.0,964982703\n`, MOVIES + "3,Heat (1995),Act");
  expectError(() => loadMovieLensCsv(dir), DataFormatError, path.join(dir, "movies.csv"), 4, /newline/);
  // A row cut short in the middle of the file is an error too.
  csvDir(dir, `${HEADER}1,1,4.0\n1,2,3.5,964982224\n`);
  expectError(() => loadMovieLensCsv(dir), DataFormatError, path.join(dir, "ratings.csv"), 2, /4 fields/);
});

test("non-numeric or out-of-range rating", (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, "ratings.csv");
  csvDir(dir, `${HEADER}1,1,4.0,964982703\n1,2,abc,964982224\n`);
  expectError(() => loadMovieLensCsv(dir), DataFormatError, file, 3, /numeric rating in \[0\.5, 5\]/);
  csvDir(dir, `${HEADER}1,1,7.5,964982703\n`);
  const e = expectError(() => loadMovieLensCsv(dir), DataFormatError, file, 2, /rating in \[0\.5, 5\]/);
  assert.match(e.message, /out of range/);
  csvDir(dir, `${HEADER}1,1,0.0,964982703\n`);
  expectError(() => loadMovieLensCsv(dir), DataFormatError, file, 2, /rating in \[0\.5, 5\]/);
  csvDir(dir, `${HEADER}1,1,-1,964982703\n`);
  expectError(() => loadMovieLensCsv(dir), DataFormatError, file, 2, /numeric rating/);
  csvDir(dir, `${HEADER}1,1,4.,964982703\n`);
  expectError(() => loadMovieLensCsv(dir), DataFormatError, file, 2, /numeric rating/);
  csvDir(dir, `${HEADER}1,1,4.0,99999999999\n`);
  expectError(() => loadMovieLensCsv(dir), DataFormatError, file, 2, /integer timestamp/);
});

test("unknown movie id in ratings", (t) => {
  const dir = csvDir(tempDir(t), `${HEADER}1,1,4.0,964982703\n1,999,3.5,964982224\n`);
  const e = expectError(() => loadMovieLensCsv(dir), DataFormatError, path.join(dir, "ratings.csv"), 3, /movieId listed in .*movies\.csv/);
  assert.equal(e.found, "unknown movieId 999");
});

test("duplicated header (ratings.csv and movies.csv)", (t) => {
  const dir = tempDir(t);
  csvDir(dir, `${HEADER}1,1,4.0,964982703\n${HEADER}1,2,3.5,964982224\n`);
  const e = expectError(() => loadMovieLensCsv(dir), DataFormatError, path.join(dir, "ratings.csv"), 3, /a rating row/);
  assert.match(e.message, /duplicated header/);
  csvDir(dir, `${HEADER}1,1,4.0,964982703\n`, MOVIES + "movieId,title,genres\n");
  const e2 = expectError(() => loadMovieLensCsv(dir), DataFormatError, path.join(dir, "movies.csv"), 4, /a data row/);
  assert.match(e2.message, /duplicated header/);
  // A missing or different header is reported too.
  csvDir(dir, `1,1,4.0,964982703\n`);
  expectError(() => loadMovieLensCsv(dir), DataFormatError, path.join(dir, "ratings.csv"), 1, /header row/);
});

test("missing file", async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, "ratings.csv"), `${HEADER}1,1,4.0,964982703\n`);
  expectError(() => loadMovieLensCsv(dir), MissingFileError, path.join(dir, "movies.csv"), null, /movies\.csv to exist/);
  fs.rmSync(path.join(dir, "ratings.csv"));
  expectError(() => loadMovieLensCsv(dir), MissingFileError, path.join(dir, "ratings.csv"), null, /ratings\.csv to exist/);
  const shared = sharedDir(t);
  if (!shared) return;
  const d2 = tempDir(t);
  fs.copyFileSync(path.join(shared, "ml-100k", "u.data"), path.join(d2, "u.data"));
  fs.copyFileSync(path.join(shared, "ml-100k", "u.user"), path.join(d2, "u.user"));
  expectError(() => loadMl100k(d2), MissingFileError, path.join(d2, "u.item"), null, /u\.item to exist/);
  await assert.rejects(loadDataset("ml-25m", { dir: d2 }), MissingFileError);
  await assert.rejects(loadDataset("ml-25m", { movielensDir: d2, dataDir: d2 }), (err: unknown) => {
    assert.ok(err instanceof MissingFileError);
    assert.match(err.message, /MOVIELENS_DIR/);
    return true;
  });
});

test("wrong encoding: UTF-8 where Latin-1 is expected, Latin-1 where UTF-8 is expected, U+FFFD, mojibake", (t) => {
  const shared = sharedDir(t);
  const dir = tempDir(t);
  if (shared) {
    // ml-100k's u.item re-encoded to UTF-8: the first non-ASCII title is flagged.
    for (const f of ["u.data", "u.user", "u.genre"]) fs.copyFileSync(path.join(shared, "ml-100k", f), path.join(dir, f));
    const latin1 = fs.readFileSync(path.join(shared, "ml-100k", "u.item"), "latin1");
    fs.writeFileSync(path.join(dir, "u.item"), latin1, "utf8");
    const firstLine = latin1.split("\n").findIndex((l) => /[^\x00-\x7f]/.test(l)) + 1;
    const e = expectError(() => loadMl100k(dir), EncodingError, path.join(dir, "u.item"), firstLine, /Latin-1/);
    assert.match(e.message, /re-encoded/);
  }
  const d2 = tempDir(t);
  const moviesFile = path.join(d2, "movies.csv");
  // Latin-1 bytes in a UTF-8 file.
  fs.writeFileSync(moviesFile, Buffer.from(`${MOVIES}3,Misérables (1995),Drama\n`, "latin1"));
  expectError(() => parseCsvMovies(moviesFile), EncodingError, moviesFile, 4, /UTF-8/);
  // A UTF-8 file that was decoded as Latin-1 and saved again as UTF-8: "Ã©" for "é".
  fs.writeFileSync(moviesFile, `${MOVIES}3,MisÃ©rables (1995),Drama\n`, "utf8");
  const m = expectError(() => parseCsvMovies(moviesFile), EncodingError, moviesFile, 4, /clean UTF-8/);
  assert.match(m.message, /mojibake/);
  // U+FFFD replacement characters left by a lossy conversion.
  fs.writeFileSync(moviesFile, `${MOVIES}3,Mis\uFFFDrables (1995),Drama\n`, "utf8");
  const r = expectError(() => parseCsvMovies(moviesFile), EncodingError, moviesFile, 4, /clean UTF-8/);
  assert.match(r.message, /U\+FFFD/);
  // The real committed files pass the same checks.
  assert.equal(parseCsvMovies(path.join(SMALL_DIR, "movies.csv")).ids.length, 9_742);
});
