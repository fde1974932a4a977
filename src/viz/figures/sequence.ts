// Sequence-model figures: a user's attention map (which earlier movies each position of the history looked at).
import type { SequenceUserView } from "../../recommend/sequence";
import { defaultConfig, escapePlotlyText, themedLayout } from "../theme";
import { roundValue } from "./inputs";
import type { CommonFigureOptions, PlotlyFigure } from "./types";

/** Options for {@link attentionMap}. */
export interface AttentionMapOptions extends CommonFigureOptions {
  /** Which self-attention block (0-based; default the last, the one the prediction reads). */
  block?: number;
  /** Show only the latest this many positions (default 20; the map of 50 titles is unreadable in a report). */
  last?: number;
}

/**
 * A heat map of one block's attention for one user: row t is the movie at position t of the history, columns the
 * movies it attends to (itself and earlier ones; later ones are masked, so the upper triangle is empty). The bottom row
 * is the state the next-movie prediction reads. Titles are numbered by position (a title watched twice stays two rows).
 */
export function attentionMap(view: SequenceUserView, options: AttentionMapOptions = {}): PlotlyFigure {
  const blocks = view.attention.length;
  const block = options.block ?? blocks - 1;
  if (!(Number.isInteger(block) && block >= 0 && block < blocks))
    throw new RangeError(`attentionMap: option "block" must be 0..${blocks - 1}, got ${String(options.block)}`);
  const n = view.lastWatched.length;
  const show = Math.min(n, options.last ?? 20);
  if (!(Number.isInteger(show) && show > 0))
    throw new RangeError(`attentionMap: option "last" must be a positive integer, got ${String(options.last)}`);
  const w = view.attention[block];
  const from = n - show;
  const label = (t: number): string => {
    const m = view.lastWatched[t];
    const title = m.title.length > 32 ? `${m.title.slice(0, 31)}…` : m.title;
    return escapePlotlyText(`${t + 1} · ${title}${m.year ? ` (${m.year})` : ""}`);
  };
  const labels = Array.from({ length: show }, (_, k) => label(from + k));
  const z: (number | null)[][] = [];
  for (let t = from; t < n; t++) {
    const row: (number | null)[] = [];
    for (let j = from; j < n; j++) row.push(j > t ? null : roundValue(w[t * n + j], 4));
    z.push(row);
  }
  const side = Math.max(480, Math.min(960, 220 + 26 * show));
  return {
    data: [
      {
        type: "heatmap",
        x: labels,
        y: labels,
        z,
        zmin: 0,
        colorscale: "Viridis",
        colorbar: { title: { text: "Attention" }, thickness: 14 },
        xgap: 1,
        ygap: 1,
        hoverongaps: false,
        hovertemplate: "%{y}<br>looks at %{x}<br>weight %{z:.3f}<extra></extra>",
      },
    ],
    layout: themedLayout(
      {
        title: options.title ?? `User ${view.userId}: attention of block ${block + 1} over the last ${show} movies`,
        width: options.width,
        height: options.height ?? side,
        xTitle: "attends to (earlier movies)",
        yTitle: "position in the history (the bottom row predicts the next movie)",
      },
      {
        xaxis: { type: "category", showgrid: false, showline: false, ticks: "", tickangle: -45, constrain: "domain" },
        yaxis: { type: "category", showgrid: false, showline: false, ticks: "", autorange: "reversed", constrain: "domain" },
        margin: { l: 260, b: 200, t: 60, r: 20 },
      },
    ),
    config: defaultConfig(),
  };
}
