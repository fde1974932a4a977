// Tests the sequence side end to end on real ml-100k data: SASRec's protocol table (with a model trained outside it), "what next" from titles, the per-user attention view and its heat map.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ml100k } from "../helpers/movielens";
import { leaveLastOutSplit } from "../../src/data/sequences";
import { trainModel } from "../../src/experiments/registry";
import { compareOnSequences } from "../../src/experiments/sequence-protocol";
import { nextMovies, resolveMovies, sequenceUserView } from "../../src/recommend/sequence";
import { attentionMap } from "../../src/viz/figures/sequence";

test("the sequence protocol reports a given SASRec as it is, next to popularity, and leaves it usable", async () => {
  const ds = await ml100k();
  const split = leaveLastOutSplit(ds);
  const sas = await trainModel("sasrec", ds, split.train, { seed: 3, epochs: 2, progress: "none", dim: 16 });
  try {
    const { split: s2, reports } = await compareOnSequences(ds, ["sasrec", "popularity"], {
      seed: 3,
      trained: { sasrec: sas },
      progress: "none",
    });
    assert.equal(s2.test.length, split.test.length);
    assert.deepEqual(
      reports.map((r) => r.id),
      ["sasrec", "popularity"],
    );
    for (const r of reports) {
      const loo = r.topN.find((t) => t.protocol === "leave-one-out" && t.k === 10)!;
      const full = r.topN.find((t) => t.protocol === "full-ranking" && t.k === 10)!;
      assert.ok(
        loo.hitRate > 0 && loo.hitRate <= 1 && full.hitRate <= loo.hitRate,
        `${r.id}: LOO HR ${loo.hitRate}, full HR ${full.hitRate}`,
      );
    }
    assert.equal(reports[0].trainSeconds, sas.seconds, "the given model's own training time is reported");
    // Still usable after the comparison (not disposed).
    const view = sequenceUserView(ds, sas.model!, sas.scorer, ds.userIds[0], { seen: split.train, n: 10 });
    assert.equal(view.next.length, 10);
    assert.ok(view.lastWatched.length <= 50);
    const n = view.lastWatched.length;
    for (const w of view.attention) {
      for (let t = 0; t < n; t++) {
        let sum = 0;
        for (let j = 0; j < n; j++) {
          if (j > t) assert.equal(w[t * n + j], 0, "causal");
          sum += w[t * n + j];
        }
        assert.ok(Math.abs(sum - 1) < 1e-4, `row ${t} sums to ${sum}`);
      }
    }
    const history = new Set(view.lastWatched.map((m) => m.movieId));
    for (const m of view.next) assert.ok(!history.has(m.movieId), "next movies are unseen");
    const fig = attentionMap(
      { ...view, lastWatched: view.lastWatched.map((m, k) => (k === 0 ? { ...m, title: "<img src=x>" } : m)) },
      { last: 8 },
    );
    const trace = fig.data[0] as { z: (number | null)[][]; y: string[] };
    assert.equal(trace.z.length, Math.min(8, n));
    assert.ok(
      trace.z[0].slice(1).every((v) => v === null),
      "upper triangle empty",
    );
    assert.ok(!JSON.stringify(fig).includes("<img"), "titles are escaped");
    assert.throws(() => attentionMap(view, { block: 5 }), /option "block" must be 0..1/);
    // "What next" from titles (in order) and ids; the history itself is never recommended.
    const after = nextMovies(ds, sas.scorer, ["Toy Story", "Aladdin", "Lion King, The"], { n: 5 });
    assert.equal(after.length, 5);
    const given = resolveMovies(ds, ["Toy Story", "Aladdin", "Lion King, The"]);
    assert.deepEqual(
      Array.from(given, (m) => ds.movies.titles[m]),
      ["Toy Story", "Aladdin", "Lion King, The"],
    );
    for (const m of after) assert.ok(!Array.from(given, (g) => ds.movies.ids[g]).includes(m.movieId));
    assert.throws(() => nextMovies(ds, sas.scorer, ["No Such Film Ever"]), /movie 1: no title in ml-100k matches "No Such Film Ever"/);
    assert.throws(() => nextMovies(ds, sas.scorer, []), /at least one movie/);
  } finally {
    sas.model!.dispose();
  }
});
