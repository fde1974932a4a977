// Progress reporting for downloads, unzipping and parsing, plus a TTY-aware stderr progress bar that never spams logs.

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

/** Where the bar draws: by default process.stderr. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string): boolean;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

/**
 * A progress bar on stderr. On a TTY it redraws one line at most every `intervalMs`;
 * elsewhere (CI logs, notebooks) it prints one line per 10 % step, so at most ~11 lines per phase.
 * Call `done()` to finish the line.
 */
export function stderrProgressBar(
  label: string,
  options: { stream?: ProgressStream; intervalMs?: number } = {},
): ProgressCallback & { done(): void } {
  const stream: ProgressStream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const interval = options.intervalMs ?? 100;
  let lastDraw = 0;
  let lastStep = -1;
  let drawn = false;
  let last: DataProgress | null = null;

  const render = (p: DataProgress): string => {
    const total = p.totalBytes;
    const f = p.unit === "ratings" ? (n: number): string => `${n.toLocaleString("en-US")} ratings` : formatBytes;
    if (total && total > 0) {
      const frac = Math.min(1, p.bytes / total);
      const width = 24;
      const fill = Math.round(frac * width);
      return `${label} ${p.phase} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${f(p.bytes)}/${f(total)}`;
    }
    return `${label} ${p.phase} ${f(p.bytes)}`;
  };

  const cb = ((p: DataProgress): void => {
    last = p;
    if (tty) {
      const now = Date.now();
      const finished = p.totalBytes !== null && p.bytes >= p.totalBytes;
      if (!finished && now - lastDraw < interval) return;
      lastDraw = now;
      stream.write(`\r${render(p).padEnd(Math.min(stream.columns ?? 80, 100) - 1)}`);
      drawn = true;
    } else {
      if (!p.totalBytes) return;
      const step = Math.floor((10 * p.bytes) / p.totalBytes);
      if (step <= lastStep) return;
      lastStep = step;
      stream.write(`${render(p)}\n`);
    }
  }) as ProgressCallback & { done(): void };
  cb.done = (): void => {
    if (tty && drawn) {
      if (last) stream.write(`\r${render(last).padEnd(Math.min(stream.columns ?? 80, 100) - 1)}`);
      stream.write("\n");
    }
    drawn = false;
  };
  return cb;
}
