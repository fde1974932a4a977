// Error classes of the data layer: every bad input names the file, the line (when there is one) and what was expected.

/** Base class of every data-layer error. `line` is 1-based (header included), or null when no line applies. */
export class DataError extends Error {
  override name = "DataError";
  /** The file (or URL / archive entry) at fault. */
  readonly file: string;
  /** 1-based line number in `file`, or null when the problem is not tied to a line. */
  readonly line: number | null;
  /** What the reader expected to find. */
  readonly expected: string;
  /** What it found instead (shortened), when known. */
  readonly found: string | null;

  constructor(file: string, line: number | null, expected: string, found: string | null = null, hint?: string) {
    const where = line === null ? file : `${file}:${line}`;
    const got = found === null ? "" : `, found ${found}`;
    super(`${where}: expected ${expected}${got}${hint ? ` (${hint})` : ""}`);
    this.file = file;
    this.line = line;
    this.expected = expected;
    this.found = found;
  }
}

/** A file's content does not match its format (separator, field count, number, range, unknown id, header...). */
export class DataFormatError extends DataError {
  override name = "DataFormatError";
}

/** Text in the wrong encoding: invalid UTF-8, UTF-8 where Latin-1 is expected, U+FFFD or "Ã©"-style mojibake. */
export class EncodingError extends DataFormatError {
  override name = "EncodingError";
}

/** A file the dataset needs is not there. */
export class MissingFileError extends DataError {
  override name = "MissingFileError";
}

/** A download's SHA-256 differs from the pinned one, or no checksum is pinned and unverified downloads are not allowed. */
export class ChecksumError extends DataError {
  override name = "ChecksumError";
}

/** A zip entry would land outside the target folder (absolute path, "..", symlink) or the archive is malformed. */
export class UnsafeZipEntryError extends DataError {
  override name = "UnsafeZipEntryError";
}

/** An HTTP download failed or was interrupted. */
export class DownloadError extends DataError {
  override name = "DownloadError";
}

/** Shortens `text` for an error message and makes control characters visible. */
export function describeFound(text: string, max = 80): string {
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(shown);
}
