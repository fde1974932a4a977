// The SASRec recipe: the next-movie task on each user's training sequence, Adam through the dense loop, optionally from stage 1's movie vectors; returns a scorer that reads each user's history.
import { Dataset } from "../data/types";
import { sasrecModel, sasrecScorer, setSasRecMovieVectors } from "../models/sasrec";
import { fit } from "../training/fit";
import { nextMovieTask } from "../training/tasks/next-movie";
import { Matrix } from "../util/matrix";
import { RecipeOptions, Trained } from "./recipes";

/**
 * SASRec defaults. The architecture is the paper's ML-1M setup (d 50, 2 blocks, 1 head, dropout 0.2, batch 128) with
 * L = 50, the paper's length for its sparser datasets. The learning rate and epochs were chosen on the validation movie
 * (each user's second-to-last; never the test movie) of ml-latest-small, HR@10 against 100 negatives: Adam 1e-3 needs
 * 60 epochs (3.5 s each); 3e-3 scores 0.695 at 10 epochs, 0.753 at 20 and 0.749 at 30; 5e-3 0.733 at 10 and 0.743 at 20.
 */
export const SASREC_DEFAULTS = {
  maxLength: 50,
  dim: 50,
  blocks: 2,
  dropout: 0.2,
  epochs: 20,
  batchSize: 128,
  learningRate: 3e-3,
  windows: "all" as "last" | "all",
};

/** Options for {@link trainSasRec}; anything left out takes {@link SASREC_DEFAULTS}. */
export interface SasRecRecipeOptions extends RecipeOptions {
  maxLength?: number;
  blocks?: number;
  dropout?: number;
  windows?: "last" | "all";
  /** Start the item table from these movie vectors (numMovies x d, e.g. stage 1's); `dim` is then theirs. */
  initial?: Matrix | null;
  /** Threads per training step (fit's `threads`): 2 (default) splits each batch with a worker thread, 1 uses this one. */
  threads?: 1 | 2;
}

/**
 * Trains SASRec on the ratings at `train`, read per user in watch order (rating values ignored): BCE on the next movie
 * against one sampled unseen movie at every position, Adam stepping every weight (the item table whole, as the
 * paper's TF code does) with JS rules by default. The scorer reads each user's whole training
 * sequence (its latest L movies) and ranks by the next-movie logit.
 */
export async function trainSasRec(ds: Dataset, train: Int32Array, o: SasRecRecipeOptions = {}): Promise<Trained> {
  const d = SASREC_DEFAULTS;
  const seed = o.seed ?? 42;
  const t0 = Date.now();
  const maxLength = o.maxLength ?? d.maxLength;
  const dim = o.initial ? o.initial.cols : (o.dim ?? d.dim);
  if (o.initial && o.dim !== undefined && o.dim !== o.initial.cols)
    throw new RangeError(`trainSasRec: option "dim" is ${o.dim} but the initial movie vectors have ${o.initial.cols} columns`);
  const model = sasrecModel({
    numMovies: ds.numMovies,
    maxLength,
    dim,
    blocks: o.blocks ?? d.blocks,
    dropout: o.dropout ?? d.dropout,
    seed,
  });
  try {
    if (o.initial) setSasRecMovieVectors(model, o.initial);
    const task = nextMovieTask(ds, { train, maxLength, windows: o.windows ?? d.windows, seed });
    const name = o.initial ? "SASRec (from stage 1)" : "SASRec";
    const history = await fit(model, task, {
      epochs: o.epochs ?? d.epochs,
      batchSize: o.batchSize ?? d.batchSize,
      learningRate: o.learningRate ?? d.learningRate,
      optimizer: o.optimizer ?? "adam",
      seed,
      updates: o.updates ?? "auto",
      threads: o.threads,
      progress: o.progress,
      title: name,
    });
    return {
      id: o.initial ? "sasrec-stage1" : "sasrec",
      name,
      scorer: sasrecScorer(model, task.sequences, { name }), // the histories the task trained on
      model,
      history,
      transform: null,
      seconds: (Date.now() - t0) / 1000,
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
