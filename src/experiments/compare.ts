// Trains registered models by id on one split and reports them side by side with the same metrics and protocols (notebook 05's table).
import { hasValidation } from "../data/sequences";
import { Dataset, Split } from "../data/types";
import { ModelReport, ReportOptions, modelReport } from "../evaluation/report";
import { Matrix } from "../util/matrix";
import { Trained, validationSplit } from "./recipes";
import { RegistryTrainOptions, modelEntry, stage1Vectors } from "./registry";

/** Options for {@link compareModels}. */
export interface CompareModelsOptions extends RegistryTrainOptions {
  /** Stage 1's embedding size (and so stage 2's); the reference models keep their own tested sizes. */
  dim?: number;
  /** Fraction of the split's training ratings carved out for validation / early stopping (default 0.05; never the test set). */
  validationFraction?: number;
  /** Per-model overrides of the training options, by registry id. */
  perModel?: Readonly<Record<string, RegistryTrainOptions>>;
  /** How the models are evaluated (cutoffs, relevance threshold, protocols, user sample). */
  report?: ReportOptions;
  /**
   * Models already trained on this split's training ratings, by registry id: reported as they are instead of trained
   * again, and not disposed (the caller owns them), e.g. a model a notebook trained to look inside.
   */
  trained?: Readonly<Record<string, Trained>>;
  /** Called after each model with its report (e.g. to print progress). */
  onReport?: (report: ModelReport) => void;
}

/**
 * Trains each registered model in `ids` on the split's training ratings with its tested defaults, reports it on the
 * split's test ratings, and frees it. A validation carve-out of the training ratings goes to every entry — the split's
 * own when it has one (the leave-last-out split's second-to-last movies), else a seeded 5% — and the entries that stop
 * early hold it out (and refit on everything), the others fit on it too. Stage 1 is trained once and
 * shared by the entries that start from one set of stage-1 vectors. Reports come back in the order of `ids`.
 */
export async function compareModels(
  ds: Dataset,
  split: Pick<Split, "train" | "test"> & { validation?: Int32Array },
  ids: readonly string[],
  o: CompareModelsOptions = {},
): Promise<ModelReport[]> {
  const entries = ids.map((id) => modelEntry(id)); // unknown ids fail before anything trains
  const seed = o.seed ?? 42;
  const { train, validation } = hasValidation(split)
    ? { train: without(split.train, split.validation), validation: split.validation }
    : validationSplit(split.train, o.validationFraction ?? 0.05, seed);
  const needsStage1 = entries.some((e) => e.stage1Seeds === 1);
  const stage1: Matrix[] | undefined =
    o.stage1 ?? (needsStage1 ? await stage1Vectors(ds, { seed, progress: o.progress }, 1, o.dim) : undefined);
  // `dim` sizes stage 1 (stage 2 takes its size from stage 1's vectors); each reference model keeps its own tested size.
  const { perModel, report, onReport, trained: given, validationFraction: _fraction, dim: _dim, ...common } = o;
  const reports: ModelReport[] = [];
  for (const entry of entries) {
    const options: RegistryTrainOptions = { ...common, seed, validation, stage1, ...perModel?.[entry.id] };
    const own = given?.[entry.id];
    const trained = own ?? (await entry.train(ds, train, options));
    try {
      const rep = await modelReport(ds, split, trained, { seed, ...report });
      reports.push(rep);
      onReport?.(rep);
    } finally {
      if (!own) trained.model?.dispose();
    }
  }
  return reports;
}

/** The entries of `all` (rating indices) that are not in `some`, in order. */
function without(all: Int32Array, some: Int32Array): Int32Array {
  const drop = new Set(some);
  return all.filter((i) => !drop.has(i));
}
