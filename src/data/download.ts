// Downloads a GroupLens zip with progress (through HTTP(S)_PROXY, retrying and resuming with Range), verifies its pinned SHA-256 (or GroupLens's published MD5), and unpacks it safely and atomically into data/<name>/.
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { setTimeout as sleep } from "timers/promises";
import { writeDirAtomic } from "../util/atomic";
import { DATASET_FORMATS, PINNED_MD5, PINNED_SHA256, REQUIRED_FILES, datasetUrl, repoDataDir } from "./catalog";
import { ChecksumError, DownloadError, MissingFileError } from "./errors";
import { ProxyTunnelError, TlsCa, describeProxy, proxyForUrl, requestOnce } from "./http-client";
import { ProgressMode, WorkProgress, createWorkProgress } from "../util/progress";
import { ProgressCallback, dataProgress } from "./progress";
import type { DatasetName } from "./types";
import { extractZip } from "./unzip";

/** One retry of {@link downloadFile}, reported through `onRetry` before it waits and tries again. */
export interface DownloadRetry {
  readonly url: string;
  /** The attempt that failed (1-based); the next request is attempt `attempt + 1`. */
  readonly attempt: number;
  /** Retries allowed in all (the `retries` option). */
  readonly retries: number;
  /** The wait before the next attempt, in ms. */
  readonly delayMs: number;
  /** Bytes kept in the temporary file: the next request asks for the rest from here (Range), or from 0 when restarting. */
  readonly bytes: number;
  readonly totalBytes: number | null;
  /** Why the attempt failed. */
  readonly cause: string;
}

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
  /**
   * Retries after a network error, a cut or stalled transfer, HTTP 408 / 429 / 5xx, or a resume the server answered
   * inconsistently (default 5). Other HTTP errors (404...) fail at once.
   */
  readonly retries?: number;
  /** Wait before the first retry in ms (default 1000), doubled before each next one (up to 30 s). */
  readonly retryDelayMs?: number;
  /** Told about each retry before its wait (e.g. to log it). */
  readonly onRetry?: (retry: DownloadRetry) => void;
  /** Certificate authorities (PEM) trusted for https: URLs instead of Node's bundled list (a private mirror, a test server). */
  readonly ca?: TlsCa;
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

/** A failed attempt worth retrying (network error, cut or stalled body, HTTP 408/429/5xx, inconsistent resume). */
class TransientError extends Error {
  override name = "TransientError";
}

/** Node error codes that no retry can fix: certificate problems, TLS spoken to a plain port, invalid request options. */
const PERMANENT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH|ERR_SSL_WRONG_VERSION_NUMBER|^ERR_INVALID_/;

/** Turns a failed request into a permanent DownloadError or a TransientError naming the proxy when there is one. */
function requestFailure(url: string, proxy: URL | null, err: unknown): Error {
  const via = proxy !== null ? ` (via proxy ${describeProxy(proxy)})` : "";
  if (err instanceof ProxyTunnelError) {
    const s = err.statusCode;
    if (s >= 400 && s < 500 && s !== 408 && s !== 429) return new DownloadError(url, null, "a tunnel through the proxy", err.message);
    return new TransientError(err.message);
  }
  const e = err as NodeJS.ErrnoException;
  const message = e instanceof Error ? e.message : String(err);
  if (typeof e?.code === "string" && PERMANENT_CODES.test(e.code))
    return new DownloadError(url, null, "a completed HTTP request", `${message}${via}`);
  return new TransientError(`${message}${via}`);
}

/** The response at the end of the redirects, and the URL that gave it. */
interface Fetched {
  readonly res: http.IncomingMessage;
  readonly url: string;
}

/**
 * GETs `url`, following redirects; every hop goes through the proxy the environment gives for it (so an http: URL
 * redirecting to https: switches from absolute-form to a CONNECT tunnel). Resolves with the first non-redirect response
 * whatever its status. Rejects with a DownloadError for what no retry fixes, a TransientError otherwise.
 */
