// Tests the embeddings export: projector files (header, rows, config), the .npy read back by NumPy in the .venv, the coordinates CSV, escaping, atomic replacement and argument errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadDataset } from "../../src/data/load";
import { ratingSummary } from "../../src/data/stats";
import { MovieRecommender } from "../../src/recommender";
import { Rng } from "../../src/util/random";
import { exportEmbeddings, npyFloat32 } from "../../src/viz/embeddings-export";

const python = path.join(__dirname, "..", "..", ".venv", "bin", "python");
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "lab-export-"));

test("exportEmbeddings writes the projector's files, a .npy NumPy reads back, and the 2-D coordinates", async () => {
  const ds = await loadDataset("ml-latest-small");
  const rng = new Rng(5);
  const d = 8;
  const vectors = { data: Float32Array.from({ length: ds.numMovies * d }, () => rng.normal()), rows: ds.numMovies, cols: d };
  const dir = path.join(tmpDir(), "stage1");
  const out = await exportEmbeddings(ds, vectors, dir, { minRatings: 5 });
  const counts = ratingSummary(ds).movieCount;
  const kept = counts.filter((c) => c >= 5).length;
  assert.equal(out.movies.length, kept);

  const meta = fs.readFileSync(out.files.metadata, "utf8").trimEnd().split("\n");
  assert.equal(meta[0], "title\tyear\tgenres\tnumRatings\tprimaryGenre\tmovieId");
  assert.equal(meta.length, kept + 1);
  const first = out.movies[0];
  assert.deepEqual(meta[1].split("\t"), [
    ds.movies.titles[first],
    String(ds.movies.years[first] ?? ""),
    ds.movies.genres[first].join("|"),
    String(counts[first]),
    ds.movies.genres[first][0],
    String(ds.movies.ids[first]),
  ]);
  assert.ok(
    meta.every((line) => line.split("\t").length === 6),
    "no title breaks a row",
  );

  const vec = fs.readFileSync(out.files.vectors, "utf8").trimEnd().split("\n");
  assert.equal(vec.length, kept);
  const row0 = vec[0].split("\t").map(Number);
  assert.deepEqual(row0, Array.from(vectors.data.subarray(first * d, first * d + d)));
  const config = fs.readFileSync(out.files.config, "utf8");
  assert.match(config, /tensor_name: "movies"/);
  assert.match(config, /tensor_path: "vectors.tsv"/);
  assert.match(config, /metadata_path: "metadata.tsv"/);

  // NumPy reads the .npy: its shape, and the same numbers as the TSV.
  const report = execFileSync(
    python,
    [
      "-c",
      "import numpy as np, sys, json; a = np.load(sys.argv[1]); print(json.dumps([a.dtype.str, list(a.shape), a[0].tolist(), float(a.sum())]))",
      out.files.npy,
    ],
    { encoding: "utf8" },
  );
  const [dtype, shape, npRow0, npSum] = JSON.parse(report) as [string, number[], number[], number];
  assert.equal(dtype, "<f4");
  assert.deepEqual(shape, [kept, d]);
  assert.deepEqual(npRow0, Array.from(vectors.data.subarray(first * d, first * d + d)));
  let sum = 0;
  for (const m of out.movies) for (let j = 0; j < d; j++) sum += vectors.data[m * d + j];
  assert.ok(Math.abs(npSum - sum) < 1e-3 * Math.max(1, Math.abs(sum)));

  const coords = fs.readFileSync(out.files.coordinates!, "utf8").trimEnd().split("\n");
  assert.equal(coords[0], "movieId,title,x,y");
  assert.equal(coords.length, kept + 1);
  const quoted = coords.find((l) => l.includes('"'));
  assert.ok(quoted, "titles with commas are quoted");
  const xy = coords.slice(1).map((l) => l.split(",").slice(-2).map(Number));
  assert.ok(xy.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  assert.ok(new Set(xy.map(([x]) => x)).size > kept / 2, "a real projection, not a constant");
});

test("exportEmbeddings refuses bad input with the argument named and leaves an existing export untouched", async () => {
  const ds = await loadDataset("ml-latest-small");
  const good = { data: new Float32Array(ds.numMovies * 2).fill(0.5), rows: ds.numMovies, cols: 2 };
  const dir = path.join(tmpDir(), "out");
  await exportEmbeddings(ds, good, dir, { projection: null });
  const before = fs.readFileSync(path.join(dir, "vectors.tsv"), "utf8");
  assert.equal(fs.existsSync(path.join(dir, "coordinates.csv")), false);
  const bad = { data: Float32Array.from(good.data), rows: ds.numMovies, cols: 2 };
  bad.data[7] = NaN;
  await assert.rejects(exportEmbeddings(ds, bad, dir), /non-finite value at row 3, column 1/);
  await assert.rejects(
    exportEmbeddings(ds, { data: new Float32Array(4), rows: 2, cols: 2 }, dir),
    /2 rows, ml-latest-small has 9742 movies/,
  );
  await assert.rejects(exportEmbeddings(ds, good, dir, { minRatings: -1 }), /option "minRatings"/);
  await assert.rejects(exportEmbeddings(ds, good, dir, { tensorName: 'a"b' }), /option "tensorName"/);
  assert.equal(fs.readFileSync(path.join(dir, "vectors.tsv"), "utf8"), before);
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), ["out"], "no temporary folder left behind");
});

test("npyFloat32 pads the header to 64 bytes and checks the shape", () => {
  const b = npyFloat32(Float32Array.from([1, 2, 3]), [3]);
  const headerLength = b[8] + 256 * b[9];
  assert.equal((10 + headerLength) % 64, 0);
  assert.match(Buffer.from(b.subarray(10, 10 + headerLength)).toString("latin1"), /'shape': \(3,\), }\s*\n$/);
  assert.throws(() => npyFloat32(new Float32Array(5), [2, 3]), /needs 6 values, got 5/);
});

test("rec.exportEmbeddings writes stage 1's table after training, and says what to call first before", async () => {
  const rec = new MovieRecommender({ seed: 3, progress: "none" });
  const dir = path.join(tmpDir(), "rec");
  await rec.loadData();
  await assert.rejects(rec.exportEmbeddings(dir), /trainMovieGenreModel/);
  await rec.trainMovieGenreModel({ epochs: 2 });
  const out = await rec.exportEmbeddings(dir, { stage: "stage1", minRatings: 10 });
  assert.equal(out.dim, rec.extractMovieEmbeddings().cols);
  assert.ok(fs.existsSync(out.files.npy) && fs.existsSync(out.files.coordinates!));
  rec.dispose();
});
