// Movie-embedding scatter plots: one trace per primary genre, or one genre highlighted against the rest.
import type { Movies } from "../../data/types";
import { escapePlotlyText, genreStyle, MUTED_GREY, themedLayout, defaultConfig } from "../theme";
import { pointRows, roundValue, toXY } from "./inputs";
import type { CommonFigureOptions, Coordinates2D, PlotlyFigure, PlotlyTrace } from "./types";

/** Above this many points, scatter figures use WebGL (`scattergl`) so 60k points stay responsive. */
export const WEBGL_POINT_THRESHOLD = 5000;

/** Label used for movies without any genre. */
export const NO_GENRE_LABEL = "(no genres listed)";

/** How a movie's single "primary" genre is chosen from its genre list. */
export type PrimaryGenreRule =
  /** The first genre as listed in the dataset. */
  | "first"
  /** The genre, among the movie's, with the fewest movies in the dataset (more specific colouring). */
  | "rarest";

/** Options for {@link movieEmbeddingScatter}. */
export interface MovieScatterOptions extends CommonFigureOptions {
  /** Point i is movie `movieIndex[i]` (a dense movie index); default: point i is movie i. */
  movieIndex?: ArrayLike<number>;
  /** Colour one genre (every movie that has it, in any position) and draw the rest grey. */
  highlightGenre?: string;
  /** How the primary genre is chosen when colouring by genre (default "first"). */
  primaryGenre?: PrimaryGenreRule;
  /** Name of the projection for the axis titles, e.g. "UMAP" gives "UMAP 1" / "UMAP 2" (default "Dimension"). */
  projectionName?: string;
  /** Point count above which `scattergl` is used (default {@link WEBGL_POINT_THRESHOLD}). */
  webglThreshold?: number;
  /** Marker size in px (default: 7 below 2k points, 5 below 20k, else 4). */
  markerSize?: number;
}

/** Primary genre of every movie in the table (or {@link NO_GENRE_LABEL}), chosen by `rule`. */
export function primaryGenres(movies: Movies, rule: PrimaryGenreRule = "first"): string[] {
  if (rule === "first") return movies.genres.map((g) => (g.length > 0 ? g[0] : NO_GENRE_LABEL));
  const counts = new Map<string, number>();
  for (const list of movies.genres) for (const g of list) counts.set(g, (counts.get(g) ?? 0) + 1);
  const vocabOrder = new Map(movies.genreVocabulary.map((g, i) => [g, i] as [string, number]));
  return movies.genres.map((list) => {
    let best: string | null = null;
    for (const g of list) {
      if (best === null) {
        best = g;
        continue;
      }
      const cg = counts.get(g) ?? 0;
      const cb = counts.get(best) ?? 0;
      if (cg < cb || (cg === cb && (vocabOrder.get(g) ?? Infinity) < (vocabOrder.get(best) ?? Infinity))) best = g;
    }
    return best ?? NO_GENRE_LABEL;
  });
}

/** The hover template for movie points whose customdata is [title, year, genres] (all pre-escaped). */
export const MOVIE_HOVERTEMPLATE = "<b>%{customdata[0]}</b> (%{customdata[1]})<br>%{customdata[2]}<extra></extra>";

/** Escaped [title, year, genres] for the hover label of one movie. */
export function movieHoverData(movies: Movies, movie: number): [string, string, string] {
  const year = movies.years[movie];
  const genres = movies.genres[movie];
  return [
    escapePlotlyText(movies.titles[movie]),
    year === null || year === undefined ? "year unknown" : String(year),
    escapePlotlyText(genres.length > 0 ? genres.join(", ") : NO_GENRE_LABEL),
  ];
}

function defaultMarkerSize(points: number): number {
  return points < 2000 ? 7 : points < 20000 ? 5 : 4;
}

function defaultOpacity(points: number): number {
  return points < 2000 ? 0.85 : points < 20000 ? 0.7 : 0.55;
}