async function get(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  maxRedirects: number,
  ca: TlsCa | undefined,
): Promise<Fetched> {
  let current = url;
  for (let hop = 0; ; hop++) {
    let parsed: URL;
    try {
      parsed = new URL(current);
    } catch {
      throw new DownloadError(current, null, "a valid http(s) URL", JSON.stringify(current));
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
      throw new DownloadError(current, null, "an http: or https: URL", parsed.protocol);
    let proxy: URL | null;
    try {
      proxy = proxyForUrl(parsed);
    } catch (err) {
      throw new DownloadError(current, null, "a usable proxy setting", (err as Error).message);
    }
    let res: http.IncomingMessage;
    try {
      res = await requestOnce(parsed, { proxy, headers, timeoutMs, ca });
    } catch (err) {
      throw requestFailure(current, proxy, err);
    }
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location) {
      res.resume();
      if (hop >= maxRedirects) throw new DownloadError(current, null, "at most a few redirects", "too many");
      try {
        current = new URL(location, parsed).toString();
      } catch {
        throw new DownloadError(current, null, "a valid redirect Location", JSON.stringify(location));
      }
      continue;
    }
    return { res, url: current };
  }
}

/** `bytes start-end/total` (total may be `*`), or null when absent or malformed. */
function parseContentRange(value: string | undefined): { start: number; end: number; total: number | null } | null {
  const m = value === undefined ? null : /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value.trim());
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === "*" ? null : Number(m[3]);
  if (end < start || (total !== null && end >= total)) return null;
  return { start, end, total };
}

/** A strong ETag, else Last-Modified: what If-Range may carry (a weak ETag may not). */
function validatorOf(res: http.IncomingMessage): string | null {
  const etag = res.headers.etag;
  if (etag && !/^W\//i.test(etag)) return etag;
  return res.headers["last-modified"] ?? null;
}

/** The temporary file of one download and the hashes of exactly the bytes written to it. */
class PartialFile {
  bytes = 0;
  /** Length of the whole file, when the server said (Content-Length of a 200, Content-Range of a 206). */
  total: number | null = null;
  /** ETag or Last-Modified of the response the file started from, sent back as If-Range when resuming. */
  validator: string | null = null;
  sha256 = crypto.createHash("sha256");
  md5 = crypto.createHash("md5");

  constructor(private readonly fh: fs.promises.FileHandle) {}

  /** Writes `chunk` at the end, then hashes it: the hashes never cover bytes that are not in the file. */
  async append(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off, this.bytes + off);
      off += bytesWritten;
    }
    this.bytes += chunk.length;
    this.sha256.update(chunk);
    this.md5.update(chunk);
  }

  /** Empties the file to start again from byte 0. */
  async restart(): Promise<void> {
    await this.fh.truncate(0);
    this.bytes = 0;
    this.total = null;
    this.validator = null;
    this.sha256 = crypto.createHash("sha256");
    this.md5 = crypto.createHash("md5");
  }
}

/**
 * One attempt: asks for the whole file, or for the rest when `part` holds some (Range + If-Range), and writes the body
 * into `part`. Returns when `part` holds the complete file; throws a TransientError to retry, anything else to give up.
 */
