// Notebook display for tslab cells: Plotly figures as one multi-mime output (interactive JSON + static PNG + text) and escaped HTML tables.
import { escapeHtml } from "../util/html";
import { plainFigure, renderFigurePng, saveFigure } from "./export";
import type { ImageOptions } from "./export";
import type { PlotlyFigure } from "./figures/types";
import { unescapePlotlyText } from "./theme";
import { tslabKernel, type TslabPublic } from "./tslab-kernel";

/** The mime type JupyterLab's plotly extension (from the PyPI `plotly` package) renders interactively, offline. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A Jupyter mime bundle: mime type -> content (JSON for `+json` types, base64 for images, text otherwise). */
export interface MimeBundle {
  "application/vnd.plotly.v1+json"?: PlotlyFigure;
  "image/png"?: string;
  "image/svg+xml"?: string;
  "text/html"?: string;
  "text/plain"?: string;
  [mime: string]: unknown;
}

/** Static renderings (and a note) to put next to the interactive figure. */
export interface StaticFigureImages {
  /** PNG bytes (stored base64 under image/png). */
  png?: Uint8Array;
  /** An SVG document (stored under image/svg+xml). */
  svg?: string;
  /** One line appended to text/plain, e.g. why there is no static image. */
  note?: string;
}

/** A one-line plain-text description of a figure: title, trace types and point count. */
export function figureSummary(fig: PlotlyFigure): string {
  const title = fig.layout.title as { text?: unknown } | string | undefined;
  const text = typeof title === "string" ? title : typeof title?.text === "string" ? title.text : "";
  const types = new Map<string, number>();
  let points = 0;
  for (const t of fig.data) {
    types.set(t.type, (types.get(t.type) ?? 0) + 1);
    const n = Array.isArray(t.y) ? t.y.length : Array.isArray(t.x) ? t.x.length : Array.isArray(t.z) ? t.z.length : 0;
    points += n;
  }
  const kinds = [...types].map(([t, c]) => (c > 1 ? `${c}x ${t}` : t)).join(", ");
  const name = text ? `"${unescapePlotlyText(text.replace(/<[^>]*>/g, ""))}"` : "(untitled)";
  return `Plotly figure ${name}: ${fig.data.length} trace${fig.data.length === 1 ? "" : "s"} (${kinds || "none"}), ${points.toLocaleString("en-US")} values`;
}

/**
 * The mime bundle of a figure: the Plotly JSON (typed arrays made plain; never the plotly.js library itself),
 * the static PNG (base64) and/or SVG when given, and a text/plain summary.
 */
export function figureMimeBundle(fig: PlotlyFigure, images: StaticFigureImages = {}): MimeBundle {
  const bundle: MimeBundle = { [PLOTLY_MIME]: plainFigure(fig) };
  if (images.png) bundle["image/png"] = Buffer.from(images.png).toString("base64");
  if (images.svg) bundle["image/svg+xml"] = images.svg;
  bundle["text/plain"] = images.note ? `${figureSummary(fig)}\n${images.note}` : figureSummary(fig);
  return bundle;
}

// ---------------------------------------------------------------------------------------------------------------
// Publishing a bundle through tslab

/** The display_data content a Jupyter kernel sends. */
interface DisplayDataContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
}

/** tslab's internal writer for the running cell: `(content, isUpdate) => void`. */
type WriteDisplayData = (content: DisplayDataContent, update: boolean) => void;

/**
 * The writer tslab uses for the running cell's display_data messages, and tslab's public module.
 *
 * tslab's public `display.raw(mime, content)` sends a bundle with exactly one mime type. Internally it calls
 * `lastWriteDisplayData({data, metadata, transient}, update)` exported by tslab's `dist/jupyter.js`, which the
 * kernel points at the current cell before running it; we call the same writer with a multi-mime bundle.
 * `write` is null when tslab is not loaded or no cell is running; `internalsFound` says whether `jupyter.js` was found.
 */
function tslabModules(): { publicApi: TslabPublic | null; internalsFound: boolean; write: WriteDisplayData | null } {
  const { publicApi, jupyter } = tslabKernel();
  const write = jupyter?.lastWriteDisplayData;
  return { publicApi, internalsFound: jupyter !== null, write: typeof write === "function" ? (write as WriteDisplayData) : null };
}

