// Tests item-kNN (the model added through one file plus one registry entry): its similarities and KNNBaseline predictions against a brute-force reference, and its quality on ml-100k u1 against the baselines.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadDataset } from "../../src/data/load";
import { predefinedSplit } from "../../src/data/splits";
import { modelReport } from "../../src/evaluation/report";
import { MODEL_IDS, trainModel } from "../../src/experiments/registry";
import { fitBaselineBiases } from "../../src/models/baselines";
import { fitItemKnn, itemKnnScorer } from "../../src/models/item-knn";
import { tinyDataset, tinySplit } from "../helpers/tiny";

test("similarities and predictions equal a brute-force KNNBaseline (shrunk pearson-baseline, positive neighbours, k nearest rated)", () => {
  const ds = tinyDataset({ users: 30, movies: 25, density: 0.4, seed: 5 });
  const { train } = tinySplit(ds, 3);
  const k = 5;
  const shrinkage = 3;
  const model = fitItemKnn(ds, train, { k, shrinkage, keep: 24 });
  const b = fitBaselineBiases(ds, train);
  // Brute force: residuals per (user, movie), similarity per movie pair over common users.
  const z = new Map<string, number>();
  for (const i of train) {
    const u = ds.ratings.user[i];
    const m = ds.ratings.movie[i];
    z.set(`${u},${m}`, ds.ratings.rating[i] - b.mean - b.userBias[u] - b.movieBias[m]);
  }
  const sim = (i: number, j: number): number => {
    let dot = 0,
      a = 0,
      c = 0,
      n = 0;
    for (let u = 0; u < ds.numUsers; u++) {
      const zi = z.get(`${u},${i}`);
      const zj = z.get(`${u},${j}`);
      if (zi === undefined || zj === undefined) continue;
      dot += zi * zj;
      a += zi * zi;
      c += zj * zj;
      n++;
    }
    return a > 0 && c > 0 ? (dot / Math.sqrt(a * c)) * ((n - 1) / (n - 1 + shrinkage)) : 0;
  };
  for (let i = 0; i < ds.numMovies; i++) {
    const expected = Array.from({ length: ds.numMovies }, (_, j) => [j, j === i ? 0 : sim(i, j)] as const)
      .filter(([, s]) => s > 0)
      .sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    const got = Array.from(model.neighbour.subarray(i * model.keep, (i + 1) * model.keep)).filter((j) => j >= 0);
    assert.deepEqual(
      got,
      expected.map(([j]) => j),
      `neighbours of movie ${i}`,
    );
    for (const [t, [, s]] of expected.entries()) assert.ok(Math.abs(model.similarity[i * model.keep + t] - s) < 1e-6, `sim ${i}`);
  }
  const scorer = itemKnnScorer(model);
  for (const u of [0, 7, 19]) {
    for (const m of [0, 3, 11, 24]) {
      const neighbours = Array.from({ length: ds.numMovies }, (_, j) => [j, j === m ? 0 : sim(m, j)] as const)
        .filter(([j, s]) => s > 0 && z.has(`${u},${j}`))
        .sort((x, y) => y[1] - x[1] || x[0] - y[0])
        .slice(0, k);
      const simSum = neighbours.reduce((acc, [, s]) => acc + s, 0);
      const weighted = neighbours.reduce((acc, [j, s]) => acc + s * z.get(`${u},${j}`)!, 0);
      const base = b.mean + b.userBias[u] + b.movieBias[m];
      const expected = Math.min(5, Math.max(1, simSum > 0 ? base + weighted / simSum : base));
      const [predicted] = scorer.predictRatings!(Int32Array.of(u), Int32Array.of(m));
      assert.ok(Math.abs(predicted - expected) < 1e-4, `user ${u} movie ${m}: ${predicted} vs ${expected}`);
      const [score] = scorer.scoreMovies(u, Int32Array.of(m));
      assert.ok(Math.abs(score - simSum) < 1e-4, `ranking score ${score} vs ${simSum}`);
    }
  }
  // Ranking every movie at once sums the same neighbours from the other side (each rated movie's reverse list), with
  // the forward scan where a movie has more than k rated neighbours: it must equal scoring one movie at a time.
  const all = Int32Array.from({ length: ds.numMovies }, (_, m) => m);
  let overK = 0;
  const firstUser = scorer.scoreMovies(0, all);
  for (let u = 0; u < ds.numUsers; u++) {
    const full = scorer.scoreMovies(u, all);
    for (let m = 0; m < ds.numMovies; m++) {
      const [one] = scorer.scoreMovies(u, Int32Array.of(m));
      assert.ok(Math.abs(full[m] - one) < 1e-6, `user ${u} movie ${m}: all at once ${full[m]}, alone ${one}`);
    }
    const rated = new Set(
      Array.from(train)
        .filter((i) => ds.ratings.user[i] === u)
        .map((i) => ds.ratings.movie[i]),
    );
    for (let m = 0; m < ds.numMovies; m++)
      if (Array.from(model.neighbour.subarray(m * model.keep, (m + 1) * model.keep)).filter((j) => rated.has(j)).length > k) overK++;
  }
  assert.deepEqual([...scorer.scoreMovies(0, all)], [...firstUser], "a user ranked again, after others, gets the same scores");
  assert.ok(overK > 0, "some movies have more than k rated neighbours (the forward-scan branch runs)");
});

test("item-kNN is registered by id, and on ml-100k u1 beats the bias baseline on RMSE and popularity on Recall@10", async () => {
  assert.ok(MODEL_IDS.includes("item-knn"));
  const shared = process.env.MOVIELENS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "data", "movielens");
  assert.ok(fs.existsSync(path.join(shared, "ml-100k")), `ml-100k not found under ${shared} (set MOVIELENS_DIR)`);
  const ds = await loadDataset("ml-100k", { movielensDir: shared });
  const split = predefinedSplit(ds, "u1");
  const reports = [];
  for (const id of ["item-knn", "user-movie-bias", "popularity"])
    reports.push(await modelReport(ds, split, await trainModel(id, ds, split.train), { ks: [10], protocols: ["full-ranking"] }));
  const [knn, bias, pop] = reports;
  console.log(
    `item-kNN u1: RMSE ${knn.rmse.toFixed(4)} (bias ${bias.rmse.toFixed(4)}), Recall@10 ${knn.topN[0].recall.toFixed(4)} (popularity ${pop.topN[0].recall.toFixed(4)})`,
  );
  assert.equal(knn.id, "item-knn");
  assert.ok(knn.rmse < bias.rmse - 0.015, `item-kNN RMSE ${knn.rmse} vs bias ${bias.rmse}`);
  assert.ok(knn.topN[0].recall > pop.topN[0].recall, `item-kNN Recall@10 ${knn.topN[0].recall} vs popularity ${pop.topN[0].recall}`);
});
