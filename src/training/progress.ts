// Training progress: a terminal bar with ETA, a notebook display that updates in place with a live loss curve, or silence.
import { escapeHtml } from "../util/html";

/** One epoch's numbers. */
export interface EpochLog {
  epoch: number;
  loss: number;
  valLoss: number | null;
  /** Task metrics on the validation set (e.g. rmse, mae, accuracy). */
  metrics: Record<string, number>;
  seconds: number;
}

/** Receives training events. Implementations must be cheap per batch. */
export interface ProgressSink {
  start(info: { title: string; epochs: number; batchesPerEpoch: number }): void;
  batch(epoch: number, batch: number, loss: number): void;
  epochEnd(log: EpochLog, history: EpochLog[]): void;
  end(history: EpochLog[], note?: string): void;
}

/** Where progress goes: "auto" picks the notebook display under tslab, a bar on a terminal, else one line per epoch. */
export type ProgressMode = "auto" | "notebook" | "bar" | "log" | "none";

function fmtTime(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
}

function fmtLog(l: EpochLog): string {
  const parts = [`loss ${l.loss.toFixed(4)}`];
  if (l.valLoss !== null) parts.push(`val_loss ${l.valLoss.toFixed(4)}`);
  for (const [k, v] of Object.entries(l.metrics)) parts.push(`val_${k} ${v.toFixed(4)}`);
  return parts.join("  ");
}

/** Shared bookkeeping: elapsed time, throttling, running mean loss. */
abstract class BaseProgress implements ProgressSink {
  protected title = "";
  protected epochs = 0;
  protected batches = 0;
  protected t0 = 0;
  protected lastDraw = 0;
  protected runningLoss = 0;
  protected runningCount = 0;

  constructor(protected readonly minIntervalMs: number) {}

  start(info: { title: string; epochs: number; batchesPerEpoch: number }): void {
    this.title = info.title;
    this.epochs = info.epochs;
    this.batches = info.batchesPerEpoch;
    this.t0 = Date.now();
    this.lastDraw = 0;
  }

  batch(epoch: number, batch: number, loss: number): void {
    this.runningLoss += loss;
    this.runningCount += 1;
    const now = Date.now();
    if (now - this.lastDraw < this.minIntervalMs && batch + 1 < this.batches) return;
    this.lastDraw = now;
    const done = epoch * this.batches + batch + 1;
    const total = this.epochs * this.batches;
    const elapsed = (now - this.t0) / 1000;
    const eta = (elapsed / done) * (total - done);
    this.drawBatch(epoch, batch, this.runningLoss / this.runningCount, done / total, elapsed, eta);
  }

  epochEnd(log: EpochLog, history: EpochLog[]): void {
    this.runningLoss = 0;
    this.runningCount = 0;
    this.drawEpoch(log, history);
  }

  abstract end(history: EpochLog[], note?: string): void;
  protected abstract drawBatch(epoch: number, batch: number, loss: number, frac: number, elapsed: number, eta: number): void;
  protected abstract drawEpoch(log: EpochLog, history: EpochLog[]): void;
}

/** A single-line bar on a TTY (stderr), redrawn at most 10 times a second. */
export class TerminalProgress extends BaseProgress {
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    super(100);
  }

  protected drawBatch(epoch: number, batch: number, loss: number, frac: number, elapsed: number, eta: number): void {
    const width = 24;
    const fill = Math.round(frac * width);
    const bar = "█".repeat(fill) + "░".repeat(width - fill);
    const line = `${this.title} epoch ${epoch + 1}/${this.epochs} ${bar} ${(frac * 100).toFixed(0)}% loss ${loss.toFixed(4)} ${fmtTime(elapsed)}<${fmtTime(eta)}`;
    this.stream.write(`\r${line.padEnd(110).slice(0, 140)}`);
  }

  protected drawEpoch(log: EpochLog): void {
    this.stream.write(
      `\r${`${this.title} epoch ${log.epoch + 1}/${this.epochs}  ${fmtLog(log)}  (${log.seconds.toFixed(1)}s)`.padEnd(110)}\n`,
    );
  }

  end(history: EpochLog[], note?: string): void {
    if (note) this.stream.write(`${this.title}: ${note}\n`);
  }
}

/** One line per epoch (for logs and CI, where a redrawn bar would spam). */
export class LogProgress extends BaseProgress {
  constructor(private readonly write: (line: string) => void = (l) => console.log(l)) {
    super(Number.POSITIVE_INFINITY);
  }
  protected drawBatch(): void {}
  protected drawEpoch(log: EpochLog): void {
    this.write(`${this.title} epoch ${log.epoch + 1}/${this.epochs}  ${fmtLog(log)}  (${log.seconds.toFixed(1)}s)`);
  }
  end(_history: EpochLog[], note?: string): void {
    if (note) this.write(`${this.title}: ${note}`);
  }
}

/** Discards everything. */
export class SilentProgress implements ProgressSink {
  start(): void {}
  batch(): void {}
  epochEnd(): void {}
  end(): void {}
}