const NO_KERNEL_MESSAGE =
  "show: no running tslab notebook cell to display into; run this in JupyterLab with the tslab kernel (in scripts use saveFigure() from src/viz/export).";

/**
 * Sends one display_data message holding every mime type of `bundle` to the running tslab cell.
 * If tslab's internals are not reachable, falls back to its public single-mime API (PNG, else HTML, else text).
 * Throws when no tslab kernel cell is running (e.g. in a plain Node script).
 */
export function publishMimeBundle(bundle: MimeBundle, metadata: Record<string, unknown> = {}): void {
  const { publicApi, write } = tslabModules();
  if (write) {
    write({ data: bundle, metadata, transient: {} }, false);
    return;
  }
  if (publicApi) {
    try {
      if (typeof bundle["image/png"] === "string") publicApi.display.png(Buffer.from(bundle["image/png"], "base64"));
      else if (typeof bundle["text/html"] === "string") publicApi.display.html(bundle["text/html"]);
      else publicApi.display.text(String(bundle["text/plain"] ?? ""));
      return;
    } catch {
      // "Not ready": tslab is installed but no kernel cell is running.
    }
  }
  throw new Error(NO_KERNEL_MESSAGE);
}

/** Options for {@link show}. */
export interface ShowOptions extends ImageOptions {
  /** Also render a static PNG fallback with the headless browser (default true). */
  staticImage?: boolean;
  /**
   * A file name for the figure. When the environment variable MOVIELENS_LAB_FIGURES_DIR is set (as `npm run reproduce`
   * does), the figure is also saved there as `<name>.png` (rendered once at scale 2 for both the cell and the file).
   * Use `saveFigure` to export on purpose.
   */
  name?: string;
}

/** The environment variable naming a folder where every named figure shown is also saved. */
export const FIGURES_DIR_ENV = "MOVIELENS_LAB_FIGURES_DIR";

let browserNoteShown = false;
let degradedNoteShown = false;

/**
 * Displays `fig` in the running tslab cell as ONE output with three representations: the Plotly JSON
 * (rendered interactively by JupyterLab's plotly extension, offline, also after reopening the notebook),
 * a static PNG fallback rendered by headless Chromium (skipped with a one-line note if no browser), and text.
 * plotly.js itself is never embedded. Use `await show(fig)`.
 */
