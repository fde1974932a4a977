// The lab's front door: the names notebooks and users need, in one import (`import * as lab from "./src/index"`); the rest by namespace (`lab.data`, `lab.models`, `lab.training`, `lab.evaluation`, `lab.recommend`, `lab.experiments`, `lab.figures`, `lab.projection`).

// Environment and parameters
export { tf, backendInfo, describeBackend } from "./backend";
export { labParams } from "./params";

// Data
export type { Dataset, DatasetName, Movies, Split } from "./data/types";
export { loadDataset, resolveDatasetDir } from "./data/load";
export { memoryUsage } from "./data/columnar";
export { randomSplit, temporalSplit, perUserHoldout, predefinedSplit } from "./data/splits";
export { leaveLastOutSplit } from "./data/sequences";
export { ratingsWithTitlesFrame, topMoviesFrame, genreStatsFrame } from "./data/frames";

// Models and training
export type { MovieScorer } from "./models/scorer";
export { movieGenreModel } from "./models/movie-genre";
export { userMovieModel } from "./models/user-movie";
export { fit } from "./training/fit";
export type { History } from "./training/fit";
export { saveModel, loadModel } from "./training/checkpoint";
export { movieGenreTask } from "./training/tasks/movie-genre";
export { ratingTask } from "./training/tasks/ratings";
export { implicitTask } from "./training/tasks/implicit";

// The model registry and recipes
export { MODELS, trainModel } from "./experiments/registry";
export type { ModelEntry } from "./experiments/registry";
export { compareModels } from "./experiments/compare";
export { trainStage1, trainStage2, validationSplit } from "./experiments/recipes";
export type { Trained } from "./experiments/recipes";

// Evaluation
export { rmse, mae } from "./evaluation/rating-metrics";
export { evaluationData } from "./evaluation/data";
export { evaluateFullRanking } from "./evaluation/full-ranking";
export { evaluateLeaveOneOut } from "./evaluation/leave-one-out";
export { debugUser, formatUserDebug } from "./evaluation/debug";
export { predictHeldOut } from "./evaluation/held-out";
export { modelReport, reportRows } from "./evaluation/report";
export type { ModelReport } from "./evaluation/report";

// Recommendation
export { recommendForUser, similarMovies, findMovies } from "./recommend/recommend";
export { coldStartMovieVector, foldInUser } from "./recommend/cold-start";
export { nextMovies, sequenceUserView } from "./recommend/sequence";
export { MovieRecommender } from "./recommender";

// Figures, display and export
export { movieEmbeddingView, genreEmbeddingView, userEmbeddingView, userActivityView } from "./viz/views";
export { show, showTable } from "./viz/display";
export { saveFigure } from "./viz/export";
export { exportEmbeddings } from "./viz/embeddings-export";
export {
  trainingCurves,
  rmseBars,
  topNCurves,
  qualityVsTime,
  ratingDistribution,
  ratingHistograms,
  genreCounts,
  activityLongTail,
  genreSimilarityHeatmap,
  attentionMap,
} from "./viz/figures/index";
export { pca, tsne, umap } from "./viz/projection/index";

// Everything else, by layer
export * as data from "./data/index";
export * as models from "./models/index";
export * as training from "./training/index";
export * as evaluation from "./evaluation/index";
export * as recommend from "./recommend/index";
export * as experiments from "./experiments/index";
export * as figures from "./viz/figures/index";
export * as projection from "./viz/projection/index";
