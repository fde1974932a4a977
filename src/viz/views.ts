// Embedding views: project a stage's movie (or user) embeddings with PCA, t-SNE or UMAP and turn them into Plotly figures in one call.
import { ratingSummary } from "../data/stats";
import { Dataset } from "../data/types";
import { Matrix, takeRows } from "../util/matrix";
import { PlotlyFigure } from "./figures/types";
import { movieEmbeddingScatter } from "./figures/movies";
import { genreEmbeddingScatter } from "./figures/genres";
import { userEmbeddingScatter } from "./figures/users";
import { pca } from "./projection/pca";
import { tsneAsync } from "./projection/tsne";
import { ProjectionResult } from "./projection/types";
import { umapAsync } from "./projection/umap";
import { ProgressMode, WorkProgress, createWorkProgress } from "../util/progress";
import { categoryStyle, defaultConfig, escapePlotlyText, themedLayout } from "./theme";

/** The projections a view can use. */
export type ViewMethod = "pca" | "tsne" | "umap";

/** Options for {@link projectEmbeddings}. */
export interface ProjectOptions {
  method?: ViewMethod;
  seed?: number;
  /** t-SNE perplexity (default 30). */
  perplexity?: number;
  /** UMAP neighbourhood size (default 15). */
  nNeighbors?: number;
  /** Distance for t-SNE/UMAP on embeddings; cosine is usually what "similar movies" means (default "cosine"). */
  metric?: "euclidean" | "cosine";
  /** t-SNE iterations (default 1000). */
  nIter?: number;
  /** Where t-SNE's and UMAP's progress goes (default "auto": a display updated in place in a notebook, a bar on a terminal). */
  progress?: ProgressMode | WorkProgress;
  /** Reuse an earlier t-SNE or UMAP of exactly the same rows and options (default true; see {@link projectEmbeddings}). */
  reuse?: boolean;
}

/** How many earlier t-SNE and UMAP results {@link projectEmbeddings} keeps for reuse. */
export const REUSED_PROJECTIONS = 4;

/** Earlier t-SNE and UMAP results with their exact inputs, newest last. */
const reusable: { key: string; data: Float32Array; rows: number; cols: number; result: ProjectionResult<unknown> }[] = [];

/** An earlier result for exactly these rows and options, or null. */
function earlierProjection(m: Matrix, key: string): ProjectionResult<unknown> | null {
  for (const e of reusable) {
    if (e.key !== key || e.rows !== m.rows || e.cols !== m.cols || e.data.length !== m.data.length) continue;
    let same = true;
    for (let k = 0; k < e.data.length && same; k++) same = Object.is(e.data[k], m.data[k]);
    if (same) return e.result;
  }
  return null;
}

/**
 * Projects the rows of `m` to 2-D with the chosen method (seeded and repeatable). t-SNE and UMAP yield to the event
 * loop as they go and show their progress (iteration, ETA, and t-SNE's KL) on `o.progress`.
 *
 * A t-SNE or UMAP of exactly the same rows with the same options and seed gives the same coordinates, so the last
 * {@link REUSED_PROJECTIONS} results are kept and such a call returns a copy of the earlier one at once, its `seconds`
 * and diagnostics included: a notebook that draws one map twice (another genre highlighted, a cell rerun to change
 * colours) pays for it once. Pass `reuse: false` to compute it again.
 */
export async function projectEmbeddings(m: Matrix, o: ProjectOptions = {}): Promise<ProjectionResult<unknown>> {
  const method = o.method ?? "tsne";
  const seed = o.seed ?? 42;
  const metric = o.metric ?? "cosine";
  if (method !== "tsne" && method !== "umap") return project(m, method, seed, metric, o);
  const key = JSON.stringify([method, seed, metric, o.perplexity ?? null, o.nNeighbors ?? null, o.nIter ?? null]);
  const earlier = o.reuse === false ? null : earlierProjection(m, key);
  if (earlier) return { ...earlier, coords: earlier.coords.slice() };
  const result = await project(m, method, seed, metric, o);
  reusable.push({ key, data: m.data.slice(), rows: m.rows, cols: m.cols, result: { ...result, coords: result.coords.slice() } });
  if (reusable.length > REUSED_PROJECTIONS) reusable.shift();
  return result;
}

/** The projection itself, computed afresh (no reuse). */
function project(
  m: Matrix,
  method: ViewMethod,
  seed: number,
  metric: "euclidean" | "cosine",
  o: ProjectOptions,
): Promise<ProjectionResult<unknown>> | ProjectionResult<unknown> {
  switch (method) {
    case "pca":
      return pca(m, { seed });
    case "umap":
      return umapAsync(m, { seed, nNeighbors: o.nNeighbors, metric, progress: createWorkProgress(o.progress ?? "auto") });
    case "tsne":
      return tsneAsync(m, { seed, perplexity: o.perplexity, metric, nIter: o.nIter, progress: createWorkProgress(o.progress ?? "auto") });
    default:
      throw new Error(`unknown projection "${method as string}" (use pca, tsne or umap)`);
  }
}

/** Display names of the methods, for axis titles. */
export const METHOD_LABEL: Record<ViewMethod, string> = { pca: "PC", tsne: "t-SNE", umap: "UMAP" };

/** Options for {@link movieEmbeddingView}. */
export interface MovieViewOptions extends ProjectOptions {
  /** Only movies with at least this many ratings (untrained vectors of unrated movies are noise; default 10). */
  minRatings?: number;
  highlightGenre?: string;
  title?: string;
}

