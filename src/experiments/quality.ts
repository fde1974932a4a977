// The lab's quality experiments (rating RMSE over folds, the Keras example's protocol, top-N against baselines, stage 1 → stage 2), shared by the bench and the tests.
import { randomSplit } from "../data/splits";
import { ratingSummary } from "../data/stats";
import { Dataset, Split } from "../data/types";
import { RecModel } from "../models/base";
import { ProgressMode } from "../training/progress";
import { Matrix } from "../util/matrix";
import { ModelReport, evaluateTrained } from "./compare";
import {
  Trained,
  nonLearnedBaselines,
  trainDenseClasses,
  trainDot64,
  trainKerasBce,
  trainMfMeanNorm,
  trainStage1,
  trainStage2,
  trainStage2Averaged,
  validationSplit,
} from "./recipes";

/** The models the rating experiment can train, by name. */
export const RATING_MODELS = [
  "stage 2 (from stage 1, mean of 5 seeds)",
  "stage 2 (from stage 1)",
  "stage 2 (from stage 1, no session bias)",
  "stage 2 (random init)",
  "stage 2 (frozen stage 1)",
  "stage 2 (anchored to stage 1)",
  "dot + biases, BCE (seed 000)",
  "MF, mean-normalised (seed 001)",
  "dot product, MSE (seed 002)",
  "dense net over rating classes (seed 003)",
  "user + movie bias",
  "global mean",
] as const;
export type RatingModelName = (typeof RATING_MODELS)[number];

