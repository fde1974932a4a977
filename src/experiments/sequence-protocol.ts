// SASRec's evaluation protocol for any registered model: leave-last-out by time, HR/NDCG@10 against 100 sampled unseen movies, and full ranking.
import { SequenceOptions, SequenceSplit, leaveLastOutSplit } from "../data/sequences";
import { Dataset } from "../data/types";
import { ModelReport } from "../evaluation/report";
import { CompareModelsOptions, compareModels } from "./compare";

/** The models the sequence protocol compares by default: SASRec (both starts) against what order-blind models reach. */
export const SEQUENCE_MODELS: readonly string[] = ["sasrec", "sasrec-stage1", "bpr-mf", "stage2-implicit", "item-knn", "popularity"];

/** Options for {@link compareOnSequences}. */
export interface SequenceProtocolOptions extends Omit<CompareModelsOptions, "report" | "validationFraction">, SequenceOptions {
  /** Cutoffs (default [10], the paper's). */
  ks?: number[];
  /** Sampled negatives per user (default 100, the paper's). */
  numNegatives?: number;
  /** Evaluate on a seeded sample of users (default: all). */
  sampleUsers?: number;
}

/**
 * Kang & McAuley's protocol for every model in `ids`: each user's last movie (by time, ties by movie id) is the test
 * target and the one before it the validation target; models train on the rest (fixed-epoch models also on the
 * validation movie), and are measured on HR and NDCG at 10 against 100 seeded unseen negatives (leave-one-out) and
 * against every unseen movie (full ranking). Rating values are ignored (every rating is an interaction) unless
 * `minRating` keeps only the higher ones. Returns the split too, so its dropped-user count can be reported.
 */
export async function compareOnSequences(
  ds: Dataset,
  ids: readonly string[] = SEQUENCE_MODELS,
  o: SequenceProtocolOptions = {},
): Promise<{ split: SequenceSplit; reports: ModelReport[] }> {
  const { minRating, minLength, ks, numNegatives, sampleUsers, ...compare } = o;
  const split = leaveLastOutSplit(ds, { minRating, minLength });
  const reports = await compareModels(ds, split, ids, {
    ...compare,
    report: { ks: ks ?? [10], relevanceThreshold: null, numNegatives: numNegatives ?? 100, sampleUsers, seed: o.seed ?? 42 },
  });
  return { split, reports };
}
