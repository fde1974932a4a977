// Rating figures: predicted vs actual rating histograms (overlaid) and the rating distribution per genre (box or violin).
import type { Movies } from "../../data/types";
import { escapePlotlyText, genreStyle, themedLayout, defaultConfig } from "../theme";
import { roundValue } from "./inputs";
import type { CommonFigureOptions, PlotlyFigure, PlotlyTrace } from "./types";

/** Options for {@link ratingHistograms}. */
export interface RatingHistogramOptions extends CommonFigureOptions {
  /** Smallest and largest possible rating (default: the range of `actual`). Predictions outside are counted in the end bins. */
  ratingScale?: { readonly min: number; readonly max: number };
  /** Bin width, centred on the rating values (default 1 when every actual rating is whole, else 0.5). */
  step?: number;
}

/** Counts of `values` in bins of width `step` centred on min, min+step, ..., max (out-of-range values go to the end bins). */
function binCounts(values: ArrayLike<number>, min: number, step: number, bins: number): { counts: number[]; total: number } {
  const counts = new Array<number>(bins).fill(0);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.round((v - min) / step)));
    counts[b] += 1;
    total += 1;
  }
  return { counts, total };
}

/**
 * Overlaid histograms of predicted and actual ratings, as percentages of each set, pre-binned here so that
 * even millions of ratings give a small figure. When both arrays pair up (same length), RMSE and MAE are noted.
 */
