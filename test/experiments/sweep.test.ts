// Tests the dim × L2 sweep on ml-100k u1: grid order, the chosen point, that the test fold cannot move it, seeding, stage-1 sizing, argument errors, the table rows and the figure.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadDataset } from "../../src/data/load";
import { predefinedSplit } from "../../src/data/splits";
import { Dataset, Split } from "../../src/data/types";
import { SweepResult, sweepModel, sweepRows } from "../../src/experiments/sweep";
import { formatL2, sweepFigure } from "../../src/viz/figures/sweep";
import { tinyDataset } from "../helpers/tiny";

const shared = process.env.MOVIELENS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "data", "movielens");

let cached: { ds: Dataset; split: Split } | undefined;
async function ml100kU1(): Promise<{ ds: Dataset; split: Split }> {
  assert.ok(fs.existsSync(path.join(shared, "ml-100k")), `ml-100k not found under ${shared} (set MOVIELENS_DIR)`);
  if (!cached) {
    const ds = await loadDataset("ml-100k", { movielensDir: shared });
    cached = { ds, split: predefinedSplit(ds, "u1") };
  }
  return cached;
}

/** The dataset with every rating of the test fold replaced by its mirror image (1 ↔ 5, 2 ↔ 4): only the test fold differs. */
function withScrambledTest(ds: Dataset, test: Int32Array): Dataset {
  const rating = Float32Array.from(ds.ratings.rating);
  for (const i of test) rating[i] = 6 - rating[i];
  return { ...ds, ratings: { ...ds.ratings, rating } };
}

// mf-mean-norm (full-batch Adam 0.1) with 60 epochs instead of 200: about 1.5 s a point on ml-100k u1.
const FAST = { model: "mf-mean-norm", dims: [4, 16], l2s: [0.03, 0.3], train: { epochs: 60 } } as const;
const GRID = { ...FAST, dims: [...FAST.dims], l2s: [...FAST.l2s] };

let first: SweepResult | undefined;

test("ml-100k u1: a 2 × 2 RMSE sweep covers the grid in order and chooses the lowest validation RMSE", async () => {
  const { ds, split } = await ml100kU1();
  const seen: { dim: number; l2: number }[] = [];
  const r = await sweepModel(ds, split.train, { ...GRID, onPoint: (row) => seen.push({ dim: row.dim, l2: row.l2 }) });
  first = r;
  console.log(
    sweepRows(r)
      .map((t) => Object.values(t).join("  "))
      .join("\n"),
  );
  assert.equal(r.model, "mf-mean-norm");
  assert.equal(r.metric, "rmse", "a ratings model defaults to RMSE");
  const grid = [
    { dim: 4, l2: 0.03 },
    { dim: 4, l2: 0.3 },
    { dim: 16, l2: 0.03 },
    { dim: 16, l2: 0.3 },
  ];
  assert.deepEqual(
    r.rows.map((x) => ({ dim: x.dim, l2: x.l2 })),
    grid,
  );
  assert.deepEqual(seen, grid, "onPoint sees every point, in order");
  for (const row of r.rows) {
    assert.ok(row.value > 0.85 && row.value < 1.2, `validation RMSE ${row.value} at dim ${row.dim}, L2 ${row.l2}`);
    assert.ok(row.seconds > 0);
  }
  assert.ok(new Set(r.rows.map((x) => x.value)).size === 4, "dim and L2 each change the model");
  const best = r.rows.reduce((a, b) => (b.value < a.value ? b : a));
  assert.deepEqual(r.chosen, { dim: best.dim, l2: best.l2, value: best.value });
  assert.deepEqual(r.validation, { ratings: Math.round(split.train.length * 0.1), fraction: 0.1, seed: 42 });

  const table = sweepRows(r);
  assert.equal(table.length, 4);
  assert.deepEqual(Object.keys(table[0]), ["dim", "L2", "RMSE (validation)", "seconds", "chosen"]);
  assert.deepEqual(
    table.filter((t) => t.chosen === "✓").map((t) => [t.dim, t.L2]),
    [[best.dim, best.l2]],
  );
});

