// Tests rating sessions (one user, one UTC day): hand-built cases, bad arguments, and ml-100k's real timestamps.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { buildDataset, buildMovies, loadDataset, makeRatings, predefinedSplit, ratingSessions } from "../../src/data";
import { sharedDir } from "./helpers";

const DAY = 86_400;

function handDataset() {
  // user, movie, timestamp: user 0 rates twice on day 10 and once on day 11; user 1 once on day 10.
  const rows: [number, number, number][] = [
    [0, 0, 10 * DAY + 5],
    [1, 0, 10 * DAY + 7],
    [0, 1, 10 * DAY + DAY - 1],
    [0, 2, 11 * DAY],
  ];
  return buildDataset({
    name: "hand",
    source: "test",
    ratings: makeRatings(
      Int32Array.from(rows, (r) => r[0]),
      Int32Array.from(rows, (r) => r[1]),
      Float32Array.from(rows, () => 4),
      Uint32Array.from(rows, (r) => r[2]),
    ),
    movies: buildMovies(Int32Array.of(1, 2, 3), ["A (2000)", "B (2001)", "C (2002)"], [[], [], []], []),
    users: null,
    userIds: Int32Array.of(1, 2),
    ratingScale: { min: 1, max: 5 },
  });
}

test("sessions: same user and same UTC day share an id; another day or user does not", () => {
  const s = ratingSessions(handDataset());
  assert.deepEqual(Array.from(s.session), [0, 1, 0, 2]);
  assert.equal(s.count, 3);
  assert.deepEqual(Array.from(s.user), [0, 1, 0]);
  assert.equal(s.bucketSeconds, DAY);
  // A two-day bucket puts days 10 and 11 together.
  assert.deepEqual(Array.from(ratingSessions(handDataset(), { bucketSeconds: 2 * DAY }).session), [0, 1, 0, 0]);
});

test("sessions: a bad bucket length names the argument", () => {
  for (const b of [0, -5, Number.NaN, Infinity]) {
    assert.throws(() => ratingSessions(handDataset(), { bucketSeconds: b }), /bucketSeconds must be a positive number/);
  }
});

test("sessions on ml-100k: ids match an independent (user, day) count; most test ratings share a session with training", async (t) => {
  const shared = sharedDir(t);
  if (!shared) return;
  const ds = await loadDataset("ml-100k", { dir: path.join(shared, "ml-100k") });
  const s = ratingSessions(ds);
  const keys = new Set<string>();
  for (let i = 0; i < ds.ratings.length; i++) keys.add(`${ds.ratings.user[i]}/${Math.floor(ds.ratings.timestamp[i] / DAY)}`);
  assert.equal(s.count, keys.size);
  assert.ok(s.count > ds.numUsers && s.count < ds.ratings.length / 10, `${s.count} sessions`);
  for (let i = 0; i < ds.ratings.length; i++) assert.equal(s.user[s.session[i]], ds.ratings.user[i]);
  const u1 = predefinedSplit(ds, "u1");
  const inTrain = new Uint8Array(s.count);
  for (const i of u1.train) inTrain[s.session[i]] = 1;
  const shared1 = u1.test.filter((i) => inTrain[s.session[i]] === 1).length / u1.test.length;
  assert.ok(shared1 > 0.5, `only ${(shared1 * 100).toFixed(1)}% of u1's test ratings fall in a training session`);
});
