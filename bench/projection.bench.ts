// Benchmark "projection": fast t-SNE, UMAP and PCA timed against tsne-js (same run), t-SNE size goals, and the tsne-js quality comparison.
import * as os from "os";
import { BenchRecord, record, timeIt } from "./lib";
import { referenceComparison } from "./projection-reference";
import {
  LabelledMatrix,
  asMatrix,
  exactKL,
  gaussianClusters,
  knnLabelPurity,
  knnPreservation,
  pca,
  tsne,
  tsneExact,
  umap,
} from "../src/viz/projection";

export const name = "projection";

const DIM = 32;

function clusters(n: number, seed: number, centerStd: number): { m: LabelledMatrix; label: string } {
  const m = gaussianClusters({ n, dim: DIM, clusters: 10, centerStd, seed });
  return { m, label: `synthetic gaussianClusters n=${n} dim=${DIM} clusters=10 centerStd=${centerStd} seed=${seed}` };
}

function log(msg: string): void {
  console.log(`  [projection] ${msg}`);
}

/**
 * `--only reference`: ours against openTSNE and umap-learn (the default run's first part; `reference-tsne` and
 * `reference-umap` run one of the two); `--only tsne-js`: the
 * older comparison with tsne-js and the well-separated size goals; `--only umap-knn`: UMAP with the exact neighbours
 * passed to umap-js against umap-js's own NN-descent.
 */
export const sections = ["reference", "reference-tsne", "reference-umap", "tsne-js", "umap-knn"] as const;

/** Runs the benchmark: the openTSNE / umap-learn comparison, then the tsne-js one (`quick`: the small sizes only). */
export async function run({ quick, only }: { quick: boolean; only?: string }): Promise<BenchRecord[]> {
  if (only === "umap-knn") return umapKnn(quick);
  if (only === "reference") return referenceComparison(quick);
  if (only === "reference-tsne") return referenceComparison(quick, ["tsne"]);
  if (only === "reference-umap") return referenceComparison(quick, ["umap"]);
  if (only === "tsne-js") return tsneJsComparison(quick);
  return [...(await referenceComparison(quick)), ...(await tsneJsComparison(quick))];
}

