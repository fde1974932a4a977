// The model registry: every model the lab trains, by a stable id, with its label, what it is, and how it trains with its tested defaults; comparisons, notebooks and the bench pick models here by id.
import { Dataset } from "../data/types";
import { biasScorer, globalMeanScorer, popularityScorer } from "../models/baselines";
import { easeScorer, fitEase } from "../models/ease";
import { fitIals, ialsScorer } from "../models/ials";
import { fitItemKnn, itemKnnScorer } from "../models/item-knn";
import { fitSvdpp, svdppScorer } from "../models/svdpp";
import { bayesianSvdppScorer, fitBayesianSvdpp } from "../models/bayesian-svdpp";
import type { MovieScorer } from "../models/scorer";
import { createProgress } from "../util/progress";
import { Matrix } from "../util/matrix";
import {
  RecipeOptions,
  Stage2Options,
  Trained,
  trainDenseRatingClassifier,
  trainDotBiasBce,
  trainDotMse64,
  trainMfMeanNorm,
  trainStage1,
  trainStage2,
  trainStage2Averaged,
  validationSplit,
} from "./recipes";
import { trainNeuMF } from "./neumf-recipe";
import { SASREC_DEFAULTS, trainSasRec } from "./sasrec-recipe";

/** Options every registry entry accepts; anything left out takes the entry's tested default. */
export interface RegistryTrainOptions extends RecipeOptions {
  /**
   * Stage 1's movie vectors, one matrix per seed (seed, seed + 1, ...), for the stage-2 entries. When absent, an entry
   * that needs them trains stage 1 itself with the same seed(s) (stage 1 sees only genres, never ratings).
   */
  stage1?: Matrix[];
}

/** One model of the lab: a stable id, a label for tables, what it is, and how it trains. */
export interface ModelEntry {
  /** Stable id: what tables, benchmarks and notebooks key on (never the label, never a position). */
  readonly id: string;
  /** Display label. */
  readonly label: string;
  /** One sentence: what the model is (and which tutorial recipe it reproduces, for the reference models). */
  readonly about: string;
  /** "two-stage": the lab's own model and its ablations; "reference": a well-known model; "baseline": non-learned. */
  readonly family: "two-stage" | "reference" | "baseline";
  /** What it predicts: ratings (RMSE applies) or only a ranking. */
  readonly predicts: "ratings" | "ranking";
  /** How many stage-1 seeds it needs (0: none). */
  readonly stage1Seeds: number;
  /**
   * Which of the training options `dim` and `l2` the entry honours (absent: neither), so a sweep can refuse an entry
   * that would ignore them. Entries that start from stage 1 take `dim` from the stage-1 vectors they are given.
   */
  readonly tunes?: readonly ("dim" | "l2")[];
  /** Trains the model on the dataset's ratings at `train` with its tested defaults under `options`. */
  train(ds: Dataset, train: Int32Array, options: RegistryTrainOptions): Promise<Trained>;
}

/**
 * The model the facade's `recommend`, cold-start user and notebook 04 rank with: the lab's best top-N model on the
 * bench (ml-100k u1 full ranking, NDCG@10: EASE 0.4485, iALS 0.4437, stage 2 implicit 0.4139, NeuMF 0.3868; a quality
 * test keeps the choice honest). EASE is also closed-form (no seed, no epochs: seconds on ml-latest-small) and scores a
 * new user from their liked movies without retraining.
 */
export const TOP_N_MODEL = "ease";

/** The averaged stage-2 model: seeds averaged, members' dimension and L2 (chosen on u1/u2 validation carve-outs). */
export const AVERAGED_STAGE2 = { members: 5, dim: 64, l2: 0.07 };

/**
 * Stage 2 explicit, as tuned: session biases, early stopping on a validation carve-out (5% of `train` when none is
 * given; never the test set), then a refit on train + validation for the best epoch count.
 */
