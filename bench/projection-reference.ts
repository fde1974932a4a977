// The projection bench's comparison with what a data scientist would run instead: openTSNE and umap-learn (bench/python), on the same input files in the same run, with one quality measure for both sides.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadDataset } from "../src/data/load";
import { Dataset } from "../src/data/types";
import { trainStage1 } from "../src/experiments/recipes";
import { DenseMatrix, gaussianClusters, tsne, umap } from "../src/viz/projection";
import { Rng } from "../src/util/random";
import { BenchRecord, benchPython, record } from "./lib";

/** One input both sides project. */
interface Input {
  id: string;
  label: string;
  m: DenseMatrix;
}

/** One side's run on one input. */
interface Run {
  side: string;
  seconds: number;
  kl: number | null;
  compileSeconds?: number;
  file: string;
}

/**
 * t-SNE iterations on both sides: openTSNE's default schedule (250 with early exaggeration 12, then 500), so both do the
 * same work. Ours defaults to 1,000 (tsne-js's), which the notebooks keep.
 */
const REFERENCE_TSNE_ITERATIONS = 750;
/** Early-exaggeration iterations, the default of both sides; openTSNE's `n_iter` counts the iterations after them. */
const EXAGGERATED_ITERATIONS = 250;

const SAMPLE = 3_000; // rows the quality measure ranks against every row (bench/python/projection_quality.py)

function log(msg: string): void {
  console.log(`  [projection/reference] ${msg}`);
}

/**
 * A 60,000-movie catalogue shaped like ML-25M's (62,423 movies), whose genre sets are real: each movie takes the genre
 * list of a movie of `real` drawn at random (seeded), so combinations and their frequencies are MovieLens's own. Stage 1
 * needs only movies and genres, so there are no ratings.
 */
function catalogueLike(real: Dataset, numMovies: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const vocab = real.movies.genreVocabulary;
  const g = vocab.length;
  const genres: string[][] = [];
  const genreMatrix = new Uint8Array(numMovies * g);
  for (let j = 0; j < numMovies; j++) {
    const src = rng.int(real.numMovies);
    genres.push(real.movies.genres[src]);
    genreMatrix.set(real.movies.genreMatrix.subarray(src * g, src * g + g), j * g);
  }
  const ids = Int32Array.from({ length: numMovies }, (_, j) => j + 1);
  const titles = Array.from(ids, (id) => `Catalogue movie ${id}`);
  return {
    name: `catalogue-like-${real.name}`,
    source: "generated in memory",
    ratings: { user: new Int32Array(0), movie: new Int32Array(0), rating: new Float32Array(0), timestamp: new Uint32Array(0), length: 0 },
    movies: {
      ids,
      titles: [...titles],
      rawTitles: [...titles],
      years: new Array<number | null>(numMovies).fill(null),
      genres,
      genreVocabulary: vocab,
      genreMatrix,
    },
    users: null,
    userIds: new Int32Array(0),
    numUsers: 0,
    numMovies,
    userIndex: new Map(),
    movieIndex: new Map(Array.from(ids, (id, j) => [id, j] as [number, number])),
    ratingScale: real.ratingScale,
  };
}

async function stage1Vectors(ds: Dataset): Promise<DenseMatrix> {
  const s1 = await trainStage1(ds, { seed: 1, progress: "none" });
  const w = s1.model.weight("movie_embedding");
  s1.model.dispose();
  return w;
}

