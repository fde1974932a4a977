// Training-curve figures: train and validation loss per epoch for one or several runs.
import { categoryStyle, escapePlotlyText, themedLayout, defaultConfig } from "../theme";
import { roundAll, roundValue } from "./inputs";
import type { CommonFigureOptions, PlotlyFigure, PlotlyTrace } from "./types";

/** The loss history of one training run. */
export interface TrainingRun {
  /** Run label shown in the legend (plain text). */
  name: string;
  /** Training loss per epoch. */
  train: ArrayLike<number>;
  /** Validation loss per epoch (optional; may be shorter or longer than `train`). */
  validation?: ArrayLike<number>;
  /** Epoch numbers for the values (default 1, 2, 3, ...). */
  epochs?: ArrayLike<number>;
}

/** Options for {@link trainingCurves}. */
export interface TrainingCurveOptions extends CommonFigureOptions {
  /** Name of the plotted quantity for the y axis (default "Loss"). */
  metric?: string;
  /** Logarithmic y axis (default false). */
  logY?: boolean;
  /** Mark each run's best (lowest) validation epoch with a star (default true). */
  markBest?: boolean;
}

function epochAxis(run: TrainingRun, length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < length; i++) out.push(run.epochs && i < run.epochs.length ? run.epochs[i] : i + 1);
  return out;
}

/**
 * Train (solid) and validation (dashed) loss per epoch. Each run has one colour, shared by its two lines, and
 * its own legend group; with a single run the lines are just "Train" and "Validation".
 */
export function trainingCurves(runs: readonly TrainingRun[], options: TrainingCurveOptions = {}): PlotlyFigure {
  if (runs.length === 0) throw new RangeError("trainingCurves: no runs given");
  const single = runs.length === 1;
  const maxEpochs = Math.max(...runs.map((r) => Math.max(r.train.length, r.validation?.length ?? 0)));
  const traces: PlotlyTrace[] = [];
  runs.forEach((run, i) => {
    const style = categoryStyle(i);
    const runName = escapePlotlyText(run.name);
    const label = (part: string): string => (single ? part : `${runName} · ${part.toLowerCase()}`);
    traces.push({
      type: "scatter",
      mode: run.train.length <= 60 ? "lines+markers" : "lines",
      name: label("Train"),
      legendgroup: `run${i}`,
      x: epochAxis(run, run.train.length),
      y: roundAll(run.train, 6),
      line: { color: style.color, width: 2 },
      marker: { color: style.color, size: 5, symbol: style.symbol },
      hovertemplate: `${runName}<br>epoch %{x}: train %{y:.4g}<extra></extra>`,
    });
    const validation = run.validation;
    if (validation && validation.length > 0) {
      const epochs = epochAxis(run, validation.length);
      traces.push({
        type: "scatter",
        mode: validation.length <= 60 ? "lines+markers" : "lines",
        name: label("Validation"),
        legendgroup: `run${i}`,
        x: epochs,
        y: roundAll(validation, 6),
        line: { color: style.color, width: 2, dash: "dash" },
        marker: { color: style.color, size: 5, symbol: "circle-open" },
        hovertemplate: `${runName}<br>epoch %{x}: validation %{y:.4g}<extra></extra>`,
      });
      if (options.markBest ?? true) {
        let best = -1;
        for (let e = 0; e < validation.length; e++) {
          if (Number.isFinite(validation[e]) && (best < 0 || validation[e] < validation[best])) best = e;
        }
        if (best >= 0) {
          traces.push({
            type: "scatter",
            mode: "markers",
            name: `${label("Validation")} best`,
            legendgroup: `run${i}`,
            showlegend: false,
            x: [epochs[best]],
            y: [roundValue(validation[best], 6)],
            marker: { color: style.color, size: 13, symbol: "star", line: { color: "#FFFFFF", width: 1 } },
            hovertemplate: `${runName}<br>best validation: epoch %{x}, %{y:.4g}<extra></extra>`,
          });
        }
      }
    }
  });
  return {
    data: traces,
    layout: themedLayout(
      { title: options.title, xTitle: "Epoch", yTitle: options.metric ?? "Loss", width: options.width, height: options.height },
      { yaxis: options.logY ? { type: "log" } : {}, xaxis: maxEpochs <= 20 ? { dtick: 1 } : {}, hovermode: "closest" },
    ),
    config: defaultConfig(),
  };
}
