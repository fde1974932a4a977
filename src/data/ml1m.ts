// ml-1m loader: "::"-separated ratings.dat, movies.dat (Latin-1, pipe genre lists) and users.dat (coded gender/age/occupation).
import * as path from "path";
import { IdTable, buildDataset } from "./columnar";
import { DataFormatError, MissingFileError, describeFound } from "./errors";
import { ML100K_GENRES, type FormatLoadOptions } from "./ml100k";
import { parseRatingsFile } from "./ratings-parser";
import { AGE_BRACKETS, NO_GENRES_LABEL, buildMovies, checkUniqueId, emptyUserColumns, parseGender } from "./tables";
import { decodeText, parseIntField, readFileOrThrow, splitLines } from "./text";
import type { Dataset, Movies, Users } from "./types";
import * as fs from "fs";

/** ml-1m's 18 genres in the README's order: ml-100k's, without its "unknown". */
export const ML1M_GENRES: readonly string[] = ML100K_GENRES.slice(1);

/** ml-1m occupation codes 0..20 -> names, as in the ml-1m README. */
export const ML1M_OCCUPATIONS: readonly string[] = [
  "other",
  "academic/educator",
  "artist",
  "clerical/admin",
  "college/grad student",
  "customer service",
  "doctor/health care",
  "executive/managerial",
  "farmer",
  "homemaker",
  "K-12 student",
  "lawyer",
  "programmer",
  "retired",
  "sales/marketing",
  "scientist",
  "self-employed",
  "technician/engineer",
  "tradesman/craftsman",
  "unemployed",
  "writer",
];

function splitDoubleColon(l: string, n: number, file: string, line: number, layout: string): string[] {
  const f = l.split("::");
  if (f.length !== n) {
    throw new DataFormatError(
      file,
      line,
      `${n} '::'-separated fields (${layout})`,
      `${f.length}: ${describeFound(l)}`,
      f.length === 1 ? "wrong separator?" : undefined,
    );
  }
  return f;
}

/**
 * Parses movies.dat (Latin-1, `MovieID::Title::Genre|Genre`). The vocabulary is the README's 18 genres, followed by
 * any other genre the file uses, in order of first appearance.
 */
export function parseMl1mMovies(file: string): Movies {
  const lines = splitLines(decodeText(readFileOrThrow(file, "ml-1m's movie list movies.dat"), file, "latin1"), file);
  const ids = new Int32Array(lines.length);
  const rawTitles: string[] = [];
  const genres: string[][] = [];
  const vocabulary = ML1M_GENRES.slice();
  const known = new Set(vocabulary);
  const seen = new Set<number>();
  lines.forEach((l, i) => {
    const line = i + 1;
    const f = splitDoubleColon(l, 3, file, line, "MovieID::Title::Genres");
    const id = parseIntField(f[0], file, line, "MovieID");
    checkUniqueId(seen, id, file, line, "MovieID");
    ids[i] = id;
    if (f[1] === "") throw new DataFormatError(file, line, "a title", "an empty field");
    rawTitles.push(f[1]);
    const g = f[2] === "" || f[2] === NO_GENRES_LABEL ? [] : f[2].split("|");
    for (const name of g) {
      if (name === "") throw new DataFormatError(file, line, "'|'-separated genre names", describeFound(f[2]));
      if (!known.has(name)) {
        known.add(name);
        vocabulary.push(name);
      }
    }
    genres.push(g);
  });
  return buildMovies(ids, rawTitles, genres, vocabulary);
}

/** Parses users.dat (`UserID::Gender::Age::Occupation::Zip-code`), decoding the age and occupation codes. */
export function parseMl1mUsers(file: string): Users {
  const lines = splitLines(decodeText(readFileOrThrow(file, "ml-1m's user list users.dat"), file, "latin1"), file);
  const n = lines.length;
  const { ids, age, gender, ageBracket, occupation, zip } = emptyUserColumns(n);
  const seen = new Set<number>();
  lines.forEach((l, i) => {
    const line = i + 1;
    const f = splitDoubleColon(l, 5, file, line, "UserID::Gender::Age::Occupation::Zip-code");
    const id = parseIntField(f[0], file, line, "UserID");
    checkUniqueId(seen, id, file, line, "UserID");
    ids[i] = id;
    gender.push(parseGender(f[1], file, line));
    const a = parseIntField(f[2], file, line, "age code");
    const bracket = AGE_BRACKETS.get(a);
    if (bracket === undefined) throw new DataFormatError(file, line, "an age code in {1, 18, 25, 35, 45, 50, 56}", describeFound(f[2]));
    age[i] = a;
    ageBracket.push(bracket);
    const o = parseIntField(f[3], file, line, "occupation code");
    if (o >= ML1M_OCCUPATIONS.length) throw new DataFormatError(file, line, "an occupation code 0..20", describeFound(f[3]));
    occupation.push(ML1M_OCCUPATIONS[o]);
    zip.push(f[4]);
  });
  return { ids, gender, age, ageBracket, occupation, zip };
}

/** Loads ml-1m from `dir` (ratings.dat, movies.dat, users.dat). Ratings are whole stars 1..5. */
export function loadMl1m(dir: string, options: FormatLoadOptions = {}): Dataset {
  const moviesFile = path.join(dir, "movies.dat");
  const usersFile = path.join(dir, "users.dat");
  const ratingsFile = path.join(dir, "ratings.dat");
  if (!fs.existsSync(ratingsFile))
    throw new MissingFileError(ratingsFile, null, "ml-1m's ratings file ratings.dat to exist", "no such file");
  const movies = parseMl1mMovies(moviesFile);
  const users = parseMl1mUsers(usersFile);
  const scale = { min: 1, max: 5 };
  const ratings = parseRatingsFile(
    ratingsFile,
    { separator: "::", header: null, scale, fieldNames: ["UserID", "MovieID", "Rating", "Timestamp"] },
    {
      movies: IdTable.fromIds(movies.ids),
      moviesFile,
      users: IdTable.fromIds(users.ids),
      addUsers: false,
      usersFile,
      chunkBytes: options.chunkBytes,
      onProgress: options.onProgress && ((p) => options.onProgress?.({ phase: "parse", ...p })),
    },
  );
  return buildDataset({ name: options.name ?? "ml-1m", source: dir, ratings, movies, users, userIds: users.ids, ratingScale: scale });
}
