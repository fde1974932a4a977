// The sweep figure: a model's validation metric against embedding size, one line per L2 strength, with the chosen point starred.
import { type SweepResult, lowerIsBetter } from "../../experiments/sweep";
import { categoryStyle, defaultConfig, escapePlotlyText, themedLayout } from "../theme";
import { roundValue } from "./inputs";
import type { CommonFigureOptions, PlotlyFigure, PlotlyTrace } from "./types";

const DASHES: readonly string[] = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];
const SYMBOLS: readonly string[] = ["circle", "square", "diamond", "triangle-up", "x", "cross"];

/** An L2 strength as a short label: 0, 0.07, 1e-5. */
export function formatL2(l2: number): string {
  if (l2 === 0) return "0";
  const v = Number(l2.toPrecision(3));
  if (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4) return String(v);
  return v
    .toExponential()
    .replace(/\.?0+e/, "e")
    .replace("e+", "e");
}

/**
 * The metric of a {@link SweepResult} against the embedding size: one line per L2 strength (in the sweep's order), the
 * x axis logarithmic with a tick at every swept dim (so doubling sizes are evenly spaced), and the chosen point as a
 * star with an annotation. The y axis names the metric and the validation carve-out it was measured on.
 */
export function sweepFigure(result: SweepResult, options: CommonFigureOptions = {}): PlotlyFigure {
  if (result.rows.length === 0) throw new RangeError("sweepFigure: the sweep has no rows");
  const metric = result.metric === "rmse" ? "RMSE" : "NDCG@10";
  const better = lowerIsBetter(result.metric) ? "lower is better" : "higher is better";
  const l2s = [...new Set(result.rows.map((r) => r.l2))];
  const dims = [...new Set(result.rows.map((r) => r.dim))].sort((a, b) => a - b);
  const traces: PlotlyTrace[] = l2s.map((l2, i) => {
    const pts = result.rows.filter((r) => r.l2 === l2).sort((a, b) => a.dim - b.dim);
    const style = categoryStyle(i);
    const name = `L2 = ${formatL2(l2)}`;
    return {
      type: "scatter",
      mode: "lines+markers",
      name,
      x: pts.map((p) => p.dim),
      y: pts.map((p) => roundValue(p.value, 6)),
      line: { color: style.color, width: 2, dash: DASHES[i % DASHES.length] },
      marker: { color: style.color, size: 7, symbol: SYMBOLS[i % SYMBOLS.length] },
      hovertemplate: `${name}, dim %{x}: ${metric} %{y:.4f}<extra></extra>`,
    };
  });
  const c = result.chosen;
  const chosenText = `chosen: dim ${c.dim}, L2 ${formatL2(c.l2)} (${metric} ${c.value.toFixed(4)})`;
  traces.push({
    type: "scatter",
    mode: "markers",
    name: chosenText,
    x: [c.dim],
    y: [roundValue(c.value, 6)],
    marker: { symbol: "star", size: 18, color: "#000000", line: { color: "#FFFFFF", width: 1 } },
    hovertemplate: `${chosenText}<extra></extra>`,
  });
  const label = escapePlotlyText(result.label);
  return {
    data: traces,
    layout: themedLayout(
      {
        title: options.title ?? `${result.label}: ${metric} against embedding size and L2`,
        xTitle: "embedding size (dim, log scale)",
        yTitle: `${metric} on the validation carve-out (${better})`,
        width: options.width,
        height: options.height,
      },
      {
        xaxis: { type: "log", tickvals: dims, ticktext: dims.map(String) },
        annotations: [
          {
            x: Math.log10(c.dim),
            y: roundValue(c.value, 6),
            text: escapePlotlyText(`chosen: dim ${c.dim}, L2 ${formatL2(c.l2)}`),
            showarrow: true,
            arrowhead: 2,
            ax: 0,
            ay: lowerIsBetter(result.metric) ? 36 : -36,
            font: { size: 12 },
          },
        ],
        legend: { title: { text: label } },
      },
    ),
    config: defaultConfig(),
  };
}