test("ml-100k u1: the same seed gives the same values, and scrambling the test fold's ratings changes nothing", async () => {
  const { ds, split } = await ml100kU1();
  assert.ok(first, "runs after the first test");
  const again = await sweepModel(ds, split.train, GRID);
  assert.deepEqual(
    again.rows.map((x) => x.value),
    first.rows.map((x) => x.value),
  );
  assert.deepEqual(again.chosen, first.chosen);
  // The sweep only ever sees `train`: its carve-out and its models cannot depend on the test fold's ratings.
  const scrambled = await sweepModel(withScrambledTest(ds, split.test), split.train, { ...GRID, dims: [4] });
  assert.deepEqual(
    scrambled.rows.map((x) => x.value),
    first.rows.slice(0, 2).map((x) => x.value),
  );
  const otherSeed = await sweepModel(ds, split.train, { ...GRID, dims: [4], l2s: [0.03], seed: 7 });
  assert.notEqual(otherSeed.rows[0].value, first.rows[0].value, "another seed draws another carve-out and another model");
});

test("ml-100k u1: an NDCG@10 sweep scores full ranking on the carve-out and chooses the highest", async () => {
  const { ds, split } = await ml100kU1();
  const r = await sweepModel(ds, split.train, { ...GRID, dims: [16], metric: "ndcg@10" });
  assert.equal(r.metric, "ndcg@10");
  for (const row of r.rows) assert.ok(row.value > 0 && row.value < 1, `NDCG@10 ${row.value}`);
  const best = r.rows.reduce((a, b) => (b.value > a.value ? b : a));
  assert.deepEqual(r.chosen, { dim: best.dim, l2: best.l2, value: best.value });
  assert.deepEqual(Object.keys(sweepRows(r)[0]), ["dim", "L2", "NDCG@10 (validation)", "seconds", "chosen"]);
});

test("ml-100k u1: a stage-2 entry trains on stage-1 vectors of each swept size", async () => {
  const { ds, split } = await ml100kU1();
  // The default stage-1 size is 32: a dim of 8 would not match unless the sweep sizes stage 1 too.
  const r = await sweepModel(ds, split.train, { model: "stage2", dims: [8], l2s: [0.1], train: { epochs: 2 } });
  assert.equal(r.rows.length, 1);
  assert.ok(r.rows[0].value > 0.85 && r.rows[0].value < 1.3, `stage 2 validation RMSE ${r.rows[0].value}`);
});

test("sweepModel's argument errors name the argument", async () => {
  const ds = tinyDataset();
  const train = Int32Array.from({ length: ds.ratings.length }, (_, i) => i);
  const ok = { model: "mf-mean-norm", dims: [4], l2s: [0.1] };
  await assert.rejects(sweepModel(ds, train, { ...ok, model: "nope" }), { name: "RangeError", message: /unknown model id "nope"/ });
  await assert.rejects(sweepModel(ds, train, { ...ok, model: "ease" }), { name: "RangeError", message: /"ease" ignores dim and l2/ });
  await assert.rejects(sweepModel(ds, train, { ...ok, model: "dense-rating-classifier" }), {
    name: "RangeError",
    message: /"dense-rating-classifier" ignores l2 \(it tunes: dim\)/,
  });
  await assert.rejects(sweepModel(ds, train, { ...ok, dims: [] }), { name: "RangeError", message: /option "dims" must be a non-empty/ });
  await assert.rejects(sweepModel(ds, train, { ...ok, l2s: [] }), { name: "RangeError", message: /option "l2s" must be a non-empty/ });
  await assert.rejects(sweepModel(ds, train, { ...ok, dims: [0] }), {
    name: "RangeError",
    message: /option "dims" must hold positive integers, got 0/,
  });
  await assert.rejects(sweepModel(ds, train, { ...ok, dims: [2.5] }), { name: "RangeError", message: /option "dims"/ });
  await assert.rejects(sweepModel(ds, train, { ...ok, l2s: [-1e-3] }), {
    name: "RangeError",
    message: /option "l2s" must hold finite numbers >= 0, got -0.001/,
  });
  await assert.rejects(sweepModel(ds, train, { ...ok, dims: [4, 4] }), { name: "RangeError", message: /option "dims" repeats/ });
  await assert.rejects(sweepModel(ds, train, { ...ok, model: "neumf", metric: "rmse" }), {
    name: "RangeError",
    message: /option "metric" is "rmse" but model "neumf" predicts only a ranking/,
  });
  await assert.rejects(sweepModel(ds, train, { ...ok, validationFraction: 1 }), {
    name: "RangeError",
    message: /option "validationFraction"/,
  });
  await assert.rejects(sweepModel(ds, train.subarray(0, 3), { ...ok, validationFraction: 0.1 }), {
    name: "RangeError",
    message: /argument "train"/,
  });
});