/** Builds one marker trace from a list of point numbers. */
function pointTrace(
  type: "scatter" | "scattergl",
  name: string,
  members: number[],
  xy: { x: Float64Array; y: Float64Array },
  rows: Int32Array,
  movies: Movies,
  marker: Record<string, unknown>,
): PlotlyTrace {
  const x = new Array<number | null>(members.length);
  const y = new Array<number | null>(members.length);
  const customdata = new Array<[string, string, string]>(members.length);
  for (let k = 0; k < members.length; k++) {
    const p = members[k];
    x[k] = roundValue(xy.x[p]);
    y[k] = roundValue(xy.y[p]);
    customdata[k] = movieHoverData(movies, rows[p]);
  }
  return {
    type,
    mode: "markers",
    name: escapePlotlyText(name),
    x,
    y,
    customdata,
    hovertemplate: MOVIE_HOVERTEMPLATE,
    marker,
  };
}

/**
 * A 2-D scatter of movie embeddings (already projected to 2-D).
 *
 * By default every primary genre is its own trace (so each has a legend entry that toggles it), coloured with
 * the genre's fixed theme colour; with `highlightGenre` there are two traces, the genre and a grey "Other".
 * Hover shows title, year and genres. Above `webglThreshold` points the traces are `scattergl`.
 * All titles and genre names are HTML-escaped.
 */
export function movieEmbeddingScatter(coordinates: Coordinates2D, movies: Movies, options: MovieScatterOptions = {}): PlotlyFigure {
  const who = "movieEmbeddingScatter";
  const xy = toXY(coordinates, who);
  const n = xy.length;
  const rows = pointRows(n, options.movieIndex, movies.titles.length, who);
  const threshold = options.webglThreshold ?? WEBGL_POINT_THRESHOLD;
  const type = n > threshold ? "scattergl" : "scatter";
  const size = options.markerSize ?? defaultMarkerSize(n);
  const opacity = defaultOpacity(n);
  const projection = options.projectionName ?? "Dimension";
  const traces: PlotlyTrace[] = [];
  let legendTitle: string;

  if (options.highlightGenre !== undefined) {
    const genre = options.highlightGenre;
    if (!movies.genreVocabulary.includes(genre)) {
      throw new RangeError(`${who}: unknown genre "${genre}"; the dataset has: ${movies.genreVocabulary.join(", ")}`);
    }
    const inGenre: number[] = [];
    const rest: number[] = [];
    for (let p = 0; p < n; p++) (movies.genres[rows[p]].includes(genre) ? inGenre : rest).push(p);
    const style = genreStyle(genre);
    traces.push(
      pointTrace(type, "Other", rest, xy, rows, movies, { color: MUTED_GREY, size: Math.max(2, size - 1), opacity: 0.35 }),
      pointTrace(type, genre, inGenre, xy, rows, movies, {
        color: style.color,
        symbol: style.symbol,
        size,
        opacity: Math.min(1, opacity + 0.15),
      }),
    );
    legendTitle = "Genre";
  } else {
    const primary = primaryGenres(movies, options.primaryGenre ?? "first");
    const groups = new Map<string, number[]>();
    for (let p = 0; p < n; p++) {
      const g = primary[rows[p]];
      let list = groups.get(g);
      if (!list) groups.set(g, (list = []));
      list.push(p);
    }
    // Legend in the dataset's genre order (no-genre last); drawing order largest group first so small genres stay visible.
    const legendOrder = [...movies.genreVocabulary, NO_GENRE_LABEL];
    const rankOf = (g: string): number => {
      const i = legendOrder.indexOf(g);
      return i >= 0 ? i : legendOrder.length;
    };
    const names = [...groups.keys()].sort((a, b) => groups.get(b)!.length - groups.get(a)!.length || rankOf(a) - rankOf(b));
    for (const g of names) {
      const style = genreStyle(g);
      const trace = pointTrace(type, g, groups.get(g)!, xy, rows, movies, { color: style.color, symbol: style.symbol, size, opacity });
      trace.legendrank = 1000 + rankOf(g);
      traces.push(trace);
    }
    legendTitle = options.primaryGenre === "rarest" ? "Rarest genre" : "Primary genre";
  }

  return {
    data: traces,
    layout: themedLayout(
      { title: options.title, xTitle: `${projection} 1`, yTitle: `${projection} 2`, width: options.width, height: options.height },
      {
        legend: { title: { text: escapePlotlyText(legendTitle) }, itemsizing: "constant" },
        xaxis: { showticklabels: true },
      },
    ),
    config: defaultConfig(),
  };
}
