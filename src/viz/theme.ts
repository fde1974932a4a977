// The lab's one visual theme: colour-blind-safe palettes, fixed genre colours, Plotly template/config and text escaping.
import { escapeHtml } from "../util/html";
import type { PlotlyConfig, PlotlyLayout } from "./figures/types";

/** Okabe & Ito's colour-blind-safe categorical palette (8 colours, black last). */
export const OKABE_ITO: readonly string[] = [
  "#E69F00", // orange
  "#56B4E9", // sky blue
  "#009E73", // bluish green
  "#F0E442", // yellow
  "#0072B2", // blue
  "#D55E00", // vermillion
  "#CC79A7", // reddish purple
  "#000000", // black
];

/** Paul Tol's "muted" colour-blind-safe qualitative palette (9 colours, without its pale grey for missing data). */
export const TOL_MUTED: readonly string[] = [
  "#CC6677", // rose
  "#332288", // indigo
  "#DDCC77", // sand
  "#117733", // green
  "#88CCEE", // cyan
  "#882255", // wine
  "#44AA99", // teal
  "#999933", // olive
  "#AA4499", // purple
];

/**
 * The categorical palette for runs, models, user groups: Okabe–Ito without black, then Tol muted, then black
 * (17 colours). Beyond 17 categories colours repeat with a different marker symbol (see {@link categoryStyle}).
 */
export const CATEGORICAL_PALETTE: readonly string[] = [...OKABE_ITO.slice(0, 7), ...TOL_MUTED, OKABE_ITO[7]];

/** Marker symbols used, in turn, each time the palette wraps around. */
export const CATEGORY_SYMBOLS: readonly string[] = ["circle", "diamond", "square", "cross", "x", "triangle-up"];

/** Colour for "no data / not in the highlighted group / no genre" (a mid grey that stays visible on white). */
export const MUTED_GREY = "#BBBBBB";

/** Text colour used by the template. */
export const TEXT_COLOR = "#222222";

/** Font stack: Helvetica-like fonts, which headless Chromium on Debian resolves to Liberation Sans. */
export const FONT_FAMILY = '"Helvetica Neue", Helvetica, Arial, "Liberation Sans", sans-serif';

/** Tol's colour-blind-safe diverging blue–white–red scale (as Plotly colorscale stops), for values in [-1, 1]. */
export const DIVERGING_COLORSCALE: ReadonlyArray<readonly [number, string]> = [
  [0, "#2166AC"],
  [0.125, "#4393C3"],
  [0.25, "#92C5DE"],
  [0.375, "#D1E5F0"],
  [0.5, "#F7F7F7"],
  [0.625, "#FDDBC7"],
  [0.75, "#F4A582"],
  [0.875, "#D6604D"],
  [1, "#B2182B"],
];

/** A marker colour plus symbol: symbols tell categories apart once colours have to repeat. */
export interface CategoryStyle {
  readonly color: string;
  readonly symbol: string;
}

/**
 * Fixed styles for the MovieLens genres of every dataset version. The most frequent genres get the most
 * distinct colours; the two rarest reuse a colour with a diamond symbol. Keys are normalised (see {@link genreKey}).
 */
const GENRE_STYLES: ReadonlyMap<string, CategoryStyle> = new Map<string, CategoryStyle>([
  ["drama", { color: "#0072B2", symbol: "circle" }],
  ["comedy", { color: "#E69F00", symbol: "circle" }],
  ["thriller", { color: "#882255", symbol: "circle" }],
  ["action", { color: "#D55E00", symbol: "circle" }],
  ["romance", { color: "#CC79A7", symbol: "circle" }],
  ["adventure", { color: "#009E73", symbol: "circle" }],
  ["crime", { color: "#332288", symbol: "circle" }],
  ["sci-fi", { color: "#56B4E9", symbol: "circle" }],
  ["horror", { color: "#117733", symbol: "circle" }],
  ["fantasy", { color: "#AA4499", symbol: "circle" }],
  ["children", { color: "#F0E442", symbol: "circle" }],
  ["animation", { color: "#44AA99", symbol: "circle" }],
  ["mystery", { color: "#CC6677", symbol: "circle" }],
  ["documentary", { color: "#999933", symbol: "circle" }],
  ["war", { color: "#88CCEE", symbol: "circle" }],
  ["musical", { color: "#DDCC77", symbol: "circle" }],
  ["film-noir", { color: "#000000", symbol: "circle" }],
  ["western", { color: "#E69F00", symbol: "diamond" }],
  ["imax", { color: "#009E73", symbol: "diamond" }],
  ["(no genres listed)", { color: MUTED_GREY, symbol: "circle" }],
  ["unknown", { color: MUTED_GREY, symbol: "circle" }],
]);

