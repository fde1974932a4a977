// Tests for the pure figure-spec functions: traces, legends, hover content, colours, WebGL threshold, statistics and escaping.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  movieEmbeddingScatter,
  genreEmbeddingScatter,
  genreSimilarityHeatmap,
  cosineSimilarityMatrix,
  userEmbeddingScatter,
  trainingCurves,
  ratingHistograms,
  ratingsByGenre,
  metricAtK,
  primaryGenres,
  WEBGL_POINT_THRESHOLD,
  type PlotlyFigure,
  type PlotlyTrace,
} from "../../src/viz/figures";
import { genreColor, genreStyle, escapePlotlyText, CATEGORICAL_PALETTE, categoryStyle, OKABE_ITO, TOL_MUTED } from "../../src/viz/theme";
import { allStrings, loadSmallMovies, makeMovies, makeUsers, randomCoords } from "./figures-fixtures.test";

const EVIL = "<script>alert(1)</script>";
const EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;";

/** Four small movies, one with a hostile title and one hostile genre name. */
function tinyMovies() {
  return makeMovies(
    [`${EVIL} (2001)`, 'Say "Hi" & Bye (1999)', "Heat (1995)", "No Year"],
    [["Comedy", "Drama"], ["Drama"], ["Action", "Crime", EVIL], []],
  );
}

function markerOf(t: PlotlyTrace): Record<string, unknown> {
  return t.marker as Record<string, unknown>;
}

/** Strings that Plotly would render as (pseudo-)HTML text must not contain raw markup from the data. */
function assertNoRawMarkup(fig: PlotlyFigure): void {
  // The template's font stack legitimately quotes font names; everything else comes from data or options.
  for (const s of allStrings({ data: fig.data, layout: { ...fig.layout, template: undefined } })) {
    assert.ok(!/<script|<\/script|<img|onerror|<b>other<\/b>/i.test(s), `raw markup reached the figure: ${s}`);
    assert.ok(!s.includes('"'), `a raw double quote reached the figure (Plotly does not decode &quot;): ${s}`);
  }
}

