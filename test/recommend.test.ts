// The MovieRecommender facade end to end on the real ml-latest-small: recommendations, similar movies, cold start for new movies and users, clear errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../src/backend";
import { TOP_N_MODEL } from "../src/experiments/registry";
import { MovieRecommender, RECOMMEND_MIN_RATINGS } from "../src/recommender";
import { coldStartMovieVector, foldInUser, foldedUserScorer } from "../src/recommend/cold-start";
import { dotWeights } from "../src/models/user-movie";
import { rmse } from "../src/evaluation/rating-metrics";
import { row } from "../src/util/matrix";

const rec = new MovieRecommender({ dataset: "ml-latest-small", embeddingDim: 16, seed: 7, progress: "none" });

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

test("the facade's tutorial workflow: load, preprocess, pairs, stage 1, embeddings, view", async () => {
  const ds = await rec.loadData();
  assert.equal(ds.ratings.length, 100836);
  const split = rec.preprocessData({ testFraction: 0.1 });
  assert.equal(split.train.length + split.test.length, ds.ratings.length);
  const pairs = rec.createMovieGenrePairs(2);
  const pos = pairs.label.reduce((s, l) => s + l, 0);
  assert.ok(pairs.label.length - pos >= 1.9 * pos, "about two negatives per positive");
  assert.match(rec.buildMovieGenreModel().summary(), /movie_embedding.*\n[\s\S]*genre_embedding/);
  const h = await rec.trainMovieGenreModel({ epochs: 6 });
  assert.ok(h.epochs.at(-1)!.metrics.accuracy > 0.75, `stage 1 validation accuracy ${h.epochs.at(-1)!.metrics.accuracy}`);
  const emb = rec.extractMovieEmbeddings();
  assert.deepEqual([emb.rows, emb.cols], [ds.numMovies, 16]);
  assert.equal(rec.extractGenreEmbeddings().rows, ds.movies.genreVocabulary.length);
  const fig = await rec.visualizeEmbeddings({ method: "pca", minRatings: 20 });
  assert.ok(fig.data.length >= 10, "one trace per primary genre");
});

test("similar movies share genres with the query (stage 1 space)", () => {
  const ds = rec.data!;
  const toyStory = 1; // Toy Story (1995): Adventure|Animation|Children|Comedy|Fantasy
  const sims = rec.similarMovies(toyStory, 10);
  assert.equal(sims.length, 10);
  assert.ok(!sims.some((s) => s.movieId === toyStory), "the query movie itself is excluded");
  const mine = new Set(ds.movies.genres[ds.movieIndex.get(toyStory)!]);
  const shared = sims.filter((s) => s.genres.split("|").filter((g) => mine.has(g)).length >= 2).length;
  assert.ok(shared >= 8, `only ${shared}/10 neighbours share 2+ genres with Toy Story: ${sims.map((s) => s.title).join("; ")}`);
  assert.throws(() => rec.similarMovies(99999999), /unknown movie id 99999999/);
});

test("cold start: a new movie's vector from its genres alone lands next to movies with those genres", () => {
  const ds = rec.data!;
  const genreEmb = rec.extractGenreEmbeddings();
  const movieEmb = rec.extractMovieEmbeddings();
  // For 200 real movies: build the vector from the genre list only, compare with the learned vector of the same movie.
  let own = 0;
  let other = 0;
  let wins = 0;
  const sample = Array.from({ length: 200 }, (_, i) => (i * 47) % ds.numMovies).filter((m) => ds.movies.genres[m].length > 0);
  for (const m of sample) {
    const v = coldStartMovieVector(genreEmb, ds.movies.genreVocabulary, ds.movies.genres[m]);
    const a = cosine(v, row(movieEmb, m));
    const b = cosine(v, row(movieEmb, (m + 1234) % ds.numMovies));
    own += a / sample.length;
    other += b / sample.length;
    if (a > b) wins++;
  }
  assert.ok(
    own > 0.6 && own > other + 0.2 && wins / sample.length > 0.85,
    `cold vectors: cosine to own learned vector ${own.toFixed(3)}, to another movie ${other.toFixed(3)}, closer to own for ${wins}/${sample.length}`,
  );
  const { similar } = rec.coldStartMovie(["Horror", "Sci-Fi"], 10);
  const both = similar.filter((s) => s.genres.includes("Horror") && s.genres.includes("Sci-Fi")).length;
  assert.ok(both >= 7, `a new Horror|Sci-Fi movie's neighbours: ${similar.map((s) => `${s.title} [${s.genres}]`).join("; ")}`);
  assert.throws(() => rec.coldStartMovie(["Cyberpunk"]), /unknown genre "Cyberpunk"/);
});

test("stage 2 from stage 1: recommendations are unseen movies with titles; evaluation gives finite metrics", async () => {
  const ds = rec.data!;
  await rec.trainUserMovieModel({ epochs: 6 });
  const report = await rec.evaluate({ ks: [10], sampleUsers: 200 });
  assert.ok(report.rmse > 0.7 && report.rmse < 1.0, `stage 2 RMSE ${report.rmse}`);
  assert.throws(() => rec.recommend(1, 10), /trainTopNModel/, "the default ranker is the top-N model, which is not trained yet");
  const { topRated, recommendations } = rec.recommend(1, 10, { using: "stage2" });
  assert.equal(recommendations.length, 10);
  assert.ok(
    topRated.every((r, i) => i === 0 || r.rating <= topRated[i - 1].rating),
    "top rated is sorted by rating",
  );
  const u = ds.userIndex.get(1)!;
  const seen = new Set<number>();
  for (const i of rec.split!.train) if (ds.ratings.user[i] === u) seen.add(ds.movies.ids[ds.ratings.movie[i]]);
  assert.ok(
    recommendations.every((r) => !seen.has(r.movieId) && r.title.length > 0),
    "recommended a movie the user rated in train",
  );
  assert.throws(() => rec.recommend(424242, 10, { using: "stage2" }), /unknown user id 424242/);
});

