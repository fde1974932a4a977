// The NeuMF recipe: NCF's pointwise log loss with sampled negatives on implicit feedback, through the sparse training path, optionally from pre-trained GMF and MLP towers; returns a ranking scorer.
import { Dataset } from "../data/types";
import { RecModel } from "../models/base";
import { NeuMFModelOptions, neumfFromPretrained, neumfModel, neumfScorer } from "../models/neumf";
import { History, OptimizerName, fit } from "../training/fit";
import { pointwiseImplicitTask } from "../training/tasks/pointwise-implicit";
import { RecipeOptions, Trained } from "./recipes";

/**
 * NeuMF defaults, chosen on a 10% validation carve-out of ml-100k u1.base (never the test fold), full-ranking NDCG@10
 * (relevance >= 4): 10 epochs of Adam 2e-3, batch 256 positives (1,280 pairs), no L2 scored 0.205 (EASE 0.238,
 * popularity 0.112 on the same carve-out); L2 (1e-3..1e-2), 8 negatives, 32 factors, a smaller MLP, 20 epochs
 * (overfits: 0.162) and pre-training (0.192 with SGD fine-tuning, 0.201 with Adam 3e-4) did not do better, so
 * pre-training is off by default (it costs twice the training time).
 */
export const NEUMF_DEFAULTS = {
  factors: 16,
  mlpDim: 32,
  hidden: [64, 32, 16],
  negatives: 4,
  epochs: 10,
  batchSize: 256,
  learningRate: 2e-3,
  l2: 0,
  pretrain: false,
  alpha: 0.5,
  pretrainEpochs: 10,
  /**
   * After pre-training, NeuMF trains with a fresh Adam at a low rate (the paper uses plain SGD because Adam's moments
   * are not in the copied weights; on the carve-out SGD 1e-2 for 5 epochs scored 0.192, Adam 3e-4 for 3 epochs 0.201).
   */
  finetuneOptimizer: "adam" as OptimizerName,
  finetuneLearningRate: 3e-4,
  finetuneEpochs: 3,
};

/** Options for {@link trainNeuMF}; anything left out takes {@link NEUMF_DEFAULTS}. `dim` is the GMF factors. */
export interface NeuMFRecipeOptions extends RecipeOptions {
  /** GMF embedding size (overrides `dim`). */
  factors?: number;
  mlpDim?: number;
  hidden?: number[];
  /** Sampled negatives per positive, resampled each epoch. */
  negatives?: number;
  /** Ratings at or above count as positives (default null: every training rating is a positive). */
  threshold?: number | null;
  /** Pre-train a GMF and an MLP model, then start NeuMF from both (He et al. 2017, section 3.4.1). */
  pretrain?: boolean;
  /** Pre-training trade-off between the GMF and MLP output weights (default 0.5). */
  alpha?: number;
  /** Epochs of each pre-training model (default 10). */
  pretrainEpochs?: number;
  /** NeuMF after pre-training: optimiser, learning rate and epochs (defaults adam, 3e-4, 3). */
  finetuneOptimizer?: OptimizerName;
  finetuneLearningRate?: number;
  finetuneEpochs?: number;
}

function checkRecipe(o: NeuMFRecipeOptions): void {
  const F = "trainNeuMF";
  const posInt = (name: string, v: unknown): void => {
    if (v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v > 0))
      throw new RangeError(`${F}: option "${name}" must be a positive integer, got ${String(v)}`);
  };
  const posNum = (name: string, v: unknown): void => {
    if (v !== undefined && !(typeof v === "number" && v > 0 && Number.isFinite(v)))
      throw new RangeError(`${F}: option "${name}" must be a positive number, got ${String(v)}`);
  };
  for (const key of ["factors", "dim", "mlpDim", "negatives", "epochs", "batchSize", "pretrainEpochs", "finetuneEpochs"] as const)
    posInt(key, o[key]);
  posNum("learningRate", o.learningRate);
  posNum("finetuneLearningRate", o.finetuneLearningRate);
  if (o.alpha !== undefined && !(typeof o.alpha === "number" && o.alpha >= 0 && o.alpha <= 1))
    throw new RangeError(`${F}: option "alpha" must be in [0, 1], got ${String(o.alpha)}`);
  if (o.pretrain !== undefined && typeof o.pretrain !== "boolean")
    throw new RangeError(`${F}: option "pretrain" must be a boolean, got ${String(o.pretrain)}`);
}

