// Movie embeddings out to the tools people use: TensorBoard's Embedding Projector files, a NumPy .npy, and a CSV of 2-D coordinates.
import * as fs from "node:fs";
import * as path from "node:path";
import { ratingSummary } from "../data/stats";
import { Dataset } from "../data/types";
import { writeDirAtomic } from "../util/atomic";
import { csvQuote } from "../util/csv";
import { Matrix, takeRows } from "../util/matrix";
import { primaryGenres } from "./figures/movies";
import { ViewMethod, moviesWithRatings, projectEmbeddings } from "./views";

/** Options for {@link exportEmbeddings}. */
export interface ExportEmbeddingsOptions {
  /** Only movies with at least this many ratings (default 0: every movie). */
  minRatings?: number;
  /** The 2-D projection written to coordinates.csv (default "pca"; null writes none). */
  projection?: ViewMethod | null;
  /** Seed of the projection (default 42). */
  seed?: number;
  /** The tensor's name in the projector (default "movies"). */
  tensorName?: string;
}

/** What {@link exportEmbeddings} wrote. */
export interface ExportedEmbeddings {
  readonly dir: string;
  /** Movies written, as dense indices, in row order of every file. */
  readonly movies: Int32Array;
  readonly dim: number;
  /** Paths of the files, by role. */
  readonly files: {
    vectors: string;
    metadata: string;
    config: string;
    npy: string;
    coordinates: string | null;
  };
}

/**
 * Writes movie vectors (numMovies x d, e.g. stage 1's table) into `dir`, replacing it atomically:
 * - `vectors.tsv`, `metadata.tsv` (header: title, year, genres, numRatings, primaryGenre, movieId) and
 *   `projector_config.pbtxt`: load them at https://projector.tensorflow.org ("Load" → the two .tsv files), or point
 *   TensorBoard's `--logdir` at `dir`;
 * - `vectors.npy`: float32 [movies, d] for `numpy.load`;
 * - `coordinates.csv`: movieId, title, x, y of the 2-D projection (PCA by default).
 * Rows follow movie order, filtered by `minRatings`.
 */
export async function exportEmbeddings(
  ds: Dataset,
  vectors: Matrix,
  dir: string,
  o: ExportEmbeddingsOptions = {},
): Promise<ExportedEmbeddings> {
  const F = "exportEmbeddings";
  if (vectors.rows !== ds.numMovies)
    throw new RangeError(`${F}: the vectors have ${vectors.rows} rows, ${ds.name} has ${ds.numMovies} movies`);
  const minRatings = o.minRatings ?? 0;
  if (!(Number.isInteger(minRatings) && minRatings >= 0))
    throw new RangeError(`${F}: option "minRatings" must be a non-negative integer, got ${String(o.minRatings)}`);
  const tensorName = o.tensorName ?? "movies";
  if (!/^[\w .-]+$/.test(tensorName))
    throw new RangeError(`${F}: option "tensorName" must be letters, digits, spaces, . _ or -, got "${tensorName}"`);
  for (let i = 0; i < vectors.data.length; i++)
    if (!Number.isFinite(vectors.data[i]))
      throw new RangeError(`${F}: the vectors hold a non-finite value at row ${Math.floor(i / vectors.cols)}, column ${i % vectors.cols}`);
  const counts = ratingSummary(ds).movieCount;
  const movies = moviesWithRatings(ds, minRatings, counts);
  if (movies.length === 0) throw new RangeError(`${F}: no movie has ${minRatings}+ ratings`);
  const rows = takeRows(vectors, movies);
  const method = o.projection === undefined ? "pca" : o.projection;
  const coords = method ? await projectEmbeddings(rows, { method, seed: o.seed ?? 42 }) : null;
  const primary = primaryGenres(ds.movies);
  const m = ds.movies;
  const d = vectors.cols;

  const names = {
    vectors: "vectors.tsv",
    metadata: "metadata.tsv",
    config: "projector_config.pbtxt",
    npy: "vectors.npy",
    coordinates: "coordinates.csv",
  };
  await writeDirAtomic(dir, (tmp) => {
    const vec: string[] = [];
    const meta: string[] = ["title\tyear\tgenres\tnumRatings\tprimaryGenre\tmovieId"];
    for (let r = 0; r < movies.length; r++) {
      const mi = movies[r];
      vec.push(Array.from(rows.data.subarray(r * d, (r + 1) * d), (x) => String(x)).join("\t"));
      meta.push(
        [tsvField(m.titles[mi]), m.years[mi] ?? "", tsvField(m.genres[mi].join("|")), counts[mi], tsvField(primary[mi]), m.ids[mi]].join(
          "\t",
        ),
      );
    }
    fs.writeFileSync(path.join(tmp, names.vectors), vec.join("\n") + "\n");
    fs.writeFileSync(path.join(tmp, names.metadata), meta.join("\n") + "\n");
    fs.writeFileSync(
      path.join(tmp, names.config),
      `embeddings {\n  tensor_name: "${tensorName}"\n  tensor_path: "${names.vectors}"\n  metadata_path: "${names.metadata}"\n}\n`,
    );
    fs.writeFileSync(path.join(tmp, names.npy), npyFloat32(rows.data, [movies.length, d]));
    if (coords) {
      const lines = ["movieId,title,x,y"];
      for (let r = 0; r < movies.length; r++) {
        const mi = movies[r];
        lines.push(`${m.ids[mi]},${csvQuote(m.titles[mi])},${coords.coords[r * coords.dims]},${coords.coords[r * coords.dims + 1]}`);
      }
      fs.writeFileSync(path.join(tmp, names.coordinates), lines.join("\n") + "\n");
    }
  });
  const at = (f: string) => path.join(dir, f);
  return {
    dir,
    movies,
    dim: d,
    files: {
      vectors: at(names.vectors),
      metadata: at(names.metadata),
      config: at(names.config),
      npy: at(names.npy),
      coordinates: coords ? at(names.coordinates) : null,
    },
  };
}

/** A TSV cell: tabs and line breaks (which would split the row) become spaces. */
function tsvField(s: string): string {
  return s.replace(/[\t\r\n]+/g, " ");
}

/**
 * A little-endian float32 array in NumPy's .npy format 1.0: the magic string, the version, a header dict padded with
 * spaces so the data starts at a multiple of 64 bytes, then the values in C order.
 */
export function npyFloat32(data: Float32Array, shape: number[]): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`npyFloat32: shape [${shape.join(", ")}] needs ${n} values, got ${data.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += " ".repeat(pad % 64) + "\n";
  const out = new Uint8Array(10 + header.length + n * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY, version 1.0
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < n; i++) body.setFloat32(i * 4, data[i], true);
  return out;
}
