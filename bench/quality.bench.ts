// Model quality: ml-100k u1–u5 RMSE of stage 2 and every baseline, the Keras example's BCE on ml-latest-small, top-N under both protocols, and stage 1 → stage 2.
import { loadDataset } from "../src/data/load";
import { predefinedSplit } from "../src/data/splits";
import { Split } from "../src/data/types";
import { modelEntry } from "../src/experiments/registry";
import { RATING_MODELS, kerasExampleProtocol, ratingFolds, topNComparison } from "./quality-experiments";
import { BenchRecord, movielensDir, record } from "./lib";

export const name = "quality";

export async function run({ quick }: { quick: boolean }): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];

  // 1. ml-100k's predefined folds.
  const ml100k = await loadDataset("ml-100k", { movielensDir: movielensDir() });
  const foldNames = quick ? (["u1"] as const) : (["u1", "u2", "u3", "u4", "u5"] as const);
  const folds: Split[] = foldNames.map((f) => predefinedSplit(ml100k, f));
  const models = quick ? RATING_MODELS.filter((m) => modelEntry(m).family === "two-stage" || m === "user-movie-bias") : RATING_MODELS;
  const label = `ml-100k ${foldNames.join(",")} (test folds; epochs chosen on 5% of each training fold, stage 2 then refit on the whole fold)`;
  const folded = await ratingFolds(ml100k, folds, {
    models,
    onResult: (fold, model, rmse) => console.log(`    ${fold} ${model}: RMSE ${rmse.toFixed(4)}`),
  });
  const refs: [string, number][] = [
    ["Surprise SVD (5-fold)", 0.934],
    ["Surprise SVD++ (5-fold)", 0.919],
    ["tuned SVD", 0.908],
    ["GLocal-K (u1)", 0.889],
  ];
  for (const r of folded) {
    const isStage2 = r.id === "stage2" || r.id === "stage2-averaged";
    records.push(
      record({
        metric: `RMSE, ${r.model} (mean over ${foldNames.length} fold${foldNames.length > 1 ? "s" : ""}: ${r.rmse.map((x) => x.toFixed(4)).join(", ")})`,
        value: r.meanRmse,
        unit: "RMSE",
        reference: "Surprise SVD (5-fold)",
        referenceValue: 0.934,
        goal: isStage2 ? "<= 0.900" : null,
        dataset: label,
      }),
    );
  }
  // Stage 1 -> stage 2 on rarely rated movies, where genre information should matter most.
  const random = folded.find((r) => r.id === "stage2-random-init");
  for (const r of folded.filter((x) => modelEntry(x.id).family === "two-stage" && x.id !== "stage2-random-init")) {
    records.push(
      record({
        metric: `RMSE on test ratings of movies with < 10 training ratings, ${r.model} (folds: ${r.rareRmse.map((x) => x.toFixed(4)).join(", ")})`,
        value: r.meanRareRmse,
        unit: "RMSE",
        reference: random ? "stage 2 (random init), same ratings" : null,
        referenceValue: random ? random.meanRareRmse : null,
        goal: null,
        dataset: label,
      }),
    );
  }
  for (const id of ["stage2-averaged", "stage2"]) {
    const s2 = folded.find((r) => r.id === id);
    const model = modelEntry(id).label;
    for (const [ref, v] of refs.slice(1)) {
      if (s2)
        records.push(
          record({
            metric: `RMSE, ${model} vs ${ref}`,
            value: s2.meanRmse,
            unit: "RMSE",
            reference: ref,
            referenceValue: v,
            goal: "<= 0.900",
            dataset: label,
          }),
        );
    }
  }

  // 2. The Keras example's protocol on ml-latest-small.
  const small = await loadDataset("ml-latest-small");
  const k = await kerasExampleProtocol(small);
  k.model.dispose();
  console.log(`    Keras protocol val BCE per epoch: ${k.valLoss.map((v) => v.toFixed(4)).join(", ")}`);
  records.push(
    record({
      metric: "validation BCE after 5 epochs, Keras example protocol (90/10, min-max BCE, dim 50, batch 64)",
      value: k.valLoss[k.valLoss.length - 1],
      unit: "BCE",
      reference: "Keras example",
      referenceValue: 0.6147,
      goal: "<= 0.610",
      dataset: "ml-latest-small",
    }),
  );

  // 3. Top-N on ml-100k u1, both protocols.
  const reports = await topNComparison(ml100k, folds[0], { ks: [10] });
  const byId = (id: string) => reports.find((r) => r.id === id)!;
  const ours = byId("stage2-implicit");
  for (const protocol of ["full-ranking", "leave-one-out"] as const) {
    for (const metric of ["recall", "ndcg"] as const) {
      const v = ours.topN.find((t) => t.protocol === protocol && t.k === 10)![metric];
      for (const refId of ["popularity", "dot64-mse"]) {
        const ref = modelEntry(refId).label;
        const rv = byId(refId).topN.find((t) => t.protocol === protocol && t.k === 10)![metric];
        records.push(
          record({
            metric: `${metric === "recall" ? "Recall" : "NDCG"}@10 (${protocol}), stage 2 implicit (BPR, from stage 1)`,
            value: v,
            unit: metric,
            reference: ref,
            referenceValue: rv,
            goal: "> reference",
            dataset: "ml-100k u1 (relevant: rating >= 4)",
          }),
        );
      }
    }
  }
  return records;
}
