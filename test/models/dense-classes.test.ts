// Tests the dense rating classifier's scorer: its expected ratings equal the layers' own class probabilities, chunked or not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../src/backend";
import { denseClassModel, expectedRating, netScorer } from "../../src/models/dense-classes";

test("netScorer's expected rating is sum_c p_c * value_c of net.predict's probabilities, for any chunk size", () => {
  const model = denseClassModel({ numUsers: 20, numMovies: 300, numClasses: 5, dim: 8, seed: 3, dropout: 0.2 });
  try {
    const values = [1, 2, 3, 4, 5];
    const movies = Int32Array.from({ length: 300 }, (_, i) => i);
    const users = new Int32Array(300).fill(7);
    const probs = tf.tidy(() =>
      (model.net.predict([tf.tensor2d(users, [300, 1], "int32"), tf.tensor2d(movies, [300, 1], "int32")]) as tf.Tensor).dataSync(),
    );
    const expected = Array.from({ length: 300 }, (_, i) => values.reduce((s, v, c) => s + probs[i * 5 + c] * v, 0));
    for (const batchSize of [300, 64, 7]) {
      const scorer = netScorer("dense", model, (out, width) => expectedRating(values)(out, width), { ratings: true, batchSize });
      const got = scorer.scoreMovies(7, movies);
      const rated = scorer.predictRatings!(users, movies);
      for (let i = 0; i < 300; i++) {
        assert.ok(Math.abs(got[i] - expected[i]) < 1e-5, `movie ${i} at chunk ${batchSize}: ${got[i]} vs ${expected[i]}`);
        assert.equal(rated[i], got[i]);
      }
    }
  } finally {
    model.dispose();
  }
});
