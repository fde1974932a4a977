// Text helpers for the small MovieLens files: strict decoding (Latin-1 / UTF-8 with mojibake checks), lines, CSV records, title/year.
import * as fs from "fs";
import { DataFormatError, EncodingError, MissingFileError, describeFound } from "./errors";

/** The encodings GroupLens files come in. */
export type TextEncodingName = "utf8" | "latin1";

/** Reads a whole file, turning a missing file into a {@link MissingFileError} that says what the file is for. */
export function readFileOrThrow(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new MissingFileError(file, null, `${what} to exist`, "no such file");
    throw err;
  }
}

/** Returns the offset of the first byte that breaks UTF-8, or -1 when `buf[start..end)` is valid UTF-8. */
export function firstInvalidUtf8(buf: Uint8Array, start = 0, end = buf.length): number {
  let i = start;
  while (i < end) {
    const c = buf[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= end) return i;
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const d = buf[i + k];
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** 1-based line number of byte `offset` in `buf`. */
export function lineOfByte(buf: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < buf.length; i++) if (buf[i] === 10) line++;
  return line;
}

/** 1-based line number of character `index` in `text`. */
export function lineOfChar(text: string, index: number): number {
  let line = 1;
  let p = text.indexOf("\n");
  while (p !== -1 && p < index) {
    line++;
    p = text.indexOf("\n", p + 1);
  }
  return line;
}

function lineTextAt(text: string, index: number): string {
  const s = text.lastIndexOf("\n", index - 1) + 1;
  let e = text.indexOf("\n", index);
  if (e === -1) e = text.length;
  return text.slice(s, e).replace(/\r$/, "");
}

/** U+FFFD, or a UTF-8 sequence that was decoded as Latin-1/CP1252 and re-encoded ("Ã©" for "é"). */
const MOJIBAKE = /\uFFFD|[\u00C2-\u00DF][\u0080-\u00BF]|[\u00E0-\u00EF][\u0080-\u00BF]{2}/;

/** Throws an {@link EncodingError} when decoded `text` holds U+FFFD or double-encoded ("Ã©"-style) sequences. */
export function assertNoMojibake(text: string, file: string, encoding: TextEncodingName): void {
  const m = MOJIBAKE.exec(text);
  if (!m) return;
  const line = lineOfChar(text, m.index);
  const what =
    m[0] === "\uFFFD" ? "a U+FFFD replacement character" : `mojibake ${JSON.stringify(m[0])} (UTF-8 bytes decoded with the wrong encoding)`;
  throw new EncodingError(
    file,
    line,
    `clean ${encoding === "utf8" ? "UTF-8" : "Latin-1"} text`,
    `${what} in ${describeFound(lineTextAt(text, m.index))}`,
  );
}

/**
 * Decodes a GroupLens text file strictly.
 * - "utf8": invalid UTF-8 is an error (e.g. a Latin-1 file where UTF-8 is expected); a leading BOM is dropped.
 * - "latin1": a file with bytes >= 0x80 that is nevertheless valid UTF-8 is an error (re-encoded copy).
 * Both reject U+FFFD and "Ã©"-style mojibake.
 */
export function decodeText(buf: Buffer, file: string, encoding: TextEncodingName): string {
  let text: string;
  if (encoding === "utf8") {
    const start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    const bad = firstInvalidUtf8(buf, start);
    if (bad !== -1) {
      throw new EncodingError(
        file,
        lineOfByte(buf, bad),
        "UTF-8 text",
        `byte 0x${buf[bad].toString(16).padStart(2, "0")} that is not valid UTF-8`,
        "is the file Latin-1? the CSV family is UTF-8",
      );
    }
    text = buf.toString("utf8", start);
  } else {
    let firstHigh = -1;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] >= 0x80) {
        firstHigh = i;
        break;
      }
    }
    if (firstHigh !== -1 && firstInvalidUtf8(buf, firstHigh) === -1) {
      throw new EncodingError(
        file,
        lineOfByte(buf, firstHigh),
        "Latin-1 (ISO-8859-1) text as GroupLens distributes it",
        "UTF-8 multi-byte sequences",
        "the file looks re-encoded to UTF-8; use the original Latin-1 file",
      );
    }
    text = buf.toString("latin1");
  }
  assertNoMojibake(text, file, encoding);
  return text;
}

/** Throws when non-empty `text` does not end with a newline: the last line would be a truncated record. */
export function assertEndsWithNewline(text: string, file: string): void {
  if (text.length > 0 && text.charCodeAt(text.length - 1) !== 10) {
    const lines = text.split("\n");
    throw new DataFormatError(
      file,
      lines.length,
      "every line to end with a newline",
      `a last line without one: ${describeFound(lines[lines.length - 1])}`,
      "the file looks truncated",
    );
  }
}

