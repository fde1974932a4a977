// The catalogue of MovieLens datasets: names, file formats, required files, download URLs, pinned checksums, repo paths.
import * as path from "path";
import type { DatasetName } from "./types";

/** The file layouts GroupLens distributes. */
export type DatasetFormat = "ml-100k" | "ml-1m" | "csv";

/** Format of every known dataset. */
export const DATASET_FORMATS: Readonly<Record<DatasetName, DatasetFormat>> = {
  "ml-100k": "ml-100k",
  "ml-1m": "ml-1m",
  "ml-latest-small": "csv",
  "ml-latest": "csv",
  "ml-20m": "csv",
  "ml-25m": "csv",
  "ml-32m": "csv",
};

/** Every known dataset name. */
export const DATASET_NAMES: readonly DatasetName[] = Object.keys(DATASET_FORMATS) as DatasetName[];

/** The dataset loaded when none is named (committed under data/ml-latest-small/). */
export const DEFAULT_DATASET: DatasetName = "ml-latest-small";

/** Files that must exist for a folder to hold a dataset of each format. */
export const REQUIRED_FILES: Readonly<Record<DatasetFormat, readonly string[]>> = {
  "ml-100k": ["u.data", "u.item", "u.user"],
  "ml-1m": ["ratings.dat", "movies.dat", "users.dat"],
  csv: ["ratings.csv", "movies.csv"],
};

/** Where GroupLens publishes each dataset. */
export function datasetUrl(name: DatasetName): string {
  return `https://files.grouplens.org/datasets/movielens/${name}.zip`;
}

/**
 * SHA-256 of each published zip. GroupLens publishes MD5 sums only, and none of these SHA-256 values could be
 * verified from here (files.grouplens.org is unreachable), so every entry is null rather than a guess.
 * With null, downloadDataset refuses to unpack unless `allowUnverified: true`, and prints the SHA-256 it computed so
 * that it can be checked against a trusted copy and pinned here.
 * ml-latest is a moving target (re-released periodically) and can never be pinned for good.
 */
/**
 * MD5 sums as GroupLens publishes them next to each archive (`<name>.zip.md5`), used when no SHA-256 is pinned. Each
 * value below was found identically in independent public repositories that check these archives; the others are
 * unknown here and stay null (such downloads are refused unless `allowUnverified`).
 */
export const PINNED_MD5: Readonly<Record<DatasetName, string | null>> = {
  "ml-100k": "0e33842e24a9c977be4e0107933c0723",
  "ml-1m": "c4d9eecfca2ab87c1945afe126590906",
  "ml-latest-small": null,
  "ml-latest": null,
  "ml-20m": null,
  "ml-25m": "6b51fb2759a8657d3bfcbfc42b592ada",
  "ml-32m": null,
};

export const PINNED_SHA256: Readonly<Record<DatasetName, string | null>> = {
  "ml-100k": null,
  "ml-1m": null,
  "ml-latest-small": null,
  "ml-latest": null,
  "ml-20m": null,
  "ml-25m": null,
  "ml-32m": null,
};

/** The repository root (two levels above src/data). */
export function repoRoot(): string {
  return path.resolve(__dirname, "..", "..");
}

/** The repository's data/ folder, where downloads and synthetic datasets go (gitignored except ml-latest-small). */
export function repoDataDir(): string {
  return path.join(repoRoot(), "data");
}
