// Evaluation figures: a top-N metric (recall@K, NDCG@K, ...) against K for several models.
import { categoryStyle, escapePlotlyText, themedLayout, defaultConfig } from "../theme";
import { roundAll } from "./inputs";
import type { CommonFigureOptions, PlotlyFigure, PlotlyTrace } from "./types";

/** One model's metric values at several list lengths K. */
export interface MetricCurve {
  /** Model label shown in the legend (plain text). */
  name: string;
  /** List lengths, ascending. */
  k: ArrayLike<number>;
  /** Metric value at each K. */
  values: ArrayLike<number>;
}

/** Options for {@link metricAtK}. */
export interface MetricAtKOptions extends CommonFigureOptions {
  /** Metric name for the y axis, e.g. "Recall" gives "Recall@K" (default "Metric"). */
  metric?: string;
  /** Logarithmic K axis (default: true when the largest K is at least 20 times the smallest). */
  logK?: boolean;
}

const DASHES: readonly string[] = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];

/**
 * Lines of a top-N metric against K, one per model. Models differ in colour, dash pattern and marker symbol,
 * so the lines stay distinguishable without colour.
 */
export function metricAtK(models: readonly MetricCurve[], options: MetricAtKOptions = {}): PlotlyFigure {
  if (models.length === 0) throw new RangeError("metricAtK: no models given");
  let kMin = Infinity;
  let kMax = -Infinity;
  const allK = new Set<number>();
  const traces: PlotlyTrace[] = models.map((model, i) => {
    if (model.k.length !== model.values.length) {
      throw new RangeError(
        `metricAtK: model ${JSON.stringify(model.name)} has ${model.k.length} K values but ${model.values.length} metric values`,
      );
    }
    for (let j = 0; j < model.k.length; j++) {
      allK.add(model.k[j]);
      kMin = Math.min(kMin, model.k[j]);
      kMax = Math.max(kMax, model.k[j]);
    }
    const style = categoryStyle(i);
    const name = escapePlotlyText(model.name);
    const symbols = ["circle", "square", "diamond", "triangle-up", "x", "cross"];
    return {
      type: "scatter",
      mode: "lines+markers",
      name,
      x: Array.from(model.k),
      y: roundAll(model.values, 6),
      line: { color: style.color, width: 2, dash: DASHES[i % DASHES.length] },
      marker: { color: style.color, size: 7, symbol: symbols[i % symbols.length] },
      hovertemplate: `${name}: %{y:.4g}<extra></extra>`,
    };
  });
  const metric = options.metric ?? "Metric";
  const logK = options.logK ?? (kMin > 0 && kMax / kMin >= 20);
  return {
    data: traces,
    layout: themedLayout(
      { title: options.title, xTitle: "K (length of the top-N list)", yTitle: `${metric}@K`, width: options.width, height: options.height },
      {
        // Tick exactly at the evaluated K values when there are few of them (log axes otherwise label 2, 3, ... 9).
        xaxis: { ...(logK ? { type: "log" } : {}), ...(allK.size <= 12 ? { tickvals: [...allK].sort((a, b) => a - b) } : {}) },
        yaxis: { rangemode: "tozero" },
        hovermode: "x unified",
      },
    ),
    config: defaultConfig(),
  };
}