/**
 * Trains NeuMF on the ratings at `train` as implicit feedback (every rating a positive unless `threshold` is given):
 * log loss with `negatives` sampled negatives per positive, Adam, sparse row updates (the model's hand-written backward
 * pass: TF runs only the head). With `pretrain`, a GMF-only and an MLP-only model are trained first (Adam, same loss)
 * and NeuMF starts from both (output weights `[α h_gmf ; (1 − α) h_mlp]`), then trains with `finetuneOptimizer`.
 */
export async function trainNeuMF(ds: Dataset, train: Int32Array, o: NeuMFRecipeOptions = {}): Promise<Trained> {
  checkRecipe(o);
  const d = NEUMF_DEFAULTS;
  const seed = o.seed ?? 42;
  const t0 = Date.now();
  const modelOptions: NeuMFModelOptions = {
    numUsers: ds.numUsers,
    numMovies: ds.numMovies,
    factors: o.factors ?? o.dim ?? d.factors,
    mlpDim: o.mlpDim ?? d.mlpDim,
    hidden: o.hidden ?? d.hidden,
    l2: o.l2 ?? d.l2,
    seed,
  };
  const task = pointwiseImplicitTask(ds, {
    train,
    validation: o.validation,
    negatives: o.negatives ?? d.negatives,
    threshold: o.threshold,
    seed,
  });
  const run = (model: RecModel, title: string, epochs: number, optimizer: OptimizerName, learningRate: number): Promise<History> =>
    fit(model, task, {
      epochs,
      batchSize: o.batchSize ?? d.batchSize,
      learningRate,
      optimizer,
      seed,
      earlyStopping: o.earlyStopping,
      progress: o.progress,
      updates: o.updates,
      title,
    });
  let model: RecModel;
  const pretrain = o.pretrain ?? d.pretrain;
  if (pretrain) {
    const alpha = o.alpha ?? d.alpha;
    const pre = o.pretrainEpochs ?? d.pretrainEpochs;
    const lr = o.learningRate ?? d.learningRate;
    const gmf = neumfModel({ ...modelOptions, towers: "gmf" });
    const mlp = neumfModel({ ...modelOptions, towers: "mlp" });
    try {
      await run(gmf, "NeuMF pre-training: GMF", pre, o.optimizer ?? "adam", lr);
      await run(mlp, "NeuMF pre-training: MLP", pre, o.optimizer ?? "adam", lr);
      model = neumfFromPretrained(gmf, mlp, alpha, modelOptions);
    } finally {
      gmf.dispose();
      mlp.dispose();
    }
  } else {
    model = neumfModel(modelOptions);
  }
  let history: History;
  try {
    history = pretrain
      ? await run(
          model,
          "NeuMF (pre-trained)",
          o.finetuneEpochs ?? d.finetuneEpochs,
          o.finetuneOptimizer ?? d.finetuneOptimizer,
          o.finetuneLearningRate ?? d.finetuneLearningRate,
        )
      : await run(model, "NeuMF", o.epochs ?? d.epochs, o.optimizer ?? "adam", o.learningRate ?? d.learningRate);
  } catch (err) {
    model.dispose(); // a failed run (e.g. diverged) leaves nothing allocated
    throw err;
  }
  const name = pretrain ? "NeuMF (pre-trained GMF + MLP)" : "NeuMF";
  return {
    id: "neumf",
    name,
    scorer: neumfScorer(model, { name }),
    model,
    history,
    transform: null,
    seconds: (Date.now() - t0) / 1000,
  };
}