describe("movieEmbeddingScatter", () => {
  test("colours by primary genre with one trace (and legend entry) per genre", () => {
    const movies = loadSmallMovies();
    const coords = randomCoords(movies.titles.length, 11);
    const fig = movieEmbeddingScatter(coords, movies, { title: "Movies" });
    const primary = primaryGenres(movies);
    const expected = new Set(primary);
    assert.equal(fig.data.length, expected.size, "one trace per primary genre");
    assert.deepEqual(new Set(fig.data.map((t) => t.name)), new Set([...expected].map(escapePlotlyText)));
    let total = 0;
    for (const t of fig.data) {
      assert.notEqual(t.showlegend, false, "every genre trace has a legend entry");
      assert.equal(t.mode, "markers");
      assert.equal(markerOf(t).color, genreColor(t.name!), `${t.name} uses its theme colour`);
      assert.equal(t.x!.length, t.y!.length);
      assert.equal(t.customdata!.length, t.x!.length);
      total += t.x!.length;
    }
    assert.equal(total, movies.titles.length, "every movie is drawn exactly once");
    const drama = fig.data.find((t) => t.name === "Drama")!;
    assert.equal(drama.x!.length, primary.filter((g) => g === "Drama").length);
  });

  test("hover shows title, year and genres through customdata + hovertemplate", () => {
    const movies = loadSmallMovies();
    const fig = movieEmbeddingScatter({ coords: randomCoords(movies.titles.length), dims: 2 }, movies);
    const toyStoryTrace = fig.data.find((t) => t.name === "Adventure")!;
    const row = (toyStoryTrace.customdata as string[][]).find((c) => c[0] === "Toy Story")!;
    assert.deepEqual(row, ["Toy Story", "1995", "Adventure, Animation, Children, Comedy, Fantasy"]);
    assert.match(toyStoryTrace.hovertemplate!, /%\{customdata\[0\]\}.*%\{customdata\[1\]\}.*%\{customdata\[2\]\}/);
    assert.match(toyStoryTrace.hovertemplate!, /<extra><\/extra>$/);
  });

  test("uses scattergl above the threshold and svg scatter below it", () => {
    const movies = loadSmallMovies();
    const n = movies.titles.length;
    assert.ok(n > WEBGL_POINT_THRESHOLD);
    const big = movieEmbeddingScatter(randomCoords(n), movies);
    assert.ok(big.data.every((t) => t.type === "scattergl"));
    const small = movieEmbeddingScatter(randomCoords(WEBGL_POINT_THRESHOLD), movies, {
      movieIndex: Int32Array.from({ length: WEBGL_POINT_THRESHOLD }, (_, i) => i),
    });
    assert.ok(
      small.data.every((t) => t.type === "scatter"),
      "exactly at the threshold stays SVG",
    );
    const custom = movieEmbeddingScatter(randomCoords(100), movies, {
      movieIndex: Int32Array.from({ length: 100 }, (_, i) => i * 3),
      webglThreshold: 50,
    });
    assert.ok(custom.data.every((t) => t.type === "scattergl"));
  });

  test("highlight mode: the chosen genre in colour against grey 'Other'", () => {
    const movies = loadSmallMovies();
    const fig = movieEmbeddingScatter(randomCoords(movies.titles.length), movies, { highlightGenre: "Horror" });
    assert.deepEqual(
      fig.data.map((t) => t.name),
      ["Other", "Horror"],
    );
    const horrorCount = movies.genres.filter((g) => g.includes("Horror")).length;
    assert.equal(fig.data[1].x!.length, horrorCount);
    assert.equal(fig.data[0].x!.length, movies.titles.length - horrorCount);
    assert.equal(markerOf(fig.data[1]).color, genreColor("Horror"));
    assert.equal(markerOf(fig.data[0]).color, "#BBBBBB");
    assert.throws(
      () => movieEmbeddingScatter(randomCoords(movies.titles.length), movies, { highlightGenre: "Space Opera" }),
      /unknown genre/,
    );
  });

  test("accepts flat, {x,y}, rows and projection-result coordinates, plus a movie index subset", () => {
    const movies = tinyMovies();
    const flat = movieEmbeddingScatter(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]), movies);
    const cols = movieEmbeddingScatter({ x: [0, 2, 4, 6], y: [1, 3, 5, 7] }, movies);
    const rows = movieEmbeddingScatter(
      [
        [0, 1],
        [2, 3],
        [4, 5],
        [6, 7],
      ],
      movies,
    );
    const proj = movieEmbeddingScatter({ coords: new Float32Array([0, 1, 9, 2, 3, 9, 4, 5, 9, 6, 7, 9]), dims: 3 }, movies);
    assert.deepEqual(cols.data, flat.data);
    assert.deepEqual(rows.data, flat.data);
    assert.deepEqual(proj.data, flat.data);
    const subset = movieEmbeddingScatter([[5, 5]], movies, { movieIndex: [2] });
    assert.equal(subset.data.length, 1);
    assert.equal(subset.data[0].name, "Action");
    assert.deepEqual(subset.data[0].customdata, [["Heat", "1995", `Action, Crime, ${EVIL_ESCAPED}`]]);
    assert.throws(() => movieEmbeddingScatter([[5, 5]], movies, { movieIndex: [4] }), /outside/);
    assert.throws(() => movieEmbeddingScatter(new Float32Array(3), movies), /even length/);
  });

  test("primary genre rule 'rarest' picks the least frequent of a movie's genres", () => {
    const movies = makeMovies(["A (2000)", "B (2000)", "C (2000)"], [["Comedy", "War"], ["Comedy"], ["Comedy", "Drama"]]);
    assert.deepEqual(primaryGenres(movies, "first"), ["Comedy", "Comedy", "Comedy"]);
    assert.deepEqual(primaryGenres(movies, "rarest"), ["War", "Comedy", "Drama"]);
  });
});

