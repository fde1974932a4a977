// Figure export: offline HTML (plotly.js inlined, shared beside the figures, or from its CDN), and PNG/SVG rendered by one shared headless Chromium (playwright-core).
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomicAsync } from "../util/atomic";
import { escapeHtml } from "../util/html";
import type { PlotlyFigure } from "./figures/types";
import { searchBrowser, type BrowserChoice } from "./browser";
import { launchBrowser } from "./launch";
export { CHROMIUM_FLAGS } from "./browser";
import { onKernelShutdown } from "./tslab-kernel";

type Browser = import("playwright-core").Browser;
type Page = import("playwright-core").Page;

/**
 * Formats {@link saveFigure} writes: interactive HTML, Plotly JSON (`{ data, layout, config }`, readable by Python's
 * `plotly.io.read_json`), raster images (PNG, JPEG, WebP), and vector SVG and PDF.
 */
export type FigureFormat = "html" | "json" | "png" | "jpeg" | "webp" | "svg" | "pdf";

/** Every format {@link saveFigure} knows. */
export const FIGURE_FORMATS: readonly FigureFormat[] = ["html", "json", "png", "jpeg", "webp", "svg", "pdf"];

/** The formats that need a headless browser. */
export const BROWSER_FORMATS: readonly FigureFormat[] = ["png", "jpeg", "webp", "svg", "pdf"];

/** The repository root (this file is `<repo>/src/viz/export.ts`). */
const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Where figures go unless told otherwise: `<repo>/figures`. */
export const DEFAULT_FIGURES_DIR = path.join(REPO_ROOT, "figures");

const INSTALL_HINT =
  "Run `npm run setup`: it provides a headless browser without root (an installed Chrome/Chromium/Edge, Playwright's, " +
  "or one unpacked from a registry package), or set CHROMIUM_PATH to a Chromium/Chrome executable. HTML export does not need a browser.";

/** Thrown when PNG/SVG export needs a browser and none can be found or started. */
export class BrowserNotFoundError extends Error {
  constructor(message: string) {
    super(`${message} ${INSTALL_HINT}`);
    this.name = "BrowserNotFoundError";
  }
}

/**
 * The browser to render with (see src/viz/browser.ts for the order: CHROMIUM_PATH, installed browsers, Playwright's
 * cache, the lab's own copy). Throws {@link BrowserNotFoundError} naming what was tried and how to get one.
 */
export function chooseBrowser(env: NodeJS.ProcessEnv = process.env): BrowserChoice {
  const search = searchBrowser(env);
  if (search.choice) return search.choice;
  if (search.badEnvPath !== undefined) {
    throw new BrowserNotFoundError(
      `PNG/SVG export needs a headless browser, but CHROMIUM_PATH=${search.badEnvPath} is not an executable file.`,
    );
  }
  throw new BrowserNotFoundError(
    `PNG/SVG export needs a headless browser, but none was found (CHROMIUM_PATH is unset; tried ${search.tried.join(", ")}).`,
  );
}

