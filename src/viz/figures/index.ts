// Public API of the figure specs: pure functions from embeddings, ratings and metrics to Plotly figures.
export type { PlotlyFigure, PlotlyTrace, PlotlyLayout, PlotlyConfig, Coordinates2D, EmbeddingMatrix, CommonFigureOptions } from "./types";
export { movieEmbeddingScatter, primaryGenres, movieHoverData, MOVIE_HOVERTEMPLATE, WEBGL_POINT_THRESHOLD, NO_GENRE_LABEL } from "./movies";
export type { MovieScatterOptions, PrimaryGenreRule } from "./movies";
export { genreEmbeddingScatter, genreSimilarityHeatmap, cosineSimilarityMatrix } from "./genres";
export type { GenreScatterOptions, GenreHeatmapOptions } from "./genres";
export { userEmbeddingScatter } from "./users";
export type { UserAttribute, UserScatterOptions } from "./users";
export { trainingCurves } from "./training";
export type { TrainingRun, TrainingCurveOptions } from "./training";
export { ratingHistograms, ratingsByGenre } from "./ratings";
export type { RatingHistogramOptions, RatingsByGenreOptions } from "./ratings";
export { metricAtK } from "./evaluation";
export type { MetricCurve, MetricAtKOptions } from "./evaluation";
export { genreColor, genreStyle, escapePlotlyText } from "../theme";
export { ratingDistribution, activityLongTail, genreCounts } from "./explore";
export { qualityVsTime, rmseBars, topNCurves } from "./comparison";
export { sweepFigure, formatL2 } from "./sweep";
