// Model-comparison figures: RMSE per model as bars, and a top-N metric against K for every model that ranks.
import type { ModelReport } from "../../evaluation/report";
import { categoryStyle, defaultConfig, escapePlotlyText, themedLayout } from "../theme";
import { metricAtK } from "./evaluation";
import type { CommonFigureOptions, PlotlyFigure } from "./types";

/** Horizontal bars of test RMSE, best at the top; models without rating predictions are left out. */
export function rmseBars(
  reports: readonly ModelReport[],
  options: CommonFigureOptions & { reference?: { name: string; rmse: number } } = {},
): PlotlyFigure {
  const rows = reports.filter((r) => Number.isFinite(r.rmse)).sort((a, b) => b.rmse - a.rmse);
  if (rows.length === 0) throw new RangeError("rmseBars: no model predicts ratings");
  const shapes = options.reference
    ? [
        {
          type: "line",
          x0: options.reference.rmse,
          x1: options.reference.rmse,
          yref: "paper",
          y0: 0,
          y1: 1,
          line: { color: "#555", dash: "dash", width: 1.5 },
        },
      ]
    : [];
  const annotations = options.reference
    ? [
        {
          x: options.reference.rmse,
          yref: "paper",
          y: 1.02,
          text: escapePlotlyText(`${options.reference.name} ${options.reference.rmse}`),
          showarrow: false,
          font: { size: 11 },
        },
      ]
    : [];
  return {
    data: [
      {
        type: "bar",
        orientation: "h",
        y: rows.map((r) => escapePlotlyText(r.model)),
        x: rows.map((r) => Number(r.rmse.toFixed(4))),
        marker: { color: rows.map((_, i) => categoryStyle(i).color) },
        text: rows.map((r) => r.rmse.toFixed(3)),
        textposition: "outside",
        hovertemplate: "%{y}: RMSE %{x:.4f}<extra></extra>",
      },
    ],
    layout: themedLayout(
      {
        title: options.title ?? "Test RMSE (lower is better)",
        xTitle: "RMSE",
        width: options.width,
        height: options.height ?? 120 + 36 * rows.length,
      },
      {
        showlegend: false,
        margin: { l: 290, r: 40, t: 60, b: 50 },
        shapes,
        annotations,
        // Room for the value labels outside the longest bar.
        xaxis: { range: [0, Math.max(...rows.map((r) => r.rmse), options.reference?.rmse ?? 0) * 1.15] },
      },
    ),
    config: defaultConfig(),
  };
}

/** A top-N metric (default recall) against K for every report, under one protocol. */
export function topNCurves(
  reports: readonly ModelReport[],
  options: CommonFigureOptions & {
    metric?: "recall" | "ndcg" | "precision" | "hitRate" | "map";
    protocol?: "full-ranking" | "leave-one-out";
  } = {},
): PlotlyFigure {
  const metric = options.metric ?? "recall";
  const protocol = options.protocol ?? "full-ranking";
  const label = { recall: "Recall", ndcg: "NDCG", precision: "Precision", hitRate: "HR", map: "MAP" }[metric];
  const curves = reports
    .map((r) => {
      const pts = r.topN.filter((t) => t.protocol === protocol).sort((a, b) => a.k - b.k);
      return { name: r.model, k: pts.map((p) => p.k), values: pts.map((p) => p[metric]) };
    })
    .filter((c) => c.k.length > 0 && c.values.some((v) => v > 0));
  return metricAtK(curves, {
    metric: label,
    title: options.title ?? `${label}@K (${protocolLabel(reports, protocol)})`,
    width: options.width,
    height: options.height,
  });
}

/**
 * Where each model stands: a top-N metric at one K (default full-ranking NDCG@10) against training time (log scale),
 * one labelled point per model that ranks. Models in `highlight` (registry ids, e.g. the lab's own) get a filled star.
 */
export function qualityVsTime(
  reports: readonly ModelReport[],
  options: CommonFigureOptions & {
    metric?: "recall" | "ndcg" | "precision" | "hitRate" | "map";
    protocol?: "full-ranking" | "leave-one-out";
    k?: number;
    highlight?: readonly string[];
  } = {},
): PlotlyFigure {
  const metric = options.metric ?? "ndcg";
  const protocol = options.protocol ?? "full-ranking";
  const k = options.k ?? 10;
  const label = { recall: "Recall", ndcg: "NDCG", precision: "Precision", hitRate: "HR", map: "MAP" }[metric];
  const points = reports
    .map((r) => ({ r, at: r.topN.find((t) => t.protocol === protocol && t.k === k) }))
    .filter((p): p is { r: ModelReport; at: ModelReport["topN"][number] } => p.at !== undefined);
  if (points.length === 0) throw new RangeError(`qualityVsTime: no report has ${protocol} metrics at K = ${k}`);
  const highlight = new Set(options.highlight ?? []);
  // Closed-form and non-learned models train in milliseconds; a floor keeps them on the log axis.
  const seconds = (r: ModelReport): number => Math.max(r.trainSeconds, 0.01);
  const trace = (group: typeof points, star: boolean) => ({
    type: "scatter",
    mode: "markers+text",
    name: star ? "the lab's models" : "reference models and baselines",
    x: group.map((p) => Number(seconds(p.r).toFixed(3))),
    y: group.map((p) => Number(p.at[metric].toFixed(4))),
    text: group.map((p) => escapePlotlyText(p.r.model)),
    // The lab's models are labelled below their star, the others above, so a long label does not cover a neighbour's.
    textposition: star ? "bottom center" : "top center",
    textfont: { size: 11 },
    marker: {
      size: star ? 16 : 11,
      symbol: star ? "star" : "circle",
      color: star ? categoryStyle(1).color : categoryStyle(0).color,
      line: { color: "#ffffff", width: 1 },
    },
    customdata: group.map((p) => Number(p.r.trainSeconds.toFixed(3))),
    hovertemplate: `%{text}<br>${label}@${k} %{y:.4f}<br>trained in %{customdata:.2f} s<extra></extra>`,
  });
  const mine = points.filter((p) => highlight.has(p.r.id));
  const others = points.filter((p) => !highlight.has(p.r.id));
  const ys = points.map((p) => p.at[metric]);
  const span = Math.max(...ys) - Math.min(...ys) || Math.max(...ys) || 1;
  return {
    data: [...(others.length ? [trace(others, false)] : []), ...(mine.length ? [trace(mine, true)] : [])],
    layout: themedLayout(
      {
        title: options.title ?? `${label}@${k} (${protocolLabel(reports, protocol)}) against training time`,
        xTitle: "training time (s, log scale)",
        yTitle: `${label}@${k}`,
        width: options.width,
        height: options.height ?? 460,
      },
      {
        xaxis: { type: "log" },
        // Room below the lowest marker and above the highest label.
        yaxis: { range: [Math.min(...ys) - 0.1 * span, Math.max(...ys) + 0.15 * span] },
        legend: { orientation: "h", y: -0.2 },
      },
    ),
    config: defaultConfig(),
  };
}

/** "full ranking of unseen movies", or "leave-one-out, N sampled negatives" with the N the reports were measured with. */
function protocolLabel(reports: readonly ModelReport[], protocol: "full-ranking" | "leave-one-out"): string {
  if (protocol === "full-ranking") return "full ranking of unseen movies";
  const n = reports.flatMap((r) => r.topN).find((t) => t.protocol === "leave-one-out" && t.negatives !== undefined)?.negatives;
  return `leave-one-out, ${n ?? 99} sampled negatives`;
}