/** One model's test RMSE on each fold and their mean. */
export interface FoldResult {
  model: RatingModelName;
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

/**
 * The averaged stage-2 model: how many seeds it combines, and its members' embedding dimension and L2 (wider and less
 * regularised than a single model, whose extra variance the average removes; chosen on u1/u2 validation carve-outs).
 */
export const AVERAGED_STAGE2 = { members: 5, dim: 64, l2: 0.07 };

async function trainByName(
  name: RatingModelName,
  ds: Dataset,
  train: Int32Array,
  validation: Int32Array,
  stage1: Matrix[],
  seed: number,
  progress: ProgressMode,
): Promise<Trained> {
  const common = { seed, validation, progress };
  // Stage 2 explicit: session biases, early stopping on the validation carve-out, then a refit on train + validation.
  const s2 = { ...common, earlyStopping: { patience: 4, monitor: "rmse" }, epochs: 60, sessionBias: true, refit: true };
  switch (name) {
    case "stage 2 (from stage 1, mean of 5 seeds)":
      return trainStage2Averaged(ds, train, stage1, { ...s2, l2: AVERAGED_STAGE2.l2 });
    case "stage 2 (from stage 1)":
      return trainStage2(ds, train, { ...s2, stage1: stage1[0], movieInit: "finetune" });
    case "stage 2 (from stage 1, no session bias)":
      return trainStage2(ds, train, { ...s2, stage1: stage1[0], movieInit: "finetune", sessionBias: false });
    case "stage 2 (random init)":
      return trainStage2(ds, train, { ...s2, stage1: null, dim: stage1[0].cols });
    case "stage 2 (frozen stage 1)":
      return trainStage2(ds, train, { ...s2, stage1: stage1[0], movieInit: "frozen" });
    case "stage 2 (anchored to stage 1)":
      return trainStage2(ds, train, { ...s2, stage1: stage1[0], movieInit: "anchored" });
    case "dot + biases, BCE (seed 000)":
      return trainKerasBce(ds, train, common);
    case "MF, mean-normalised (seed 001)":
      return trainMfMeanNorm(ds, train, common);
    case "dot product, MSE (seed 002)":
      return trainDot64(ds, train, common);
    case "dense net over rating classes (seed 003)":
      return trainDenseClasses(ds, train, common);
    case "user + movie bias":
      return nonLearnedBaselines(ds, train)[1];
    case "global mean":
      return nonLearnedBaselines(ds, train)[0];
  }
}

/** Options for {@link ratingFolds}. */
export interface RatingFoldsOptions {
  models?: readonly RatingModelName[];
  seed?: number;
  /** Fraction of each fold's training ratings held out for early stopping (never the test fold). */
  validationFraction?: number;
  /** Stage 1 embedding dimension (= stage 2's). */
  dim?: number;
  progress?: ProgressMode;
  /** Called after each (fold, model) with its test RMSE. */
  onResult?: (fold: string, model: RatingModelName, rmse: number) => void;
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
  const stage1Vectors = async (seeds: number, dim: number | undefined): Promise<Matrix[]> => {
    const out: Matrix[] = [];
    for (let k = 0; k < seeds; k++) {
      const s1 = await trainStage1(ds, { seed: seed + k, dim, progress });
      out.push(s1.model.weight("movie_embedding"));
      s1.model.dispose();
    }
    return out;
  };
  const stage1 = await stage1Vectors(1, o.dim);
  const averaged = models.includes("stage 2 (from stage 1, mean of 5 seeds)")
    ? await stage1Vectors(AVERAGED_STAGE2.members, AVERAGED_STAGE2.dim)
    : [];
  const results = new Map<RatingModelName, FoldResult>(
    models.map((m) => [m, { model: m, rmse: [], mae: [], meanRmse: NaN, meanMae: NaN, rareRmse: [], meanRareRmse: NaN, seconds: 0 }]),
  );
  for (const fold of folds) {
    const { train, validation } = validationSplit(fold.train, o.validationFraction ?? 0.05, seed);
    const rare = rareMovieTest(ds, fold, o.rareBelow ?? 10);
    for (const name of models) {
      const t = await trainByName(
        name,
        ds,
        train,
        validation,
        name === "stage 2 (from stage 1, mean of 5 seeds)" ? averaged : stage1,
        seed,
        progress,
      );
      const rep = await evaluateTrained(ds, fold, t, { protocols: [] });
      const rareRep = await evaluateTrained(ds, { train: fold.train, test: rare }, t, { protocols: [] });
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
  const t = await trainKerasBce(ds, split.train, { seed: o.seed ?? 42, validation: split.test, progress: o.progress ?? "none" });
  return { valLoss: t.history!.epochs.map((e) => e.valLoss!), model: t.model! };
}

/** Options for {@link topNComparison}. */
export interface TopNComparisonOptions {
  seed?: number;
  ks?: number[];
  relevanceThreshold?: number | null;
  progress?: ProgressMode;
  /** Stage 2 implicit: epochs and learning rate. */
  epochs?: number;
  learningRate?: number;
}

/** Top-N under both protocols for the stage 2 implicit model (from stage 1), popularity and seed 002's dot product. */
export async function topNComparison(ds: Dataset, split: Split, o: TopNComparisonOptions = {}): Promise<ModelReport[]> {
  const seed = o.seed ?? 42;
  const progress = o.progress ?? "none";
  const s1 = await trainStage1(ds, { seed, progress });
  const stage1 = s1.model.weight("movie_embedding");
  s1.model.dispose();
  const models: Trained[] = [
    await trainStage2(ds, split.train, {
      seed,
      stage1,
      loss: "bpr",
      epochs: o.epochs ?? 20,
      learningRate: o.learningRate ?? 0.01,
      progress,
    }),
    nonLearnedBaselines(ds, split.train)[2],
    await trainDot64(ds, split.train, { seed, progress }),
  ];
  const reports: ModelReport[] = [];
  for (const m of models) {
    reports.push(
      await evaluateTrained(ds, split, m, {
        ks: o.ks ?? [10],
        relevanceThreshold: o.relevanceThreshold === undefined ? 4 : o.relevanceThreshold,
        seed,
      }),
    );
    m.model?.dispose();
  }
  return reports;
}
