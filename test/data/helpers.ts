// Shared test helpers for the data layer: locating the shared MovieLens folder, temp folders, and building zip files.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestContext } from "node:test";
import * as zlib from "node:zlib";

/** The repository root (test/data is two levels down). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The committed ml-latest-small copy. */
export const SMALL_DIR = path.join(REPO_ROOT, "data", "ml-latest-small");

/**
 * The shared MovieLens folder: $MOVIELENS_DIR, else `<repo>/../shared/data/movielens`. When it is missing the calling
 * test fails with a clear message, unless MOVIELENS_ALLOW_MISSING_SHARED=1, in which case it is skipped (returns null).
 */
export function sharedDir(t: TestContext): string | null {
  const dir = process.env.MOVIELENS_DIR ?? path.resolve(REPO_ROOT, "..", "shared", "data", "movielens");
  if (fs.existsSync(path.join(dir, "ml-100k", "u.data"))) return dir;
  const msg =
    `the shared MovieLens folder ${dir} (with ml-100k/, ml-1m/, ml-latest-small/) is missing: ` +
    "set MOVIELENS_DIR to it, or MOVIELENS_ALLOW_MISSING_SHARED=1 to skip the tests that need it";
  if (process.env.MOVIELENS_ALLOW_MISSING_SHARED === "1") {
    t.skip(msg);
    return null;
  }
  assert.fail(msg);
}

/** A fresh temporary folder, removed after the test. */
export function tempDir(t: TestContext, prefix = "ml-data-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One entry of a zip built by {@link buildZip}. */
export interface ZipSpec {
  readonly name: string;
  readonly data?: string | Buffer;
  /** 0 = stored, 8 = deflate (default). */
  readonly method?: 0 | 8;
  /** Unix mode in the external attributes (e.g. 0o120777 for a symlink). */
  readonly mode?: number;
}

/** Builds a zip archive in memory (local headers, central directory, end record), as a test fixture. */
export function buildZip(entries: readonly ZipSpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? "", "utf8");
    const method = e.name.endsWith("/") ? 0 : (e.method ?? 8);
    const comp = method === 8 ? zlib.deflateRawSync(data) : data;
    const crc = zlib.crc32(data) >>> 0;
    const name = Buffer.from(e.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, comp);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(comp.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? (e.name.endsWith("/") ? 0o40755 : 0o100644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Every file and folder under `dir`, relative, sorted. */
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      out.push(path.relative(dir, p));
      if (fs.statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Writes ml-100k in exactly the ML-1M format into `dir`: ratings.dat (UserID::MovieID::Rating::Timestamp), movies.dat
 * (MovieID::Title::Genres, Latin-1, pipe-separated) from u.item's flags, and users.dat as the real ml-1m file's first 943
 * users (ids 1..943, as in ml-100k). `shared` is the shared MovieLens folder. ML-1M's own ratings are not on this machine.
 */
export function writeMl100kAsMl1m(shared: string, dir: string): void {
  const src = path.join(shared, "ml-100k");
  const data = fs.readFileSync(path.join(src, "u.data"), "latin1");
  fs.writeFileSync(path.join(dir, "ratings.dat"), data.replace(/\t/g, "::"), "latin1");
  const genres = fs
    .readFileSync(path.join(src, "u.genre"), "latin1")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("|")[0]);
  const items = fs.readFileSync(path.join(src, "u.item"), "latin1").split("\n").filter(Boolean);
  const movies = items.map((l) => {
    const f = l.split("|");
    const g = genres.filter((_, k) => f[5 + k] === "1");
    return `${f[0]}::${f[1]}::${g.join("|")}\n`;
  });
  fs.writeFileSync(path.join(dir, "movies.dat"), movies.join(""), "latin1");
  const users = fs
    .readFileSync(path.join(shared, "ml-1m", "users.dat"), "latin1")
    .split("\n")
    .slice(0, 943);
  fs.writeFileSync(path.join(dir, "users.dat"), users.join("\n") + "\n", "latin1");
}