describe("theme", () => {
  test("a genre has the same colour in every figure (movie scatter, genre points, genre boxes)", () => {
    const movies = loadSmallMovies();
    const scatter = movieEmbeddingScatter(randomCoords(movies.titles.length), movies);
    const genres = movies.genreVocabulary;
    const labelled = genreEmbeddingScatter(randomCoords(genres.length), genres);
    const ratings = {
      movie: Int32Array.from({ length: 2000 }, (_, i) => i % movies.titles.length),
      rating: Float32Array.from({ length: 2000 }, (_, i) => 0.5 + (i % 10) / 2),
    };
    const boxes = ratingsByGenre(ratings, movies);
    const labelColors = markerOf(labelled.data[0]).color as string[];
    for (const g of ["Drama", "Comedy", "Horror", "Sci-Fi", "Film-Noir"]) {
      const fromScatter = markerOf(scatter.data.find((t) => t.name === g)!).color;
      const fromLabels = labelColors[genres.indexOf(g)];
      const fromBoxes = markerOf(boxes.data.find((t) => t.name === g)!).color;
      assert.equal(fromScatter, genreColor(g));
      assert.equal(fromLabels, genreColor(g));
      assert.equal(fromBoxes, genreColor(g));
    }
    assert.equal(genreColor("Children's"), genreColor("Children"), "ml-100k spelling maps to the same colour");
    assert.deepEqual(genreStyle("Made-Up Genre"), genreStyle("Made-Up Genre"), "unknown genres are stable too");
  });

  test("the palette is Okabe–Ito plus Tol muted, and the 19 MovieLens genres get distinct styles", () => {
    assert.equal(CATEGORICAL_PALETTE.length, 17);
    for (const c of CATEGORICAL_PALETTE) assert.ok(OKABE_ITO.includes(c) || TOL_MUTED.includes(c));
    const genres = loadSmallMovies().genreVocabulary;
    assert.equal(genres.length, 19);
    const styles = new Set(genres.map((g) => `${genreStyle(g).color}/${genreStyle(g).symbol}`));
    assert.equal(styles.size, genres.length);
    assert.equal(categoryStyle(17).color, categoryStyle(0).color);
    assert.notEqual(categoryStyle(17).symbol, categoryStyle(0).symbol, "colours repeat with a new symbol");
  });

  test("template: white background, light grid, readable axis titles, no MathJax", () => {
    const movies = tinyMovies();
    const fig = movieEmbeddingScatter(randomCoords(4), movies, { projectionName: "UMAP" });
    const template = (fig.layout.template as { layout: Record<string, any> }).layout;
    assert.equal(template.plot_bgcolor, "#FFFFFF");
    assert.equal(template.paper_bgcolor, "#FFFFFF");
    assert.equal(template.xaxis.gridcolor, "#E8E8E8");
    assert.ok(template.font.family.includes("sans-serif"));
    assert.deepEqual((fig.layout.xaxis as any).title, { text: "UMAP 1" });
    assert.deepEqual((fig.layout.yaxis as any).title, { text: "UMAP 2" });
    assert.equal(fig.config!.typesetMath, false);
    assert.equal(fig.config!.displaylogo, false);
  });
});

