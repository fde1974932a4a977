// Fast byte-wise ratings parser: streams a ratings file in fixed-size chunks and fills the four typed columns directly.
import * as fs from "fs";
import { IdTable, RatingScale, makeRatings } from "./columnar";
import { DataFormatError, MissingFileError, describeFound } from "./errors";
import type { Ratings } from "./types";

/** How a ratings file is laid out: `user<sep>movie<sep>rating<sep>timestamp`, one per line (LF or CRLF). */
export interface RatingsLayout {
  /** "\t" (ml-100k u.data), "::" (ml-1m ratings.dat) or "," (CSV family). */
  readonly separator: "\t" | "::" | ",";
  /** The exact header row the file must start with, or null when it has none. */
  readonly header: string | null;
  /** Ratings outside [min, max] are errors. */
  readonly scale: RatingScale;
  /** Field names used in error messages, e.g. ["userId", "movieId", "rating", "timestamp"]. */
  readonly fieldNames?: readonly [string, string, string, string];
}

/** Byte progress while reading a file. */
export interface FileProgress {
  readonly file: string;
  readonly bytes: number;
  readonly totalBytes: number;
}

/** Options of {@link parseRatingsFile}. */
export interface ParseRatingsOptions {
  /** Movie id -> dense index; an id not in it is an error naming `moviesFile`. */
  readonly movies: IdTable;
  /** The movie table's file, for "unknown movie id" messages. */
  readonly moviesFile: string;
  /** User id -> dense index. New ids are added when `addUsers` is true, otherwise they are errors naming `usersFile`. */
  readonly users: IdTable;
  readonly addUsers: boolean;
  readonly usersFile?: string;
  /** Chunk size in bytes (default 8 MiB): memory stays bounded whatever the file size. */
  readonly chunkBytes?: number;
  readonly onProgress?: (p: FileProgress) => void;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** Growable output columns. */
class Columns {
  user: Int32Array;
  movie: Int32Array;
  rating: Float32Array;
  timestamp: Uint32Array;
  n = 0;
  constructor(capacity: number) {
    this.user = new Int32Array(capacity);
    this.movie = new Int32Array(capacity);
    this.rating = new Float32Array(capacity);
    this.timestamp = new Uint32Array(capacity);
  }
  grow(): void {
    const cap = Math.max(1024, Math.ceil(this.user.length * 1.5));
    const u = new Int32Array(cap);
    u.set(this.user);
    this.user = u;
    const m = new Int32Array(cap);
    m.set(this.movie);
    this.movie = m;
    const r = new Float32Array(cap);
    r.set(this.rating);
    this.rating = r;
    const t = new Uint32Array(cap);
    t.set(this.timestamp);
    this.timestamp = t;
  }
  /** Exactly-sized columns (copies one column at a time when over-allocated, to keep the peak low). */
  finish(): Ratings {
    const n = this.n;
    if (this.user.length !== n) {
      this.user = this.user.slice(0, n);
      this.movie = this.movie.slice(0, n);
      this.rating = this.rating.slice(0, n);
      this.timestamp = this.timestamp.slice(0, n);
    }
    return makeRatings(this.user, this.movie, this.rating, this.timestamp);
  }
}

interface State {
  readonly file: string;
  readonly layout: RatingsLayout;
  readonly names: readonly [string, string, string, string];
  readonly opts: ParseRatingsOptions;
  readonly sep0: number;
  readonly sep1: number;
  out: Columns;
  /** 1-based number of the line being parsed. */
  line: number;
}

function lineText(buf: Uint8Array, start: number, end: number): string {
  let e = start;
  while (e < end && buf[e] !== 10 && e - start < 200) e++;
  let s = Buffer.from(buf.buffer, buf.byteOffset + start, e - start).toString("latin1");
  if (s.endsWith("\r")) s = s.slice(0, -1);
  return s;
}

function sepName(s: State): string {
  return s.layout.separator === "\t" ? "a tab" : `'${s.layout.separator}'`;
}

/** Throws the error for a malformed line (recognising a repeated header and a wrong separator). */
function fail(s: State, buf: Uint8Array, lineStart: number, end: number, expected: string, hint?: string): never {
  const text = lineText(buf, lineStart, end);
  if (s.layout.header !== null && text === s.layout.header) {
    throw new DataFormatError(s.file, s.line, "a rating row", "the header row again (duplicated header)");
  }
  if (!hint) {
    const seps = ["\t", "::", ",", ";", "|", " "].filter((x) => x !== s.layout.separator && text.includes(x));
    if (seps.length && !text.includes(s.layout.separator))
      hint = `wrong separator? the line has ${JSON.stringify(seps[0])} but the format uses ${JSON.stringify(s.layout.separator)}`;
  }
  throw new DataFormatError(s.file, s.line, expected, describeFound(text), hint);
}

function truncated(s: State, buf: Uint8Array, lineStart: number, end: number): never {
  throw new DataFormatError(
    s.file,
    s.line,
    `a complete row (4 fields ending with a newline)`,
    describeFound(lineText(buf, lineStart, end)),
    "the last line is cut off: the file looks truncated",
  );
}

/**
 * Parses complete lines of `buf[pos..end)`; returns the offset of the first unparsed byte (the start of an
 * incomplete last line, which the caller carries into the next chunk). With `eof`, an incomplete line is an error.
 */
function parseLines(buf: Uint8Array, pos: number, end: number, eof: boolean, s: State): number {
  const sep0 = s.sep0;
  const sep1 = s.sep1;
  const out = s.out;
  const users = s.opts.users;
  const movies = s.opts.movies;
  const addUsers = s.opts.addUsers;
  const minR = s.layout.scale.min;
  const maxR = s.layout.scale.max;
  const names = s.names;
  const movieDirect = movies.direct;
  let userDirect = users.direct;
  while (pos < end) {
    const lineStart = pos;
    let c = 0;
    // --- user id
    let uid = 0;
    let nd = 0;
    while (pos < end && (c = buf[pos]) >= 48 && c <= 57) {
      uid = uid * 10 + (c - 48);
      pos++;
      nd++;
    }
    if (pos >= end) {
      if (!eof) return lineStart;
      truncated(s, buf, lineStart, end);
    }
    if (nd === 0 || nd > 10 || uid > 2147483647) fail(s, buf, lineStart, end, `an integer ${names[0]} at the start of the line`);
    if (c !== sep0) fail(s, buf, lineStart, end, `${sepName(s)} after ${names[0]}`);
    pos++;
    if (sep1 >= 0) {
      if (pos >= end) {
        if (!eof) return lineStart;
        truncated(s, buf, lineStart, end);
      }
      if (buf[pos] !== sep1) fail(s, buf, lineStart, end, `${sepName(s)} after ${names[0]}`);
      pos++;
    }
    // --- movie id
    let mid = 0;
    nd = 0;
    while (pos < end && (c = buf[pos]) >= 48 && c <= 57) {
      mid = mid * 10 + (c - 48);
      pos++;
      nd++;
    }
    if (pos >= end) {
      if (!eof) return lineStart;
      truncated(s, buf, lineStart, end);
    }
    if (nd === 0 || nd > 10 || mid > 2147483647) fail(s, buf, lineStart, end, `an integer ${names[1]} after ${names[0]}`);
    if (c !== sep0) fail(s, buf, lineStart, end, `${sepName(s)} after ${names[1]}`);
    pos++;
    if (sep1 >= 0) {
      if (pos >= end) {
        if (!eof) return lineStart;
        truncated(s, buf, lineStart, end);
      }
      if (buf[pos] !== sep1) fail(s, buf, lineStart, end, `${sepName(s)} after ${names[1]}`);
      pos++;
    }
    // --- rating: digits, optionally '.' digits
    let ip = 0;
    nd = 0;
    while (pos < end && (c = buf[pos]) >= 48 && c <= 57) {
      ip = ip * 10 + (c - 48);
      pos++;
      nd++;
    }
    let value = ip;
    if (pos < end && c === 46) {
      pos++;
      let fp = 0;
      let nf = 0;
      while (pos < end && (c = buf[pos]) >= 48 && c <= 57) {
        fp = fp * 10 + (c - 48);
        pos++;
        nf++;
      }
      if (pos >= end) {
        if (!eof) return lineStart;
        truncated(s, buf, lineStart, end);
      }
      if (nf === 0 || nf > 9) fail(s, buf, lineStart, end, `a numeric ${names[2]} in [${minR}, ${maxR}]`);
      value = ip + fp / POW10[nf];
    }
    if (pos >= end) {
      if (!eof) return lineStart;
      truncated(s, buf, lineStart, end);
    }
    if (nd === 0 || nd > 9 || c !== sep0) {
      if (nd > 0 && nd <= 9 && (c === 10 || c === 13)) fail(s, buf, lineStart, end, `4 fields (${names.join(", ")})`, "the row ends early");
      fail(s, buf, lineStart, end, nd === 0 ? `a numeric ${names[2]} in [${minR}, ${maxR}]` : `${sepName(s)} after ${names[2]}`);
    }
    if (value < minR || value > maxR)
      fail(s, buf, lineStart, end, `${names[2]} in [${minR}, ${maxR}]`, `${names[2]} ${value} is out of range`);
    pos++;
    if (sep1 >= 0) {
      if (pos >= end) {
        if (!eof) return lineStart;
        truncated(s, buf, lineStart, end);
      }
      if (buf[pos] !== sep1) fail(s, buf, lineStart, end, `${sepName(s)} after ${names[2]}`);
      pos++;
    }
    // --- timestamp, then end of line
    let ts = 0;
    nd = 0;
    while (pos < end && (c = buf[pos]) >= 48 && c <= 57) {
      ts = ts * 10 + (c - 48);
      pos++;
      nd++;
    }
    if (pos >= end) {
      if (!eof) return lineStart;
      truncated(s, buf, lineStart, end);
    }
    if (nd === 0 || nd > 10 || ts > 4294967295) fail(s, buf, lineStart, end, `an integer ${names[3]} (Unix seconds)`);
    if (c === 13) {
      pos++;
      if (pos >= end) {
        if (!eof) return lineStart;
        truncated(s, buf, lineStart, end);
      }
      c = buf[pos];
    }
    if (c !== 10) fail(s, buf, lineStart, end, `end of line after ${names[3]} (exactly 4 fields)`);
    pos++;
    // --- resolve ids
    const m = mid < movieDirect.length ? movieDirect[mid] : movies.get(mid);
    if (m < 0) {
      throw new DataFormatError(s.file, s.line, `a ${names[1]} listed in ${s.opts.moviesFile}`, `unknown ${names[1]} ${mid}`);
    }
    let u = uid < userDirect.length ? userDirect[uid] : users.get(uid);
    if (u < 0) {
      if (!addUsers) {
        throw new DataFormatError(
          s.file,
          s.line,
          `a ${names[0]} listed in ${s.opts.usersFile ?? "the users file"}`,
          `unknown ${names[0]} ${uid}`,
        );
      }
      u = users.add(uid);
      userDirect = users.direct;
    }
    const n = out.n;
    if (n === out.user.length) out.grow();
    out.user[n] = u;
    out.movie[n] = m;
    out.rating[n] = value;
    out.timestamp[n] = ts;
    out.n = n + 1;
    s.line++;
  }
  return pos;
}

/**
 * Streams a ratings file through the byte parser in chunks, resolving ids to dense indices as it goes.
 * Any malformed line throws a {@link DataFormatError} naming file and line; nothing partial is returned.
 */
export function parseRatingsFile(file: string, layout: RatingsLayout, opts: ParseRatingsOptions): Ratings {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new MissingFileError(file, null, "the ratings file to exist", "no such file");
    throw err;
  }
  try {
    const total = fs.fstatSync(fd).size;
    const chunk = Math.max(1024, opts.chunkBytes ?? 8 * 1024 * 1024);
    const size = Math.min(chunk, total + 1);
    let buf = Buffer.allocUnsafe(size);
    const sepBytes = Buffer.from(layout.separator, "latin1");
    const s: State = {
      file,
      layout,
      names: layout.fieldNames ?? ["userId", "movieId", "rating", "timestamp"],
      opts,
      sep0: sepBytes[0],
      sep1: sepBytes.length > 1 ? sepBytes[1] : -1,
      out: new Columns(0),
      line: 1,
    };
    let filled = 0; // bytes in buf
    let readTotal = 0;
    let first = true;
    for (;;) {
      const got = fs.readSync(fd, buf, filled, buf.length - filled, null);
      readTotal += got;
      filled += got;
      const eof = got === 0 || readTotal >= total;
      let pos = 0;
      if (first) {
        first = false;
        // Estimate the row count from the first chunk's average line length (grown later if short).
        let lines = 0;
        for (let i = 0; i < filled; i++) if (buf[i] === 10) lines++;
        const est = lines > 0 ? Math.ceil((total / filled) * lines * (eof ? 1 : 1.02)) + 16 : 1024;
        s.out = new Columns(est);
        if (filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
        if (layout.header !== null) {
          const nl = buf.indexOf(10, pos);
          if (nl === -1 || nl >= filled) {
            throw new DataFormatError(
              file,
              1,
              `the header row ${describeFound(layout.header)}`,
              filled === 0 ? "an empty file" : describeFound(lineText(buf, pos, filled)),
            );
          }
          const head = lineText(buf, pos, nl + 1);
          if (head !== layout.header)
            throw new DataFormatError(file, 1, `the header row ${describeFound(layout.header)}`, describeFound(head));
          pos = nl + 1;
          s.line = 2;
        }
      }
      const stop = parseLines(buf, pos, filled, eof, s);
      opts.onProgress?.({ file, bytes: readTotal, totalBytes: total });
      if (eof) break;
      // Carry the incomplete last line to the start of the buffer.
      const rest = filled - stop;
      if (rest === buf.length) {
        if (buf.length >= 64 * 1024 * 1024)
          throw new DataFormatError(file, s.line, "a line shorter than 64 MiB", `${rest} bytes without a newline`);
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      } else if (rest > 0) buf.copy(buf, 0, stop, filled);
      filled = rest;
    }
    return s.out.finish();
  } finally {
    fs.closeSync(fd);
  }
}
