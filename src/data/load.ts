// The one entry point: finds a dataset's folder (option, MOVIELENS_DIR, data/<name>/, or a download) and loads it.
import * as fs from "fs";
import * as path from "path";
import { DATASET_FORMATS, DATASET_NAMES, DEFAULT_DATASET, DatasetFormat, REQUIRED_FILES, repoDataDir } from "./catalog";
import { loadMovieLensCsv } from "./csv-family";
import { downloadDataset, DownloadOptions } from "./download";
import { MissingFileError } from "./errors";
import { loadMl100k } from "./ml100k";
import { loadMl1m } from "./ml1m";
import type { ProgressCallback } from "./progress";
import type { Dataset, DatasetName } from "./types";

/** Where a dataset was found. */
export interface ResolvedDataset {
  readonly dir: string;
  readonly origin: "option" | "env" | "repo";
}

/** Options of {@link resolveDatasetDir}. */
export interface ResolveOptions {
  /** The dataset's folder, or a folder holding a `<name>/` subfolder. Checked first; when given, it must hold the data. */
  readonly dir?: string;
  /** Overrides process.env.MOVIELENS_DIR (a folder with `<name>/` subfolders). Pass null to ignore the variable. */
  readonly movielensDir?: string | null;
  /** Overrides the repository's data/ folder. */
  readonly dataDir?: string;
}

function holdsDataset(dir: string, format: DatasetFormat): boolean {
  return REQUIRED_FILES[format].every((f) => fs.existsSync(path.join(dir, f)));
}

function missing(dir: string, format: DatasetFormat): string[] {
  return REQUIRED_FILES[format].filter((f) => !fs.existsSync(path.join(dir, f)));
}

/**
 * Finds the folder of `name`: the `dir` option (itself or its `<name>/`), else `$MOVIELENS_DIR/<name>/`,
 * else `data/<name>/` in the repository. Returns null when none holds the dataset's files.
 * An explicit `dir` that does not hold them throws a {@link MissingFileError} naming the missing files.
 */
export function resolveDatasetDir(name: DatasetName, options: ResolveOptions = {}): ResolvedDataset | null {
  const format = DATASET_FORMATS[name];
  if (options.dir !== undefined) {
    const own = path.resolve(options.dir);
    if (holdsDataset(own, format)) return { dir: own, origin: "option" };
    const sub = path.join(own, name);
    if (holdsDataset(sub, format)) return { dir: sub, origin: "option" };
    const probe = fs.existsSync(sub) ? sub : own;
    throw new MissingFileError(
      path.join(probe, missing(probe, format)[0]),
      null,
      `${name}'s files ${REQUIRED_FILES[format].join(", ")} in ${own} or ${sub}`,
      `missing ${missing(probe, format).join(", ")}`,
    );
  }
  const env = options.movielensDir === undefined ? process.env.MOVIELENS_DIR : options.movielensDir;
  if (env) {
    const sub = path.resolve(env, name);
    if (holdsDataset(sub, format)) return { dir: sub, origin: "env" };
  }
  const repo = path.join(options.dataDir ?? repoDataDir(), name);
  if (holdsDataset(repo, format)) return { dir: repo, origin: "repo" };
  return null;
}

/** Loads the dataset in `dir` with the loader of `format`. */
export function loadDatasetFromDir(
  dir: string,
  format: DatasetFormat,
  options: { name?: string; onProgress?: ProgressCallback } = {},
): Dataset {
  switch (format) {
    case "ml-100k":
      return loadMl100k(dir, options);
    case "ml-1m":
      return loadMl1m(dir, options);
    case "csv":
      return loadMovieLensCsv(dir, options);
  }
}

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions extends ResolveOptions {
  /**
   * Download into data/<name>/ when no folder holds the dataset. Default: true when the environment variable
   * MOVIELENS_DOWNLOAD is "1" (so notebooks and `npm run reproduce` can download without code changes), else false.
   */
  readonly download?: boolean;
  /** Passed to {@link downloadDataset} (e.g. allowUnverified while no checksum is pinned). */
  readonly downloadOptions?: Omit<DownloadOptions, "dataDir" | "onProgress">;
  readonly onProgress?: ProgressCallback;
}

/**
 * Loads a MovieLens dataset (default ml-latest-small). The folder is resolved by {@link resolveDatasetDir};
 * when none holds it and `download` is true, it is downloaded (checksum-verified) into data/<name>/.
 */
export async function loadDataset(name: DatasetName = DEFAULT_DATASET, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const format = DATASET_FORMATS[name];
  if (!format) throw new RangeError(`loadDataset: unknown dataset ${JSON.stringify(name)}; known: ${DATASET_NAMES.join(", ")}`);
  let found = resolveDatasetDir(name, options);
  if (!found) {
    const dataDir = options.dataDir ?? repoDataDir();
    const download = options.download ?? process.env.MOVIELENS_DOWNLOAD === "1";
    if (!download) {
      throw new MissingFileError(
        path.join(dataDir, name),
        null,
        `${name} in the dir option, $MOVIELENS_DIR/${name} or ${path.join(dataDir, name)}`,
        "none of them",
        "set MOVIELENS_DIR, pass { dir }, or download it: pass { download: true } or set MOVIELENS_DOWNLOAD=1",
      );
    }
    const dir = await downloadDataset(name, { ...options.downloadOptions, dataDir, onProgress: options.onProgress });
    found = { dir, origin: "repo" };
  }
  return loadDatasetFromDir(found.dir, format, { name, onProgress: options.onProgress });
}