export function ratingHistograms(
  predicted: ArrayLike<number>,
  actual: ArrayLike<number>,
  options: RatingHistogramOptions = {},
): PlotlyFigure {
  let lo = Infinity;
  let hi = -Infinity;
  let whole = true;
  for (let i = 0; i < actual.length; i++) {
    const v = actual[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (whole && Math.round(v) !== v) whole = false;
  }
  const scale = options.ratingScale ?? (lo <= hi ? { min: lo, max: hi } : { min: 0, max: 5 });
  const step = options.step ?? (whole ? 1 : 0.5);
  if (!(step > 0)) throw new RangeError(`ratingHistograms: step must be positive, got ${step}`);
  const bins = Math.max(1, Math.round((scale.max - scale.min) / step) + 1);
  const centres = Array.from({ length: bins }, (_, b) => roundValue(scale.min + b * step, 6));
  const series: { name: string; values: ArrayLike<number>; color: string }[] = [
    { name: "Actual", values: actual, color: "#0072B2" },
    { name: "Predicted", values: predicted, color: "#D55E00" },
  ];
  const traces: PlotlyTrace[] = series.map((s) => {
    const { counts, total } = binCounts(s.values, scale.min, step, bins);
    return {
      type: "bar",
      name: s.name,
      x: centres,
      y: counts.map((c) => (total > 0 ? roundValue((100 * c) / total, 4) : 0)),
      customdata: counts,
      width: step * 0.96,
      marker: { color: s.color, opacity: 0.55, line: { color: s.color, width: 1 } },
      hovertemplate: `${s.name}: rating %{x}<br>%{y:.1f}% (%{customdata:,} ratings)<extra></extra>`,
    };
  });
  const annotations: unknown[] = [];
  if (predicted.length === actual.length && actual.length > 0) {
    let se = 0;
    let ae = 0;
    let n = 0;
    for (let i = 0; i < actual.length; i++) {
      const d = predicted[i] - actual[i];
      if (!Number.isFinite(d)) continue;
      se += d * d;
      ae += Math.abs(d);
      n += 1;
    }
    if (n > 0) {
      annotations.push({
        xref: "paper",
        yref: "paper",
        x: 0.01,
        y: 0.99,
        xanchor: "left",
        yanchor: "top",
        showarrow: false,
        align: "left",
        text: `RMSE ${Math.sqrt(se / n).toFixed(3)} · MAE ${(ae / n).toFixed(3)} · n = ${n.toLocaleString("en-US")}`,
        font: { size: 12, color: "#444444" },
        bgcolor: "rgba(255,255,255,0.8)",
      });
    }
  }
  return {
    data: traces,
    layout: themedLayout(
      { title: options.title, xTitle: "Rating", yTitle: "Share of ratings (%)", width: options.width, height: options.height },
      { barmode: "overlay", bargap: 0, xaxis: { dtick: step, tick0: scale.min }, annotations, legend: { x: 1, xanchor: "right", y: 1 } },
    ),
    config: defaultConfig(),
  };
}

/** Options for {@link ratingsByGenre}. */
export interface RatingsByGenreOptions extends CommonFigureOptions {
  /** "box" (exact quartiles, default) or "violin" (density from a proportional sample). */
  kind?: "box" | "violin";
  /** Genres to show, in this order (default: every genre of the vocabulary that has ratings). */
  genres?: readonly string[];
  /** Order when `genres` is not given: the vocabulary order (default), by median (highest first), or by count. */
  sortBy?: "vocabulary" | "median" | "count";
  /** Samples per violin (default 2000): drawn in exact proportion to the genre's rating counts, no randomness. */
  maxSamplesPerGenre?: number;
}

/** Summary of one genre's ratings. */
interface GenreRatingStats {
  genre: string;
  count: number;
  mean: number;
  q1: number;
  median: number;
  q3: number;
  lowerfence: number;
  upperfence: number;
  /** Distinct values ascending, with their counts. */
  values: number[];
  counts: number[];
}

function statsFromCounts(genre: string, tally: Map<number, number>): GenreRatingStats {
  const keys = [...tally.keys()].sort((a, b) => a - b);
  const values = keys.map((k) => k / 100);
  const counts = keys.map((k) => tally.get(k)!);
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    n += counts[i];
    sum += values[i] * counts[i];
  }
  const nth = (k: number): number => {
    let seen = 0;
    for (let i = 0; i < values.length; i++) {
      seen += counts[i];
      if (k < seen) return values[i];
    }
    return values[values.length - 1];
  };
  const quantile = (p: number): number => {
    const h = (n - 1) * p;
    const a = nth(Math.floor(h));
    const b = nth(Math.ceil(h));
    return a + (h - Math.floor(h)) * (b - a);
  };
  const q1 = quantile(0.25);
  const q3 = quantile(0.75);
  const iqr = q3 - q1;
  const lowerfence = values.find((v) => v >= q1 - 1.5 * iqr) ?? values[0];
  let upperfence = values[values.length - 1];
  for (let i = values.length - 1; i >= 0; i--) {
    if (values[i] <= q3 + 1.5 * iqr) {
      upperfence = values[i];
      break;
    }
  }
  return { genre, count: n, mean: sum / n, q1, median: quantile(0.5), q3, lowerfence, upperfence, values, counts };
}

/** `size` values drawn in exact proportion to `counts` (largest-remainder rounding), ascending. */
function proportionalSample(values: number[], counts: number[], total: number, size: number): number[] {
  const quotas = counts.map((c) => (c * size) / total);
  const whole = quotas.map((q) => Math.floor(q));
  let missing = size - whole.reduce((a, b) => a + b, 0);
  const order = quotas.map((q, i) => [q - whole[i], i] as [number, number]).sort((a, b) => b[0] - a[0]);
  for (let k = 0; missing > 0 && k < order.length; k++, missing--) whole[order[k][1]] += 1;
  const out: number[] = [];
  values.forEach((v, i) => {
    for (let r = 0; r < whole[i]; r++) out.push(v);
  });
  return out;
}

