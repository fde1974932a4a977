// Progress reports of the data layer (download, unzip, parse, generate) and their adapter to the lab's one progress display (util/progress.ts).
import * as path from "path";
import type { WorkProgress } from "../util/progress";

/** One progress report. `totalBytes` is null when unknown (e.g. no Content-Length). */
export interface DataProgress {
  readonly phase: "download" | "unzip" | "parse" | "generate";
  /** File, URL or archive entry being processed. */
  readonly file: string;
  readonly bytes: number;
  readonly totalBytes: number | null;
  /** What `bytes` counts: bytes (default) or ratings (phase "generate"). */
  readonly unit?: "bytes" | "ratings";
}

/** A progress callback. */
export type ProgressCallback = (p: DataProgress) => void;

/**
 * Shows the data layer's reports on a progress display (a notebook display updated in place, a terminal bar, or log
 * lines at every 10 %): each new phase or file begins a new piece of work on the same display, titled
 * "<label> <phase> <file name>". Call `done()` to finish the last one.
 */
export function dataProgress(label: string, progress: WorkProgress): ProgressCallback & { done(): void } {
  let current: string | null = null;
  const cb = ((p: DataProgress): void => {
    const key = `${p.phase}\u0000${p.file}`;
    if (key !== current) {
      if (current !== null) progress.finish();
      current = key;
      const name = path.basename(p.file.replace(/[?#].*$/, "")) || p.file;
      progress.begin({ title: `${label} ${p.phase} ${name}`, total: p.totalBytes, unit: p.unit ?? "bytes" });
    }
    progress.update(p.bytes);
  }) as ProgressCallback & { done(): void };
  cb.done = (): void => {
    if (current !== null) progress.finish();
    current = null;
  };
  return cb;
}
