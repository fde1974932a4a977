// CSV cells as RFC 4180 writes them.

/** A CSV cell: quoted, with quotes doubled, when it holds a comma, a quote or a line break; else as is. */
export function csvQuote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
