// The lab's quality experiments (rating RMSE over folds, the Keras example's protocol, top-N against baselines, stage 1 → stage 2), run by the bench and the quality tests; models are picked by registry id.
import { randomSplit } from "../src/data/splits";
import { ratingSummary } from "../src/data/stats";
import { Dataset, DatasetName, Split } from "../src/data/types";
import { MovieRecommender, RECOMMEND_MIN_RATINGS } from "../src/recommender";
import { ModelReport, modelReport } from "../src/evaluation/report";
import { compareModels } from "../src/experiments/compare";
import { AVERAGED_STAGE2, modelEntry, stage1Vectors, trainModel } from "../src/experiments/registry";
import { trainDotBiasBce, validationSplit } from "../src/experiments/recipes";
import { RecModel } from "../src/models/base";
import { ProgressMode } from "../src/util/progress";

/** The models of the rating experiment, by registry id, in table order. */
export const RATING_MODELS = [
  "stage2-averaged",
  "stage2",
  "stage2-no-session",
  "stage2-random-init",
  "stage2-frozen",
  "stage2-anchored",
  "dot-bias-bce",
  "mf-mean-norm",
  "dot64-mse",
  "dense-rating-classifier",
  "item-knn",
  "svdpp",
  "bayesian-svdpp",
  "user-movie-bias",
  "global-mean",
] as const;
export type RatingModelId = (typeof RATING_MODELS)[number];

/** One model's test RMSE on each fold and their mean. */
export interface FoldResult {
  /** The model's registry id. */
  id: RatingModelId;
  /** Its display label. */
  model: string;
  rmse: number[];
  mae: number[];
  meanRmse: number;
  meanMae: number;
  /** RMSE on test ratings of rarely rated movies (fewer than `rareBelow` training ratings), per fold and mean. */
  rareRmse: number[];
  meanRareRmse: number;
  seconds: number;
}

/** Test ratings whose movie has fewer than `below` ratings in `train`. */
export function rareMovieTest(ds: Dataset, fold: Pick<Split, "train" | "test">, below: number): Int32Array {
  const counts = ratingSummary(ds, fold.train).movieCount;
  return fold.test.filter((i) => counts[ds.ratings.movie[i]] < below);
}

/** Options for {@link ratingFolds}. */
export interface RatingFoldsOptions {
  models?: readonly RatingModelId[];
  seed?: number;
  /** Fraction of each fold's training ratings held out for early stopping (never the test fold). */
  validationFraction?: number;
  /** Stage 1 embedding dimension (= stage 2's). */
  dim?: number;
  progress?: ProgressMode;
  /** Called after each (fold, model) with its test RMSE. */
  onResult?: (fold: string, model: RatingModelId, rmse: number) => void;
  /** "Rare" movies have fewer training ratings than this (default 10). */
  rareBelow?: number;
}

/**
 * Trains every model on every fold and reports test RMSE/MAE per fold and their mean. Stage 1 is trained once per seed
 * on the catalogue's genres (it never sees ratings). Hyperparameters and epochs are chosen without the test fold.
 */
