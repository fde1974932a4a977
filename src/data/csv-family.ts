// CSV-family loader (ml-latest-small, ml-latest, ml-20m, ml-25m, ml-32m): ratings.csv, movies.csv, tags.csv, links.csv (UTF-8).
import * as fs from "fs";
import * as path from "path";
import { IdTable, buildDataset } from "./columnar";
import { DataFormatError, MissingFileError } from "./errors";
import type { FormatLoadOptions } from "./ml100k";
import { parseRatingsFile } from "./ratings-parser";
import { NO_GENRES_LABEL, buildMovies, checkUniqueId } from "./tables";
import { decodeText, parseCsv, parseIntField, readFileOrThrow } from "./text";
import type { Dataset, Links, Movies, Ratings, Tags } from "./types";

/** The CSV family's header rows. */
export const CSV_HEADERS = {
  ratings: ["userId", "movieId", "rating", "timestamp"],
  movies: ["movieId", "title", "genres"],
  tags: ["userId", "movieId", "tag", "timestamp"],
  links: ["movieId", "imdbId", "tmdbId"],
} as const;

/** Options of {@link loadMovieLensCsv}. */
export interface CsvLoadOptions extends FormatLoadOptions {
  /** Read tags.csv when present (default true). */
  readonly tags?: boolean;
  /** Read links.csv when present (default true). */
  readonly links?: boolean;
}

/**
 * Parses movies.csv (`movieId,title,genres`; quoted titles; `(no genres listed)` -> no genres).
 * The vocabulary is the sorted set of genres the file uses.
 */
export function parseCsvMovies(file: string): Movies {
  const text = decodeText(readFileOrThrow(file, "the movie list movies.csv"), file, "utf8");
  const idList: number[] = [];
  const rawTitles: string[] = [];
  const genres: string[][] = [];
  const names = new Set<string>();
  const seen = new Set<number>();
  parseCsv(text, file, CSV_HEADERS.movies, (f, line) => {
    const id = parseIntField(f[0], file, line, "movieId");
    checkUniqueId(seen, id, file, line, "movieId");
    idList.push(id);
    if (f[1] === "") throw new DataFormatError(file, line, "a title", "an empty field");
    rawTitles.push(f[1]);
    const g = f[2] === NO_GENRES_LABEL || f[2] === "" ? [] : f[2].split("|");
    for (const name of g) {
      if (name === "" || name === NO_GENRES_LABEL) throw new DataFormatError(file, line, "'|'-separated genre names", JSON.stringify(f[2]));
      names.add(name);
    }
    genres.push(g);
  });
  const vocabulary = [...names].sort();
  return buildMovies(Int32Array.from(idList), rawTitles, genres, vocabulary);
}

/** Parses tags.csv (`userId,movieId,tag,timestamp`; tags may be quoted). Ids stay original. */
export function parseTags(file: string): Tags {
  const text = decodeText(readFileOrThrow(file, "tags.csv"), file, "utf8");
  const users: number[] = [];
  const movies: number[] = [];
  const tag: string[] = [];
  const ts: number[] = [];
  parseCsv(text, file, CSV_HEADERS.tags, (f, line) => {
    users.push(parseIntField(f[0], file, line, "userId"));
    movies.push(parseIntField(f[1], file, line, "movieId"));
    tag.push(f[2]);
    ts.push(parseIntField(f[3], file, line, "timestamp", 4294967295));
  });
  return { userId: Int32Array.from(users), movieId: Int32Array.from(movies), tag, timestamp: Uint32Array.from(ts), length: tag.length };
}

/** Parses links.csv (`movieId,imdbId,tmdbId`; tmdbId may be empty -> -1). */
export function parseLinks(file: string): Links {
  const text = decodeText(readFileOrThrow(file, "links.csv"), file, "utf8");
  const movies: number[] = [];
  const imdb: string[] = [];
  const tmdb: number[] = [];
  parseCsv(text, file, CSV_HEADERS.links, (f, line) => {
    movies.push(parseIntField(f[0], file, line, "movieId"));
    if (!/^\d+$/.test(f[1])) throw new DataFormatError(file, line, "a numeric imdbId", JSON.stringify(f[1]));
    imdb.push(f[1]);
    tmdb.push(f[2] === "" ? -1 : parseIntField(f[2], file, line, "tmdbId"));
  });
  return { movieId: Int32Array.from(movies), imdbId: imdb, tmdbId: Int32Array.from(tmdb), length: imdb.length };
}

/** Renumbers dense user indices so that they follow ascending original ids (file order independent). */
function sortUserIndices(ratings: Ratings, ids: Int32Array): Int32Array {
  let sorted = true;
  for (let i = 1; i < ids.length; i++) if (ids[i] < ids[i - 1]) sorted = false;
  if (sorted) return ids;
  const order = Array.from(ids.keys()).sort((a, b) => ids[a] - ids[b]);
  const remap = new Int32Array(ids.length);
  const newIds = new Int32Array(ids.length);
  order.forEach((oldIdx, newIdx) => {
    remap[oldIdx] = newIdx;
    newIds[newIdx] = ids[oldIdx];
  });
  const u = ratings.user;
  for (let i = 0; i < u.length; i++) u[i] = remap[u[i]];
  return newIds;
}

/**
 * Loads a CSV-family dataset from `dir`. Users are the distinct userIds of ratings.csv, indexed in ascending id order;
 * movies are movies.csv's rows in file order. Ratings are 0.5..5 in half stars.
 */
export function loadMovieLensCsv(dir: string, options: CsvLoadOptions = {}): Dataset {
  const moviesFile = path.join(dir, "movies.csv");
  const ratingsFile = path.join(dir, "ratings.csv");
  if (!fs.existsSync(ratingsFile)) throw new MissingFileError(ratingsFile, null, "the ratings file ratings.csv to exist", "no such file");
  const movies = parseCsvMovies(moviesFile);
  const users = new IdTable(1 << 16, 1 << 12);
  const scale = { min: 0.5, max: 5 };
  const ratings = parseRatingsFile(
    ratingsFile,
    { separator: ",", header: CSV_HEADERS.ratings.join(","), scale },
    {
      movies: IdTable.fromIds(movies.ids),
      moviesFile,
      users,
      addUsers: true,
      chunkBytes: options.chunkBytes,
      onProgress: options.onProgress && ((p) => options.onProgress?.({ phase: "parse", ...p })),
    },
  );
  const userIds = sortUserIndices(ratings, users.ids());
  const tagsFile = path.join(dir, "tags.csv");
  const linksFile = path.join(dir, "links.csv");
  const tags = options.tags !== false && fs.existsSync(tagsFile) ? parseTags(tagsFile) : null;
  const links = options.links !== false && fs.existsSync(linksFile) ? parseLinks(linksFile) : null;
  return buildDataset({
    name: options.name ?? path.basename(path.resolve(dir)),
    source: dir,
    ratings,
    movies,
    users: null,
    userIds,
    ratingScale: scale,
    tags,
    links,
  });
}