export async function show(fig: PlotlyFigure, options: ShowOptions = {}): Promise<void> {
  const tslab = tslabModules();
  // Fail before the (slow) PNG rendering when there is certainly no cell to display into.
  if (!tslab.publicApi || (tslab.internalsFound && !tslab.write)) throw new Error(NO_KERNEL_MESSAGE);
  let png: Buffer | undefined;
  let note: string | undefined;
  const dir = process.env[FIGURES_DIR_ENV];
  const saving = Boolean(options.name && dir);
  // When the figure is also saved, one print-quality render (scale 2) serves the notebook (shown at CSS size) and the file.
  const scale = options.scale ?? (saving ? 2 : 1);
  if (options.staticImage !== false) {
    try {
      png = await renderFigurePng(fig, { width: options.width, height: options.height, scale });
    } catch (err) {
      note = `(no static image: ${(err as Error).message.split("\n")[0]})`;
      if (!browserNoteShown && !saving) {
        browserNoteShown = true;
        console.log(`show: static PNG fallback skipped. ${(err as Error).message.split("\n")[0]}`);
      }
    }
  }
  const metadata: Record<string, unknown> = {};
  if (png && scale !== 1) {
    // Show a high-DPI PNG at its CSS size.
    const width = png.readUInt32BE(16) / scale;
    const height = png.readUInt32BE(20) / scale;
    metadata["image/png"] = { width: Math.round(width), height: Math.round(height) };
  }
  publishMimeBundle(figureMimeBundle(fig, { png, note }), metadata);
  if (saving) {
    if (png || options.staticImage === false) {
      await saveFigure(fig, options.name!, ["png"], { dir, width: options.width, height: options.height, scale, renderedPng: png });
    } else {
      // Degraded mode: no browser, so no PNG; the figure is still saved whole, as interactive HTML and Plotly JSON.
      const saved = await saveFigure(fig, options.name!, ["html", "json"], { dir });
      if (!degradedNoteShown) {
        degradedNoteShown = true;
        console.log(
          `show: no headless browser, so figures are saved as HTML + JSON instead of PNG (first: ${saved.html}); run \`npm run setup\` to get one.`,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tables

/** The parts of a danfojs DataFrame that {@link tableHtml} reads. */
export interface DataFrameLike {
  readonly columns: readonly string[];
  readonly values: readonly unknown[];
  readonly index: readonly unknown[];
  readonly shape: readonly number[];
  head(rows: number): DataFrameLike;
}

/** What {@link showTable} accepts: a danfojs DataFrame or an array of plain row objects. */
export type TableInput = DataFrameLike | ReadonlyArray<object>;

/** Options for {@link tableHtml} / {@link showTable}. */
export interface TableOptions {
  /** Rows shown at most (default 20); the rest are summarised as "… N more rows". */
  maxRows?: number;
}

function isDataFrameLike(value: unknown): value is DataFrameLike {
  const v = value as Partial<DataFrameLike> | null;
  return !!v && !Array.isArray(v) && Array.isArray(v.columns) && Array.isArray(v.shape) && typeof v.head === "function";
}

/** Formats one cell as plain text: compact numbers, joined arrays, JSON for objects, empty for null/undefined. */
function cellText(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = "";
  else if (typeof value === "number") {
    if (Number.isInteger(value) || !Number.isFinite(value)) text = String(value);
    else if (Math.abs(value) >= 1e-3 && Math.abs(value) < 1e15) text = String(Number(value.toFixed(4)));
    else text = value.toExponential(3);
  } else if (typeof value === "string") text = value;
  else if (value instanceof Date) text = value.toISOString();
  else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>);
    text = items.slice(0, 12).map(cellText).join(", ") + (items.length > 12 ? ", …" : "");
  } else if (typeof value === "object") {
    try {
      text = JSON.stringify(value);
    } catch {
      text = String(value);
    }
  } else text = String(value);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** Shown rows, column names, optional index, and the total row count of a table input. */
function tableParts(table: TableInput, maxRows: number): { columns: string[]; rows: unknown[][]; index: unknown[] | null; total: number } {
  if (isDataFrameLike(table)) {
    const total = table.shape[0] ?? 0;
    const shown = total > maxRows ? table.head(maxRows) : table;
    const rows = (shown.values as unknown[]).map((r) => (Array.isArray(r) ? r : [r]));
    return { columns: [...shown.columns], rows, index: [...shown.index], total };
  }
  const all = table as ReadonlyArray<Record<string, unknown>>;
  const shownObjects = all.slice(0, maxRows);
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of shownObjects) {
    for (const key of Object.keys(row ?? {})) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return { columns, rows: shownObjects.map((r) => columns.map((c) => (r ?? {})[c])), index: null, total: all.length };
}

/**
 * An HTML table of at most `maxRows` rows, every header and cell HTML-escaped, followed by "… N more rows"
 * when the input is longer.
 */
export function tableHtml(table: TableInput, options: TableOptions = {}): string {
  const maxRows = Math.max(0, Math.floor(options.maxRows ?? 20));
  const { columns, rows, index, total } = tableParts(table, maxRows);
  const head = (index ? ["<th></th>"] : []).concat(columns.map((c) => `<th>${escapeHtml(c)}</th>`)).join("");
  const body = rows
    .map((row, i) => {
      const lead = index ? `<th>${escapeHtml(cellText(index[i]))}</th>` : "";
      const cells = columns.map((_, j) => {
        const v = row[j];
        const align = typeof v === "number" ? ' style="text-align:right"' : "";
        return `<td${align}>${escapeHtml(cellText(v))}</td>`;
      });
      return `<tr>${lead}${cells.join("")}</tr>`;
    })
    .join("\n");
  const more = total - rows.length;
  const note = more > 0 ? `\n<p class="lab-table-more">… ${more.toLocaleString("en-US")} more rows</p>` : "";
  return `<table class="lab-table">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>${note}`;
}

/** Displays a danfojs DataFrame or an array of row objects in the running tslab cell as an escaped HTML table. */
export function showTable(table: TableInput, options: TableOptions = {}): void {
  const maxRows = Math.max(0, Math.floor(options.maxRows ?? 20));
  const { columns, total } = tableParts(table, maxRows);
  const plain = `Table: ${total.toLocaleString("en-US")} rows x ${columns.length} columns${total > maxRows ? ` (first ${maxRows} shown)` : ""}`;
  publishMimeBundle({ "text/html": tableHtml(table, { maxRows }), "text/plain": plain });
}
