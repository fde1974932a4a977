// The model-level report: one trained model's RMSE/MAE and top-N metrics under both protocols on one split, and the rows of a comparison table.
import { Dataset, Split } from "../data/types";
import type { MovieScorer } from "../models/scorer";
import { evaluationData } from "./data";
import { evaluateFullRanking } from "./full-ranking";
import { predictHeldOut } from "./held-out";
import { evaluateLeaveOneOut } from "./leave-one-out";
import { metricsAt } from "./protocol";
import { mae, rmse } from "./rating-metrics";

/** What a report needs of a trained model: its stable registry id, its label, its scorer and its training time. */
export interface ReportedModel {
  /** The registry id (see src/experiments/registry.ts): what tables and benchmarks key on. */
  readonly id: string;
  /** Display label. */
  readonly name: string;
  readonly scorer: MovieScorer;
  readonly seconds: number;
}

/** Options for {@link modelReport}. */
export interface ReportOptions {
  /** Cutoffs for the top-N metrics (default [5, 10, 20]). */
  ks?: number[];
  /** A test rating is relevant when >= this (default 4; null: every test item). */
  relevanceThreshold?: number | null;
  /** Which top-N protocols to run (default both). */
  protocols?: ("full-ranking" | "leave-one-out")[];
  /** Full ranking: only movies with at least this many training ratings are candidates (recommend's filter; default 1). */
  minRatings?: number;
  /** Evaluate top-N on a seeded sample of users (default: all). */
  sampleUsers?: number;
  /** Leave-one-out: sampled negatives per user (default 99, as NCF; SASRec's protocol uses 100). */
  numNegatives?: number;
  seed?: number;
}

/** One model's numbers on one split. NaN where a metric does not apply (e.g. RMSE of popularity). */
export interface ModelReport {
  /** The model's registry id. */
  id: string;
  /** Its display label. */
  model: string;
  rmse: number;
  mae: number;
  /** Per K: full-ranking and leave-one-out metrics. */
  topN: {
    k: number;
    protocol: "full-ranking" | "leave-one-out";
    precision: number;
    recall: number;
    ndcg: number;
    hitRate: number;
    map: number;
    coverage: number | null;
    /** Leave-one-out: the sampled negatives each held-out movie was ranked against (absent for full ranking). */
    negatives?: number;
  }[];
  trainSeconds: number;
}

/** RMSE/MAE on the split's test ratings and top-N metrics under both protocols, for one trained model. */
export async function modelReport(
  ds: Dataset,
  split: Pick<Split, "train" | "test">,
  t: ReportedModel,
  o: ReportOptions = {},
): Promise<ModelReport> {
  const ks = o.ks ?? [5, 10, 20];
  const threshold = o.relevanceThreshold === undefined ? 4 : o.relevanceThreshold;
  let r = NaN;
  let m = NaN;
  if (t.scorer.predictRatings) {
    const { predicted, actual } = predictHeldOut(ds, t.scorer, split.test);
    r = rmse(predicted, actual);
    m = mae(predicted, actual);
  }
  const data = evaluationData(ds, split);
  const topN: ModelReport["topN"] = [];
  const protocols = o.protocols ?? ["full-ranking", "leave-one-out"];
  const common = { ks, relevanceThreshold: threshold, seed: o.seed ?? 0, sampleUsers: o.sampleUsers };
  for (const protocol of protocols) {
    let negatives: number | undefined;
    const summaries =
      protocol === "full-ranking"
        ? ((ev) => ks.map((k) => metricsAt(ev, k)))(await evaluateFullRanking(data, t.scorer, { ...common, minRatings: o.minRatings }))
        : ((ev) => {
            negatives = ev.numNegatives;
            return ks.map((k) => metricsAt(ev, k));
          })(await evaluateLeaveOneOut(data, t.scorer, { ...common, numNegatives: o.numNegatives }));
    for (const [i, k] of ks.entries()) {
      const s = summaries[i];
      topN.push({
        k,
        protocol,
        precision: s.precision,
        recall: s.recall,
        ndcg: s.ndcg,
        hitRate: s.hitRate,
        map: s.map,
        coverage: s.coverage,
        ...(negatives !== undefined ? { negatives } : {}),
      });
    }
  }
  return { id: t.id, model: t.name, rmse: r, mae: m, topN, trainSeconds: t.seconds };
}

/** Flat rows for a table: one per model, with RMSE, MAE and Recall/NDCG@k for each protocol. */
export function reportRows(reports: ModelReport[], k = 10): Record<string, string | number>[] {
  const fmt = (x: number | null): string | number => (x === null || Number.isNaN(x) ? "—" : Number(x.toFixed(4)));
  return reports.map((rep) => {
    const row: Record<string, string | number> = { model: rep.model, RMSE: fmt(rep.rmse), MAE: fmt(rep.mae) };
    for (const t of rep.topN.filter((x) => x.k === k)) {
      const p = t.protocol === "full-ranking" ? "full" : "LOO";
      row[`Recall@${k} (${p})`] = fmt(t.recall);
      row[`NDCG@${k} (${p})`] = fmt(t.ndcg);
      if (t.protocol === "leave-one-out") row[`HR@${k} (LOO)`] = fmt(t.hitRate);
    }
    row["train s"] = Number(rep.trainSeconds.toFixed(1));
    return row;
  });
}
