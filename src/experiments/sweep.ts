// An embedding-size × L2 sweep for one registered model, scored on a seeded validation carve-out of the training ratings (never the test fold), with the chosen point and flat table rows.
import { Dataset } from "../data/types";
import { modelReport } from "../evaluation/report";
import { ProgressMode } from "../util/progress";
import { Matrix } from "../util/matrix";
import { validationSplit } from "./recipes";
import { ModelEntry, RegistryTrainOptions, modelEntry, stage1Vectors } from "./registry";

/** The metric a sweep chooses by: RMSE on the carve-out's ratings (lower is better) or full-ranking NDCG@10 (higher is better). */
export type SweepMetric = "rmse" | "ndcg@10";

/** One grid point of a sweep: its embedding size, its L2, the metric on the validation carve-out and its wall time. */
export interface SweepRow {
  dim: number;
  l2: number;
  /** The metric on the validation carve-out (RMSE or NDCG@10). */
  value: number;
  /** Wall time of the point: training plus evaluation on the carve-out (shared stage-1 training excluded). */
  seconds: number;
}

/** Options for {@link sweepModel}. */
export interface SweepOptions {
  /** The registry id of the model to sweep; the entry must honour both `dim` and `l2` (its `tunes`). */
  model: string;
  /** Embedding sizes to try (positive integers, no repeats), in the order the rows should come. */
  dims: readonly number[];
  /** L2 strengths to try (finite, >= 0, no repeats), in the order the rows should come. */
  l2s: readonly number[];
  /** What to choose by (default: "rmse" for a model that predicts ratings, "ndcg@10" for a ranking-only model). */
  metric?: SweepMetric;
  /** Fraction of `train` carved out (seeded) to score every point on (default 0.1). */
  validationFraction?: number;
  /** Seed of the carve-out, of every model and of stage 1 (default 42). */
  seed?: number;
  /** Training progress display (default "none"). */
  progress?: ProgressMode;
  /** NDCG@10: a carve-out rating is relevant when >= this (default 4). */
  relevanceThreshold?: number;
  /**
   * Further training options for every point (e.g. fewer `epochs`); the sweep sets `dim`, `l2`, `seed`, `progress`
   * and the stage-1 vectors itself.
   */
  train?: Omit<RegistryTrainOptions, "dim" | "l2" | "seed" | "progress" | "stage1" | "validation">;
  /** Called after each grid point with its row (e.g. to print progress). */
  onPoint?: (row: SweepRow) => void;
}

/** What {@link sweepModel} returns: the grid's rows (dims outer, L2 inner, in the given orders) and the chosen point. */
export interface SweepResult {
  /** The registry id swept. */
  model: string;
  /** The model's display label. */
  label: string;
  metric: SweepMetric;
  /** One row per (dim, l2): for each dim in `dims` order, every l2 in `l2s` order. */
  rows: SweepRow[];
  /** The point with the lowest RMSE or the highest NDCG@10 (the first such row on a tie). */
  chosen: { dim: number; l2: number; value: number };
  /** The carve-out the points were scored on: its size and fraction of `train`, and the seed that drew it. */
  validation: { ratings: number; fraction: number; seed: number };
}

/** Whether a lower value of the metric is better. */
export function lowerIsBetter(metric: SweepMetric): boolean {
  return metric === "rmse";
}

/** The argument checks of {@link sweepModel}: RangeErrors that name the argument. */
function checkSweep(entry: ModelEntry, train: Int32Array, o: SweepOptions, metric: SweepMetric, fraction: number): void {
  const F = "sweepModel";
  const ignored = (["dim", "l2"] as const).filter((k) => !entry.tunes?.includes(k));
  if (ignored.length > 0)
    throw new RangeError(
      `${F}: model "${entry.id}" ignores ${ignored.join(" and ")} (it tunes: ${entry.tunes?.length ? entry.tunes.join(", ") : "nothing"}), so a dim × L2 sweep would not change it`,
    );
  if (!Array.isArray(o.dims) || o.dims.length === 0)
    throw new RangeError(`${F}: option "dims" must be a non-empty array of embedding sizes`);
  if (!Array.isArray(o.l2s) || o.l2s.length === 0) throw new RangeError(`${F}: option "l2s" must be a non-empty array of L2 strengths`);
  for (const d of o.dims)
    if (!(typeof d === "number" && Number.isInteger(d) && d > 0))
      throw new RangeError(`${F}: option "dims" must hold positive integers, got ${String(d)}`);
  for (const l of o.l2s)
    if (!(typeof l === "number" && Number.isFinite(l) && l >= 0))
      throw new RangeError(`${F}: option "l2s" must hold finite numbers >= 0, got ${String(l)}`);
  if (new Set(o.dims).size !== o.dims.length) throw new RangeError(`${F}: option "dims" repeats a value: ${o.dims.join(", ")}`);
  if (new Set(o.l2s).size !== o.l2s.length) throw new RangeError(`${F}: option "l2s" repeats a value: ${o.l2s.join(", ")}`);
  if (metric !== "rmse" && metric !== "ndcg@10")
    throw new RangeError(`${F}: option "metric" must be "rmse" or "ndcg@10", got ${String(metric)}`);
  if (metric === "rmse" && entry.predicts !== "ratings")
    throw new RangeError(`${F}: option "metric" is "rmse" but model "${entry.id}" predicts only a ranking; use "ndcg@10"`);
  if (!(typeof fraction === "number" && fraction > 0 && fraction < 1))
    throw new RangeError(`${F}: option "validationFraction" must be in (0, 1), got ${String(fraction)}`);
  const carved = Math.round(train.length * fraction);
  if (carved < 1 || carved >= train.length)
    throw new RangeError(`${F}: argument "train" (${train.length} ratings) is too small to carve out a validation fraction of ${fraction}`);
}

