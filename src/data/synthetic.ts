// Synthetic MovieLens-shaped datasets for scale work: ML-1M ("::") or ML-25M (CSV) files, power-law popularity, seeded, streamed.
import * as fs from "fs";
import * as path from "path";
import { writeDirAtomic } from "../util/atomic";
import { Rng } from "../util/random";
import { ML1M_GENRES, ML1M_OCCUPATIONS } from "./ml1m";
import type { ProgressCallback } from "./progress";
import { AGE_BRACKETS, NO_GENRES_LABEL } from "./tables";
import { csvQuote } from "../util/csv";

/** Which real format to imitate. */
export type SyntheticFormat = "ml-1m" | "ml-25m";

/** Options of {@link generateSyntheticDataset}. Sizes default to the real dataset's. */
export interface SyntheticOptions {
  readonly format: SyntheticFormat;
  /** Output folder; it appears atomically (written in a temp folder, then renamed). */
  readonly dir: string;
  /** Default 1,000,209 (ml-1m) / 25,000,095 (ml-25m). */
  readonly numRatings?: number;
  /** Default 6,040 / 162,541. */
  readonly numUsers?: number;
  /** Default 3,883 / 62,423. */
  readonly numMovies?: number;
  /** Default 1. */
  readonly seed?: number;
  /** Zipf exponent of movie popularity (weight of the movie at popularity rank k ~ 1/(k+10)^s); default 1. */
  readonly movieExponent?: number;
  /** Pareto tail index of user activity (smaller = heavier tail); default 1.2. */
  readonly userExponent?: number;
  /** Minimum ratings per user, as in MovieLens (default 20, lowered when numRatings/numUsers is smaller). */
  readonly minPerUser?: number;
  /** Line ending of the CSV files (default "\n"; the ML-1M shape always uses "\n"). */
  readonly lineEnding?: "\n" | "\r\n";
  readonly onProgress?: ProgressCallback;
}

/** What was generated. */
export interface SyntheticSummary {
  readonly dir: string;
  readonly format: SyntheticFormat;
  readonly numUsers: number;
  readonly numMovies: number;
  readonly numRatings: number;
  readonly files: string[];
  readonly bytes: number;
}

const DEFAULTS: Record<SyntheticFormat, { ratings: number; users: number; movies: number; idGap: number; t0: number; t1: number }> = {
  "ml-1m": { ratings: 1_000_209, users: 6_040, movies: 3_883, idGap: 0.02, t0: 956_703_932, t1: 1_046_454_590 },
  "ml-25m": { ratings: 25_000_095, users: 162_541, movies: 62_423, idGap: 2.35, t0: 789_652_009, t1: 1_574_327_703 },
};

/** ml-25m's genres (the ML-1M list with "Children" instead of "Children's", plus IMAX). */
const CSV_GENRES = ML1M_GENRES.map((g) => (g === "Children's" ? "Children" : g)).concat(["IMAX"]);

/** Vose alias table: O(1) draws from a discrete distribution. */
class AliasTable {
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  constructor(weights: Float64Array) {
    const n = weights.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i];
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / total;
      (scaled[i] < 1 ? small : large).push(i);
    }
    while (small.length && large.length) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of large) this.prob[i] = 1;
    for (const i of small) this.prob[i] = 1;
  }
  draw(rng: Rng): number {
    const i = rng.int(this.prob.length);
    return rng.next() < this.prob[i] ? i : this.alias[i];
  }
}

/** Splits `total` over users in proportion to Pareto weights, each between `min` and `max` (exact sum). */
function ratingsPerUser(rng: Rng, numUsers: number, total: number, min: number, max: number, tail: number): Int32Array {
  const w = new Float64Array(numUsers);
  for (let u = 0; u < numUsers; u++) w[u] = Math.pow(1 - rng.next(), -1 / tail);
  const counts = new Int32Array(numUsers).fill(min);
  let remaining = total - numUsers * min;
  const capped = new Uint8Array(numUsers);
  for (let round = 0; remaining > 0 && round < 100; round++) {
    let W = 0;
    for (let u = 0; u < numUsers; u++) if (!capped[u]) W += w[u];
    if (W === 0) break;
    const pool = remaining;
    let anyCapped = false;
    for (let u = 0; u < numUsers; u++) {
      if (capped[u]) continue;
      let add = Math.floor((pool * w[u]) / W);
      if (counts[u] + add >= max) {
        add = max - counts[u];
        capped[u] = 1;
        anyCapped = true;
      }
      counts[u] += add;
      remaining -= add;
    }
    if (!anyCapped) break;
  }
  // Hand out the rounding remainder one by one, heaviest users first.
  const order = Array.from(w.keys()).sort((a, b) => w[b] - w[a]);
  for (let k = 0; remaining > 0; k = (k + 1) % numUsers) {
    const u = order[k];
    if (counts[u] < max) {
      counts[u]++;
      remaining--;
    }
  }
  return counts;
}