/** An inline SVG of train and validation loss per epoch (no scripts, so it survives saving and nbconvert). */
export function lossCurveSvg(history: EpochLog[], epochs: number, width = 360, height = 150): string {
  const pad = { l: 48, r: 10, t: 10, b: 28 };
  const values = history.flatMap((h) => (h.valLoss === null ? [h.loss] : [h.loss, h.valLoss])).filter(Number.isFinite);
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const span = hi - lo || 1;
  const x = (e: number): number => pad.l + ((width - pad.l - pad.r) * e) / Math.max(1, epochs - 1);
  const y = (v: number): number => pad.t + (height - pad.t - pad.b) * (1 - (v - lo) / span);
  // One polyline; a missing value (e.g. no validation yet) starts a new segment.
  const path = (vals: (number | null)[]): string => {
    let d = "";
    let pen = false;
    vals.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${d ? " " : ""}${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const train = path(history.map((h) => h.loss));
  const val = path(history.map((h) => h.valLoss));
  const dots = (vals: (number | null)[], color: string): string =>
    vals.map((v, i) => (v === null ? "" : `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${color}"/>`)).join("");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" style="font:11px sans-serif">`,
    `<rect x="${pad.l}" y="${pad.t}" width="${width - pad.l - pad.r}" height="${height - pad.t - pad.b}" fill="#fafafa" stroke="#ddd"/>`,
    `<text x="${pad.l - 4}" y="${pad.t + 8}" text-anchor="end">${hi.toPrecision(3)}</text>`,
    `<text x="${pad.l - 4}" y="${height - pad.b}" text-anchor="end">${lo.toPrecision(3)}</text>`,
    `<text x="${(width + pad.l) / 2}" y="${height - 6}" text-anchor="middle">epoch</text>`,
    train ? `<path d="${train}" fill="none" stroke="#0072B2" stroke-width="2"/>` : "",
    val ? `<path d="${val}" fill="none" stroke="#D55E00" stroke-width="2" stroke-dasharray="5,3"/>` : "",
    dots(
      history.map((h) => h.loss),
      "#0072B2",
    ),
    dots(
      history.map((h) => h.valLoss),
      "#D55E00",
    ),
    `<text x="${width - pad.r - 4}" y="${pad.t + 12}" text-anchor="end" fill="#0072B2">train</text>`,
    `<text x="${width - pad.r - 4}" y="${pad.t + 26}" text-anchor="end" fill="#D55E00">validation</text>`,
    `</svg>`,
  ].join("");
}

interface TslabDisplay {
  html(s: string): void;
}

/** A tslab display that is overwritten in place: epoch counter, bar and a live train/validation loss curve. */
export class NotebookProgress extends BaseProgress {
  private history: EpochLog[] = [];
  private status = "";

  constructor(private readonly display: TslabDisplay) {
    super(250);
  }

  override start(info: { title: string; epochs: number; batchesPerEpoch: number }): void {
    super.start(info);
    this.history = [];
    this.status = "starting…";
    this.render();
  }

  private render(): void {
    const last = this.history[this.history.length - 1];
    const frac = this.history.length / Math.max(1, this.epochs);
    const table = last ? `<div style="margin-top:4px">${escapeHtml(fmtLog(last))}</div>` : "";
    this.display.html(
      `<div style="font-family:sans-serif;font-size:12px">` +
        `<b>${escapeHtml(this.title)}</b> — ${escapeHtml(this.status)}` +
        `<div style="width:360px;height:8px;background:#eee;border-radius:4px;margin:4px 0">` +
        `<div style="width:${(frac * 100).toFixed(1)}%;height:8px;background:#0072B2;border-radius:4px"></div></div>` +
        table +
        (this.history.length ? lossCurveSvg(this.history, this.epochs) : "") +
        `</div>`,
    );
  }

  protected drawBatch(epoch: number, batch: number, loss: number, frac: number, elapsed: number, eta: number): void {
    this.status = `epoch ${epoch + 1}/${this.epochs}, batch ${batch + 1}/${this.batches}, loss ${loss.toFixed(4)}, ${fmtTime(elapsed)} elapsed, ETA ${fmtTime(eta)}`;
    this.render();
  }

  protected drawEpoch(log: EpochLog, history: EpochLog[]): void {
    this.history = history.slice();
    this.status = `epoch ${log.epoch + 1}/${this.epochs} done (${log.seconds.toFixed(1)}s)`;
    this.render();
  }

  end(history: EpochLog[], note?: string): void {
    this.history = history.slice();
    const total = (Date.now() - this.t0) / 1000;
    this.status = `finished ${history.length} epoch(s) in ${fmtTime(total)}${note ? ` — ${note}` : ""}`;
    this.render();
  }
}

/** True inside a tslab kernel (a Jupyter notebook). */
export function inNotebook(): boolean {
  return process.env.MOVIELENS_LAB_KERNEL === "tslab" || (process.argv.some((a) => /tslab/.test(a)) && process.argv.includes("kernel"));
}

/** Makes the sink for a mode; a sink given instead of a mode is returned as it is. */
export function createProgress(mode: ProgressMode | ProgressSink = "auto"): ProgressSink {
  if (typeof mode === "object") return mode;
  if (mode === "none") return new SilentProgress();
  if (mode === "log") return new LogProgress();
  if (mode === "bar") return new TerminalProgress();
  if (mode === "notebook" || (mode === "auto" && inNotebook())) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const tslab = require("tslab") as { newDisplay(): TslabDisplay };
    return new NotebookProgress(tslab.newDisplay());
  }
  return process.stderr.isTTY ? new TerminalProgress() : new LogProgress();
}