/** The executable of {@link chooseBrowser}'s choice. */
export function findBrowser(env: NodeJS.ProcessEnv = process.env): string {
  return chooseBrowser(env).executable;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON and HTML

/**
 * A JSON-safe copy of `fig`: typed arrays become plain arrays, NaN/Infinity become null, undefined is dropped.
 * This is the form that goes into notebooks, HTML files and the renderer.
 */
export function plainFigure(fig: PlotlyFigure): PlotlyFigure {
  return JSON.parse(
    JSON.stringify(fig, (_key, value: unknown) =>
      ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value,
    ),
  ) as PlotlyFigure;
}

/** JSON text that is safe inside an HTML `<script>`: `<`, `>`, `&`, U+2028 and U+2029 are \u-escaped (so no `</script>`). */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

let plotlySourceCache: string | null = null;

/** The npm package whose minified plotly.js bundle the lab inlines, shares or names on the CDN. */
const PLOTLY_PACKAGE = "plotly.js-dist-min";

/** Path of the minified plotly.js bundle shipped in node_modules (plotly.js-dist-min). */
export function plotlyBundlePath(): string {
  return require.resolve(PLOTLY_PACKAGE);
}

/** Version of the installed plotly.js bundle, e.g. "4.1.1" (from its package.json). */
export function plotlyVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(plotlyBundlePath()), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/** The official CDN address of the installed plotly.js version, minified: `https://cdn.plot.ly/plotly-<version>.min.js`. */
export function plotlyCdnUrl(): string {
  return `https://cdn.plot.ly/plotly-${plotlyVersion()}.min.js`;
}

/** Makes JavaScript source safe to inline in a `<script>` element: no `</script` can close it, no `<!--` can open a comment state. */
export function scriptSafeSource(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\u0021--");
}

/** The plotly.js bundle source, made safe to inline in a `<script>` element (read once per process). */
export function plotlyBundleSource(): string {
  if (plotlySourceCache === null) plotlySourceCache = scriptSafeSource(fs.readFileSync(plotlyBundlePath(), "utf8"));
  return plotlySourceCache;
}

/**
 * Where an exported HTML page gets plotly.js from:
 * - `"inline"`: the minified bundle inside the page (self-contained, works offline; about 4.8 MB per page);
 * - `"shared"`: one `plotly.min.js` beside the HTML files, loaded with a relative `<script src>` (offline as long as
 *   the folder is kept together);
 * - `"cdn"`: `https://cdn.plot.ly/plotly-<installed version>.min.js` (smallest file; needs the network to display).
 */
export type PlotlyJsMode = "inline" | "shared" | "cdn";

/** Every {@link PlotlyJsMode}. */
export const PLOTLY_JS_MODES: readonly PlotlyJsMode[] = ["inline", "shared", "cdn"];

/** File name of the shared bundle that `plotlyJs: "shared"` writes beside the figures. */
export const SHARED_PLOTLY_FILE = "plotly.min.js";

/** Options for {@link figureHtml}. */
export interface FigureHtmlOptions {
  /** Page title (plain text; escaped). Default "Figure". */
  title?: string;
  /** Where the page gets plotly.js from (default "inline"); see {@link PlotlyJsMode}. */
  plotlyJs?: PlotlyJsMode;
}

/** The `<script>` element(s) that load plotly.js in a page, for `mode`. */
function plotlyScript(mode: PlotlyJsMode): string {
  if (mode === "inline") return `<script>\n${plotlyBundleSource()}\n</script>`;
  if (mode === "shared") return `<script src="${SHARED_PLOTLY_FILE}" charset="utf-8"></script>`;
  if (mode === "cdn") return `<script src="${escapeHtml(plotlyCdnUrl())}" charset="utf-8"></script>`;
  throw new RangeError(`plotlyJs must be one of ${PLOTLY_JS_MODES.join(", ")}, got ${JSON.stringify(mode)}`);
}

/**
 * A complete HTML page showing `fig` interactively. By default plotly.js (minified) is inlined: no network, no CDN;
 * `options.plotlyJs` can load it from a shared file beside the page or from the CDN instead. The figure JSON is
 * embedded with `</script>`-safe escaping.
 */
export function figureHtml(fig: PlotlyFigure, options: FigureHtmlOptions = {}): string {
  const plain = plainFigure(fig);
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(options.title ?? "Figure")}</title>`,
    "<style>html,body{margin:0;padding:0;height:100%;background:#fff}#figure{width:100%;height:100vh}</style>",
    plotlyScript(options.plotlyJs ?? "inline"),
    "</head>",
    "<body>",
    '<div id="figure"></div>',
    "<script>",
    `(function () { var fig = ${scriptSafeJson(plain)}; Plotly.newPlot(document.getElementById("figure"), fig.data, fig.layout, fig.config || {}); })();`,
    "</script>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/**
 * Makes sure `<dir>/plotly.min.js` holds the installed minified plotly.js: written atomically the first time (or when
 * the installed version changed), left alone otherwise. Returns its path.
 */
export async function writeSharedPlotlyJs(dir: string): Promise<string> {
  const target = path.join(dir, SHARED_PLOTLY_FILE);
  const bundle = await fs.promises.readFile(plotlyBundlePath());
  const existing = await fs.promises.readFile(target).catch(() => null);
  if (existing === null || !existing.equals(bundle)) await writeFileAtomicAsync(target, bundle);
  return target;
}

// ---------------------------------------------------------------------------------------------------------------
// The shared headless renderer

/** Size and resolution of a rendered image. */
export interface ImageOptions {
  /** CSS pixels (default: the layout's width, else 960). */
  width?: number;
  /** CSS pixels (default: the layout's height, else 600). */
  height?: number;
  /** Device pixel ratio: the image is width*scale x height*scale pixels (default 1; 2 for print-quality). */
  scale?: number;
}

/** Tuning for the shared renderer. */
export interface RendererSettings {
  /** Close the browser after this long without renders, so scripts can exit (default 60 000 ms; 0 = never). */
  idleTimeoutMs: number;
  /** Give up on one render after this long (default 120 000 ms). */
  renderTimeoutMs: number;
}

const settings: RendererSettings = { idleTimeoutMs: 60_000, renderTimeoutMs: 120_000 };

/** Changes renderer settings (idle timeout, render timeout) for this process. */
export function configureRenderer(changes: Partial<RendererSettings>): RendererSettings {
  Object.assign(settings, changes);
  return { ...settings };
}

interface RendererState {
  executable: string;
  browser: Browser;
  page: Page;
}

let current: RendererState | null = null;
let starting: Promise<RendererState> | null = null;
let queue: Promise<unknown> = Promise.resolve();
let idleTimer: NodeJS.Timeout | null = null;

/** Installed in the renderer page once: draws a figure in a fresh div and returns Plotly.toImage's data URL. */
const PAGE_RENDER_FUNCTION = `
window.__labRenderFigure = async function (arg) {
  var div = document.createElement("div");
  document.body.appendChild(div);
  try {
    var layout = Object.assign({}, arg.figure.layout || {}, { width: arg.width, height: arg.height });
    var config = Object.assign({}, arg.figure.config || {}, { staticPlot: true, responsive: false, typesetMath: false });
    await Plotly.newPlot(div, arg.figure.data || [], layout, config);
    return await Plotly.toImage(div, { format: arg.format, width: arg.width, height: arg.height, scale: arg.scale });
  } finally {
    Plotly.purge(div);
    div.remove();
  }
};
`;

let launches = 0;

/** What the shared renderer is doing: whether a browser is running, which one, and how often one was started. */
export interface RendererInfo {
  readonly running: boolean;
  readonly executable: string | null;
  readonly launches: number;
}

/** The shared renderer's current state (for diagnostics and tests). */
export function rendererInfo(): RendererInfo {
  const running = current !== null && current.browser.isConnected();
  return { running, executable: running ? current!.executable : null, launches };
}

async function launch(choice: BrowserChoice): Promise<RendererState> {
  launches += 1;
  const executable = choice.executable;
  let browser: Browser;
  try {
    browser = await launchBrowser(choice);
  } catch (err) {
    throw new BrowserNotFoundError(`Could not start the headless browser ${executable}: ${(err as Error).message.split("\n")[0]}.`);
  }
  try {
    const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#fff"></body></html>');
    await page.addScriptTag({ content: plotlyBundleSource() });
    await page.addScriptTag({ content: PAGE_RENDER_FUNCTION });
    const state: RendererState = { executable, browser, page };
    browser.on("disconnected", () => {
      if (current === state) current = null;
    });
    // In a tslab kernel, close the browser on shutdown so the kernel exits at once instead of after SIGTERM (2.5 s).
    onKernelShutdown(closeRenderer);
    return state;
  } catch (err) {
    await browser.close().catch(() => undefined);
    throw err;
  }
}

/** The running renderer for the currently configured browser, starting it lazily. */
async function renderer(): Promise<RendererState> {
  const choice = chooseBrowser();
  const executable = choice.executable;
  if (current && current.executable === executable && current.browser.isConnected()) return current;
  if (starting) {
    const state = await starting.catch(() => null);
    if (state && state.executable === executable && state.browser.isConnected()) return state;
  }
  if (current) await closeRenderer();
  starting = launch(choice);
  try {
    current = await starting;
    return current;
  } finally {
    starting = null;
  }
}

function armIdleTimer(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  if (settings.idleTimeoutMs > 0) {
    idleTimer = setTimeout(() => {
      void closeRenderer();
    }, settings.idleTimeoutMs);
    idleTimer.unref();
  }
}

/** Runs render jobs one after another on the shared page. */
function enqueue<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job, job);
  queue = run.catch(() => undefined);
  return run;
}

function imageSize(fig: PlotlyFigure, options: ImageOptions): { width: number; height: number; scale: number } {
  const layoutWidth = typeof fig.layout.width === "number" ? fig.layout.width : undefined;
  const layoutHeight = typeof fig.layout.height === "number" ? fig.layout.height : undefined;
  const width = Math.round(options.width ?? layoutWidth ?? 960);
  const height = Math.round(options.height ?? layoutHeight ?? 600);
  const scale = options.scale ?? 1;
  if (!(width > 0 && height > 0)) throw new RangeError(`image size must be positive, got ${width}x${height}`);
  if (!(scale > 0 && scale <= 10)) throw new RangeError(`scale must be in (0, 10], got ${scale}`);
  return { width, height, scale };
}

/** What Plotly.toImage renders in the page. */
export type PageImageFormat = "png" | "jpeg" | "webp" | "svg";

/** What one render asks for: the figure (plain JSON), the image format, and the size in CSS pixels and scale. */
export interface RenderRequest {
  figure: PlotlyFigure;
  format: PageImageFormat;
  width: number;
  height: number;
  scale: number;
}

/**
 * The environment variable naming a render service (src/viz/render-service.ts): when set, this process sends its
 * renders there instead of starting a browser of its own. `npm run reproduce` starts one for all its notebooks, so the
 * browser starts and loads plotly.js once (about 1.9 s of CPU) instead of once per kernel.
 */
export const RENDER_SERVICE_ENV = "MOVIELENS_LAB_RENDER_SERVICE";

/** The render service this process gave up on (unreachable), so it is not tried again. */
let unreachableService: string | null = null;

async function renderDataUrl(fig: PlotlyFigure, format: PageImageFormat, options: ImageOptions): Promise<string> {
  const request: RenderRequest = { figure: plainFigure(fig), format, ...imageSize(fig, options) };
  const service = process.env[RENDER_SERVICE_ENV];
  if (service && service !== unreachableService) {
    try {
      return await renderOnService(service, request);
    } catch (err) {
      if (!(err instanceof ServiceUnreachableError)) throw err;
      unreachableService = service;
      console.log(
        `the render service at ${serviceOrigin(service)} is unreachable (${err.message}); rendering with a browser of this process`,
      );
    }
  }
  return renderHere(request);
}

/** A render service's address without its secret path, for messages that may end up in a notebook's output. */
function serviceOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(an address that is not a URL)";
  }
}

/** The render service could not be reached at all (as opposed to a render that failed there). */
class ServiceUnreachableError extends Error {}

/** Renders `request` on the service at `url` (an http://127.0.0.1 address with its token); the data URL it returns. */
function renderOnService(url: string, request: RenderRequest): Promise<string> {
  if (!/^http:\/\/[^/]+\//.test(url))
    throw new Error(`${RENDER_SERVICE_ENV} must be a render service's http:// address, got ${JSON.stringify(url)}`);
  const http = require("http") as typeof import("http");
  const body = Buffer.from(JSON.stringify(request));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode === 200) resolve(text);
          else reject(new Error(`the render service at ${serviceOrigin(url)} answered ${res.statusCode}: ${text}`));
        });
      },
    );
    req.setTimeout(settings.renderTimeoutMs, () =>
      req.destroy(new Error(`rendering the figure took longer than ${settings.renderTimeoutMs} ms`)),
    );
    req.on("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "ECONNREFUSED" || err.code === "ENOTFOUND" ? new ServiceUnreachableError(err.message) : err),
    );
    req.end(body);
  });
}

