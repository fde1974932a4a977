// Small local types for Plotly figure specs and for the plain-array inputs the figure functions accept.

/** One Plotly trace. Only the attributes the lab uses are named; any other Plotly attribute is allowed. */
export interface PlotlyTrace {
  /** Plotly trace type, e.g. "scatter", "scattergl", "heatmap", "bar", "box", "violin". */
  type: string;
  name?: string;
  x?: unknown[];
  y?: unknown[];
  z?: unknown[][];
  mode?: string;
  text?: string | string[];
  customdata?: unknown[];
  hovertemplate?: string;
  marker?: { [attribute: string]: unknown };
  line?: { [attribute: string]: unknown };
  legendgroup?: string;
  showlegend?: boolean;
  [attribute: string]: unknown;
}

/** A Plotly layout object (title, axes, legend, template, annotations, ...). */
export interface PlotlyLayout {
  [attribute: string]: unknown;
}

/** Plotly's per-plot config (responsive, displaylogo, typesetMath, ...). */
export interface PlotlyConfig {
  [option: string]: unknown;
}

/** A complete, JSON-serialisable Plotly figure: what `Plotly.newPlot(div, data, layout, config)` takes. */
export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout: PlotlyLayout;
  config?: PlotlyConfig;
}

/**
 * 2-D (or higher: the first two columns are used) coordinates for n points, in any of these forms:
 * - a projection result `{ coords, dims }` (row-major, point i at coords[i*dims], coords[i*dims+1]);
 * - separate columns `{ x, y }`;
 * - a flat interleaved array `[x0, y0, x1, y1, ...]` (typed arrays welcome);
 * - an array of rows `[[x0, y0], [x1, y1], ...]`.
 */
export type Coordinates2D =
  | { readonly coords: ArrayLike<number>; readonly dims: number }
  | { readonly x: ArrayLike<number>; readonly y: ArrayLike<number> }
  | ArrayLike<number>
  | ReadonlyArray<ArrayLike<number>>;

/** A dense matrix: `{ data, rows, cols }` row-major (e.g. a Float32Array from a tensor), or an array of equally long rows. */
export type EmbeddingMatrix =
  { readonly data: ArrayLike<number>; readonly rows: number; readonly cols: number } | ReadonlyArray<ArrayLike<number>>;

/** Options every figure function accepts. */
export interface CommonFigureOptions {
  /** Figure title, as plain text (it is HTML-escaped before it reaches Plotly). */
  title?: string;
  /** Fixed pixel size; by default the figure fills its container (exports pick their own size). */
  width?: number;
  height?: number;
}