async function fetchInto(url: string, part: PartialFile, options: DownloadFileOptions, tmp: string): Promise<void> {
  const headers: Record<string, string> = { "user-agent": "movielens-embedding-lab" };
  const resumeAt = part.bytes;
  if (resumeAt > 0) {
    headers.range = `bytes=${resumeAt}-`;
    if (part.validator !== null) headers["if-range"] = part.validator;
  }
  const { res, url: finalUrl } = await get(url, headers, options.timeoutMs ?? 60_000, options.maxRedirects ?? 5, options.ca);
  try {
    const status = res.statusCode ?? 0;
    if (status === 206) {
      const range = parseContentRange(res.headers["content-range"]);
      if (range === null || range.start !== resumeAt || (part.total !== null && range.total !== null && range.total !== part.total)) {
        res.destroy();
        await part.restart();
        throw new TransientError(
          `the server answered Range bytes=${resumeAt}- with Content-Range ${JSON.stringify(res.headers["content-range"] ?? null)}; restarting from byte 0`,
        );
      }
      if (range.total !== null) part.total = range.total;
      if (resumeAt === 0) part.validator = validatorOf(res);
    } else if (status === 200) {
      if (resumeAt > 0) await part.restart(); // Range ignored, or the file changed (If-Range): this body is the whole file
      const length = res.headers["content-length"];
      part.total = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
      part.validator = validatorOf(res);
    } else if (status === 416 && resumeAt > 0) {
      res.resume();
      await part.restart();
      throw new TransientError(`the server refused Range bytes=${resumeAt}- (HTTP 416); restarting from byte 0`);
    } else if (status === 408 || status === 429 || (status >= 500 && status < 600)) {
      res.resume();
      throw new TransientError(`HTTP ${status} from ${finalUrl}`);
    } else {
      res.resume();
      throw new DownloadError(finalUrl, null, resumeAt > 0 ? "HTTP 200 or 206" : "HTTP 200", `HTTP ${status}`);
    }
    const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        throw new TransientError(`an interrupted transfer after ${part.bytes} bytes (${(err as Error).message})`);
      }
      if (next.done) break;
      try {
        await part.append(next.value);
      } catch (err) {
        throw new DownloadError(url, null, `room to write ${tmp}`, (err as Error).message);
      }
      options.onProgress?.({ phase: "download", file: url, bytes: part.bytes, totalBytes: part.total });
    }
    if (!res.complete) throw new TransientError(`an interrupted transfer after ${part.bytes} bytes (the connection closed early)`);
    if (part.total !== null && part.bytes !== part.total) {
      if (part.bytes > part.total) {
        const cause = `${part.bytes} bytes where the server announced ${part.total}; restarting from byte 0`;
        await part.restart();
        throw new TransientError(cause);
      }
      throw new TransientError(`an interrupted transfer after ${part.bytes} of ${part.total} bytes`);
    }
  } finally {
    if (!res.complete) res.destroy();
  }
}

/**
 * Downloads `url` to `target` atomically: streams into a temporary file beside it (`.<name>.<pid>.<random>.part`)
 * while hashing, checks the length and the checksum, then renames. The proxy comes from HTTPS_PROXY / HTTP_PROXY /
 * NO_PROXY (see {@link proxyForUrl}).
 *
 * A network error, a cut or stalled body, HTTP 408 / 429 / 5xx are retried up to `retries` times with exponential
 * backoff; a retry resumes where the temporary file ends (`Range`, plus `If-Range` with the first response's ETag or
 * Last-Modified), and starts again from byte 0 when the server ignores the range (200), refuses it (416) or answers a
 * different one. The checksum covers every byte of the final file. Resuming happens within one call only: on any
 * failure (retries exhausted, HTTP error, checksum) the temporary file is deleted and no final file appears.
 */