describe("genre figures", () => {
  test("genre embeddings are labelled points", () => {
    const fig = genreEmbeddingScatter(
      [
        [0, 0],
        [1, 1],
        [2, 0],
      ],
      ["Drama", "Sci-Fi", EVIL],
      { background: randomCoords(50) },
    );
    assert.equal(fig.data.length, 2);
    assert.equal(fig.data[0].hoverinfo, "skip");
    const labels = fig.data[1];
    assert.equal(labels.mode, "markers+text");
    assert.deepEqual(labels.text, ["Drama", "Sci-Fi", EVIL_ESCAPED]);
    assert.throws(() => genreEmbeddingScatter([[0, 0]], ["A", "B"]), /2 genre names/);
  });

  test("cosine similarity from a genre embedding matrix", () => {
    const sim = cosineSimilarityMatrix({ data: new Float32Array([1, 0, 0, 2, 1, 1, -3, 0, 0, 0]), rows: 5, cols: 2 });
    assert.equal(sim.length, 5);
    assert.equal(sim[0][0], 1);
    assert.equal(sim[0][1], 0);
    assert.ok(Math.abs(sim[0][2]! - Math.SQRT1_2) < 1e-12);
    assert.equal(sim[0][3], -1);
    assert.equal(sim[2][0], sim[0][2], "symmetric");
    assert.equal(sim[4][0], null, "a zero row has no direction");
    const parallel = cosineSimilarityMatrix([
      [1, 2],
      [2, 4],
    ]);
    assert.equal(parallel[0][0], 1);
    assert.ok(Math.abs(parallel[0][1]! - 1) < 1e-12);
  });

  test("heatmap: genre x genre, fixed [-1, 1] diverging scale, values in cells", () => {
    const fig = genreSimilarityHeatmap(
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      ["Drama", EVIL, "War"],
      { title: "Genre similarity" },
    );
    const t = fig.data[0];
    assert.equal(t.type, "heatmap");
    assert.deepEqual(t.x, ["Drama", EVIL_ESCAPED, "War"]);
    assert.deepEqual(t.y, t.x);
    assert.equal(t.zmin, -1);
    assert.equal(t.zmax, 1);
    assert.equal((t.z as number[][])[0][2], 0.7071);
    assert.equal(t.texttemplate, "%{z:.2f}");
  });
});