/** Renders `request` in this process's shared browser (started on first use): the image as a data URL. */
export async function renderHere(request: RenderRequest): Promise<string> {
  const { figure, format, ...size } = request;
  return enqueue(async () => {
    if (idleTimer) clearTimeout(idleTimer);
    const state = await renderer();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`rendering the figure took longer than ${settings.renderTimeoutMs} ms`)),
          settings.renderTimeoutMs,
        );
      });
      const arg = { figure, format, ...size };
      const work = state.page.evaluate((a) => (globalThis as any).__labRenderFigure(a) as Promise<string>, arg);
      return await Promise.race([work, timeout]);
    } finally {
      if (timer) clearTimeout(timer);
      armIdleTimer();
    }
  });
}

/** Renders `fig` to PNG bytes in the shared headless Chromium (Plotly.toImage), `width*scale` x `height*scale` pixels. */
export async function renderFigurePng(fig: PlotlyFigure, options: ImageOptions = {}): Promise<Buffer> {
  return renderFigureRaster(fig, "png", options);
}

/** Renders `fig` to PNG, JPEG or WebP bytes in the shared headless Chromium, `width*scale` x `height*scale` pixels. */
export async function renderFigureRaster(fig: PlotlyFigure, format: "png" | "jpeg" | "webp", options: ImageOptions = {}): Promise<Buffer> {
  const url = await renderDataUrl(fig, format, options);
  const comma = url.indexOf(",");
  if (!url.startsWith(`data:image/${format};base64,`))
    throw new Error(`renderFigureRaster(${format}): unexpected result ${url.slice(0, 40)}`);
  return Buffer.from(url.slice(comma + 1), "base64");
}