test("sweepFigure: one line per L2 against dim on a log axis, and the chosen point starred and annotated", async () => {
  const result: SweepResult = first ?? {
    model: "mf-mean-norm",
    label: "MF with mean normalisation",
    metric: "rmse",
    rows: [
      { dim: 4, l2: 0.03, value: 0.95, seconds: 1 },
      { dim: 4, l2: 0.3, value: 0.97, seconds: 1 },
      { dim: 16, l2: 0.03, value: 0.94, seconds: 1 },
      { dim: 16, l2: 0.3, value: 0.96, seconds: 1 },
    ],
    chosen: { dim: 16, l2: 0.03, value: 0.94 },
    validation: { ratings: 8000, fraction: 0.1, seed: 42 },
  };
  const fig = sweepFigure(result);
  assert.equal(fig.data.length, 3, "two L2 lines and the chosen point");
  assert.deepEqual(
    fig.data.slice(0, 2).map((t) => t.name),
    ["L2 = 0.03", "L2 = 0.3"],
  );
  for (const [i, l2] of [0.03, 0.3].entries()) {
    const rows = result.rows.filter((r) => r.l2 === l2);
    assert.deepEqual(fig.data[i].x, [4, 16]);
    assert.deepEqual(
      fig.data[i].y,
      rows.map((r) => Number(r.value.toPrecision(6))),
    );
  }
  const star = fig.data[2];
  assert.equal((star.marker as { symbol: string }).symbol, "star");
  assert.deepEqual(star.x, [result.chosen.dim]);
  assert.deepEqual(star.y, [Number(result.chosen.value.toPrecision(6))]);
  const layout = fig.layout as {
    xaxis: { type: string; tickvals: number[]; title: { text: string } };
    yaxis: { title: { text: string } };
    annotations: { x: number; y: number; text: string }[];
  };
  assert.equal(layout.xaxis.type, "log");
  assert.deepEqual(layout.xaxis.tickvals, [4, 16]);
  assert.match(layout.xaxis.title.text, /embedding size/);
  assert.match(layout.yaxis.title.text, /^RMSE on the validation carve-out \(lower is better\)$/);
  assert.equal(layout.annotations.length, 1);
  assert.equal(layout.annotations[0].x, Math.log10(result.chosen.dim), "annotations on a log axis take log10(x)");
  assert.equal(layout.annotations[0].y, Number(result.chosen.value.toPrecision(6)));
  assert.match(layout.annotations[0].text, new RegExp(`chosen: dim ${result.chosen.dim}, L2 ${formatL2(result.chosen.l2)}`));

  const ndcg = sweepFigure({ ...result, label: "<b>x</b>", metric: "ndcg@10" });
  const nl = ndcg.layout as { yaxis: { title: { text: string } }; title: { text: string } };
  assert.match(nl.yaxis.title.text, /^NDCG@10 on the validation carve-out \(higher is better\)$/);
  assert.ok(!JSON.stringify({ ...ndcg, layout: { ...ndcg.layout, template: undefined } }).includes("<b>"), "the model label is escaped");
  assert.throws(() => sweepFigure({ ...result, rows: [] }), /sweepFigure: the sweep has no rows/);
});

test("formatL2 writes short L2 labels", () => {
  assert.deepEqual([0, 0.07, 0.1, 1e-3, 1e-4, 1e-5, 2.5e-6, 3].map(formatL2), ["0", "0.07", "0.1", "0.001", "1e-4", "1e-5", "2.5e-6", "3"]);
});