async function inputs(quick: boolean): Promise<Input[]> {
  const out: Input[] = [];
  const overlapping = (n: number): Input => ({
    id: `overlapping-${n / 1000}k`,
    label: `overlapping clusters ${n.toLocaleString("en-US")} x 32 (gaussianClusters, 10 clusters, centerStd 1, seed 3)`,
    m: gaussianClusters({ n, dim: 32, clusters: 10, centerStd: 1, seed: 3 }),
  });
  out.push(overlapping(10_000));
  const small = await loadDataset("ml-latest-small");
  out.push({
    id: "stage1-ml-latest-small",
    label: `stage 1's movie vectors, ml-latest-small (${small.numMovies.toLocaleString("en-US")} x 32, seed 1)`,
    m: await stage1Vectors(small),
  });
  if (!quick) {
    out.push(overlapping(60_000));
    const cat = catalogueLike(small, 60_000, 7);
    out.push({
      id: "stage1-catalogue-60k",
      label: "stage 1's movie vectors, a 60,000-movie ML-25M-shaped catalogue with ml-latest-small's genre sets (60,000 x 32, seed 1)",
      m: await stage1Vectors(cat),
    });
  }
  return out;
}

function writeF32(file: string, data: ArrayLike<number>): void {
  const a = data instanceof Float32Array ? data : Float32Array.from(data);
  fs.writeFileSync(file, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

function python(py: string, script: string, job: object, tmp: string): Record<string, unknown> {
  const jobFile = path.join(tmp, "job.json");
  const resFile = path.join(tmp, "result.json");
  fs.writeFileSync(jobFile, JSON.stringify(job));
  fs.rmSync(resFile, { force: true });
  const r = spawnSync(py, [path.join(__dirname, "python", script), jobFile, resFile], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr.slice(-3000)}`);
  return JSON.parse(fs.readFileSync(resFile, "utf8")) as Record<string, unknown>;
}

/**
 * t-SNE against openTSNE and UMAP against umap-learn (n_jobs 1 and 2), each tool at its defaults with seed 1, on
 * overlapping clusters and stage 1's learned vectors (10k rows; 60k too unless `quick`). Quality on every output by
 * one Python function (10-NN preservation and trustworthiness on a seeded sample of 3,000 rows). The ratio is ours
 * over the n_jobs 2 reference's time (goal ≤ 1). `methods` picks t-SNE, UMAP or both.
 */
export async function referenceComparison(
  quick: boolean,
  methods: readonly ("tsne" | "umap")[] = ["tsne", "umap"],
): Promise<BenchRecord[]> {
  const py = benchPython();
  if (!py) {
    log("bench Python unavailable (bench/python/ensure_venv.sh failed): no reference to compare with");
    return [];
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-projection-"));
  const out: BenchRecord[] = [
    record({
      metric: "1-min load average at the start of the reference comparison",
      value: os.loadavg()[0],
      unit: "load",
      dataset: `cpus=${os.cpus().length}`,
    }),
  ];
  const table: string[] = [];
  try {
    for (const input of await inputs(quick)) {
      const { m } = input;
      const x = path.join(tmp, `${input.id}.x.f32`);
      writeF32(x, m.data);
      const job = { input: x, rows: m.rows, cols: m.cols, seed: 1 };
      const runs: Record<"tsne" | "umap", Run[]> = { tsne: [], umap: [] };
      if (methods.includes("tsne")) {
        log(`${input.id}: t-SNE (ours) ...`);
        const t = tsne(m, { seed: 1, nIter: REFERENCE_TSNE_ITERATIONS });
        runs.tsne.push({
          side: `ours (${REFERENCE_TSNE_ITERATIONS} iterations, kNN ${t.diagnostics.knnMethod})`,
          seconds: t.seconds,
          kl: t.diagnostics.klDivergence,
          file: path.join(tmp, `${input.id}.tsne.ours.f32`),
        });
        writeF32(runs.tsne[0].file, t.coords);
        for (const jobs of [1, 2]) {
          log(`${input.id}: openTSNE n_jobs ${jobs} ...`);
          const file = path.join(tmp, `${input.id}.tsne.ref${jobs}.f32`);
          const r = python(
            py,
            "projection_reference.py",
            { ...job, method: "tsne", n_jobs: jobs, n_iter: REFERENCE_TSNE_ITERATIONS - EXAGGERATED_ITERATIONS, output: file },
            tmp,
          );
          runs.tsne.push({
            side: `openTSNE 1.0.4, n_jobs ${jobs} (${REFERENCE_TSNE_ITERATIONS} iterations)`,
            seconds: r.seconds as number,
            kl: r.kl as number,
            file,
          });
        }
      }
      if (methods.includes("umap")) {
        log(`${input.id}: UMAP (ours) ...`);
        const u = umap(m, { seed: 1 });
        runs.umap.push({
          side: `ours (kNN ${u.diagnostics.knn})`,
          seconds: u.seconds,
          kl: null,
          file: path.join(tmp, `${input.id}.umap.ours.f32`),
        });
        writeF32(runs.umap[0].file, u.coords);
        for (const jobs of [1, 2]) {
          log(`${input.id}: umap-learn n_jobs ${jobs} ...`);
          const file = path.join(tmp, `${input.id}.umap.ref${jobs}.f32`);
          const r = python(py, "projection_reference.py", { ...job, method: "umap", n_jobs: jobs, output: file }, tmp);
          runs.umap.push({
            side: `umap-learn 0.5.12, n_jobs ${jobs}`,
            seconds: r.seconds as number,
            kl: null,
            compileSeconds: r.compile_seconds as number,
            file,
          });
        }
      }
      log(`${input.id}: quality ...`);
      const all = [...runs.tsne, ...runs.umap];
      const q = python(
        py,
        "projection_quality.py",
        {
          input: x,
          rows: m.rows,
          cols: m.cols,
          embeddings: Object.fromEntries(all.map((r) => [r.file, r.file])),
          k: 10,
          sample: SAMPLE,
          seed: 0,
        },
        tmp,
      ) as Record<string, { knn_preservation: number; trustworthiness: number }>;
      for (const method of methods) {
        const [ours, , ref2] = runs[method];
        const name = method === "tsne" ? "t-SNE" : "UMAP";
        for (const r of runs[method]) {
          const qr = q[r.file];
          table.push(
            [
              input.id,
              name,
              r.side,
              r.seconds.toFixed(1),
              (r.seconds / ref2.seconds).toFixed(2),
              qr.knn_preservation.toFixed(4),
              qr.trustworthiness.toFixed(4),
              r.kl === null ? "—" : r.kl.toFixed(3),
              r.compileSeconds === undefined ? "" : `numba compile ${r.compileSeconds.toFixed(1)} s`,
            ].join(" | "),
          );
        }
        const dataset = `${input.label}; quality on a seeded sample of ${q.sample as unknown as number} rows`;
        out.push(
          record({
            metric: `${name} time, ours vs ${ref2.side}`,
            value: ours.seconds,
            unit: "s",
            reference: `${ref2.side} (same input file, same run)`,
            referenceValue: ref2.seconds,
            goal: "ratio ≤ 1",
            dataset,
          }),
          record({
            metric: `${name} 10-NN preservation, ours vs ${ref2.side}`,
            value: q[ours.file].knn_preservation,
            unit: "fraction",
            reference: ref2.side,
            referenceValue: q[ref2.file].knn_preservation,
            goal: "ratio ≥ 0.98",
            dataset,
          }),
          record({
            metric: `${name} trustworthiness (k 10), ours vs ${ref2.side}`,
            value: q[ours.file].trustworthiness,
            unit: "fraction",
            reference: ref2.side,
            referenceValue: q[ref2.file].trustworthiness,
            goal: "ratio ≥ 0.98",
            dataset,
          }),
        );
        const ref1 = runs[method][1];
        out.push(
          record({
            metric: `${name} time, ours vs ${ref1.side}`,
            value: ours.seconds,
            unit: "s",
            reference: ref1.side,
            referenceValue: ref1.seconds,
            dataset,
          }),
        );
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  out.push(
    record({
      metric: "1-min load average at the end of the reference comparison",
      value: os.loadavg()[0],
      unit: "load",
      dataset: `cpus=${os.cpus().length}`,
    }),
  );
  console.log("\n  input | method | side | seconds | / reference n_jobs 2 | 10-NN preservation | trustworthiness | KL | note");
  for (const line of table) console.log(`  ${line}`);
  console.log("");
  return out;
}