function explicitStage2(o: RegistryTrainOptions, train: Int32Array): { train: Int32Array; options: Stage2Options } {
  const seed = o.seed ?? 42;
  const carved = o.validation ? { train, validation: o.validation } : validationSplit(train, 0.05, seed);
  const { stage1: _vectors, ...recipe } = o;
  return {
    train: carved.train,
    options: {
      ...recipe,
      seed,
      validation: carved.validation,
      earlyStopping: o.earlyStopping ?? { patience: 4, monitor: "rmse" },
      epochs: o.epochs ?? 60,
      sessionBias: true,
      refit: true,
    },
  };
}

/**
 * What a model with fixed hyperparameters fits on: the training ratings plus the validation carve-out. Only models that
 * choose something on the carve-out (early stopping, then a refit) hold it out; the others would just lose 5% of the
 * data (the carve-out is a subset of the caller's training fold, never the test set).
 */
function withValidation(train: Int32Array, o: RegistryTrainOptions): Int32Array {
  if (!o.validation || o.validation.length === 0) return train;
  const all = new Int32Array(train.length + o.validation.length);
  all.set(train);
  all.set(o.validation, train.length);
  return all;
}

/**
 * A fixed-epoch recipe's data: without early stopping it fits on train + the carve-out (see {@link withValidation}) and
 * monitors nothing; with early stopping it keeps the carve-out to stop on.
 */
function fixedEpochs(train: Int32Array, o: RegistryTrainOptions): [Int32Array, RegistryTrainOptions] {
  return o.earlyStopping ? [train, o] : [withValidation(train, o), { ...o, validation: undefined }];
}

/**
 * Stage 1's movie vectors for `seeds` seeds (o.seed, o.seed + 1, ...): `o.stage1` when it holds enough, else trained
 * here at `dim`. Stage 1 sees only genres, so comparisons and the bench train it once and pass it to every entry.
 */
export async function stage1Vectors(
  ds: Dataset,
  o: Pick<RegistryTrainOptions, "seed" | "progress" | "stage1">,
  seeds: number,
  dim?: number,
): Promise<Matrix[]> {
  if (o.stage1 && o.stage1.length >= seeds) return o.stage1.slice(0, seeds);
  const seed = o.seed ?? 42;
  const out: Matrix[] = [];
  for (let k = 0; k < seeds; k++) {
    const s1 = await trainStage1(ds, { seed: seed + k, dim, progress: o.progress });
    out.push(s1.model.weight("movie_embedding"));
    s1.model.dispose();
  }
  return out;
}

function stage2Entry(id: string, label: string, about: string, extra: Partial<Stage2Options> & { fromStage1: boolean }): ModelEntry {
  return {
    id,
    label,
    about,
    family: "two-stage",
    predicts: "ratings",
    stage1Seeds: extra.fromStage1 ? 1 : 0,
    tunes: ["dim", "l2"],
    async train(ds, train, o) {
      const { train: fitOn, options } = explicitStage2(o, train);
      const { fromStage1, ...rest } = extra;
      const stage1 = fromStage1 ? (await stage1Vectors(ds, o, 1))[0] : null;
      const dim = fromStage1 ? undefined : (o.dim ?? o.stage1?.[0]?.cols);
      const t = await trainStage2(ds, fitOn, { ...options, stage1, ...(dim !== undefined ? { dim } : {}), ...rest });
      return { ...t, id, name: label };
    },
  };
}