describe("user, training, rating and evaluation figures", () => {
  test("user embeddings coloured by gender, age bracket or occupation", () => {
    const users = makeUsers(300);
    const coords = randomCoords(300, 5);
    const byGender = userEmbeddingScatter(coords, users, "gender");
    assert.deepEqual(
      byGender.data.map((t) => t.name),
      ["Female", "Male"],
    );
    const byAge = userEmbeddingScatter(coords, users, "ageBracket");
    assert.deepEqual(
      byAge.data.map((t) => t.name),
      ["Under 18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"],
    );
    const byJob = userEmbeddingScatter(coords, users, "occupation");
    assert.ok(byJob.data.some((t) => t.name === "&lt;b&gt;other&lt;/b&gt;"));
    for (const fig of [byGender, byAge, byJob]) {
      assert.equal(
        fig.data.reduce((s, t) => s + t.x!.length, 0),
        300,
      );
      assert.match(fig.data[0].hovertemplate!, /User %\{customdata\[0\]\}/);
      assertNoRawMarkup(fig);
    }
  });

  test("training curves: train solid + validation dashed per run, shared colour, best epoch starred", () => {
    const fig = trainingCurves(
      [
        { name: "MF d=32", train: [1.2, 0.9, 0.8], validation: [1.25, 1.0, 1.05] },
        { name: "MF d=64", train: new Float32Array([1.1, 0.8, 0.7]), validation: new Float32Array([1.2, 0.98, 0.97]) },
      ],
      { metric: "MSE" },
    );
    const legend = fig.data.filter((t) => t.showlegend !== false);
    assert.deepEqual(
      legend.map((t) => t.name),
      ["MF d=32 · train", "MF d=32 · validation", "MF d=64 · train", "MF d=64 · validation"],
    );
    assert.equal((legend[0].line as any).color, (legend[1].line as any).color);
    assert.notEqual((legend[0].line as any).color, (legend[2].line as any).color);
    assert.equal((legend[1].line as any).dash, "dash");
    assert.deepEqual(legend[0].x, [1, 2, 3]);
    const best = fig.data.filter((t) => t.showlegend === false);
    assert.deepEqual(
      best.map((t) => t.x),
      [[2], [3]],
    );
    assert.deepEqual((fig.layout.yaxis as any).title, { text: "MSE" });
    const single = trainingCurves([{ name: "run", train: [1, 0.5] }]);
    assert.deepEqual(
      single.data.map((t) => t.name),
      ["Train"],
    );
  });

  test("rating histograms: overlaid, pre-binned percentages on the rating steps, RMSE/MAE noted", () => {
    const actual = new Float32Array([0.5, 1, 3, 3, 4.5, 5, 5, 5]);
    const predicted = new Float32Array([0.7, 1.2, 3.1, 2.6, 4.4, 5.3, 4.9, 4.1]);
    const fig = ratingHistograms(predicted, actual);
    assert.equal(fig.layout.barmode, "overlay");
    assert.deepEqual(
      fig.data.map((t) => t.name),
      ["Actual", "Predicted"],
    );
    const [a, p] = fig.data;
    assert.equal(a.x!.length, 10, "0.5..5 in half steps");
    assert.equal(a.x![0], 0.5);
    assert.deepEqual(a.customdata, [1, 1, 0, 0, 0, 2, 0, 0, 1, 3]);
    const sum = (t: PlotlyTrace) => (t.y as number[]).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum(a) - 100) < 1e-6);
    assert.ok(Math.abs(sum(p) - 100) < 1e-6);
    assert.equal((p.customdata as number[])[9], 2, "5.3 is counted in the top bin");
    const note = (fig.layout.annotations as { text: string }[])[0].text;
    assert.match(note, /^RMSE 0\.\d{3} · MAE 0\.\d{3} · n = 8$/);
    const whole = ratingHistograms([1, 2], [1, 5]);
    assert.equal(whole.data[0].x!.length, 5, "integer ratings use unit bins");
  });

  test("ratings by genre: exact quartiles in boxes; violins from a proportional sample", () => {
    const movies = makeMovies(["A (2000)", "B (2000)", "C (2000)"], [["Drama"], ["Drama", "Comedy"], ["Comedy"]]);
    const ratingList = [1, 2, 3, 4, 5, 2.5, 3.5, 4, 0.5, 5];
    const movieList = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2];
    const fig = ratingsByGenre({ movie: Int32Array.from(movieList), rating: Float32Array.from(ratingList) }, movies);
    assert.deepEqual(
      fig.data.map((t) => t.name),
      ["Comedy", "Drama"],
    );
    const drama = fig.data[1] as any;
    // Drama ratings: 1, 2, 3, 4, 5, 2.5, 3.5, 4 -> sorted 1 2 2.5 3 3.5 4 4 5 (linear quantiles).
    assert.equal(drama.type, "box");
    assert.deepEqual(drama.median, [3.25]);
    assert.deepEqual(drama.q1, [2.375]);
    assert.deepEqual(drama.q3, [4]);
    assert.deepEqual(drama.mean, [3.125]);
    assert.deepEqual(drama.lowerfence, [1]);
    assert.deepEqual(drama.upperfence, [5]);
    assert.match(drama.text[0], /8 ratings/);
    const violins = ratingsByGenre({ movie: movieList, rating: ratingList }, movies, { kind: "violin", genres: ["Drama"] });
    assert.equal(violins.data.length, 1);
    assert.equal(violins.data[0].type, "violin");
    assert.deepEqual(
      [...(violins.data[0].y as number[])].sort((x, y) => x - y),
      [1, 2, 2.5, 3, 3.5, 4, 4, 5],
    );
    const big = ratingsByGenre(
      { movie: new Int32Array(10000), rating: Float32Array.from({ length: 10000 }, (_, i) => (i < 7500 ? 4 : 2)) },
      movies,
      { kind: "violin", maxSamplesPerGenre: 100 },
    );
    const ys = big.data[0].y as number[];
    assert.equal(ys.length, 100);
    assert.equal(ys.filter((v) => v === 4).length, 75, "exact proportions, no randomness");
  });

  test("metric@K: one line per model, distinguishable without colour", () => {
    const fig = metricAtK(
      [
        { name: "Popularity", k: [1, 5, 10, 20, 50], values: [0.01, 0.04, 0.07, 0.1, 0.18] },
        { name: "MF", k: [1, 5, 10, 20, 50], values: new Float64Array([0.02, 0.06, 0.1, 0.15, 0.25]) },
      ],
      { metric: "Recall" },
    );
    assert.equal(fig.data.length, 2);
    assert.ok(fig.data.every((t) => t.mode === "lines+markers"));
    assert.notEqual((fig.data[0].line as any).dash, (fig.data[1].line as any).dash);
    assert.notEqual(markerOf(fig.data[0]).symbol, markerOf(fig.data[1]).symbol);
    assert.deepEqual((fig.layout.yaxis as any).title, { text: "Recall@K" });
    assert.equal((fig.layout.xaxis as any).type, "log", "K spans 50x");
    assert.throws(() => metricAtK([{ name: "x", k: [1, 2], values: [1] }]), /2 K values but 1/);
  });
});