/**
 * Renders `fig` to a one-page vector PDF the size of the figure (width x height CSS pixels): Plotly's SVG, printed
 * by the shared headless Chromium (its print to PDF keeps text and shapes as vectors).
 */
export async function renderFigurePdf(fig: PlotlyFigure, options: ImageOptions = {}): Promise<Buffer> {
  const { width, height } = imageSize(fig, options);
  const svg = await renderFigureSvg(fig, { width, height, scale: 1 });
  return enqueue(async () => {
    if (idleTimer) clearTimeout(idleTimer);
    const state = await renderer();
    const page = await state.page.context().newPage();
    try {
      await page.setContent(
        `<!DOCTYPE html><html><head><meta charset="utf-8"><style>@page { size: ${width}px ${height}px; margin: 0 }` +
          ` html, body { margin: 0; background: #fff } svg { display: block }</style></head><body>${svg}</body></html>`,
      );
      return await page.pdf({ width: `${width}px`, height: `${height}px`, printBackground: true, pageRanges: "1" });
    } finally {
      await page.close().catch(() => undefined);
      armIdleTimer();
    }
  });
}

/** Renders `fig` to an SVG document (text) in the shared headless Chromium (Plotly.toImage). */
export async function renderFigureSvg(fig: PlotlyFigure, options: ImageOptions = {}): Promise<string> {
  const url = await renderDataUrl(fig, "svg", options);
  const comma = url.indexOf(",");
  if (!url.startsWith("data:image/svg+xml")) throw new Error(`renderFigureSvg: unexpected result ${url.slice(0, 40)}`);
  const body = url.slice(comma + 1);
  return url.slice(0, comma).endsWith(";base64") ? Buffer.from(body, "base64").toString("utf8") : decodeURIComponent(body);
}