/** The older part: tsne-js (exact, O(N²)) at small N, and t-SNE's size goals on well-separated clusters. */
async function tsneJsComparison(quick: boolean): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  out.push(
    record({
      metric: "1-min load average at start (context for timings; 2 cores)",
      value: os.loadavg()[0],
      unit: "load",
      dataset: `cpus=${os.cpus().length}`,
    }),
  );

  // --- Reference: tsne-js (exact O(N^2)) at small N, configured as its README shows. ---
  const nRef = quick ? 200 : 500;
  const ref = clusters(nRef, 8, 1);
  log(`tsne-js at N=${nRef} ...`);
  const tRef = await timeIt(() => tsneExact(ref.m, { seed: 1, perplexity: 30, earlyExaggeration: 4, learningRate: 100, nIter: 1000 }));
  const refName = `tsne-js exact t-SNE, N=${nRef} (same run)`;
  const refSeconds = tRef.seconds;
  out.push(
    record({
      metric: `tsne-js time, N=${nRef} (stopped at iteration ${tRef.result.diagnostics.iterations})`,
      value: refSeconds,
      unit: "s",
      dataset: ref.label,
    }),
  );
  log(`tsne-js ${refSeconds.toFixed(1)} s; fast t-SNE / UMAP / PCA at N=${nRef} ...`);
  const tFastRef = await timeIt(() => tsne(ref.m, { seed: 1 }));
  const tUmapRef = await timeIt(() => umap(ref.m, { seed: 1 }));
  const tPcaRef = await timeIt(() => pca(ref.m), 3);
  for (const [label, t] of [
    ["fast t-SNE", tFastRef],
    ["UMAP (umap-js)", tUmapRef],
    ["PCA (ml-pca)", tPcaRef],
  ] as const) {
    out.push(
      record({
        metric: `${label} time, N=${nRef}`,
        value: t.seconds,
        unit: "s",
        reference: refName,
        referenceValue: refSeconds,
        goal: "ratio < 1 (faster than tsne-js)",
        dataset: ref.label,
      }),
    );
  }

  // --- Quality vs tsne-js under one exact KL definition (dense P, kernel on squared distances) and kNN preservation. ---
  const fastE = asMatrix(tFastRef.result);
  const refE = asMatrix(tRef.result);
  const klFast = exactKL(ref.m, fastE);
  const klRef = exactKL(ref.m, refE);
  out.push(
    record({
      metric: `exact KL(P||Q), fast t-SNE, N=${nRef}`,
      value: klFast,
      unit: "nats",
      reference: `exact KL of tsne-js output, N=${nRef}`,
      referenceValue: klRef,
      goal: "ratio ≤ 1.05",
      dataset: ref.label,
    }),
  );
  const klFastPlain = exactKL(ref.m, fastE, { kernelOn: "plain" });
  const klRefPlain = exactKL(ref.m, refE, { kernelOn: "plain" });
  out.push(
    record({
      metric: `exact KL with tsne-js's P (kernel on plain distances), fast t-SNE, N=${nRef}`,
      value: klFastPlain,
      unit: "nats",
      reference: `same KL of tsne-js output (tsne-js reports ${tRef.result.diagnostics.error.toFixed(4)})`,
      referenceValue: klRefPlain,
      goal: "ratio ≤ 1.05",
      dataset: ref.label,
    }),
  );
  const presFast = knnPreservation(ref.m, fastE, 10);
  const presRef = knnPreservation(ref.m, refE, 10);
  out.push(
    record({
      metric: `10-NN preservation, fast t-SNE, N=${nRef}`,
      value: presFast,
      unit: "fraction",
      reference: `10-NN preservation of tsne-js output, N=${nRef}`,
      referenceValue: presRef,
      goal: "ratio ≥ 1",
      dataset: ref.label,
    }),
  );
  const presUmap = knnPreservation(ref.m, asMatrix(tUmapRef.result), 10);
  const presPca = knnPreservation(ref.m, asMatrix(tPcaRef.result), 10);
  for (const [label, v] of [
    ["UMAP", presUmap],
    ["PCA", presPca],
  ] as const) {
    out.push(
      record({
        metric: `10-NN preservation, ${label}, N=${nRef}`,
        value: v,
        unit: "fraction",
        reference: `10-NN preservation of tsne-js output, N=${nRef}`,
        referenceValue: presRef,
        dataset: ref.label,
      }),
    );
  }

  // --- Fast t-SNE at the goal sizes (plus UMAP and PCA at 3,883). ---
  const sizes: [number, number][] = quick
    ? [[3883, 10]]
    : [
        [3883, 10],
        [10000, 30],
        [60000, 180],
      ];
  for (const [n, goalSeconds] of sizes) {
    const data = clusters(n, 3, 2);
    log(`fast t-SNE at N=${n} ...`);
    const t = await timeIt(() => tsne(data.m, { seed: 1 }));
    const r = t.result;
    log(`fast t-SNE N=${n}: ${t.seconds.toFixed(1)} s (kNN ${r.diagnostics.timings.knn.toFixed(1)} s)`);
    out.push(
      record({
        metric: `fast t-SNE time, N=${n}, 1000 iterations`,
        value: t.seconds,
        unit: "s",
        reference: `goal ≤ ${goalSeconds} s`,
        referenceValue: goalSeconds,
        goal: "ratio ≤ 1",
        dataset: data.label,
      }),
    );
    out.push(
      record({
        metric: `fast t-SNE time, N=${n}, vs tsne-js at N=${nRef}`,
        value: t.seconds,
        unit: "s",
        reference: refName,
        referenceValue: refSeconds,
        dataset: data.label,
      }),
    );
    out.push(
      record({
        metric: `fast t-SNE exact-kNN phase, N=${n}`,
        value: r.diagnostics.timings.knn,
        unit: "s",
        reference: `fast t-SNE total, N=${n}`,
        referenceValue: t.seconds,
        dataset: data.label,
      }),
    );
    out.push(
      record({
        metric: `fast t-SNE 10-NN label purity, N=${n}`,
        value: knnLabelPurity(asMatrix(r), data.m.labels, 10),
        unit: "fraction",
        goal: "> 0.9",
        dataset: data.label,
      }),
    );
    if (n === 3883) {
      const tu = await timeIt(() => umap(data.m, { seed: 1 }));
      const tp = await timeIt(() => pca(data.m), 3);
      for (const [label, tt] of [
        ["UMAP (umap-js)", tu],
        ["PCA (ml-pca)", tp],
      ] as const) {
        out.push(
          record({
            metric: `${label} time, N=${n}`,
            value: tt.seconds,
            unit: "s",
            reference: `fast t-SNE time, N=${n} (same run)`,
            referenceValue: t.seconds,
            dataset: data.label,
          }),
        );
      }
    }
  }
  return out;
}

/**
 * UMAP's neighbour search, the same input and seed both ways: the lab's exact kNN handed to umap-js
 * (`setPrecomputedKNN`; the native TensorFlow search, the default) against umap-js's NN-descent with its JS distance callback.
 * Overlapping clusters (centerStd 1), 32-D.
 */
async function umapKnn(quick: boolean): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  for (const n of quick ? [3883] : [3883, 10000]) {
    const data = clusters(n, 8, 1);
    const runs = (["nn-descent", "exact"] as const).map((knn) => {
      log(`UMAP N=${n}, ${knn} neighbours ...`);
      const r = umap(data.m, { seed: 1, knn });
      return { knn, seconds: r.seconds, preservation: knnPreservation(data.m, asMatrix(r), 10) };
    });
    const [descent, exact] = runs;
    out.push(
      record({
        metric: `UMAP time, N=${n}, exact kNN passed to umap-js`,
        value: exact.seconds,
        unit: "s",
        reference: "umap-js with its own NN-descent (same run)",
        referenceValue: descent.seconds,
        dataset: data.label,
      }),
      record({
        metric: `10-NN preservation, UMAP N=${n}, exact kNN passed to umap-js`,
        value: exact.preservation,
        unit: "fraction",
        reference: "umap-js with its own NN-descent (same run)",
        referenceValue: descent.preservation,
        dataset: data.label,
      }),
    );
  }
  return out;
}
