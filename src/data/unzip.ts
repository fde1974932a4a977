// Safe streaming unzip on Node's zlib: reads the central directory, rejects entries escaping the target, checks CRC-32 and sizes.
import * as fs from "fs";
import * as path from "path";
import { Transform, TransformCallback } from "stream";
import { pipeline } from "stream/promises";
import * as zlib from "zlib";
import { DataFormatError, UnsafeZipEntryError } from "./errors";
import type { ProgressCallback } from "./progress";

/** One entry of a zip's central directory. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
  readonly encrypted: boolean;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

function corrupt(file: string, expected: string, found: string | null = null): never {
  throw new DataFormatError(file, null, expected, found, "the archive is corrupt or truncated");
}

/** Reads and checks the central directory of `file` (zip64 aware). Does not validate entry names; see {@link checkEntryName}. */
export function readZipDirectory(file: string): ZipEntry[] {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 22) corrupt(file, "a zip archive (at least 22 bytes)", `${size} bytes`);
    const tailLen = Math.min(size, 22 + 65535);
    const tail = readAt(fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd === -1) corrupt(file, "a zip end-of-central-directory record", "none");
    if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0)
      corrupt(file, "a single-volume zip", "a multi-volume archive");
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locPos = size - tailLen + eocd - 20;
      if (locPos < 0) corrupt(file, "a zip64 end-of-central-directory locator", "none");
      const loc = readAt(fd, locPos, 20);
      if (loc.readUInt32LE(0) !== ZIP64_LOCATOR_SIG) corrupt(file, "a zip64 end-of-central-directory locator", "none");
      const recPos = Number(loc.readBigUInt64LE(8));
      const rec = readAt(fd, recPos, 56);
      if (rec.length < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) corrupt(file, "a zip64 end-of-central-directory record", "none");
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > size) corrupt(file, `a central directory inside the file (${size} bytes)`, `offset ${cdOffset} + ${cdSize}`);
    if (cdSize > 256 * 1024 * 1024) corrupt(file, "a central directory under 256 MiB", `${cdSize} bytes`);
    const cd = readAt(fd, cdOffset, cdSize);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDH_SIG)
        corrupt(file, `central directory entry ${k + 1} of ${count}`, "something else");
      const madeBy = cd.readUInt16LE(p + 4);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressed = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const external = cd.readUInt32LE(p + 38);
      let offset = cd.readUInt32LE(p + 42);
      const nameBuf = cd.subarray(p + 46, p + 46 + nameLen);
      const name = nameBuf.toString(flags & 0x800 ? "utf8" : "latin1");
      // zip64 extended information: the 0xFFFFFFFF fields, in order.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (uncompressed === 0xffffffff) {
            uncompressed = Number(cd.readBigUInt64LE(q));
            q += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = Number(cd.readBigUInt64LE(q));
            q += 8;
          }
          if (offset === 0xffffffff) offset = Number(cd.readBigUInt64LE(q));
        }
        e += 4 + len;
      }
      const unixMode = madeBy >> 8 === 3 ? external >>> 16 : 0;
      entries.push({
        name,
        method,
        crc32: crc,
        compressedSize,
        size: uncompressed,
        localHeaderOffset: offset,
        isDirectory: name.endsWith("/") || name.endsWith("\\"),
        isSymlink: (unixMode & 0o170000) === 0o120000,
        encrypted: (flags & 1) === 1,
      });
      p = eEnd + commentLen;
    }
    return entries;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Throws an {@link UnsafeZipEntryError} unless `name` is a plain relative path that stays inside `destDir`:
 * no absolute path, drive letter, "..", NUL byte, symlink or encryption.
 */
export function checkEntryName(zipFile: string, entry: Pick<ZipEntry, "name" | "isSymlink" | "encrypted">, destDir: string): string {
  const name = entry.name;
  const where = `${zipFile}:${name}`;
  const expected = "an entry path inside the target folder";
  if (name === "" || name.includes("\0")) throw new UnsafeZipEntryError(where, null, expected, "an empty name or NUL byte");
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name))
    throw new UnsafeZipEntryError(where, null, expected, `absolute path ${JSON.stringify(name)}`);
  if (name.split(/[\\/]/).some((seg) => seg === ".."))
    throw new UnsafeZipEntryError(where, null, expected, `${JSON.stringify(name)} with a ".." segment (zip slip)`);
  if (entry.isSymlink) throw new UnsafeZipEntryError(where, null, "regular files and folders", "a symbolic link");
  if (entry.encrypted) throw new UnsafeZipEntryError(where, null, "an unencrypted entry", "an encrypted one");
  const root = path.resolve(destDir);
  const target = path.resolve(root, name.replace(/\\/g, "/"));
  const rel = path.relative(root, target);
  if (rel.startsWith("..") || path.isAbsolute(rel)) throw new UnsafeZipEntryError(where, null, expected, `a path resolving to ${target}`);
  return target;
}

