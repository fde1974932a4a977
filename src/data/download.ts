// Downloads a GroupLens zip with progress, verifies its pinned SHA-256 (or GroupLens's published MD5), and unpacks it safely and atomically into data/<name>/.
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import { Transform, TransformCallback } from "stream";
import { pipeline } from "stream/promises";
import { writeDirAtomic } from "../util/atomic";
import { DATASET_FORMATS, PINNED_MD5, PINNED_SHA256, REQUIRED_FILES, datasetUrl, repoDataDir } from "./catalog";
import { ChecksumError, DownloadError, MissingFileError } from "./errors";
import { ProgressCallback, stderrProgressBar } from "./progress";
import type { DatasetName } from "./types";
import { extractZip } from "./unzip";

/** Options of {@link downloadFile}. */
export interface DownloadFileOptions {
  /** Expected SHA-256 (hex). null = none pinned: refused unless `allowUnverified`. */
  readonly sha256: string | null;
  /** Expected MD5 (hex) as GroupLens publishes it; checked when no SHA-256 is pinned. */
  readonly md5?: string | null;
  /** Accept a download whose checksum cannot be verified (no pinned value). A mismatch is never accepted. */
  readonly allowUnverified?: boolean;
  readonly onProgress?: ProgressCallback;
  /** Idle timeout per request in ms (default 60 s). */
  readonly timeoutMs?: number;
  /** Redirects to follow (default 5). */
  readonly maxRedirects?: number;
}

/** What {@link downloadFile} fetched. */
export interface DownloadedFile {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  /** True when the SHA-256 matched a pinned value. */
  readonly verified: boolean;
}

/** Temp files of downloads in flight, removed if the process exits mid-download. */
const inFlight = new Set<string>();
let exitHookInstalled = false;
function track(tmp: string): void {
  inFlight.add(tmp);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const f of inFlight) fs.rmSync(f, { force: true });
    });
  }
}
function untrack(tmp: string): void {
  inFlight.delete(tmp);
  fs.rmSync(tmp, { force: true });
}

function get(url: string, timeoutMs: number, redirectsLeft: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new DownloadError(url, null, "a valid http(s) URL", JSON.stringify(url)));
      return;
    }
    const mod = parsed.protocol === "https:" ? https : parsed.protocol === "http:" ? http : null;
    if (!mod) {
      reject(new DownloadError(url, null, "an http: or https: URL", parsed.protocol));
      return;
    }
    const req = mod.get(parsed, { headers: { "user-agent": "movielens-embedding-lab" } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirectsLeft <= 0) {
          reject(new DownloadError(url, null, "at most a few redirects", "too many"));
          return;
        }
        get(new URL(res.headers.location, parsed).toString(), timeoutMs, redirectsLeft - 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new DownloadError(url, null, "HTTP 200", `HTTP ${status}`));
        return;
      }
      res.setTimeout(timeoutMs, () => res.destroy(new DownloadError(url, null, `data within ${timeoutMs} ms`, "a stalled connection")));
      resolve(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new DownloadError(url, null, `a response within ${timeoutMs} ms`, "none")));
    req.on("error", (err) => reject(err instanceof DownloadError ? err : new DownloadError(url, null, "a completed HTTP request", err.message)));
  });
}

/**
 * Downloads `url` to `target` atomically: streams into a temporary file beside it while hashing, checks the length and
 * the SHA-256, then renames. On any failure (HTTP error, interruption, checksum) nothing is left behind.
 */