/** Closes the shared browser (it restarts lazily on the next render). Call at the end of scripts so Node exits at once. */
export async function closeRenderer(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const pending = starting;
  const state = current ?? (pending ? await pending.catch(() => null) : null);
  current = null;
  if (state) await state.browser.close().catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------------------------
// saveFigure

/** Options for {@link saveFigure}. */
export interface SaveFigureOptions extends ImageOptions {
  /** Output folder (default `<repo>/figures`). */
  dir?: string;
  /** HTML page title (default: the figure name). */
  title?: string;
  /** A PNG already rendered from `fig` with these image options (written as is instead of rendering again). */
  renderedPng?: Buffer;
  /**
   * Where the HTML file gets plotly.js from (default "inline", self-contained). "shared" also writes
   * `<dir>/plotly.min.js` once, for every HTML figure in the folder; "cdn" loads it from cdn.plot.ly.
   */
  plotlyJs?: PlotlyJsMode;
}

/** Absolute paths of the files {@link saveFigure} wrote, per format. */
export type SavedFigure = Partial<Record<FigureFormat, string>>;

/** Checks a figure name: letters, digits, `.`, `_`, `-` only (no folders), not starting with a dot. */
function checkName(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name) || name.length > 200) {
    throw new RangeError(`saveFigure: figure name must be letters, digits, ".", "_" or "-" (no folders), got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * Writes `fig` as `<dir>/<name>.<format>` for each format, every file atomically. HTML and JSON are written first
 * (they need no browser); PNG (default scale 2), JPEG (`.jpg`), WebP, SVG and PDF come from the shared headless
 * Chromium. If the browser is
 * missing, the HTML/JSON files are still written and a {@link BrowserNotFoundError} is thrown, with no partial image
 * files left.
 */
export async function saveFigure(
  fig: PlotlyFigure,
  name: string,
  formats: readonly FigureFormat[] = ["html", "png"],
  options: SaveFigureOptions = {},
): Promise<SavedFigure> {
  checkName(name);
  for (const f of formats)
    if (!FIGURE_FORMATS.includes(f))
      throw new RangeError(`saveFigure: unknown format ${JSON.stringify(f)} (use ${FIGURE_FORMATS.join(", ")})`);
  const plotlyJs = options.plotlyJs ?? "inline";
  if (!PLOTLY_JS_MODES.includes(plotlyJs))
    throw new RangeError(`saveFigure: plotlyJs must be one of ${PLOTLY_JS_MODES.join(", ")}, got ${JSON.stringify(plotlyJs)}`);
  const dir = path.resolve(options.dir ?? DEFAULT_FIGURES_DIR);
  const saved: SavedFigure = {};
  if (formats.includes("html")) {
    const target = path.join(dir, `${name}.html`);
    // The shared bundle goes first, so that the page never refers to a file that is not there yet.
    if (plotlyJs === "shared") await writeSharedPlotlyJs(dir);
    await writeFileAtomicAsync(target, figureHtml(fig, { title: options.title ?? name, plotlyJs }));
    saved.html = target;
  }
  if (formats.includes("json")) {
    const target = path.join(dir, `${name}.json`);
    await writeFileAtomicAsync(target, `${JSON.stringify(plainFigure(fig))}\n`);
    saved.json = target;
  }
  const image: ImageOptions = { width: options.width, height: options.height, scale: options.scale ?? 2 };
  if (formats.includes("png")) {
    const png = options.renderedPng ?? (await renderFigurePng(fig, image));
    const target = path.join(dir, `${name}.png`);
    await writeFileAtomicAsync(target, png);
    saved.png = target;
  }
  for (const format of ["jpeg", "webp"] as const) {
    if (!formats.includes(format)) continue;
    const bytes = await renderFigureRaster(fig, format, image);
    const target = path.join(dir, `${name}.${format === "jpeg" ? "jpg" : format}`);
    await writeFileAtomicAsync(target, bytes);
    saved[format] = target;
  }
  if (formats.includes("svg")) {
    const svg = await renderFigureSvg(fig, image);
    const target = path.join(dir, `${name}.svg`);
    await writeFileAtomicAsync(target, svg);
    saved.svg = target;
  }
  if (formats.includes("pdf")) {
    const pdf = await renderFigurePdf(fig, image);
    const target = path.join(dir, `${name}.pdf`);
    await writeFileAtomicAsync(target, pdf);
    saved.pdf = target;
  }
  return saved;
}
