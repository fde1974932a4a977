// Progress for all long work, one implementation: training epochs (with a live loss curve), t-SNE and UMAP iterations, downloads; a terminal bar with ETA, a notebook display updated in place, lines in a log, or silence.
import { escapeHtml } from "./html";

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

/** What a {@link WorkProgress} counts; bytes and ratings print as sizes and counts. */
export type WorkUnit = "iterations" | "epochs" | "bytes" | "ratings" | "rows";

/** One piece of long work that is not a training run. */
export interface WorkTask {
  title: string;
  /** Steps in all, or null when unknown (e.g. a download without Content-Length). */
  total: number | null;
  unit: WorkUnit;
}

/**
 * Receives long work counted in steps: t-SNE iterations, UMAP epochs, downloaded, unpacked or parsed bytes. The sinks
 * {@link createProgress} makes take both this and training's {@link ProgressSink}, on the same display.
 */
export interface WorkProgress {
  /** Starts a piece of work; the display is reused, the clock and the bar restart. */
  begin(task: WorkTask): void;
  /** `done` steps of the current work so far; `detail` is shown next to them (e.g. "KL 2.310"). Cheap to call often. */
  update(done: number, detail?: string): void;
  /** A line worth keeping on its own (the proxy in use, a retry), shown without losing the bar. */
  message(line: string): void;
  /** Ends the current work; `note` is shown with the total time. */
  finish(note?: string): void;
}

/** Where a terminal bar draws: by default process.stderr. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string): boolean;
}

/** Where progress goes: "auto" picks the notebook display under tslab, a bar on a terminal, else one line per epoch. */
export type ProgressMode = "auto" | "notebook" | "bar" | "log" | "none";

/** A byte count as B, KiB, MiB or GiB. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

/** `done` of `total` in the task's unit, e.g. "350/1000 iterations", "12.0 MiB/250.3 MiB", "1,200 ratings". */
function formatAmount(done: number, total: number | null, unit: WorkUnit): string {
  if (unit === "bytes") return total === null ? formatBytes(done) : `${formatBytes(done)}/${formatBytes(total)}`;
  const f = (n: number): string => n.toLocaleString("en-US");
  return total === null ? `${f(done)} ${unit}` : `${f(done)}/${f(total)} ${unit}`;
}

/** Where a piece of work stands, as every display draws it. */
interface WorkState {
  task: WorkTask;
  done: number;
  detail: string;
  /** Fraction done, or null when the total is unknown. */
  frac: number | null;
  elapsed: number;
  eta: number;
}

/** Where a piece of work stands, without its title: percentage, amount, detail, elapsed time and ETA. */
function workStatus(w: WorkState): string {
  const pct = w.frac === null ? "" : `${(w.frac * 100).toFixed(0).padStart(3)}% `;
  const detail = w.detail ? `, ${w.detail}` : "";
  const time = w.frac === null ? fmtTime(w.elapsed) : `${fmtTime(w.elapsed)}<${fmtTime(w.eta)}`;
  return `${pct}${formatAmount(w.done, w.task.total, w.task.unit)}${detail} ${time}`;
}

/** How a finished piece of work ended, without its title: amount, total time and the caller's note after `sep`. */
function workDone(w: WorkState, note: string | undefined, sep = ", "): string {
  return `${formatAmount(w.done, w.task.total, w.task.unit)} in ${fmtTime(w.elapsed)}${note ? `${sep}${note}` : ""}`;
}

/** A text progress bar, `width` cells. */
function textBar(frac: number, width = 24): string {
  const fill = Math.round(frac * width);
  return "█".repeat(fill) + "░".repeat(width - fill);
}

/** The notebook displays' HTML progress bar. */
function htmlBar(frac: number): string {
  return (
    `<div style="width:360px;height:8px;background:#eee;border-radius:4px;margin:4px 0">` +
    `<div style="width:${(frac * 100).toFixed(1)}%;height:8px;background:#0072B2;border-radius:4px"></div></div>`
  );
}

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

/**
 * Shared bookkeeping of every display: elapsed time, ETA, throttling, running mean loss. A display redraws at most
 * every `minIntervalMs`; with Infinity (logs) it writes one line per epoch and one per 10 % of other work.
 */
abstract class BaseProgress implements ProgressSink, WorkProgress {
  protected title = "";
  protected epochs = 0;
  protected batches = 0;
  protected t0 = 0;
  protected lastDraw = 0;
  protected runningLoss = 0;
  protected runningCount = 0;
  private work: WorkState | null = null;
  private workT0 = 0;
  private workLastDraw = 0;
  private workLastStep = -1;

  constructor(protected readonly minIntervalMs: number) {}

  begin(task: WorkTask): void {
    this.workT0 = Date.now();
    this.workLastDraw = this.workT0;
    this.workLastStep = -1;
    this.work = { task, done: 0, detail: "", frac: task.total ? 0 : null, elapsed: 0, eta: Number.NaN };
    if (this.minIntervalMs !== Number.POSITIVE_INFINITY) this.drawWork(this.work, false);
  }