/** Every model of the lab, in display order. */
export const MODELS: readonly ModelEntry[] = [
  {
    id: "stage2-averaged",
    label: "stage 2 (from stage 1, mean of 5 seeds)",
    about: "Five stage-2 models (64-d, L2 0.07), each from its own stage-1 vectors, averaged into one user–movie model.",
    family: "two-stage",
    predicts: "ratings",
    stage1Seeds: AVERAGED_STAGE2.members,
    tunes: ["dim", "l2"],
    async train(ds, train, o) {
      const vectors = await stage1Vectors(ds, o, AVERAGED_STAGE2.members, AVERAGED_STAGE2.dim);
      const { train: fitOn, options } = explicitStage2(o, train);
      const t = await trainStage2Averaged(ds, fitOn, vectors, { ...options, l2: o.l2 ?? AVERAGED_STAGE2.l2 });
      return { ...t, id: "stage2-averaged", name: "stage 2 (from stage 1, mean of 5 seeds)" };
    },
  },
  stage2Entry(
    "stage2",
    "stage 2 (from stage 1)",
    "User and movie embeddings with biases and a bias per rating day, the movie table starting from stage 1 (fine-tuned).",
    {
      fromStage1: true,
      movieInit: "finetune",
    },
  ),
  stage2Entry("stage2-no-session", "stage 2 (from stage 1, no session bias)", "Stage 2 without the per-day session bias (ablation).", {
    fromStage1: true,
    movieInit: "finetune",
    sessionBias: false,
  }),
  stage2Entry("stage2-random-init", "stage 2 (random init)", "Stage 2 with a randomly initialised movie table (the ablation of stage 1).", {
    fromStage1: false,
  }),
  stage2Entry("stage2-frozen", "stage 2 (frozen stage 1)", "Stage 2 with stage 1's movie table kept frozen.", {
    fromStage1: true,
    movieInit: "frozen",
  }),
  stage2Entry(
    "stage2-anchored",
    "stage 2 (anchored to stage 1)",
    "Stage 2 whose L2 pulls movie vectors towards stage 1's instead of zero.",
    {
      fromStage1: true,
      movieInit: "anchored",
    },
  ),
  bprStage2Entry(
    "stage2-implicit",
    "stage 2 implicit (BPR, from stage 1)",
    "Stage 2 trained for top-N with BPR on implicit feedback, the movie table starting from stage 1 (Adam 0.003, 20 epochs: chosen on a validation carve-out of ml-100k u1's training ratings).",
    true,
  ),
  bprStage2Entry(
    "bpr-mf",
    "BPR-MF",
    "Rendle et al. 2009's BPR matrix factorisation: stage 2 implicit's dot product and BPR loss with a random movie table (so also the stage-1 ablation for top-N).",
    false,
  ),
  {
    id: "dot-bias-bce",
    label: "Keras example: dot + biases, BCE on scaled ratings",
    about:
      "The Keras collaborative-filtering example (RecommenderNet): 50-d embeddings with biases, sigmoid, BCE on min-max scaled ratings.",
    family: "reference",
    predicts: "ratings",
    stage1Seeds: 0,
    tunes: ["dim", "l2"],
    train: (ds, train, o) => trainDotBiasBce(ds, ...fixedEpochs(train, o)),
  },
  {
    id: "mf-mean-norm",
    label: "MF with mean normalisation",
    about: "Matrix factorisation on per-movie mean-normalised ratings with a user bias and L2, trained full-batch.",
    family: "reference",
    predicts: "ratings",
    stage1Seeds: 0,
    tunes: ["dim", "l2"],
    train: (ds, train, o) => trainMfMeanNorm(ds, ...fixedEpochs(train, o)),
  },
  {
    id: "dot64-mse",
    label: "64-d dot product, MSE",
    about: "A 64-d user·movie dot product without biases under MSE, Adam 1e-3.",
    family: "reference",
    predicts: "ratings",
    stage1Seeds: 0,
    tunes: ["dim", "l2"],
    train: (ds, train, o) => trainDotMse64(ds, ...fixedEpochs(train, o)),
  },
  {
    id: "dense-rating-classifier",
    label: "dense rating classifier",
    about: "User and movie embeddings into dense ReLU layers and a softmax over rating classes (expected rating for RMSE).",
    family: "reference",
    predicts: "ratings",
    stage1Seeds: 0,
    tunes: ["dim"],
    train: (ds, train, o) => trainDenseRatingClassifier(ds, ...fixedEpochs(train, o)),
  },
  {
    id: "item-knn",
    label: "item-kNN",
    about: "Item-based kNN: shrunk cosine similarity over baseline residuals; ratings as Surprise's KNNBaseline (k = 40).",
    family: "reference",
    predicts: "ratings",
    stage1Seeds: 0,
    train: async (ds, train, o) => fitted("item-knn", "item-kNN", () => itemKnnScorer(fitItemKnn(ds, withValidation(train, o)))),
  },
  {
    id: "svdpp",
    label: "SVD++",
    about:
      "Koren's SVD++: biases, user and movie factors and the user's implicit feedback |N(u)|^-½ Σ y_j, plus a bias per rating day; SGD in plain JS (d = 128, 25 epochs).",
    family: "reference",
    predicts: "ratings",
    stage1Seeds: 0,
    tunes: ["dim", "l2"],
    train: async (ds, train, o) =>
      fitted("svdpp", "SVD++", () =>
        svdppScorer(
          fitSvdpp(ds, withValidation(train, o), {
            seed: o.seed,
            dim: o.dim,
            epochs: o.epochs,
            learningRate: o.learningRate,
            l2: o.l2,
            progress: createProgress(o.progress),
          }),
        ),
      ),
  },
  {
    id: "bayesian-svdpp",
    label: "Bayesian SVD++",
    about:
      "SVD++ with the implicit term on both sides (a movie is also described by who rated it) as a Bayesian model, fitted by Gibbs sampling with hyperpriors; predicts the posterior mean of 125 draws from 2 chains of 175 sweeps (d = 10; nothing to tune: the priors are learned).",
    family: "reference",
    predicts: "ratings",
    stage1Seeds: 0,
    tunes: ["dim"],
    train: async (ds, train, o) =>
      fitted("bayesian-svdpp", "Bayesian SVD++", () =>
        bayesianSvdppScorer(
          fitBayesianSvdpp(ds, withValidation(train, o), { seed: o.seed, dim: o.dim, progress: createProgress(o.progress) }),
        ),
      ),
  },
  {
    id: "neumf",
    label: "NeuMF",
    about:
      "He et al. 2017's neural collaborative filtering: a GMF tower and an MLP tower ([64, 32, 16]) fused into one logit, log loss with 4 sampled negatives per rating.",
    family: "reference",
    predicts: "ranking",
    stage1Seeds: 0,
    tunes: ["dim", "l2"],
    train: (ds, train, o) => {
      const { stage1: _vectors, ...recipe } = o;
      return trainNeuMF(ds, ...fixedEpochs(train, recipe));
    },
  },
  {
    id: "ease",
    label: "EASE",
    about:
      "Steck's EASE: closed-form item–item weights B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹ on the binary training matrix (λ = 400).",
    family: "reference",
    predicts: "ranking",
    stage1Seeds: 0,
    train: async (ds, train, o) => fitted("ease", "EASE", () => easeScorer(fitEase(ds, withValidation(train, o)))),
  },
  {
    id: "ials",
    label: "iALS",
    about:
      "Implicit ALS matrix factorisation (Hu et al. 2008) with Rendle et al.'s 2021 loss, solved in closed form per row (d = 64, 8 epochs).",
    family: "reference",
    predicts: "ranking",
    stage1Seeds: 0,
    train: async (ds, train, o) => fitted("ials", "iALS", () => ialsScorer(fitIals(ds, withValidation(train, o), { seed: o.seed }))),
  },
  sasrecEntry(
    "sasrec",
    "SASRec",
    "Kang & McAuley's self-attentive sequential model: 2 causal self-attention blocks over the user's last 50 movies in watch order, trained to predict the next movie (BCE, one sampled negative per position).",
    false,
  ),
  sasrecEntry(
    "sasrec-stage1",
    "SASRec (from stage 1)",
    "SASRec with its movie table starting from stage 1's genre-learned movie vectors (stage 1 trained at SASRec's d), the sequence model's stage-1 ablation.",
    true,
  ),
  baselineEntry(
    "user-movie-bias",
    "user + movie bias",
    "Koren's baseline predictor mu + b_u + b_i with damped means.",
    "ratings",
    biasScorer,
  ),
  baselineEntry("global-mean", "global mean", "Every prediction is the mean training rating.", "ratings", globalMeanScorer),
  baselineEntry(
    "popularity",
    "popularity",
    "Movies ranked by their number of training ratings, the same for every user.",
    "ranking",
    popularityScorer,
  ),
];