/** Buffered writer: accumulates text and writes it in ~1 MiB pieces. */
class ChunkWriter {
  private parts: string[] = [];
  private size = 0;
  bytes = 0;
  private readonly fd: number;
  constructor(
    file: string,
    private readonly encoding: "utf8" | "latin1",
  ) {
    this.fd = fs.openSync(file, "wx");
  }
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (!this.parts.length) return;
    const buf = Buffer.from(this.parts.join(""), this.encoding);
    fs.writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/**
 * Writes a synthetic dataset in the real format: ML-1M shape (ratings.dat, movies.dat in Latin-1, users.dat, all "::")
 * or ML-25M shape (ratings.csv, movies.csv with quoted titles and "(no genres listed)", links.csv).
 * Movie popularity is Zipf-like and user activity Pareto-like; everything is drawn from a seeded {@link Rng}.
 * Ratings are generated user by user and streamed to disk, so memory stays small even at 25M ratings.
 */
export async function generateSyntheticDataset(options: SyntheticOptions): Promise<SyntheticSummary> {
  const fmt = options.format;
  const d = DEFAULTS[fmt];
  if (!d) throw new RangeError(`generateSyntheticDataset: unknown format ${JSON.stringify(fmt)}`);
  const numUsers = options.numUsers ?? d.users;
  const numMovies = options.numMovies ?? d.movies;
  const numRatings = options.numRatings ?? d.ratings;
  const maxPerUser = Math.max(1, Math.floor(numMovies / 2));
  if (!(numUsers >= 1 && numMovies >= 2 && numRatings >= numUsers)) {
    throw new RangeError(
      `generateSyntheticDataset: need numUsers >= 1, numMovies >= 2 and numRatings >= numUsers (got ${numUsers}, ${numMovies}, ${numRatings})`,
    );
  }
  if (numRatings > numUsers * maxPerUser)
    throw new RangeError(`generateSyntheticDataset: ${numRatings} ratings do not fit ${numUsers} users x ${maxPerUser} movies each`);
  const minPerUser = Math.min(options.minPerUser ?? 20, Math.floor(numRatings / numUsers), maxPerUser);
  const rng = new Rng(options.seed ?? 1);
  const csv = fmt === "ml-25m";
  const eol = csv ? (options.lineEnding ?? "\n") : "\n";
  const sep = csv ? "," : "::";

  // Movie ids (increasing, with gaps like the real sets), popularity, biases.
  const movieIds = new Int32Array(numMovies);
  let id = 0;
  for (let j = 0; j < numMovies; j++) {
    id += 1 + Math.floor(-Math.log(1 - rng.next()) * d.idGap);
    movieIds[j] = id;
  }
  const rank = rng.permutation(numMovies);
  const s = options.movieExponent ?? 1;
  const weights = new Float64Array(numMovies);
  for (let j = 0; j < numMovies; j++) weights[j] = 1 / Math.pow(rank[j] + 10, s);
  const alias = new AliasTable(weights);
  const movieBias = new Float32Array(numMovies);
  for (let j = 0; j < numMovies; j++) movieBias[j] = rng.normal() * 0.5;
  const counts = ratingsPerUser(rng.fork(), numUsers, numRatings, minPerUser, maxPerUser, options.userExponent ?? 1.2);

  const files: string[] = [];
  let bytes = 0;
  await writeDirAtomic(options.dir, (tmp) => {
    // Movies.
    const vocab = csv ? CSV_GENRES : ML1M_GENRES;
    const mw = new ChunkWriter(path.join(tmp, csv ? "movies.csv" : "movies.dat"), csv ? "utf8" : "latin1");
    if (csv) mw.write(`movieId,title,genres${eol}`);
    for (let j = 0; j < numMovies; j++) {
      const year = 1920 + rng.int(100);
      const k = j + 1;
      const title =
        k % 101 === 0
          ? `The "Quoted" Movie ${k} (${year})`
          : k % 53 === 0
            ? `Café ${k} (${year})`
            : k % 37 === 0
              ? `Movie ${k}, The (${year})`
              : `Synthetic Movie ${k} (${year})`;
      let genres: string;
      if (csv && rng.next() < 0.01) genres = NO_GENRES_LABEL;
      else {
        const n = 1 + rng.int(3);
        const picked = new Set<string>();
        while (picked.size < n) picked.add(vocab[rng.int(vocab.length)]);
        genres = [...picked].join("|");
      }
      mw.write(csv ? `${movieIds[j]},${csvQuote(title)},${genres}${eol}` : `${movieIds[j]}::${title}::${genres}${eol}`);
    }
    mw.close();
    files.push(csv ? "movies.csv" : "movies.dat");
    bytes += mw.bytes;

    // Users (ML-1M shape only: the CSV family has no demographics) and links (CSV only).
    if (!csv) {
      const ages = [...AGE_BRACKETS.keys()];
      const uw = new ChunkWriter(path.join(tmp, "users.dat"), "latin1");
      for (let u = 1; u <= numUsers; u++) {
        uw.write(
          `${u}::${rng.next() < 0.72 ? "M" : "F"}::${ages[rng.int(ages.length)]}::${rng.int(ML1M_OCCUPATIONS.length)}::${String(10000 + rng.int(89999))}\n`,
        );
      }
      uw.close();
      files.push("users.dat");
      bytes += uw.bytes;
    } else {
      const lw = new ChunkWriter(path.join(tmp, "links.csv"), "utf8");
      lw.write(`movieId,imdbId,tmdbId${eol}`);
      for (let j = 0; j < numMovies; j++)
        lw.write(`${movieIds[j]},${String(100000 + j).padStart(7, "0")},${rng.next() < 0.01 ? "" : 1000 + j}${eol}`);
      lw.close();
      files.push("links.csv");
      bytes += lw.bytes;
    }

    // Ratings, user by user, movies sorted by id within a user (as in ml-25m).
    const ratingText: string[] = [];
    for (let h = 0; h <= 10; h++) ratingText.push(csv ? (h / 2).toFixed(1) : String(h));
    const rw = new ChunkWriter(path.join(tmp, csv ? "ratings.csv" : "ratings.dat"), "latin1");
    if (csv) rw.write(`userId,movieId,rating,timestamp${eol}`);
    const stamp = new Int32Array(numMovies).fill(-1);
    const chosen = new Int32Array(maxPerUser);
    let written = 0;
    let nextReport = 0;
    for (let u = 0; u < numUsers; u++) {
      const n = counts[u];
      let got = 0;
      let tries = 0;
      while (got < n) {
        let j = alias.draw(rng);
        if (stamp[j] === u) {
          if (++tries < 20 * n) continue;
          // Popular movies are exhausted for this heavy user: take the next unseen one from a random start.
          j = rng.int(numMovies);
          while (stamp[j] === u) j = (j + 1) % numMovies;
        }
        stamp[j] = u;
        chosen[got++] = j;
      }
      const mine = chosen.subarray(0, n).sort();
      const userBias = rng.normal() * 0.4;
      const start = d.t0 + rng.int(Math.max(1, d.t1 - d.t0));
      const span = Math.min(d.t1 - start, Math.floor(-Math.log(1 - rng.next()) * 86400 * 200));
      for (let k = 0; k < n; k++) {
        const j = mine[k];
        const raw = 3.5 + userBias + movieBias[j] + rng.normal() * 0.9;
        const halfSteps = csv ? Math.min(10, Math.max(1, Math.round(raw * 2))) : 2 * Math.min(5, Math.max(1, Math.round(raw)));
        const ts = start + rng.int(span + 1);
        rw.write(`${u + 1}${sep}${movieIds[j]}${sep}${ratingText[csv ? halfSteps : halfSteps / 2]}${sep}${ts}${eol}`);
      }
      written += n;
      if (options.onProgress && written >= nextReport) {
        options.onProgress({ phase: "generate", file: "ratings", bytes: written, totalBytes: numRatings, unit: "ratings" });
        nextReport = written + Math.ceil(numRatings / 100);
      }
    }
    rw.close();
    files.push(csv ? "ratings.csv" : "ratings.dat");
    bytes += rw.bytes;
    fs.writeFileSync(
      path.join(tmp, "README.txt"),
      `Synthetic ${fmt}-shaped dataset generated by src/data/synthetic.ts (not GroupLens data).\n` +
        `users=${numUsers} movies=${numMovies} ratings=${numRatings} seed=${options.seed ?? 1} movieExponent=${s} userExponent=${options.userExponent ?? 1.2}\n`,
    );
    files.push("README.txt");
  });
  return { dir: options.dir, format: fmt, numUsers, numMovies, numRatings, files, bytes };
}
