// ml-100k loader: u.data (tab-separated ratings), u.item (Latin-1, 19 genre flags), u.user, u.genre, and the u1..u5/ua/ub splits.
import * as fs from "fs";
import * as path from "path";
import { IdTable, buildDataset } from "./columnar";
import { DataFormatError, MissingFileError, describeFound } from "./errors";
import type { ProgressCallback } from "./progress";
import { parseRatingsFile } from "./ratings-parser";
import { ageBracketOf, buildMovies, checkUniqueId, emptyUserColumns, parseGender } from "./tables";
import { decodeText, parseIntField, readFileOrThrow, splitLines } from "./text";
import type { Dataset, Movies, Users } from "./types";

/** ml-100k's 19 genres in u.genre's order (used when u.genre is absent). */
export const ML100K_GENRES: readonly string[] = [
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
];

/** Names of ml-100k's predefined splits (files `<name>.base` / `<name>.test`). */
export type Ml100kSplitName = "u1" | "u2" | "u3" | "u4" | "u5" | "ua" | "ub";

/** All predefined split names, in order. */
export const ML100K_SPLITS: readonly Ml100kSplitName[] = ["u1", "u2", "u3", "u4", "u5", "ua", "ub"];

/** Options shared by the per-format loaders. */
export interface FormatLoadOptions {
  /** Name recorded in `Dataset.name` (defaults to the format's dataset name). */
  readonly name?: string;
  /** Progress while parsing the ratings file. */
  readonly onProgress?: ProgressCallback;
  /** Chunk size of the streaming ratings parser (bytes). */
  readonly chunkBytes?: number;
}

/** Reads u.genre ("name|index" lines, then a blank line) into the genre vocabulary. */
export function readMl100kGenres(file: string): string[] {
  const lines = splitLines(decodeText(readFileOrThrow(file, "ml-100k's genre list"), file, "latin1"), file);
  const names: string[] = [];
  lines.forEach((l, i) => {
    if (l === "") return;
    const parts = l.split("|");
    if (parts.length !== 2 || parts[1] !== String(names.length)) {
      throw new DataFormatError(file, i + 1, `"name|${names.length}"`, describeFound(l));
    }
    names.push(parts[0]);
  });
  if (names.length === 0) throw new DataFormatError(file, 1, "at least one genre", "none");
  return names;
}

/** Parses u.item (Latin-1, `id|title|release date|video release date|IMDb URL|<one 0/1 flag per genre>`). */
export function parseMl100kItems(file: string, vocabulary: readonly string[]): Movies {
  const lines = splitLines(decodeText(readFileOrThrow(file, "ml-100k's movie list u.item"), file, "latin1"), file);
  const nFields = 5 + vocabulary.length;
  const ids = new Int32Array(lines.length);
  const rawTitles: string[] = [];
  const genres: string[][] = [];
  const seen = new Set<number>();
  lines.forEach((l, i) => {
    const line = i + 1;
    const f = l.split("|");
    if (f.length !== nFields) {
      throw new DataFormatError(
        file,
        line,
        `${nFields} '|'-separated fields (5 + ${vocabulary.length} genre flags)`,
        `${f.length}: ${describeFound(l)}`,
        f.length === 1 ? "wrong separator?" : undefined,
      );
    }
    const id = parseIntField(f[0], file, line, "movie id");
    checkUniqueId(seen, id, file, line, "movie id");
    ids[i] = id;
    rawTitles.push(f[1]);
    const g: string[] = [];
    for (let k = 0; k < vocabulary.length; k++) {
      const flag = f[5 + k];
      if (flag === "1") g.push(vocabulary[k]);
      else if (flag !== "0") throw new DataFormatError(file, line, `genre flag 0 or 1 for ${vocabulary[k]}`, describeFound(flag));
    }
    genres.push(g);
  });
  return buildMovies(ids, rawTitles, genres, vocabulary.slice());
}

/** Parses u.user (`id|age|gender|occupation|zip`). */
export function parseMl100kUsers(file: string): Users {
  const lines = splitLines(decodeText(readFileOrThrow(file, "ml-100k's user list u.user"), file, "latin1"), file);
  const n = lines.length;
  const { ids, age, gender, ageBracket, occupation, zip } = emptyUserColumns(n);
  const seen = new Set<number>();
  lines.forEach((l, i) => {
    const line = i + 1;
    const f = l.split("|");
    if (f.length !== 5)
      throw new DataFormatError(file, line, "5 '|'-separated fields (id|age|gender|occupation|zip)", `${f.length}: ${describeFound(l)}`);
    const id = parseIntField(f[0], file, line, "user id");
    checkUniqueId(seen, id, file, line, "user id");
    ids[i] = id;
    const a = parseIntField(f[1], file, line, "age", 150);
    age[i] = a;
    ageBracket.push(ageBracketOf(a));
    gender.push(parseGender(f[2], file, line));
    if (f[3] === "") throw new DataFormatError(file, line, "an occupation", "an empty field");
    occupation.push(f[3]);
    zip.push(f[4]);
  });
  return { ids, gender, age, ageBracket, occupation, zip };
}

/** Loads ml-100k from `dir` (u.data, u.item, u.user; u.genre when present). Ratings are on a 1..5 scale. */
export function loadMl100k(dir: string, options: FormatLoadOptions = {}): Dataset {
  const genreFile = path.join(dir, "u.genre");
  const vocabulary = fs.existsSync(genreFile) ? readMl100kGenres(genreFile) : ML100K_GENRES.slice();
  const itemFile = path.join(dir, "u.item");
  const userFile = path.join(dir, "u.user");
  const dataFile = path.join(dir, "u.data");
  if (!fs.existsSync(dataFile)) throw new MissingFileError(dataFile, null, "ml-100k's ratings file u.data to exist", "no such file");
  const movies = parseMl100kItems(itemFile, vocabulary);
  const users = parseMl100kUsers(userFile);
  const scale = { min: 1, max: 5 };
  const ratings = parseRatingsFile(
    dataFile,
    { separator: "\t", header: null, scale, fieldNames: ["user id", "item id", "rating", "timestamp"] },
    {
      movies: IdTable.fromIds(movies.ids),
      moviesFile: itemFile,
      users: IdTable.fromIds(users.ids),
      addUsers: false,
      usersFile: userFile,
      chunkBytes: options.chunkBytes,
      onProgress: options.onProgress && ((p) => options.onProgress?.({ phase: "parse", ...p })),
    },
  );
  return buildDataset({ name: options.name ?? "ml-100k", source: dir, ratings, movies, users, userIds: users.ids, ratingScale: scale });
}