function withAlpha(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255},${(v >> 8) & 255},${v & 255},${alpha})`;
}

/**
 * The rating distribution of every genre (a movie's rating counts for each of its genres), one box or violin
 * per genre in the genre's theme colour. Boxes are computed exactly from rating counts (no raw data in the
 * figure); violins use a proportional sample of at most `maxSamplesPerGenre` values.
 */
export function ratingsByGenre(
  ratings: { readonly movie: ArrayLike<number>; readonly rating: ArrayLike<number> },
  movies: Movies,
  options: RatingsByGenreOptions = {},
): PlotlyFigure {
  const who = "ratingsByGenre";
  if (ratings.movie.length !== ratings.rating.length) {
    throw new RangeError(`${who}: ${ratings.movie.length} movie indices but ${ratings.rating.length} ratings`);
  }
  const vocab = movies.genreVocabulary;
  const gIndex = new Map(vocab.map((g, i) => [g, i] as [string, number]));
  const movieGenres = movies.genres.map((list) => list.map((g) => gIndex.get(g)).filter((i): i is number => i !== undefined));
  const tallies = vocab.map(() => new Map<number, number>());
  for (let i = 0; i < ratings.rating.length; i++) {
    const v = ratings.rating[i];
    const m = ratings.movie[i];
    if (!Number.isFinite(v) || m < 0 || m >= movieGenres.length) continue;
    const key = Math.round(v * 100);
    for (const g of movieGenres[m]) tallies[g].set(key, (tallies[g].get(key) ?? 0) + 1);
  }
  let stats = vocab
    .map((g, i) => (tallies[i].size > 0 ? statsFromCounts(g, tallies[i]) : null))
    .filter((s): s is GenreRatingStats => s !== null);
  if (options.genres !== undefined) {
    const byName = new Map(stats.map((s) => [s.genre, s] as [string, GenreRatingStats]));
    for (const g of options.genres)
      if (!gIndex.has(g)) throw new RangeError(`${who}: unknown genre "${g}"; the dataset has: ${vocab.join(", ")}`);
    stats = options.genres.map((g) => byName.get(g)).filter((s): s is GenreRatingStats => s !== undefined);
  } else if (options.sortBy === "median") {
    stats.sort((a, b) => b.median - a.median || b.mean - a.mean);
  } else if (options.sortBy === "count") {
    stats.sort((a, b) => b.count - a.count);
  }
  const kind = options.kind ?? "box";
  const maxSamples = Math.max(10, Math.floor(options.maxSamplesPerGenre ?? 2000));
  const traces: PlotlyTrace[] = stats.map((s) => {
    const label = escapePlotlyText(s.genre);
    const color = genreStyle(s.genre).color;
    const common = {
      name: label,
      legendgroup: label,
      showlegend: false,
      marker: { color },
      line: { color, width: 1.5 },
      fillcolor: withAlpha(color, 0.35),
    };
    if (kind === "violin") {
      const sample = proportionalSample(s.values, s.counts, s.count, Math.min(maxSamples, s.count));
      return {
        type: "violin",
        ...common,
        x0: label,
        y: sample,
        spanmode: "hard",
        points: false,
        box: { visible: true, width: 0.25 },
        meanline: { visible: true },
        scalemode: "width",
        hoverinfo: "y+name",
      };
    }
    return {
      type: "box",
      ...common,
      x: [label],
      q1: [roundValue(s.q1, 4)],
      median: [roundValue(s.median, 4)],
      q3: [roundValue(s.q3, 4)],
      lowerfence: [roundValue(s.lowerfence, 4)],
      upperfence: [roundValue(s.upperfence, 4)],
      mean: [roundValue(s.mean, 4)],
      boxpoints: false,
      text: [`${label}: ${s.count.toLocaleString("en-US")} ratings`],
      hoverinfo: "y+text",
    };
  });
  return {
    data: traces,
    layout: themedLayout(
      { title: options.title, xTitle: "Genre", yTitle: "Rating", width: options.width, height: options.height },
      { xaxis: { type: "category", tickangle: -40 }, showlegend: false, violinmode: "overlay", boxmode: "overlay" },
    ),
    config: defaultConfig(),
  };
}