/** Splits decoded text into lines (LF or CRLF), requiring a final newline. Line i of the result is file line i+1. */
export function splitLines(text: string, file: string): string[] {
  if (text.length === 0) return [];
  assertEndsWithNewline(text, file);
  const lines = text.slice(0, -1).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/**
 * Parses RFC 4180 CSV text with a required header row: quoted fields may hold commas, doubled quotes and newlines;
 * LF or CRLF. Calls `onRecord(fields, line)` for every data row (`line` = 1-based line where the row starts).
 * A row that repeats the header, a wrong field count or a stray quote is a {@link DataFormatError}.
 */
export function parseCsv(text: string, file: string, header: readonly string[], onRecord: (fields: string[], line: number) => void): void {
  if (text.length === 0) throw new DataFormatError(file, 1, `the header row ${describeFound(header.join(","))}`, "an empty file");
  assertEndsWithNewline(text, file);
  const headerText = header.join(",");
  let pos = 0;
  let line = 1;
  const n = text.length;
  const nFields = header.length;
  let first = true;
  while (pos < n) {
    const startLine = line;
    let nl = text.indexOf("\n", pos);
    if (nl === -1) nl = n;
    let raw = text.slice(pos, nl);
    if (raw.length > 0 && raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
    let fields: string[];
    if (raw.indexOf('"') === -1) {
      fields = raw.split(",");
      pos = nl + 1;
      line++;
    } else {
      // Quoted fields: scan character by character, possibly across newlines.
      fields = [];
      let p = pos;
      let field = "";
      for (;;) {
        if (text.charCodeAt(p) === 34) {
          p++;
          for (;;) {
            if (p >= n) throw new DataFormatError(file, startLine, "a closing quote", "end of file inside a quoted field");
            const ch = text.charCodeAt(p);
            if (ch === 34) {
              if (text.charCodeAt(p + 1) === 34) {
                field += '"';
                p += 2;
                continue;
              }
              p++;
              break;
            }
            if (ch === 10) line++;
            field += text[p];
            p++;
          }
          const after = text.charCodeAt(p);
          if (after !== 44 && after !== 10 && !(after === 13 && text.charCodeAt(p + 1) === 10)) {
            throw new DataFormatError(file, line, "',' or end of line after a closing quote", describeFound(text.slice(p, p + 20)));
          }
        } else {
          let e = p;
          while (e < n) {
            const ch = text.charCodeAt(e);
            if (ch === 44 || ch === 10 || (ch === 13 && text.charCodeAt(e + 1) === 10)) break;
            if (ch === 34)
              throw new DataFormatError(file, line, "a quote only at the start of a field", describeFound(lineTextAt(text, p)));
            e++;
          }
          field = text.slice(p, e);
          p = e;
        }
        fields.push(field);
        field = "";
        const ch = text.charCodeAt(p);
        if (ch === 44) {
          p++;
          continue;
        }
        if (ch === 13) p++;
        p++; // the newline
        line++;
        break;
      }
      pos = p;
    }
    if (first) {
      first = false;
      if (fields.join(",") !== headerText) {
        throw new DataFormatError(file, startLine, `the header row ${describeFound(headerText)}`, describeFound(raw));
      }
      continue;
    }
    if (fields.length === nFields && fields[0] === header[0] && fields.join(",") === headerText) {
      throw new DataFormatError(file, startLine, "a data row", "the header row again (duplicated header)");
    }
    if (fields.length !== nFields) {
      throw new DataFormatError(
        file,
        startLine,
        `${nFields} comma-separated fields (${headerText})`,
        `${fields.length}: ${describeFound(raw)}`,
        fields.length === 1 ? "wrong separator?" : undefined,
      );
    }
    onRecord(fields, startLine);
  }
  if (first) throw new DataFormatError(file, 1, `the header row ${describeFound(headerText)}`, "an empty file");
}

/** Parses a whole non-negative decimal integer field, or throws naming the field. */
export function parseIntField(text: string, file: string, line: number, what: string, max = 2147483647): number {
  if (!/^\d{1,10}$/.test(text)) throw new DataFormatError(file, line, `an integer ${what}`, describeFound(text));
  const v = Number(text);
  if (v > max) throw new DataFormatError(file, line, `${what} <= ${max}`, describeFound(text));
  return v;
}

/** A title split into its name and release year. */
export interface TitleYear {
  readonly title: string;
  readonly year: number | null;
}

const YEAR_AT_END = /^(.*?)\s*\((\d{4})(?:\s*[-\u2013]\s*(?:\d{4})?)?\)\s*$/;
const YEAR_THEN_SUFFIX = /^(.*?)\s*\((\d{4})\)\s*(\([^()]*\))\s*$/;

/**
 * Splits a MovieLens title into title and year: "Toy Story (1995)" -> {"Toy Story", 1995};
 * "Death Note (2006–2007)" -> year 2006; "Land Before Time III (1995) (V)" -> {"Land Before Time III (V)", 1995};
 * "Babylon 5" -> year null. Trailing spaces are dropped.
 */
export function splitTitleYear(raw: string): TitleYear {
  let m = YEAR_AT_END.exec(raw);
  if (m) return { title: m[1].trim(), year: Number(m[2]) };
  m = YEAR_THEN_SUFFIX.exec(raw);
  if (m) return { title: `${m[1].trim()} ${m[3]}`, year: Number(m[2]) };
  return { title: raw.trim(), year: null };
}