export async function downloadFile(url: string, target: string, options: DownloadFileOptions): Promise<DownloadedFile> {
  const retries = options.retries ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  if (!Number.isInteger(retries) || retries < 0)
    throw new RangeError(`downloadFile: retries must be a non-negative integer, got ${retries}`);
  if (!(retryDelayMs >= 0)) throw new RangeError(`downloadFile: retryDelayMs must be >= 0, got ${retryDelayMs}`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.part`);
  track(tmp);
  let fh: fs.promises.FileHandle | null = null;
  try {
    fh = await fs.promises.open(tmp, "wx");
    const part = new PartialFile(fh);
    for (let attempt = 1; ; attempt++) {
      try {
        await fetchInto(url, part, options, tmp);
        break;
      } catch (err) {
        if (!(err instanceof TransientError)) throw err;
        if (attempt > retries) {
          throw new DownloadError(
            url,
            null,
            `the complete file${part.total !== null ? ` (${part.total} bytes)` : ""}`,
            `${part.bytes} bytes received after ${attempt} attempt${attempt === 1 ? "" : "s"}; last error: ${err.message}`,
            `gave up after ${retries} ${retries === 1 ? "retry" : "retries"}; the partial download was deleted`,
          );
        }
        const delayMs = Math.min(retryDelayMs * 2 ** (attempt - 1), Math.max(retryDelayMs, 30_000));
        options.onRetry?.({ url, attempt, retries, delayMs, bytes: part.bytes, totalBytes: part.total, cause: err.message });
        await sleep(delayMs);
      }
    }
    await fh.close();
    fh = null;
    const bytes = part.bytes;
    const sha256 = part.sha256.digest("hex");
    const md5 = part.md5.digest("hex");
    const pinned = options.sha256 === null ? null : options.sha256.toLowerCase();
    const pinnedMd5 = options.md5 ? options.md5.toLowerCase() : null;
    if (pinned !== null && sha256 !== pinned) {
      throw new ChecksumError(url, null, `SHA-256 ${pinned}`, sha256, "the download is corrupt or not the published file; it was deleted");
    }
    if (pinned === null && pinnedMd5 !== null && md5 !== pinnedMd5) {
      throw new ChecksumError(
        url,
        null,
        `MD5 ${pinnedMd5} (published by GroupLens)`,
        md5,
        "the download is corrupt or not the published file; it was deleted",
      );
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
    await fh?.close().catch(() => undefined);
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
  /** Progress callback; default: the lab's progress display (see `progress`). */
  readonly onProgress?: ProgressCallback;
  /**
   * Where progress goes when no `onProgress` is given: a mode ("auto", the default: one display updated in place in a
   * notebook, a bar on a terminal, else log lines), a display, or false for none.
   */
  readonly progress?: boolean | ProgressMode | WorkProgress;
  /** Download again even when data/<name>/ already holds the dataset. */
  readonly force?: boolean;
  /** Keep data/downloads/<name>.zip after unpacking (default false). */
  readonly keepArchive?: boolean;
  readonly timeoutMs?: number;
  /** Retries of a failed or cut transfer, resuming where it stopped (default 5; see {@link downloadFile}). */
  readonly retries?: number;
  /** Wait before the first retry in ms, doubled before each next one (default 1000). */
  readonly retryDelayMs?: number;
  /** Told about each retry; default: a line on the progress display when it is in use. */
  readonly onRetry?: (retry: DownloadRetry) => void;
  /** Certificate authorities (PEM) trusted for https: URLs instead of Node's bundled list. */
  readonly ca?: TlsCa;
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
  const display =
    options.onProgress === undefined && options.progress !== false
      ? createWorkProgress(options.progress === undefined || options.progress === true ? "auto" : options.progress)
      : null;
  const bar = display === null ? null : dataProgress(name, display);
  const onProgress = options.onProgress ?? bar ?? undefined;
  // Lines worth keeping (the proxy in use, retries) go to the same display, on a line of their own.
  const log = display === null ? null : (line: string): void => display.message(line);
  if (log !== null) {
    let proxy: URL | null = null;
    try {
      proxy = proxyForUrl(url);
    } catch {
      /* a bad URL or proxy setting: downloadFile reports it */
    }
    if (proxy !== null) log(`${name}: downloading via proxy ${describeProxy(proxy)}`);
  }
  const onRetry =
    options.onRetry ??
    (log === null
      ? undefined
      : (r: DownloadRetry): void =>
          log(
            `${name}: ${r.cause}; retry ${r.attempt}/${r.retries} in ${r.delayMs < 1000 ? `${r.delayMs} ms` : `${(r.delayMs / 1000).toFixed(1)} s`}${r.bytes > 0 ? `, resuming at byte ${r.bytes}` : ""}`,
          ));
  const zip = path.join(dataDir, "downloads", `${name}.zip`);
  let ok = false;
  try {
    const got = await downloadFile(url, zip, {
      sha256: options.sha256 !== undefined ? options.sha256 : PINNED_SHA256[name],
      md5: options.sha256 !== undefined ? null : PINNED_MD5[name],
      allowUnverified: options.allowUnverified,
      onProgress,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      onRetry,
      ca: options.ca,
    });
    if (!got.verified) {
      const warning = `warning: ${name}.zip unpacked without checksum verification (SHA-256 ${got.sha256})`;
      if (log) log(warning);
      else process.stderr.write(`${warning}\n`);
    }
    await writeDirAtomic(target, async (tmpDir) => {
      await extractZip(zip, tmpDir, { onProgress });
      const absent = required.filter((f) => !fs.existsSync(path.join(tmpDir, f)));
      if (absent.length)
        throw new MissingFileError(
          `${url}:${absent[0]}`,
          null,
          `${name}'s files ${required.join(", ")} in the archive`,
          `missing ${absent.join(", ")}`,
        );
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
