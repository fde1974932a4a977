// Shared test fixtures for the viz tests (ml-latest-small movie table, synthetic movies/users, PNG decoding), plus their own sanity tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import type { Movies, Users } from "../../src/data/types";
import { Rng } from "../../src/util/random";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const MOVIES_CSV = path.join(REPO_ROOT, "data", "ml-latest-small", "movies.csv");

/** Splits one CSV line with optional double-quoted fields ("" escapes a quote). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(field);
      field = "";
    } else field += c;
  }
  out.push(field);
  return out;
}

/** Builds a Movies table from raw titles ("Title (1999)") and genre lists. */
export function makeMovies(rawTitles: string[], genres: string[][]): Movies {
  const titles: string[] = [];
  const years: (number | null)[] = [];
  for (const raw of rawTitles) {
    const m = /^(.*?)\s*\((\d{4})(?:[–-]\d{0,4})?\)\s*$/.exec(raw);
    titles.push(m ? m[1] : raw.trim());
    years.push(m ? Number(m[2]) : null);
  }
  const vocab = [...new Set(genres.flat())].sort();
  const matrix = new Uint8Array(rawTitles.length * vocab.length);
  genres.forEach((list, i) => list.forEach((g) => (matrix[i * vocab.length + vocab.indexOf(g)] = 1)));
  return {
    ids: Int32Array.from(rawTitles.map((_, i) => i + 1)),
    titles,
    rawTitles,
    years,
    genres,
    genreVocabulary: vocab,
    genreMatrix: matrix,
  };
}

let smallMovies: Movies | null = null;

/** The ml-latest-small movie table, parsed quickly from movies.csv (cached). */
export function loadSmallMovies(): Movies {
  if (smallMovies) return smallMovies;
  const lines = fs
    .readFileSync(MOVIES_CSV, "utf8")
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l.length > 0);
  const rawTitles: string[] = [];
  const genres: string[][] = [];
  for (const line of lines) {
    const [, title, g] = splitCsvLine(line);
    rawTitles.push(title);
    genres.push(g === "(no genres listed)" ? [] : g.split("|"));
  }
  smallMovies = makeMovies(rawTitles, genres);
  return smallMovies;
}

/**
 * Random 2-D coordinates for the movies: a Gaussian blob around a random centre per primary genre, so a
 * scatter looks like an embedding projection (the real projections come from src/viz/projection).
 */
export function randomMovieCoords(movies: Movies, seed = 7): Float32Array {
  const rng = new Rng(seed);
  const centres = new Map<string, [number, number]>();
  for (const g of [...movies.genreVocabulary, "(none)"]) centres.set(g, [rng.normal() * 6, rng.normal() * 6]);
  const out = new Float32Array(movies.titles.length * 2);
  movies.genres.forEach((list, i) => {
    const c = centres.get(list[0] ?? "(none)")!;
    out[2 * i] = c[0] + rng.normal() * 2.2;
    out[2 * i + 1] = c[1] + rng.normal() * 2.2;
  });
  return out;
}

/** Uniform random points, flat [x0, y0, x1, y1, ...]. */
export function randomCoords(n: number, seed = 1): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < out.length; i++) out[i] = rng.next() * 10 - 5;
  return out;
}

/** A small synthetic Users table (ml-1m style demographics). */
export function makeUsers(n: number, seed = 3): Users {
  const rng = new Rng(seed);
  const brackets: [number, string][] = [
    [1, "Under 18"],
    [18, "18-24"],
    [25, "25-34"],
    [35, "35-44"],
    [45, "45-49"],
    [50, "50-55"],
    [56, "56+"],
  ];
  const occupations = ["programmer", "writer", "artist", "scientist", "<b>other</b>"];
  const age = new Int16Array(n);
  const ageBracket: string[] = [];
  const gender: ("M" | "F")[] = [];
  const occupation: string[] = [];
  for (let i = 0; i < n; i++) {
    const [a, label] = brackets[rng.int(brackets.length)];
    age[i] = a;
    ageBracket.push(label);
    gender.push(rng.next() < 0.5 ? "F" : "M");
    occupation.push(occupations[rng.int(occupations.length)]);
  }
  return {
    ids: Int32Array.from({ length: n }, (_, i) => i + 1),
    gender,
    age,
    ageBracket,
    occupation,
    zip: new Array<string>(n).fill("00000"),
  };
}

/** Every string anywhere inside `value` (keys excluded). */
export function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) allStrings(v, out);
  return out;
}

/** Decoded facts about a PNG file. */
export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** Number of distinct pixel values (capped at 100 000). */
  distinctPixels: number;
  /** Share of pixels that are not (near) white. */
  nonWhiteShare: number;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Parses and fully decodes an 8-bit RGB/RGBA non-interlaced PNG (IHDR, inflate IDAT, undo the row filters). */
export function decodePng(png: Buffer): PngInfo {
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), "PNG signature");
  let pos = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = 0;
  let interlace = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString("latin1", pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  assert.equal(bitDepth, 8, "8-bit PNG expected");
  assert.ok(colorType === 2 || colorType === 6, `RGB or RGBA PNG expected, got colour type ${colorType}`);
  assert.equal(interlace, 0, "non-interlaced PNG expected");
  const bpp = colorType === 6 ? 4 : 3;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  assert.equal(raw.length, height * (stride + 1), "inflated IDAT size");
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? pixels[dst + x - bpp] : 0;
      const b = y > 0 ? pixels[dst - stride + x] : 0;
      const c = x >= bpp && y > 0 ? pixels[dst - stride + x - bpp] : 0;
      let v = raw[src + x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[dst + x] = v & 255;
    }
  }
  const distinct = new Set<number>();
  let nonWhite = 0;
  for (let i = 0; i < pixels.length; i += bpp) {
    const r = pixels[i];
    const g = pixels[i + 1];
    const b = pixels[i + 2];
    if (distinct.size < 100000) distinct.add((r << 16) | (g << 8) | b);
    if (r < 240 || g < 240 || b < 240) nonWhite++;
  }
  return { width, height, bitDepth, colorType, distinctPixels: distinct.size, nonWhiteShare: nonWhite / (width * height) };
}

// The self-tests run only when this file is the test entry point, not when other test files import the fixtures.
const isEntry = require.main === module;

if (isEntry) {
  test("fixtures: ml-latest-small movies parse with titles, years and genres", () => {
    const movies = loadSmallMovies();
    assert.equal(movies.titles.length, 9742);
    assert.equal(movies.titles[0], "Toy Story");
    assert.equal(movies.years[0], 1995);
    assert.deepEqual(movies.genres[0], ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]);
    assert.ok(movies.genreVocabulary.includes("Sci-Fi"));
    assert.ok(!movies.genreVocabulary.includes("(no genres listed)"));
  });

  test("fixtures: PNG decoder undoes filters (round trip through a hand-made PNG)", () => {
    const width = 3;
    const height = 2;
    const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    const chunk = (type: string, data: Buffer): Buffer => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      return Buffer.concat([len, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr[8] = 8;
    ihdr[9] = 2;
    const png = Buffer.concat([PNG_SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
    const info = decodePng(png);
    assert.equal(info.width, 3);
    assert.equal(info.height, 2);
    // Row 2 is "up"-filtered (deltas to row 1): red, green, then (0,0,255)+(1,1,1) = (1,1,0). Distinct: red, green, blue, (1,1,0).
    assert.equal(info.distinctPixels, 4);
  });
}
