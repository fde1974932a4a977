// Loads the real ml-100k from ../shared (or $MOVIELENS_DIR) once per test file, with an error that says where it looked.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadDataset } from "../../src/data/load";
import { Dataset } from "../../src/data/types";

let cached: Dataset | null = null;

/** ml-100k from `$MOVIELENS_DIR` or the `shared/data/movielens` folder beside the repository, loaded once. */
export async function ml100k(): Promise<Dataset> {
  if (cached) return cached;
  const shared = process.env.MOVIELENS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "data", "movielens");
  assert.ok(fs.existsSync(path.join(shared, "ml-100k")), `ml-100k not found under ${shared} (set MOVIELENS_DIR)`);
  cached = await loadDataset("ml-100k", { movielensDir: shared });
  return cached;
}