/** Normalises a genre name for colour lookup: case-insensitive, and "Children's" (ml-100k/1m) equals "Children". */
export function genreKey(genre: string): string {
  return genre.trim().toLowerCase().replace(/'s$/, "");
}

/** Palette colour and symbol for the i-th category (0-based); wraps with a new symbol after 17 categories. */
export function categoryStyle(index: number): CategoryStyle {
  const n = CATEGORICAL_PALETTE.length;
  const i = Math.max(0, Math.floor(index));
  return { color: CATEGORICAL_PALETTE[i % n], symbol: CATEGORY_SYMBOLS[Math.floor(i / n) % CATEGORY_SYMBOLS.length] };
}

/** A stable 32-bit FNV-1a hash, so an unknown genre gets the same style in every figure and process. */
function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The colour and symbol of a genre, identical in every figure. Known MovieLens genres have fixed styles;
 * any other name is hashed onto the palette (deterministic, but it may share a colour with another genre).
 */
export function genreStyle(genre: string): CategoryStyle {
  const key = genreKey(genre);
  const known = GENRE_STYLES.get(key);
  if (known) return known;
  const h = stableHash(key);
  return {
    color: CATEGORICAL_PALETTE[h % CATEGORICAL_PALETTE.length],
    symbol: CATEGORY_SYMBOLS[1 + (Math.floor(h / CATEGORICAL_PALETTE.length) % (CATEGORY_SYMBOLS.length - 1))],
  };
}

/** The colour of a genre, identical in every figure (shorthand for `genreStyle(genre).color`). */
export function genreColor(genre: string): string {
  return genreStyle(genre).color;
}

/**
 * Escapes data text for Plotly, which renders a subset of HTML in titles, hover labels, legends, tick labels and
 * annotations. Uses {@link escapeHtml}, except that `"` becomes `&#34;`: Plotly decodes numeric entities but not `&quot;`.
 */
export function escapePlotlyText(text: unknown): string {
  return escapeHtml(text).replace(/&quot;/g, "&#34;");
}

/** Reverses {@link escapePlotlyText} (for plain-text summaries of already escaped labels). */
export function unescapePlotlyText(text: string): string {
  return text.replace(/&(lt|gt|quot|#34|#39|amp);/g, (_m, e: string) =>
    e === "lt" ? "<" : e === "gt" ? ">" : e === "quot" || e === "#34" ? '"' : e === "#39" ? "'" : "&",
  );
}

/** Axis defaults shared by every x and y axis. */
const AXIS_TEMPLATE = {
  showgrid: true,
  gridcolor: "#E8E8E8",
  gridwidth: 1,
  zeroline: false,
  showline: true,
  linecolor: "#9A9A9A",
  linewidth: 1,
  ticks: "outside",
  tickcolor: "#9A9A9A",
  ticklen: 4,
  automargin: true,
  title: { standoff: 10, font: { size: 14 } },
};

/** The lab's Plotly template: white background, light grid, readable fonts, colour-blind-safe colourway. */
export function plotlyTemplate(): { layout: PlotlyLayout } {
  return {
    layout: {
      font: { family: FONT_FAMILY, size: 13, color: TEXT_COLOR },
      paper_bgcolor: "#FFFFFF",
      plot_bgcolor: "#FFFFFF",
      colorway: [...CATEGORICAL_PALETTE],
      title: { x: 0.02, xanchor: "left", font: { size: 18 } },
      margin: { l: 72, r: 24, t: 64, b: 60, pad: 2 },
      xaxis: { ...AXIS_TEMPLATE },
      yaxis: { ...AXIS_TEMPLATE },
      legend: { bgcolor: "rgba(255,255,255,0.9)", bordercolor: "#E0E0E0", borderwidth: 1, font: { size: 12 } },
      hoverlabel: { font: { family: FONT_FAMILY, size: 12 }, align: "left" },
      hovermode: "closest",
    },
  };
}

/** Options for {@link themedLayout}. */
export interface ThemedLayoutOptions {
  /** Plain-text title (escaped here). */
  title?: string;
  /** Plain-text axis titles (escaped here). */
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
}

/** A layout with the lab template, escaped title and axis titles, plus `extra` attributes merged on top (shallowly per key). */
export function themedLayout(options: ThemedLayoutOptions, extra: PlotlyLayout = {}): PlotlyLayout {
  const layout: PlotlyLayout = { template: plotlyTemplate() };
  if (options.title !== undefined) layout.title = { text: escapePlotlyText(options.title) };
  const xaxis: Record<string, unknown> = {};
  const yaxis: Record<string, unknown> = {};
  if (options.xTitle !== undefined) xaxis.title = { text: escapePlotlyText(options.xTitle) };
  if (options.yTitle !== undefined) yaxis.title = { text: escapePlotlyText(options.yTitle) };
  layout.xaxis = { ...xaxis, ...(extra.xaxis as Record<string, unknown> | undefined) };
  layout.yaxis = { ...yaxis, ...(extra.yaxis as Record<string, unknown> | undefined) };
  if (options.width !== undefined) layout.width = options.width;
  if (options.height !== undefined) layout.height = options.height;
  for (const [key, value] of Object.entries(extra)) {
    if (key !== "xaxis" && key !== "yaxis") layout[key] = value;
  }
  return layout;
}

/**
 * The Plotly config every figure carries: responsive, no Plotly logo, PNG download button at 2x, and
 * `typesetMath: false` so a title such as "$9.99 (1998)" is never handed to MathJax.
 */
export function defaultConfig(): PlotlyConfig {
  return {
    responsive: true,
    displaylogo: false,
    typesetMath: false,
    toImageButtonOptions: { format: "png", scale: 2 },
  };
}