/** A model fitted in closed form or plain JS (no TF.js model, no training history), timed. */
function fitted(id: string, label: string, fit: () => MovieScorer): Trained {
  const t0 = Date.now();
  const scorer = fit();
  return { id, name: label, scorer, model: null, history: null, transform: null, seconds: (Date.now() - t0) / 1000 };
}

/**
 * What a ranking model that comes in two starts says of itself: from stage 1's movie vectors it is the lab's own
 * (family "two-stage", one stage-1 seed), from a random table a reference model.
 */
function rankerFromStage1OrRandom(
  id: string,
  label: string,
  about: string,
  fromStage1: boolean,
  tunes: ModelEntry["tunes"],
): Omit<ModelEntry, "train"> {
  return { id, label, about, family: fromStage1 ? "two-stage" : "reference", predicts: "ranking", stage1Seeds: fromStage1 ? 1 : 0, tunes };
}

/**
 * Stage 2 trained for top-N with BPR, with stage 2's defaults (Adam 0.003, 20 epochs, d 32 without stage 1): from stage
 * 1's movie vectors (the lab's own, family "two-stage") or from a random movie table (BPR-MF, a reference model).
 */
function bprStage2Entry(id: string, label: string, about: string, fromStage1: boolean): ModelEntry {
  return {
    ...rankerFromStage1OrRandom(id, label, about, fromStage1, ["dim", "l2"]),
    async train(ds, trainIdx, options) {
      const stage1 = fromStage1 ? (await stage1Vectors(ds, options, 1))[0] : null;
      const [train, o] = fixedEpochs(trainIdx, options);
      const { stage1: _vectors, ...recipe } = o;
      const t = await trainStage2(ds, train, { ...recipe, stage1, loss: "bpr" });
      return { ...t, id, name: label };
    },
  };
}