  update(done: number, detail = ""): void {
    const w = this.work;
    if (w === null) return;
    const now = Date.now();
    w.done = done;
    w.detail = detail;
    w.frac = w.task.total ? Math.min(1, done / w.task.total) : null;
    if (this.minIntervalMs === Number.POSITIVE_INFINITY) {
      const step = w.frac === null ? -1 : Math.floor(w.frac * 10);
      if (step <= this.workLastStep) return;
      this.workLastStep = step;
    } else if (now - this.workLastDraw < this.minIntervalMs && w.frac !== 1) return;
    this.workLastDraw = now;
    w.elapsed = (now - this.workT0) / 1000;
    w.eta = w.frac ? (w.elapsed / w.frac) * (1 - w.frac) : Number.NaN;
    this.drawWork(w, false);
  }

  message(line: string): void {
    this.drawMessage(line, this.work);
  }

  finish(note?: string): void {
    const w = this.work;
    if (w === null) return;
    w.elapsed = (Date.now() - this.workT0) / 1000;
    this.drawWork(w, true, note);
    this.work = null;
  }

  /** Draws the work's state; `finished` is the last call, with the caller's note. */
  protected abstract drawWork(w: WorkState, finished: boolean, note?: string): void;
  protected abstract drawMessage(line: string, w: WorkState | null): void;

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
  constructor(private readonly stream: ProgressStream = process.stderr) {
    super(100);
  }

  private line(text: string): string {
    return `\r${text.padEnd(Math.min(this.stream.columns ?? 110, 140) - 1).slice(0, 140)}`;
  }

  protected drawWork(w: WorkState, finished: boolean, note?: string): void {
    if (finished) this.stream.write(`${this.line(`${w.task.title}: ${workDone(w, note)}`)}\n`);
    else this.stream.write(this.line(`${w.task.title}${w.frac === null ? "" : ` ${textBar(w.frac)}`} ${workStatus(w)}`));
  }

  protected drawMessage(line: string, w: WorkState | null): void {
    this.stream.write(`${this.line(line)}\n`);
    if (w !== null) this.drawWork(w, false);
  }

  protected drawBatch(epoch: number, batch: number, loss: number, frac: number, elapsed: number, eta: number): void {
    const line = `${this.title} epoch ${epoch + 1}/${this.epochs} ${textBar(frac)} ${(frac * 100).toFixed(0)}% loss ${loss.toFixed(4)} ${fmtTime(elapsed)}<${fmtTime(eta)}`;
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

/** One line per epoch and per 10 % of other work, on stderr by default (for logs and CI, where a redrawn bar would spam). */
export class LogProgress extends BaseProgress {
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
    super(Number.POSITIVE_INFINITY);
  }
  protected drawBatch(): void {}
  protected drawEpoch(log: EpochLog): void {
    this.write(`${this.title} epoch ${log.epoch + 1}/${this.epochs}  ${fmtLog(log)}  (${log.seconds.toFixed(1)}s)`);
  }
  protected drawWork(w: WorkState, finished: boolean, note?: string): void {
    this.write(finished ? `${w.task.title}: ${workDone(w, note)}` : `${w.task.title} ${workStatus(w)}`);
  }
  protected drawMessage(line: string): void {
    this.write(line);
  }
  end(_history: EpochLog[], note?: string): void {
    if (note) this.write(`${this.title}: ${note}`);
  }
}

/** Discards everything. */
export class SilentProgress implements ProgressSink, WorkProgress {
  start(): void {}
  batch(): void {}
  epochEnd(): void {}
  end(): void {}
  begin(): void {}
  update(): void {}
  message(): void {}
  finish(): void {}
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
        htmlBar(frac) +
        table +
        (this.history.length ? lossCurveSvg(this.history, this.epochs) : "") +
        `</div>`,
    );
  }

  private messages: string[] = [];

  protected drawWork(w: WorkState, finished: boolean, note?: string): void {
    const status = finished ? workDone(w, note, " — ") : workStatus(w).trim();
    this.display.html(
      `<div style="font-family:sans-serif;font-size:12px">` +
        `<b>${escapeHtml(w.task.title)}</b> — ${escapeHtml(status)}` +
        (finished ? htmlBar(1) : w.frac === null ? "" : htmlBar(w.frac)) +
        this.messages.map((m) => `<div style="color:#555">${escapeHtml(m)}</div>`).join("") +
        `</div>`,
    );
  }

  protected drawMessage(line: string, w: WorkState | null): void {
    this.messages.push(line);
    if (w !== null) this.drawWork(w, false);
    else
      this.display.html(
        `<div style="font-family:sans-serif;font-size:12px;color:#555">${this.messages.map(escapeHtml).join("<br>")}</div>`,
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

/** The display for a mode: under tslab (or "notebook") one notebook display, on a terminal a bar, else log lines. */
function displayFor(mode: ProgressMode): ProgressSink & WorkProgress {
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

/** Makes the training sink for a mode; a sink given instead of a mode is returned as it is. */
export function createProgress(mode: ProgressMode | ProgressSink = "auto"): ProgressSink {
  return typeof mode === "object" ? mode : displayFor(mode);
}

/** Makes the sink for other long work (projections, downloads) for a mode; a sink given instead is returned as it is. */
export function createWorkProgress(mode: ProgressMode | WorkProgress = "auto"): WorkProgress {
  return typeof mode === "object" ? mode : displayFor(mode);
}
