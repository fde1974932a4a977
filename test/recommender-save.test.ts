// Saving and loading the whole lab (MovieRecommender.save / .load) on the real ml-latest-small: same lists after load, atomic writes, other data refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MovieRecommender } from "../src/recommender";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-save-"));
const saved = path.join(tmp, "lab");
const rec = new MovieRecommender({ dataset: "ml-latest-small", embeddingDim: 8, seed: 3, progress: "none" });
const users = [1, 337, 414];

test("a saved lab, loaded again, recommends the same top-10 with both rankers and keeps its embeddings", async () => {
  await rec.loadData();
  rec.preprocessData({ testFraction: 0.1 });
  await rec.trainMovieGenreModel({ epochs: 2 });
  await rec.trainUserMovieModel({ epochs: 2 });
  await rec.trainTopNModel();
  assert.equal(await rec.save(saved), saved);
  assert.deepEqual(fs.readdirSync(saved).sort(), ["recommender.json", "stage1", "stage2"]);

  const back = await MovieRecommender.load(saved, { progress: "none" });
  try {
    assert.deepEqual(back.options, rec.options);
    assert.deepEqual(Array.from(back.split!.train), Array.from(rec.split!.train));
    for (const user of users) {
      const ids = (r: MovieRecommender, using: "top-n" | "stage2") =>
        r.recommend(user, 10, { using }).recommendations.map((m) => m.movieId);
      assert.deepEqual(ids(back, "top-n"), ids(rec, "top-n"), `top-N list of user ${user}`);
      assert.deepEqual(ids(back, "stage2"), ids(rec, "stage2"), `stage 2 list of user ${user}`);
    }
    assert.deepEqual(back.extractMovieEmbeddings("stage1").data, rec.extractMovieEmbeddings("stage1").data);
    assert.deepEqual(back.extractGenreEmbeddings().data, rec.extractGenreEmbeddings().data);
    assert.deepEqual(
      back.similarMovies(1, 5).map((m) => m.movieId),
      rec.similarMovies(1, 5).map((m) => m.movieId),
    );
    // Stage 2 predicts the same ratings (its rating transform and session biases came back).
    const report = await back.evaluate({ ks: [10], protocols: ["full-ranking"], sampleUsers: 100 });
    const original = await rec.evaluate({ ks: [10], protocols: ["full-ranking"], sampleUsers: 100 });
    assert.equal(report.rmse, original.rmse);
    assert.deepEqual(report.topN, original.topN);
    assert.equal(back.stage2!.transform!.toJSON().kind, rec.stage2!.transform!.toJSON().kind);
    assert.equal(back.stage1History!.epochs.length, 2);
    const newUser = [
      { movieId: 1, rating: 5 },
      { movieId: 2571, rating: 4.5 },
    ];
    assert.deepEqual(
      back.coldStartUser(newUser, 10).map((m) => m.movieId),
      rec.coldStartUser(newUser, 10).map((m) => m.movieId),
    );
  } finally {
    back.dispose();
  }
});

test("saving again replaces the folder whole; a failed save leaves the previous one untouched", async () => {
  const before = fs.readFileSync(path.join(saved, "recommender.json"), "utf8");
  await rec.save(saved);
  assert.notEqual(fs.readFileSync(path.join(saved, "recommender.json"), "utf8"), before, "savedAt changes");
  const again = fs.readFileSync(path.join(saved, "recommender.json"), "utf8");
  // A model whose weights cannot be read fails the save midway: nothing is half-written.
  const stage1 = rec.stage1!;
  rec.stage1 = { ...stage1, net: { save: () => Promise.reject(new Error("disk full")) } } as unknown as typeof stage1;
  await assert.rejects(rec.save(saved), /disk full/);
  rec.stage1 = stage1;
  assert.equal(fs.readFileSync(path.join(saved, "recommender.json"), "utf8"), again);
  assert.deepEqual(
    fs.readdirSync(tmp).filter((f) => f !== "lab"),
    [],
    "no temporary folder is left behind",
  );
});

test("loading against a different version of the dataset is refused, naming both checksums", async () => {
  const edited = path.join(tmp, "edited", "ml-latest-small");
  fs.mkdirSync(edited, { recursive: true });
  const source = rec.data!.source;
  for (const f of fs.readdirSync(source)) fs.copyFileSync(path.join(source, f), path.join(edited, f));
  const original = fs.readFileSync(path.join(edited, "ratings.csv"), "utf8");
  const ratings = original.replace(/\n1,1,4\.0,964982703\r?\n/, (line) => line.replace("4.0", "3.5"));
  assert.notEqual(ratings, original, "one rating changed");
  fs.writeFileSync(path.join(edited, "ratings.csv"), ratings);
  await assert.rejects(
    MovieRecommender.load(saved, { dir: edited, progress: "none" }),
    (err: Error) =>
      /was saved from ml-latest-small with checksum [0-9a-f]{16}… \(100836 ratings/.test(err.message) &&
      err.message.includes(edited) &&
      /a different version of the dataset/.test(err.message),
  );
  await assert.rejects(MovieRecommender.load(path.join(tmp, "nowhere")), /recommender\.json is missing/);
  fs.writeFileSync(path.join(tmp, "edited", "recommender.json"), '{"format":"something else"}');
  await assert.rejects(MovieRecommender.load(path.join(tmp, "edited")), /is not a saved lab/);
});

test.after(() => {
  rec.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});