export async function ratingFolds(ds: Dataset, folds: Split[], o: RatingFoldsOptions = {}): Promise<FoldResult[]> {
  const seed = o.seed ?? 42;
  const models = o.models ?? RATING_MODELS;
  const progress = o.progress ?? "none";
  // Stage 1 only sees genres, so it is trained once (per seed, at the members' dimension, for the averaged stage 2).
  const stage1 = await stage1Vectors(ds, { seed, progress }, 1, o.dim);
  const averaged = models.includes("stage2-averaged")
    ? await stage1Vectors(ds, { seed, progress }, AVERAGED_STAGE2.members, AVERAGED_STAGE2.dim)
    : [];
  const results = new Map<RatingModelId, FoldResult>(
    models.map((m) => [
      m,
      { id: m, model: modelEntry(m).label, rmse: [], mae: [], meanRmse: NaN, meanMae: NaN, rareRmse: [], meanRareRmse: NaN, seconds: 0 },
    ]),
  );
  for (const fold of folds) {
    const { train, validation } = validationSplit(fold.train, o.validationFraction ?? 0.05, seed);
    const rare = rareMovieTest(ds, fold, o.rareBelow ?? 10);
    for (const name of models) {
      const t = await trainModel(name, ds, train, { seed, validation, progress, stage1: name === "stage2-averaged" ? averaged : stage1 });
      const rep = await modelReport(ds, fold, t, { protocols: [] });
      const rareRep = await modelReport(ds, { train: fold.train, test: rare }, t, { protocols: [] });
      t.model?.dispose();
      const r = results.get(name)!;
      r.rmse.push(rep.rmse);
      r.mae.push(rep.mae);
      r.rareRmse.push(rareRep.rmse);
      r.seconds += t.seconds;
      o.onResult?.(fold.name, name, rep.rmse);
    }
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [...results.values()].map((r) => ({ ...r, meanRmse: mean(r.rmse), meanMae: mean(r.mae), meanRareRmse: mean(r.rareRmse) }));
}

/**
 * The Keras collaborative-filtering example's protocol on a dataset: a seeded 90/10 split, 50-d embeddings with
 * biases, sigmoid, BCE on min-max ratings, batch 64, 5 epochs. Returns the validation BCE after each epoch.
 */
export async function kerasExampleProtocol(
  ds: Dataset,
  o: { seed?: number; progress?: ProgressMode } = {},
): Promise<{ valLoss: number[]; model: RecModel }> {
  const split = randomSplit(ds, { testFraction: 0.1, seed: o.seed ?? 42 });
  const t = await trainDotBiasBce(ds, split.train, { seed: o.seed ?? 42, validation: split.test, progress: o.progress ?? "none" });
  return { valLoss: t.history!.epochs.map((e) => e.valLoss!), model: t.model! };
}

/** The models of the top-N experiment, by registry id, in table order: the field's references, the lab's own, popularity. */
export const TOP_N_MODELS = ["ease", "ials", "neumf", "item-knn", "stage2-implicit", "bpr-mf", "popularity"] as const;

/** Options for {@link topNComparison}. */
export interface TopNComparisonOptions {
  /** Registry ids (default {@link TOP_N_MODELS}). */
  models?: readonly string[];
  seed?: number;
  /** Cutoffs (default [10, 20]). */
  ks?: number[];
  relevanceThreshold?: number | null;
  progress?: ProgressMode;
  /** Called after each model with its report. */
  onReport?: (report: ModelReport) => void;
}

/**
 * Top-N under both protocols (full ranking with coverage; NCF's leave-one-out against 99 sampled negatives) for the
 * given models, all trained by `compareModels` on the split's training ratings (a 5% carve-out held out only by the
 * models that stop early), with their training times.
 */
export async function topNComparison(ds: Dataset, split: Split, o: TopNComparisonOptions = {}): Promise<ModelReport[]> {
  const seed = o.seed ?? 42;
  return compareModels(ds, split, o.models ?? TOP_N_MODELS, {
    seed,
    progress: o.progress ?? "none",
    report: { ks: o.ks ?? [10, 20], relevanceThreshold: o.relevanceThreshold === undefined ? 4 : o.relevanceThreshold, seed },
    onReport: o.onReport,
  });
}

/** What `recommend` shows, measured: the facade's top-N model and its explicit stage 2, each under the facade's own evaluate. */
export interface RecommendQuality {
  /** The top-N model `recommend` ranks with by default. */
  topN: ModelReport;
  /** The explicit stage 2 (`using: "stage2"`). */
  explicit: ModelReport;
}

/**
 * The facade as notebook 04 uses it (its default split, stage 1 for 8 epochs, stage 2 for `epochs`, `trainTopNModel()`),
 * evaluated with `rec.evaluate`: full ranking over exactly the candidates `recommend` ranks (unseen movies with at
 * least {@link RECOMMEND_MIN_RATINGS} training ratings).
 */
export async function recommendQuality(
  dataset: DatasetName,
  o: { seed?: number; dim?: number; epochs?: number; ks?: number[]; movielensDir?: string } = {},
): Promise<RecommendQuality> {
  const rec = new MovieRecommender({ dataset, seed: o.seed ?? 42, embeddingDim: o.dim ?? 32, progress: "none" });
  try {
    await rec.loadData(o.movielensDir ? { movielensDir: o.movielensDir } : {});
    rec.preprocessData({ testFraction: 0.1 });
    await rec.trainMovieGenreModel({ epochs: 8 });
    await rec.trainUserMovieModel({ epochs: o.epochs ?? 20 });
    await rec.trainTopNModel();
    const report = { ks: o.ks ?? [10, 20], protocols: ["full-ranking" as const] };
    return {
      topN: await rec.evaluate({ ...report, using: "top-n" }),
      explicit: await rec.evaluate({ ...report, using: "stage2" }),
    };
  } finally {
    rec.dispose();
  }
}
