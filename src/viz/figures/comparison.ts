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
    title:
      options.title ??
      `${label}@K (${protocol === "full-ranking" ? "full ranking of unseen movies" : "leave-one-out, 99 sampled negatives"})`,
    width: options.width,
    height: options.height,
  });
}
