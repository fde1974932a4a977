// The backend module: native TensorFlow when expected, the fast segment-sum kernel, and a tiny model that learns on each backend.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { backendInfo, describeBackend, registerFastSegmentSum, tf } from "../src/backend";

const root = path.resolve(__dirname, "..");

test("the active backend is the one CI expects", () => {
  const expected = process.env.MOVIELENS_LAB_EXPECT_BACKEND;
  console.log(`backend: ${describeBackend()}`);
  if (expected) assert.equal(backendInfo.name, expected, describeBackend());
  assert.ok(["tensorflow", "cpu"].includes(backendInfo.name));
});

test("the fast UnsortedSegmentSum matches the stock kernel", async () => {
  const tfjs = require("@tensorflow/tfjs") as typeof tf;
  const x = [
    [1, 2],
    [3, 4],
    [5, 6],
    [7, 8],
    [9, 10],
  ];
  const ids = [2, 0, 2, -1, 1];
  await tfjs.setBackend("cpu");
  const stock = tfjs
    .unsortedSegmentSum(
      tfjs.tensor2d(x),
      tfjs.tensor1d(
        ids.map((i) => Math.max(i, 0)),
        "int32",
      ),
      4,
    )
    .arraySync();
  registerFastSegmentSum(tfjs);
  const fast = tfjs.unsortedSegmentSum(tfjs.tensor2d(x), tfjs.tensor1d(ids, "int32"), 4).arraySync();
  // id -1 is dropped by the fast kernel (TensorFlow semantics); the stock run mapped it to 0, so remove its row there.
  assert.deepEqual(fast, [
    [3, 4],
    [9, 10],
    [6, 8],
    [0, 0],
  ]);
  assert.deepEqual(stock[1], fast[1]);
  assert.deepEqual(stock[2], fast[2]);
  await tfjs.setBackend(backendInfo.name);
});

function trainInChild(backend: string): { backend: string; losses: number[] } {
  const script = `
    const { tf, backendInfo } = require("./src/backend");
    const { tinyDataset, tinySplit } = require("./test/helpers/tiny");
    const { userMovieModel } = require("./src/models/user-movie");
    const { ratingTask } = require("./src/training/tasks/ratings");
    const { fit } = require("./src/training/fit");
    (async () => {
      const ds = tinyDataset({ seed: 3 });
      const sp = tinySplit(ds);
      const model = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 8, seed: 1, offset: 3 });
      const task = ratingTask(ds, { train: sp.train, validation: sp.test });
      const h = await fit(model, task, { epochs: 8, batchSize: 64, learningRate: 0.02, seed: 1, progress: "none" });
      console.log(JSON.stringify({ backend: backendInfo.name, losses: h.epochs.map((e) => e.loss) }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, MOVIELENS_LAB_BACKEND: backend },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

test("a tiny embedding model learns on the pure-JS CPU backend", () => {
  const r = trainInChild("cpu");
  assert.equal(r.backend, "cpu");
  assert.ok(r.losses[r.losses.length - 1] < r.losses[0] * 0.5, `loss did not fall: ${r.losses.join(", ")}`);
});

test("a tiny embedding model learns on native TensorFlow", (t) => {
  if (backendInfo.name !== "tensorflow") {
    if (process.env.MOVIELENS_LAB_EXPECT_BACKEND === "tensorflow") assert.fail(`native expected: ${describeBackend()}`);
    t.skip(`native TensorFlow is not available here: ${describeBackend()}`);
    return;
  }
  const r = trainInChild("tensorflow");
  assert.equal(r.backend, "tensorflow");
  assert.ok(r.losses[r.losses.length - 1] < r.losses[0] * 0.5, `loss did not fall: ${r.losses.join(", ")}`);
});

test("TensorFlow runs one intra-op thread unless TF_NUM_INTRAOP_THREADS says otherwise, and the setting takes effect", (t) => {
  if (backendInfo.name !== "tensorflow" || process.platform !== "linux") {
    t.skip("needs native TensorFlow on Linux (threads are counted in /proc)");
    return;
  }
  const script = `
    const fs = require("fs");
    const { tf, intraOpThreads } = require("./src/backend");
    const a = tf.randomNormal([512, 512]);
    for (let i = 0; i < 5; i++) tf.matMul(a, a).dataSync();
    console.log(JSON.stringify({ ...intraOpThreads, threads: fs.readdirSync("/proc/self/task").length }));`;
  const run = (threads: string | undefined) => {
    const env = { ...process.env };
    delete env.TF_NUM_INTRAOP_THREADS;
    if (threads) env.TF_NUM_INTRAOP_THREADS = threads;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, encoding: "utf8", env });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as { value: string; source: string; threads: number };
  };
  const lab = run(undefined);
  assert.deepEqual([lab.value, lab.source], ["1", "lab default"]);
  const four = run("4");
  assert.deepEqual([four.value, four.source], ["4", "TF_NUM_INTRAOP_THREADS"]);
  assert.ok(four.threads > lab.threads, `process threads: ${four.threads} with 4 intra-op threads vs ${lab.threads} with 1`);
});
