// Embedding projections for plots (PCA, UMAP, fast Barnes–Hut t-SNE, tsne-js reference) and their quality metrics.
export * from "./matrix";
export * from "./types";
export * from "./pca";
export * from "./umap";
export * from "./tsne";
export * from "./tsne-exact";
export * from "./steps";
export * from "./knn";
export * from "./neighbours";
export { NATIVE_KNN_THREADS_MIN_ROWS } from "./knn-native";
export { approximateKnn } from "./nndescent";
export type { ApproximateKnnOptions, ApproximateKnnStats } from "./nndescent";
export * from "./affinities";
export * from "./bhtree";
export * from "./metrics";
export * from "./synthetic";