/** The movies with at least `minRatings` ratings, as dense indices (`counts`: each movie's rating count, when at hand). */
export function moviesWithRatings(ds: Dataset, minRatings: number, counts: ArrayLike<number> = ratingSummary(ds).movieCount): Int32Array {
  const keep: number[] = [];
  for (let m = 0; m < ds.numMovies; m++) if (counts[m] >= minRatings) keep.push(m);
  return Int32Array.from(keep);
}

/** A 2-D view of movie embeddings (numMovies x d), coloured by genre, with the projection it used. */
export async function movieEmbeddingView(
  ds: Dataset,
  embeddings: Matrix,
  o: MovieViewOptions = {},
): Promise<{ figure: PlotlyFigure; projection: ProjectionResult<unknown>; movies: Int32Array }> {
  if (embeddings.rows !== ds.numMovies)
    throw new RangeError(`embeddings have ${embeddings.rows} rows, ${ds.name} has ${ds.numMovies} movies`);
  const movies = moviesWithRatings(ds, o.minRatings ?? 10);
  if (movies.length < 3) throw new Error(`only ${movies.length} movies have ${o.minRatings ?? 10}+ ratings; lower minRatings`);
  const projection = await projectEmbeddings(takeRows(embeddings, movies), o);
  const method = o.method ?? "tsne";
  const figure = movieEmbeddingScatter(projection, ds.movies, {
    movieIndex: movies,
    highlightGenre: o.highlightGenre,
    projectionName: METHOD_LABEL[method],
    title:
      o.title ??
      `${ds.name}: movie embeddings (${METHOD_LABEL[method]}, ${movies.length.toLocaleString("en-US")} movies with ${o.minRatings ?? 10}+ ratings)`,
  });
  return { figure, projection, movies };
}

/** Genre embeddings as labelled points on a PCA of movie and genre vectors together (genres on the movies' map). */
export function genreEmbeddingView(
  ds: Dataset,
  movieEmbeddings: Matrix,
  genreEmbeddings: Matrix,
  o: { seed?: number; title?: string } = {},
): PlotlyFigure {
  const G = genreEmbeddings.rows;
  const both = new Float32Array((movieEmbeddings.rows + G) * genreEmbeddings.cols);
  both.set(movieEmbeddings.data);
  both.set(genreEmbeddings.data, movieEmbeddings.data.length);
  const proj = pca({ data: both, rows: movieEmbeddings.rows + G, cols: genreEmbeddings.cols }, { seed: o.seed ?? 42 });
  const genreXY = proj.coords.slice(movieEmbeddings.rows * 2);
  const movieXY = proj.coords.slice(0, movieEmbeddings.rows * 2);
  return genreEmbeddingScatter({ coords: genreXY, dims: 2 }, ds.movies.genreVocabulary, {
    background: { coords: movieXY, dims: 2 },
    projectionName: "PC",
    title: o.title ?? `${ds.name}: genre embeddings on the movies' PCA map`,
  });
}

/** User embeddings coloured by a demographic (datasets with users: ml-100k, ml-1m). */
export async function userEmbeddingView(
  ds: Dataset,
  userEmbeddings: Matrix,
  colorBy: "gender" | "ageBracket" | "occupation",
  o: ProjectOptions & { title?: string } = {},
): Promise<{ figure: PlotlyFigure; projection: ProjectionResult<unknown> }> {
  if (!ds.users) throw new Error(`${ds.name} has no user demographics; use ml-100k or ml-1m`);
  const projection = await projectEmbeddings(userEmbeddings, o);
  const method = o.method ?? "tsne";
  const figure = userEmbeddingScatter(projection, ds.users, colorBy, {
    projectionName: METHOD_LABEL[method],
    title: o.title ?? `${ds.name}: user embeddings by ${colorBy} (${METHOD_LABEL[method]})`,
  });
  return { figure, projection };
}

/** User embeddings coloured by how many ratings each user gave (for datasets without demographics). */
export async function userActivityView(
  ds: Dataset,
  userEmbeddings: Matrix,
  o: ProjectOptions & { title?: string } = {},
): Promise<{ figure: PlotlyFigure; projection: ProjectionResult<unknown> }> {
  const projection = await projectEmbeddings(userEmbeddings, o);
  const counts = ratingSummary(ds).userCount;
  const buckets = [
    { name: "fewer than 50 ratings", lo: 0, hi: 50 },
    { name: "50–199 ratings", lo: 50, hi: 200 },
    { name: "200–999 ratings", lo: 200, hi: 1000 },
    { name: "1,000+ ratings", lo: 1000, hi: Infinity },
  ];
  const method = o.method ?? "tsne";
  const data = buckets
    .map((b, i) => {
      const users = Array.from({ length: ds.numUsers }, (_, u) => u).filter((u) => counts[u] >= b.lo && counts[u] < b.hi);
      return {
        type: "scatter",
        mode: "markers",
        name: escapePlotlyText(b.name),
        x: users.map((u) => projection.coords[u * 2]),
        y: users.map((u) => projection.coords[u * 2 + 1]),
        customdata: users.map((u) => [ds.userIds[u], counts[u]]),
        marker: { color: categoryStyle(i).color, size: 6, opacity: 0.8 },
        hovertemplate: "user %{customdata[0]}: %{customdata[1]} ratings<extra></extra>",
      };
    })
    .filter((t) => t.x.length > 0);
  const figure: PlotlyFigure = {
    data,
    layout: themedLayout({
      title: o.title ?? `${ds.name}: user embeddings by activity (${METHOD_LABEL[method]}; no demographics in this dataset)`,
      xTitle: `${METHOD_LABEL[method]} 1`,
      yTitle: `${METHOD_LABEL[method]} 2`,
    }),
    config: defaultConfig(),
  };
  return { figure, projection };
}
