// Data-exploration figures: the rating distribution, the long tail of ratings per user and per movie, and genre counts.
import type { Dataset } from "../../data/types";
import { OKABE_ITO, defaultConfig, escapePlotlyText, genreColor, themedLayout } from "../theme";
import type { CommonFigureOptions, PlotlyFigure } from "./types";

/** Bars of how often each rating value occurs. */
export function ratingDistribution(ds: Dataset, options: CommonFigureOptions = {}): PlotlyFigure {
  const counts = new Map<number, number>();
  for (const r of ds.ratings.rating) counts.set(r, (counts.get(r) ?? 0) + 1);
  const x = [...counts.keys()].sort((a, b) => a - b);
  const y = x.map((v) => counts.get(v)!);
  const total = ds.ratings.length;
  return {
    data: [
      {
        type: "bar",
        x,
        y,
        marker: { color: OKABE_ITO[5] },
        customdata: y.map((c) => ((100 * c) / total).toFixed(1)),
        hovertemplate: "rating %{x}: %{y:,} ratings (%{customdata}%)<extra></extra>",
        name: "ratings",
      },
    ],
    layout: themedLayout(
      {
        title: options.title ?? `${ds.name}: rating distribution (${total.toLocaleString("en-US")} ratings)`,
        xTitle: "rating",
        yTitle: "number of ratings",
        width: options.width,
        height: options.height,
      },
      { xaxis: { type: "category" }, bargap: 0.15, showlegend: false },
    ),
    config: defaultConfig(),
  };
}

function sortedCounts(ids: Int32Array, n: number): number[] {
  const c = new Int32Array(n);
  for (const i of ids) c[i]++;
  return Array.from(c).sort((a, b) => b - a);
}

/**
 * The long tail: ratings per user and per movie, sorted by rank, on log-log axes. A few users and movies account for
 * most ratings; most movies have very few (which is why their embeddings are noisy).
 */
export function activityLongTail(ds: Dataset, options: CommonFigureOptions = {}): PlotlyFigure {
  const perUser = sortedCounts(ds.ratings.user, ds.numUsers);
  const perMovie = sortedCounts(ds.ratings.movie, ds.numMovies).filter((c) => c > 0);
  const line = (counts: number[], name: string, color: string) => ({
    type: "scatter",
    mode: "lines",
    name: escapePlotlyText(name),
    x: counts.map((_, i) => i + 1),
    y: counts,
    line: { color, width: 2.5 },
    hovertemplate: `${escapePlotlyText(name)} ranked %{x}: %{y:,} ratings<extra></extra>`,
  });
  return {
    data: [
      line(perMovie, `movies (${perMovie.length.toLocaleString("en-US")} rated)`, OKABE_ITO[1]),
      line(perUser, `users (${perUser.length.toLocaleString("en-US")})`, OKABE_ITO[5]),
    ],
    layout: themedLayout(
      {
        title: options.title ?? `${ds.name}: ratings per user and per movie (long tail)`,
        xTitle: "rank (most active first)",
        yTitle: "number of ratings",
        width: options.width,
        height: options.height,
      },
      { xaxis: { type: "log" }, yaxis: { type: "log" } },
    ),
    config: defaultConfig(),
  };
}

/** Number of movies per genre (a movie counts once for each of its genres), in the lab's fixed genre colours. */
export function genreCounts(ds: Dataset, options: CommonFigureOptions = {}): PlotlyFigure {
  const counts = ds.movies.genreVocabulary.map((g, j) => {
    let c = 0;
    const G = ds.movies.genreVocabulary.length;
    for (let m = 0; m < ds.numMovies; m++) c += ds.movies.genreMatrix[m * G + j];
    return { g, c };
  });
  counts.sort((a, b) => a.c - b.c);
  return {
    data: [
      {
        type: "bar",
        orientation: "h",
        y: counts.map((x) => escapePlotlyText(x.g)),
        x: counts.map((x) => x.c),
        marker: { color: counts.map((x) => genreColor(x.g)) },
        hovertemplate: "%{y}: %{x:,} movies<extra></extra>",
      },
    ],
    layout: themedLayout(
      { title: options.title ?? `${ds.name}: movies per genre`, xTitle: "movies", width: options.width, height: options.height ?? 520 },
      { showlegend: false, margin: { l: 110, r: 20, t: 60, b: 50 } },
    ),
    config: defaultConfig(),
  };
}