/**
 * Sweeps a registered model over embedding sizes × L2 strengths. A seeded `validationFraction` of `train` is carved out
 * once; every point trains the entry on the rest with the sweep's `dim` and `l2` (stage-2 entries get stage-1 vectors of
 * that size, trained once per dim; stage 1 sees only genres) and is scored on the carve-out only: RMSE of its ratings, or
 * full-ranking NDCG@10 with the remaining training ratings as the seen items. Only `train` reaches this function, so the
 * test fold cannot leak into the choice. The carve-out is deliberately not handed to the entry as `validation`: the
 * tuned stage-2 entries would early-stop on it and then refit on train + validation, i.e. train on what they are scored
 * on; entries that early-stop carve their own inner validation set from the rest. Every model is disposed after scoring.
 */
export async function sweepModel(ds: Dataset, train: Int32Array, o: SweepOptions): Promise<SweepResult> {
  const entry = modelEntry(o.model); // an unknown id throws a RangeError listing the registry's ids
  const metric: SweepMetric = o.metric ?? (entry.predicts === "ratings" ? "rmse" : "ndcg@10");
  const fraction = o.validationFraction ?? 0.1;
  checkSweep(entry, train, o, metric, fraction);
  const seed = o.seed ?? 42;
  const progress = o.progress ?? "none";
  const carved = validationSplit(train, fraction, seed);
  const split = { train: carved.train, test: carved.validation };
  // Types already keep these out of `o.train`; strip them at run time too, so nothing overrides the grid or sees the carve-out.
  const { validation: _v, dim: _d, l2: _l, seed: _s, stage1: _s1, progress: _p, ...extra } = (o.train ?? {}) as RegistryTrainOptions;
  const rows: SweepRow[] = [];
  for (const dim of o.dims) {
    const stage1: Matrix[] | undefined =
      entry.stage1Seeds > 0 ? await stage1Vectors(ds, { seed, progress }, entry.stage1Seeds, dim) : undefined;
    for (const l2 of o.l2s) {
      const t0 = Date.now();
      const trained = await entry.train(ds, carved.train, { ...extra, seed, dim, l2, progress, stage1 });
      let value: number;
      try {
        const rep = await modelReport(ds, split, trained, {
          ks: [10],
          protocols: metric === "rmse" ? [] : ["full-ranking"],
          relevanceThreshold: o.relevanceThreshold ?? 4,
          seed,
        });
        value = metric === "rmse" ? rep.rmse : rep.topN[0].ndcg;
      } finally {
        trained.model?.dispose();
      }
      const row: SweepRow = { dim, l2, value, seconds: (Date.now() - t0) / 1000 };
      rows.push(row);
      o.onPoint?.(row);
    }
  }
  return {
    model: entry.id,
    label: entry.label,
    metric,
    rows,
    chosen: chooseRow(rows, metric),
    validation: { ratings: carved.validation.length, fraction, seed },
  };
}

/** The best row by the metric (lowest RMSE, highest NDCG@10); NaN values never win; the first row wins a tie. */
export function chooseRow(rows: readonly SweepRow[], metric: SweepMetric): { dim: number; l2: number; value: number } {
  const lower = lowerIsBetter(metric);
  let best: SweepRow | undefined;
  for (const r of rows) {
    if (Number.isNaN(r.value)) continue;
    if (!best || (lower ? r.value < best.value : r.value > best.value)) best = r;
  }
  if (!best) throw new RangeError(`chooseRow: no row has a ${metric} value`);
  return { dim: best.dim, l2: best.l2, value: best.value };
}

/** Flat table rows of a sweep: dim, L2, the metric on the carve-out (4 decimals), seconds and a ✓ at the chosen point. */
export function sweepRows(result: SweepResult): Record<string, string | number>[] {
  const name = `${result.metric === "rmse" ? "RMSE" : "NDCG@10"} (validation)`;
  return result.rows.map((r) => ({
    dim: r.dim,
    L2: r.l2,
    [name]: Number.isNaN(r.value) ? "—" : Number(r.value.toFixed(4)),
    seconds: Number(r.seconds.toFixed(1)),
    chosen: r.dim === result.chosen.dim && r.l2 === result.chosen.l2 ? "✓" : "",
  }));
}