/** Counts bytes and CRC-32 of what flows through, failing as soon as the declared size is exceeded. */
class Verifier extends Transform {
  private crc = 0;
  private bytes = 0;
  constructor(
    private readonly where: string,
    private readonly entry: ZipEntry,
    private readonly onBytes: (n: number) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.entry.size) {
      cb(new DataFormatError(this.where, null, `${this.entry.size} bytes as the central directory declares`, `more`));
      return;
    }
    this.crc = zlib.crc32(chunk, this.crc);
    this.onBytes(chunk.length);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.bytes !== this.entry.size)
      cb(new DataFormatError(this.where, null, `${this.entry.size} bytes`, `${this.bytes}`, "the archive is corrupt or truncated"));
    else if (this.crc >>> 0 !== this.entry.crc32 >>> 0)
      cb(
        new DataFormatError(
          this.where,
          null,
          `CRC-32 ${this.entry.crc32.toString(16)}`,
          (this.crc >>> 0).toString(16),
          "the archive is corrupt",
        ),
      );
    else cb();
  }
}

/** Options of {@link extractZip}. */
export interface ExtractOptions {
  /** When every entry sits under one top-level folder (as GroupLens zips do: "ml-100k/u.data"), drop it. Default true. */
  readonly stripTopFolder?: boolean;
  readonly onProgress?: ProgressCallback;
}

/**
 * Extracts `zipFile` into `destDir`. Every entry is validated before anything is written, so an unsafe archive writes
 * nothing. Returns the extracted files' paths. Use inside `writeDirAtomic` to make the whole folder appear at once.
 */
export async function extractZip(zipFile: string, destDir: string, options: ExtractOptions = {}): Promise<string[]> {
  const entries = readZipDirectory(zipFile).filter((e) => !e.name.startsWith("__MACOSX/"));
  for (const e of entries) checkEntryName(zipFile, e, destDir);
  let prefix = "";
  if (options.stripTopFolder !== false && entries.length > 0) {
    const first = entries[0].name.split("/")[0];
    if (first && entries.every((e) => e.name === `${first}/` || e.name.startsWith(`${first}/`))) prefix = `${first}/`;
  }
  const total = entries.reduce((s, e) => s + (e.isDirectory ? 0 : e.size), 0);
  let done = 0;
  const written: string[] = [];
  const fd = fs.openSync(zipFile, "r");
  let zipSize: number;
  try {
    zipSize = fs.fstatSync(fd).size;
  } finally {
    fs.closeSync(fd);
  }
  for (const e of entries) {
    const rel = e.name.slice(prefix.length);
    if (rel === "") continue;
    const target = checkEntryName(zipFile, { ...e, name: rel }, destDir);
    if (e.isDirectory) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    const where = `${zipFile}:${e.name}`;
    if (e.method !== 0 && e.method !== 8)
      throw new DataFormatError(where, null, "compression method 0 (stored) or 8 (deflate)", String(e.method));
    const lfd = fs.openSync(zipFile, "r");
    let head: Buffer;
    try {
      head = readAt(lfd, e.localHeaderOffset, 30);
    } finally {
      fs.closeSync(lfd);
    }
    if (head.length < 30 || head.readUInt32LE(0) !== LFH_SIG) corrupt(where, "a local file header", null);
    const dataStart = e.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    if (dataStart + e.compressedSize > zipSize)
      corrupt(where, `entry data inside the archive (${zipSize} bytes)`, `${dataStart + e.compressedSize}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const verifier = new Verifier(where, e, (n) => {
      done += n;
      options.onProgress?.({ phase: "unzip", file: where, bytes: done, totalBytes: total });
    });
    if (e.size === 0) {
      if (e.crc32 !== 0) corrupt(where, "CRC-32 0 for an empty entry", e.crc32.toString(16));
      fs.writeFileSync(target, new Uint8Array(0), { flag: "wx" });
    } else {
      if (e.compressedSize === 0) corrupt(where, `compressed data for ${e.size} bytes`, "none");
      const src = fs.createReadStream(zipFile, { start: dataStart, end: dataStart + e.compressedSize - 1 });
      const out = fs.createWriteStream(target, { flags: "wx" });
      if (e.method === 8) await pipeline(src, zlib.createInflateRaw(), verifier, out);
      else await pipeline(src, verifier, out);
    }
    written.push(target);
  }
  return written;
}
