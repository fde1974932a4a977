// Shared builders for the movie and user tables: titles/years, genre lists -> multi-hot matrix, age brackets.
import { DataFormatError } from "./errors";
import { splitTitleYear } from "./text";
import type { Movies, Users } from "./types";

/** The genre label the CSV family uses for a movie without genres; it becomes an empty genre list. */
export const NO_GENRES_LABEL = "(no genres listed)";

/** The ml-1m README's age brackets, keyed by the code in users.dat (the bracket's lower bound). */
export const AGE_BRACKETS: ReadonlyMap<number, string> = new Map([
  [1, "Under 18"],
  [18, "18-24"],
  [25, "25-34"],
  [35, "35-44"],
  [45, "45-49"],
  [50, "50-55"],
  [56, "56+"],
]);

/** The ml-1m bracket an age in years falls in (used for ml-100k's exact ages). */
export function ageBracketOf(age: number): string {
  if (age < 18) return "Under 18";
  if (age < 25) return "18-24";
  if (age < 35) return "25-34";
  if (age < 45) return "35-44";
  if (age < 50) return "45-49";
  if (age < 56) return "50-55";
  return "56+";
}

/**
 * Builds the movie table: titles without year, years, and the multi-hot matrix over `vocabulary`.
 * A genre missing from the vocabulary is a programming error (callers build the vocabulary from the file).
 */
export function buildMovies(ids: Int32Array, rawTitles: string[], genres: string[][], vocabulary: string[]): Movies {
  const n = ids.length;
  const titles: string[] = new Array(n);
  const years: (number | null)[] = new Array(n);
  const g = vocabulary.length;
  const genreMatrix = new Uint8Array(n * g);
  const col = new Map<string, number>();
  vocabulary.forEach((name, i) => col.set(name, i));
  for (let i = 0; i < n; i++) {
    const ty = splitTitleYear(rawTitles[i]);
    titles[i] = ty.title;
    years[i] = ty.year;
    for (const name of genres[i]) {
      const j = col.get(name);
      if (j === undefined) throw new RangeError(`buildMovies: genre ${JSON.stringify(name)} is not in the vocabulary`);
      genreMatrix[i * g + j] = 1;
    }
  }
  return { ids, titles, rawTitles, years, genres, genreVocabulary: vocabulary, genreMatrix };
}

/** Keeps the rows `keep` (dense indices, ascending) of a movie table. */
export function subsetMovies(m: Movies, keep: ArrayLike<number>): Movies {
  const n = keep.length;
  const g = m.genreVocabulary.length;
  const ids = new Int32Array(n);
  const genreMatrix = new Uint8Array(n * g);
  const titles: string[] = [];
  const rawTitles: string[] = [];
  const years: (number | null)[] = [];
  const genres: string[][] = [];
  for (let k = 0; k < n; k++) {
    const i = keep[k];
    ids[k] = m.ids[i];
    titles.push(m.titles[i]);
    rawTitles.push(m.rawTitles[i]);
    years.push(m.years[i]);
    genres.push(m.genres[i]);
    genreMatrix.set(m.genreMatrix.subarray(i * g, (i + 1) * g), k * g);
  }
  return { ids, titles, rawTitles, years, genres, genreVocabulary: m.genreVocabulary, genreMatrix };
}

/** The columns of a user table with `n` rows, typed arrays sized and string columns empty (filled by the parsers). */
export function emptyUserColumns(n: number): {
  ids: Int32Array;
  age: Int16Array;
  gender: ("M" | "F")[];
  ageBracket: string[];
  occupation: string[];
  zip: string[];
} {
  return { ids: new Int32Array(n), age: new Int16Array(n), gender: [], ageBracket: [], occupation: [], zip: [] };
}

/** Keeps the rows `keep` (dense indices, ascending) of a user table. */
export function subsetUsers(u: Users, keep: ArrayLike<number>): Users {
  const n = keep.length;
  const { ids, age, gender, ageBracket, occupation, zip } = emptyUserColumns(n);
  for (let k = 0; k < n; k++) {
    const i = keep[k];
    ids[k] = u.ids[i];
    age[k] = u.age[i];
    gender.push(u.gender[i]);
    ageBracket.push(u.ageBracket[i]);
    occupation.push(u.occupation[i]);
    zip.push(u.zip[i]);
  }
  return { ids, gender, age, ageBracket, occupation, zip };
}

/** Throws a {@link DataFormatError} when `id` was seen before in the same file. */
export function checkUniqueId(seen: Set<number>, id: number, file: string, line: number, what: string): void {
  if (seen.has(id)) throw new DataFormatError(file, line, `each ${what} once`, `${what} ${id} again`);
  seen.add(id);
}

/** Parses "M"/"F" or throws. */
export function parseGender(text: string, file: string, line: number): "M" | "F" {
  if (text === "M" || text === "F") return text;
  throw new DataFormatError(file, line, 'gender "M" or "F"', JSON.stringify(text));
}