export async function downloadFile(url: string, target: string, options: DownloadFileOptions): Promise<DownloadedFile> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.part`);
  track(tmp);
  try {
    const res = await get(url, options.timeoutMs ?? 60_000, options.maxRedirects ?? 5);
    const lengthHeader = res.headers["content-length"];
    const expectedBytes = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    const hash = crypto.createHash("sha256");
    const md5Hash = crypto.createHash("md5");
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
        bytes += chunk.length;
        hash.update(chunk);
        md5Hash.update(chunk);
        options.onProgress?.({ phase: "download", file: url, bytes, totalBytes: expectedBytes });
        cb(null, chunk);
      },
    });
    try {
      await pipeline(res, meter, fs.createWriteStream(tmp, { flags: "wx" }));
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      throw new DownloadError(url, null, `the complete file${expectedBytes !== null ? ` (${expectedBytes} bytes)` : ""}`, `an interrupted transfer after ${bytes} bytes (${(err as Error).message})`);
    }
    if (expectedBytes !== null && bytes !== expectedBytes) {
      throw new DownloadError(url, null, `${expectedBytes} bytes (Content-Length)`, `${bytes} bytes: the transfer was interrupted`);
    }
    const sha256 = hash.digest("hex");
    const md5 = md5Hash.digest("hex");
    const pinned = options.sha256 === null ? null : options.sha256.toLowerCase();
    const pinnedMd5 = options.md5 ? options.md5.toLowerCase() : null;
    if (pinned !== null && sha256 !== pinned) {
      throw new ChecksumError(url, null, `SHA-256 ${pinned}`, sha256, "the download is corrupt or not the published file; it was deleted");
    }
    if (pinned === null && pinnedMd5 !== null && md5 !== pinnedMd5) {
      throw new ChecksumError(url, null, `MD5 ${pinnedMd5} (published by GroupLens)`, md5, "the download is corrupt or not the published file; it was deleted");
    }
    if (pinned === null && pinnedMd5 === null && !options.allowUnverified) {
      throw new ChecksumError(
        url,
        null,
        "a pinned SHA-256 to verify the download against",
        `none pinned (the download's SHA-256 is ${sha256})`,
        "check that value against a trusted source and pin it, or pass allowUnverified: true; the download was deleted",
      );
    }
    fs.renameSync(tmp, target);
    inFlight.delete(tmp);
    return { file: target, bytes, sha256, verified: pinned !== null || pinnedMd5 !== null };
  } finally {
    untrack(tmp);
  }
}

/** Options of {@link downloadDataset}. */
export interface DownloadOptions {
  /** Folder receiving `<name>/` (and `downloads/<name>.zip` while unpacking). Default: the repo's data/. */
  readonly dataDir?: string;
  /** Override the GroupLens URL (tests, mirrors). */
  readonly url?: string;
  /** Override the pinned SHA-256 (null = none). Default: {@link PINNED_SHA256}[name]. */
  readonly sha256?: string | null;
  /** Unpack even though no checksum is pinned (a mismatch against a pinned value is never accepted). */
  readonly allowUnverified?: boolean;
  /** Progress callback; default: a stderr progress bar (unless `progress: false`). */
  readonly onProgress?: ProgressCallback;
  readonly progress?: boolean;
  /** Download again even when data/<name>/ already holds the dataset. */
  readonly force?: boolean;
  /** Keep data/downloads/<name>.zip after unpacking (default false). */
  readonly keepArchive?: boolean;
  readonly timeoutMs?: number;
}

/**
 * Downloads `name` from GroupLens into `<dataDir>/<name>/` and returns that folder. Steps: download to a temp file
 * (checksum verified, renamed into data/downloads/), validate every zip entry, extract into a temp folder, check the
 * dataset's required files, rename the folder into place. Any failure leaves neither the zip nor a partial folder.
 */
export async function downloadDataset(name: DatasetName, options: DownloadOptions = {}): Promise<string> {
  const format = DATASET_FORMATS[name];
  if (!format) throw new RangeError(`downloadDataset: unknown dataset ${JSON.stringify(name)}`);
  const dataDir = options.dataDir ?? repoDataDir();
  const target = path.join(dataDir, name);
  const required = REQUIRED_FILES[format];
  if (!options.force && required.every((f) => fs.existsSync(path.join(target, f)))) return target;
  const url = options.url ?? datasetUrl(name);
  const bar = options.onProgress === undefined && options.progress !== false ? stderrProgressBar(name) : null;
  const onProgress = options.onProgress ?? bar ?? undefined;
  const zip = path.join(dataDir, "downloads", `${name}.zip`);
  let ok = false;
  try {
    const got = await downloadFile(url, zip, {
      sha256: options.sha256 !== undefined ? options.sha256 : PINNED_SHA256[name],
      md5: options.sha256 !== undefined ? null : PINNED_MD5[name],
      allowUnverified: options.allowUnverified,
      onProgress,
      timeoutMs: options.timeoutMs,
    });
    if (!got.verified) process.stderr.write(`warning: ${name}.zip unpacked without checksum verification (SHA-256 ${got.sha256})\n`);
    await writeDirAtomic(target, async (tmpDir) => {
      await extractZip(zip, tmpDir, { onProgress });
      const absent = required.filter((f) => !fs.existsSync(path.join(tmpDir, f)));
      if (absent.length) throw new MissingFileError(`${url}:${absent[0]}`, null, `${name}'s files ${required.join(", ")} in the archive`, `missing ${absent.join(", ")}`);
    });
    ok = true;
    return target;
  } finally {
    bar?.done();
    if (!ok || !options.keepArchive) {
      fs.rmSync(zip, { force: true });
      try {
        fs.rmdirSync(path.dirname(zip)); // only when empty
      } catch {
        /* not empty or already gone */
      }
    }
  }
}