/** SASRec from a random movie table (a reference model) or from stage 1's movie vectors (the lab's two-stage idea). */
function sasrecEntry(id: string, label: string, about: string, fromStage1: boolean): ModelEntry {
  return {
    ...rankerFromStage1OrRandom(id, label, about, fromStage1, ["dim"]),
    async train(ds, trainIdx, options) {
      // The ablation compares like with like: stage 1 at SASRec's own size (shared vectors are used when they have it).
      const dim = options.dim ?? SASREC_DEFAULTS.dim;
      const shared = options.stage1?.[0];
      const initial = !fromStage1
        ? null
        : shared && shared.cols === dim
          ? shared
          : (await stage1Vectors(ds, { seed: options.seed, progress: options.progress }, 1, dim))[0];
      const [train, o] = fixedEpochs(trainIdx, options);
      const { stage1: _vectors, l2: _l2, ...recipe } = o;
      const t = await trainSasRec(ds, train, { ...recipe, dim, initial });
      return { ...t, id, name: label };
    },
  };
}

function baselineEntry(
  id: string,
  label: string,
  about: string,
  predicts: "ratings" | "ranking",
  scorer: (ds: Dataset, train: Int32Array) => MovieScorer,
): ModelEntry {
  return {
    id,
    label,
    about,
    family: "baseline",
    predicts,
    stage1Seeds: 0,
    train: async (ds, train, o) => fitted(id, label, () => scorer(ds, withValidation(train, o))),
  };
}

/** The ids of every registered model, in display order. */
export const MODEL_IDS: readonly string[] = MODELS.map((m) => m.id);

/** The registry entry with this id; the error lists the ids there are. */
export function modelEntry(id: string): ModelEntry {
  const entry = MODELS.find((m) => m.id === id);
  if (!entry) throw new RangeError(`unknown model id ${JSON.stringify(id)}; the registry has: ${MODEL_IDS.join(", ")}`);
  return entry;
}

/** Trains the registered model `id` on the dataset's ratings at `train`, with its tested defaults under `options`. */
export function trainModel(id: string, ds: Dataset, train: Int32Array, options: RegistryTrainOptions = {}): Promise<Trained> {
  return modelEntry(id).train(ds, train, options);
}
