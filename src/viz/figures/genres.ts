// Genre-embedding figures: labelled genre points on a 2-D projection, and a genre–genre cosine-similarity heatmap.
import { DIVERGING_COLORSCALE, escapePlotlyText, genreStyle, MUTED_GREY, themedLayout, defaultConfig } from "../theme";
import { roundAll, roundValue, toRows, toXY } from "./inputs";
import { WEBGL_POINT_THRESHOLD } from "./movies";
import type { CommonFigureOptions, Coordinates2D, EmbeddingMatrix, PlotlyFigure, PlotlyTrace } from "./types";

/** Options for {@link genreEmbeddingScatter}. */
export interface GenreScatterOptions extends CommonFigureOptions {
  /** Movie (or any) points of the same projection, drawn as a faint grey background cloud. */
  background?: Coordinates2D;
  /** Name of the projection for the axis titles (default "Dimension"). */
  projectionName?: string;
}

/**
 * Label positions that avoid the most common overlap: a label goes below its point when an earlier label
 * above a nearby point (within ~12% of the x range and 8% of the y range) would collide with it.
 */
function labelPositions(x: Float64Array, y: Float64Array, names: readonly string[]): string[] {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < x.length; i++) {
    x0 = Math.min(x0, x[i]);
    x1 = Math.max(x1, x[i]);
    y0 = Math.min(y0, y[i]);
    y1 = Math.max(y1, y[i]);
  }
  const dx = (x1 - x0 || 1) * 0.12;
  const dy = (y1 - y0 || 1) * 0.08;
  const out: string[] = [];
  for (let i = 0; i < x.length; i++) {
    let clash = false;
    for (let j = 0; j < i && !clash; j++) {
      const wide = Math.max(names[i].length, names[j].length) > 10 ? 1.5 : 1;
      clash = out[j] === "top center" && Math.abs(x[i] - x[j]) < dx * wide && Math.abs(y[i] - y[j]) < dy;
    }
    out.push(clash ? "bottom center" : "top center");
  }
  return out;
}

/**
 * Genre embeddings as labelled points: point i is `genres[i]`, at `coordinates` row i, in the genre's theme
 * colour, with its (escaped) name as the label. Pass `background` (e.g. the movie coordinates from the same
 * projection) to show where the genres sit within the movie cloud.
 */
export function genreEmbeddingScatter(
  coordinates: Coordinates2D,
  genres: readonly string[],
  options: GenreScatterOptions = {},
): PlotlyFigure {
  const who = "genreEmbeddingScatter";
  const xy = toXY(coordinates, who);
  if (xy.length !== genres.length) throw new RangeError(`${who}: ${xy.length} points but ${genres.length} genre names`);
  const traces: PlotlyTrace[] = [];
  if (options.background !== undefined) {
    const bg = toXY(options.background, `${who} background`);
    traces.push({
      type: bg.length > WEBGL_POINT_THRESHOLD ? "scattergl" : "scatter",
      mode: "markers",
      name: "Movies",
      x: roundAll(bg.x),
      y: roundAll(bg.y),
      marker: { color: MUTED_GREY, size: 3, opacity: 0.3 },
      hoverinfo: "skip",
    });
  }
  const labels = genres.map((g) => escapePlotlyText(g));
  const styles = genres.map((g) => genreStyle(g));
  const positions = labelPositions(xy.x, xy.y, genres);
  traces.push({
    type: "scatter",
    mode: "markers+text",
    name: "Genres",
    x: roundAll(xy.x),
    y: roundAll(xy.y),
    text: labels,
    textposition: positions,
    textfont: { size: 13 },
    hovertemplate: "<b>%{text}</b><br>(%{x:.3g}, %{y:.3g})<extra></extra>",
    marker: {
      color: styles.map((s) => s.color),
      symbol: styles.map((s) => s.symbol),
      size: 12,
      line: { color: "#FFFFFF", width: 1.5 },
    },
  });
  const projection = options.projectionName ?? "Dimension";
  return {
    data: traces,
    layout: themedLayout(
      { title: options.title, xTitle: `${projection} 1`, yTitle: `${projection} 2`, width: options.width, height: options.height },
      { showlegend: false },
    ),
    config: defaultConfig(),
  };
}

/**
 * Cosine similarity between every pair of rows of `embeddings` (rows x rows, symmetric, 1 on the diagonal).
 * A row of zeros has no direction: its similarities are null.
 */
export function cosineSimilarityMatrix(embeddings: EmbeddingMatrix): (number | null)[][] {
  const rows = toRows(embeddings, "cosineSimilarityMatrix");
  const norms = rows.map((r) => {
    let s = 0;
    for (let j = 0; j < r.length; j++) s += r[j] * r[j];
    return Math.sqrt(s);
  });
  const n = rows.length;
  const out: (number | null)[][] = Array.from({ length: n }, () => new Array<number | null>(n).fill(null));
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      if (norms[a] === 0 || norms[b] === 0 || !Number.isFinite(norms[a]) || !Number.isFinite(norms[b])) continue;
      let dot = 0;
      const ra = rows[a];
      const rb = rows[b];
      for (let j = 0; j < ra.length; j++) dot += ra[j] * rb[j];
      const c = a === b ? 1 : Math.max(-1, Math.min(1, dot / (norms[a] * norms[b])));
      out[a][b] = c;
      out[b][a] = c;
    }
  }
  return out;
}

/** Options for {@link genreSimilarityHeatmap}. */
export interface GenreHeatmapOptions extends CommonFigureOptions {
  /** Print the similarity in every cell (default: true up to 12 genres, beyond that the numbers crowd the cells). */
  showValues?: boolean;
}

/**
 * A genre × genre heatmap of cosine similarity computed from a genre embedding matrix (row i is `genres[i]`).
 * Diverging blue–white–red colour scale fixed to [-1, 1]; the first genre is at the top.
 */
export function genreSimilarityHeatmap(
  embeddings: EmbeddingMatrix,
  genres: readonly string[],
  options: GenreHeatmapOptions = {},
): PlotlyFigure {
  const sim = cosineSimilarityMatrix(embeddings);
  if (sim.length !== genres.length)
    throw new RangeError(`genreSimilarityHeatmap: ${sim.length} embedding rows but ${genres.length} genre names`);
  const labels = genres.map((g) => escapePlotlyText(g));
  const z = sim.map((row) => row.map((v) => (v === null ? null : roundValue(v, 4))));
  const showValues = options.showValues ?? genres.length <= 12;
  const trace: PlotlyTrace = {
    type: "heatmap",
    x: labels,
    y: labels,
    z,
    zmin: -1,
    zmax: 1,
    zmid: 0,
    colorscale: DIVERGING_COLORSCALE.map(([s, c]) => [s, c]),
    colorbar: { title: { text: "Cosine" }, thickness: 14 },
    xgap: 1,
    ygap: 1,
    hovertemplate: "%{y} · %{x}<br>cosine %{z:.3f}<extra></extra>",
  };
  if (showValues) {
    trace.texttemplate = "%{z:.2f}";
    trace.textfont = { size: 10 };
  }
  const side = Math.max(420, Math.min(900, 140 + 34 * genres.length));
  return {
    data: [trace],
    layout: themedLayout(
      { title: options.title, width: options.width, height: options.height ?? side },
      {
        xaxis: { type: "category", showgrid: false, showline: false, ticks: "", tickangle: -45, constrain: "domain" },
        yaxis: {
          type: "category",
          showgrid: false,
          showline: false,
          ticks: "",
          autorange: "reversed",
          scaleanchor: "x",
          constrain: "domain",
        },
      },
    ),
    config: defaultConfig(),
  };
}