test("recommend ranks with the top-N model (EASE) by default: the list is the debug view's and the metric's top 10, rarely rated movies excluded, and it ranks better than the explicit stage 2", async () => {
  const ds = rec.data!;
  const split = rec.split!;
  const t = await rec.trainTopNModel();
  assert.equal(t.id, TOP_N_MODEL);
  const counts = new Int32Array(ds.numMovies);
  for (const i of split.train) counts[ds.ratings.movie[i]]++;
  for (const userId of [1, 337, 414]) {
    const { recommendations } = rec.recommend(userId, 10);
    assert.equal(recommendations.length, 10);
    for (const r of recommendations) {
      const c = counts[ds.movieIndex.get(r.movieId)!];
      assert.ok(c >= RECOMMEND_MIN_RATINGS, `${r.title} has ${c} training ratings`);
    }
    const debug = await rec.debugUser(userId, { k: 10 });
    assert.deepEqual(
      debug.recommendations.map((r) => r.movieId),
      recommendations.map((r) => r.movieId),
      `user ${userId}: the debug view and recommend disagree`,
    );
  }
  const common = { ks: [10], protocols: ["full-ranking" as const], sampleUsers: 300 };
  const topN = await rec.evaluate({ ...common, using: "top-n" });
  const explicit = await rec.evaluate({ ...common, using: "stage2" });
  const ndcg = (r: typeof topN): number => r.topN[0].ndcg;
  assert.ok(ndcg(topN) > ndcg(explicit) + 0.05, `NDCG@10: top-N model ${ndcg(topN)} vs explicit stage 2 ${ndcg(explicit)}`);
  // Cold start through the top-N model: scored from the liked movies; only low ratings is an error naming likedAt.
  const liked = rec.coldStartUser(
    [
      { movieId: 1, rating: 5 },
      { movieId: 2571, rating: 5 },
      { movieId: 296, rating: 1 },
    ],
    10,
  );
  assert.equal(liked.length, 10);
  assert.ok(!liked.some((r) => [1, 2571, 296].includes(r.movieId)));
  assert.throws(() => rec.coldStartUser([{ movieId: 296, rating: 1 }]), /likedAt/);
});

test("cold start: a new user folded in from their ratings predicts their held-out ratings almost as well as training them", () => {
  const ds = rec.data!;
  const split = rec.split!;
  const w = dotWeights(rec.stage2!.model!);
  // Users with 50+ training ratings: fold them in from their training ratings only, score their test ratings.
  const byUser = new Map<number, number[]>();
  for (const i of split.train) (byUser.get(ds.ratings.user[i]) ?? byUser.set(ds.ratings.user[i], []).get(ds.ratings.user[i])!).push(i);
  const testByUser = new Map<number, number[]>();
  for (const i of split.test)
    (testByUser.get(ds.ratings.user[i]) ?? testByUser.set(ds.ratings.user[i], []).get(ds.ratings.user[i])!).push(i);
  const pred: number[] = [];
  const trained: number[] = [];
  const actual: number[] = [];
  let users = 0;
  for (const [u, idx] of byUser) {
    const test = testByUser.get(u);
    if (idx.length < 50 || !test || users >= 40) continue;
    users++;
    const folded = foldInUser(
      ds,
      w,
      idx.map((i) => ({ movieId: ds.movies.ids[ds.ratings.movie[i]], rating: ds.ratings.rating[i] })),
      {
        transform: rec.stage2!.transform!,
        l2: 1,
      },
    );
    const movies = Int32Array.from(test, (i) => ds.ratings.movie[i]);
    const raw = foldedUserScorer(w, folded).scoreMovies(-1, movies);
    raw.forEach((s) => pred.push(Math.min(5, Math.max(0.5, s))));
    rec.stage2!.scorer.predictRatings!(new Int32Array(test.length).fill(u), movies).forEach((p) => trained.push(p));
    test.forEach((i) => actual.push(ds.ratings.rating[i]));
  }
  const folded = rmse(pred, actual);
  const full = rmse(trained, actual);
  assert.ok(folded < full + 0.1, `fold-in RMSE ${folded.toFixed(3)} vs trained users ${full.toFixed(3)} over ${users} users`);
  const recs = rec.coldStartUser(
    [
      { movieId: 1, rating: 5 },
      { movieId: 2571, rating: 5 },
      { movieId: 296, rating: 1 },
    ],
    10,
    { using: "stage2" },
  );
  assert.equal(recs.length, 10);
  assert.ok(!recs.some((r) => [1, 2571, 296].includes(r.movieId)));
  assert.throws(() => rec.coldStartUser([{ movieId: 1, rating: 9 }], 10, { using: "stage2" }), /outside 0.5..5/);
  rec.dispose();
});

test("rerunning a training step (as a notebook cell rerun does) frees the previous model's tensors", async () => {
  const r = new MovieRecommender({ dataset: "ml-latest-small", embeddingDim: 8, seed: 1, progress: "none" });
  await r.loadData();
  r.preprocessData();
  await r.trainMovieGenreModel({ epochs: 1 });
  await r.trainUserMovieModel({ epochs: 1 });
  const after1 = tf.memory().numTensors;
  await r.trainMovieGenreModel({ epochs: 1 });
  await r.trainUserMovieModel({ epochs: 1 });
  const after2 = tf.memory().numTensors;
  assert.ok(after2 <= after1, `tensors grew from ${after1} to ${after2} on retraining`);
  r.dispose();
  assert.ok(tf.memory().numTensors < after1, "dispose() did not free the models");
});