describe("escaping", () => {
  test("a <script> title and genre end up escaped in every text, hover and legend field", () => {
    const movies = tinyMovies();
    const fig = movieEmbeddingScatter(randomCoords(4), movies, { title: EVIL });
    assert.deepEqual((fig.layout.title as any).text, EVIL_ESCAPED);
    const comedy = fig.data.find((t) => t.name === "Comedy")!;
    assert.deepEqual((comedy.customdata as string[][])[0], [EVIL_ESCAPED, "2001", "Comedy, Drama"]);
    const drama = fig.data.find((t) => t.name === "Drama")!;
    assert.deepEqual((drama.customdata as string[][])[0], ["Say &#34;Hi&#34; &amp; Bye", "1999", "Drama"]);
    const noYear = fig.data.find((t) => t.name === "(no genres listed)")!;
    assert.deepEqual((noYear.customdata as string[][])[0], ["No Year", "year unknown", "(no genres listed)"]);
    assertNoRawMarkup(fig);
    const crimeLegend = movieEmbeddingScatter(randomCoords(4), movies, { primaryGenre: "rarest" });
    assert.ok(
      crimeLegend.data.some((t) => t.name === EVIL_ESCAPED),
      "hostile genre is escaped in the legend",
    );
    assertNoRawMarkup(crimeLegend);
  });

  test("every figure function escapes titles and data names", () => {
    const movies = tinyMovies();
    const figs: PlotlyFigure[] = [
      movieEmbeddingScatter(randomCoords(4), movies, { title: EVIL, highlightGenre: EVIL, projectionName: EVIL }),
      genreEmbeddingScatter(randomCoords(2), [EVIL, 'x"y'], { title: EVIL, projectionName: EVIL }),
      genreSimilarityHeatmap(
        [
          [1, 0],
          [0, 1],
        ],
        [EVIL, "War"],
        { title: EVIL },
      ),
      userEmbeddingScatter(randomCoords(20), makeUsers(20), "occupation", { title: EVIL }),
      trainingCurves([{ name: EVIL, train: [1, 0.5], validation: [1, 0.7] }], { title: EVIL, metric: EVIL }),
      ratingHistograms([1, 2], [1, 2], { title: EVIL }),
      ratingsByGenre({ movie: [0, 2], rating: [3, 4] }, movies, { title: EVIL }),
      ratingsByGenre({ movie: [0, 2], rating: [3, 4] }, movies, { title: EVIL, kind: "violin" }),
      metricAtK([{ name: EVIL, k: [1, 2], values: [0.1, 0.2] }], { title: EVIL, metric: EVIL }),
    ];
    for (const fig of figs) {
      assertNoRawMarkup(fig);
      assert.ok(
        allStrings(fig).some((s) => s.includes(EVIL_ESCAPED)),
        "the escaped text is there",
      );
    }
  });

  test("escapePlotlyText uses entities Plotly decodes", () => {
    assert.equal(escapePlotlyText(`<a href="x">'&'</a>`), "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});
