// Tests for the model-comparison figures: RMSE bars, top-N curves and quality against training time, built from report records.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ModelReport } from "../../src/evaluation/report";
import { qualityVsTime, rmseBars, topNCurves } from "../../src/viz/figures/comparison";
import type { PlotlyTrace } from "../../src/viz/figures/types";

const EVIL = "<b>x</b>";

function report(id: string, model: string, rmse: number, ndcg10: number, seconds: number): ModelReport {
  const at = (k: number, protocol: "full-ranking" | "leave-one-out", v: number) => ({
    k,
    protocol,
    precision: v / 2,
    recall: v,
    ndcg: v,
    hitRate: Math.min(1, 2 * v),
    map: v / 3,
    coverage: protocol === "full-ranking" ? 0.1 : null,
  });
  return {
    id,
    model,
    rmse,
    mae: rmse * 0.8,
    topN: [at(10, "full-ranking", ndcg10), at(20, "full-ranking", ndcg10 * 1.2), at(10, "leave-one-out", ndcg10 + 0.1)],
    trainSeconds: seconds,
  };
}

const reports = [
  report("ease", "EASE", NaN, 0.44, 0.4),
  report("stage2-implicit", "stage 2 implicit", NaN, 0.35, 10.6),
  report("popularity", "popularity", NaN, 0.24, 0),
  report("svdpp", `SVD++ ${EVIL}`, 0.899, 0.1, 5),
];

test("qualityVsTime: one point per report at (training seconds, metric@K), the highlighted ids as stars, text escaped", () => {
  const fig = qualityVsTime(reports, { highlight: ["stage2-implicit"] });
  const [others, mine] = fig.data as PlotlyTrace[];
  assert.deepEqual(mine.x, [10.6]);
  assert.deepEqual(mine.y, [0.35]);
  assert.equal((mine.marker as { symbol: string }).symbol, "star");
  assert.deepEqual(others.y, [0.44, 0.24, 0.1]);
  // A model that trains in no measurable time stays on the log axis.
  assert.deepEqual(others.x, [0.4, 0.01, 5]);
  assert.ok(!(others.text as string[]).some((t) => t.includes("<b>")), "model labels must be escaped");
  assert.equal((fig.layout.xaxis as { type: string }).type, "log");
  const loo = qualityVsTime(reports, { protocol: "leave-one-out", metric: "hitRate" });
  assert.equal(loo.data.length, 1);
  assert.deepEqual((loo.data[0] as PlotlyTrace).y, [1, 0.9, 0.68, 0.4]);
  assert.throws(() => qualityVsTime(reports, { k: 5 }), /K = 5/);
});

test("rmseBars keeps rating models only, worst at the bottom; topNCurves has one curve per ranking model", () => {
  const withRmse = [...reports, report("stage2", "stage 2", 0.905, 0.1, 8)];
  const bars = rmseBars(withRmse).data[0] as PlotlyTrace;
  assert.deepEqual(bars.x, [0.905, 0.899]);
  assert.throws(() => rmseBars(reports.slice(0, 3)), /no model predicts ratings/);
  const curves = topNCurves(reports, { metric: "ndcg" }).data as PlotlyTrace[];
  assert.equal(curves.length, 4);
});

test("the leave-one-out title names the number of negatives the reports were measured with (99 when they do not say)", () => {
  const plain = [report("a", "A", NaN, 0.3, 1)];
  assert.match(String((topNCurves(plain, { protocol: "leave-one-out" }).layout.title as { text: string }).text), /99 sampled negatives/);
  const seq = plain.map((r) => ({ ...r, topN: r.topN.map((t) => (t.protocol === "leave-one-out" ? { ...t, negatives: 100 } : t)) }));
  const fig = qualityVsTime(seq, { protocol: "leave-one-out", metric: "hitRate" });
  assert.match(String((fig.layout.title as { text: string }).text), /leave-one-out, 100 sampled negatives/);
});
