// `papermill -p NAME VALUE` runs the lab's TypeScript notebooks: the translator in scripts/papermill_tslab injects the values through labParams, and an unknown name is an error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const papermill = path.join(root, ".venv", "bin", "papermill");
const notebook = path.join(root, "notebooks", "00-environment.ipynb");

type Cell = {
  cell_type: string;
  source: string[] | string;
  metadata: { tags?: string[] };
  outputs?: { text?: string[] | string; ename?: string; evalue?: string }[];
};

function run(out: string, ...params: string[]) {
  return spawnSync(papermill, [notebook, out, "-k", "tslab", "--cwd", root, "--no-progress-bar", ...params], {
    encoding: "utf8",
    timeout: 600_000,
  });
}

const text = (c: Cell): string => (c.outputs ?? []).map((o) => [o.text ?? ""].flat().join("") + (o.evalue ?? "")).join("");

test("papermill -p epochs 2 -p seed 7 runs notebook 00 with those parameters, checked by labParams", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-papermill-"));
  try {
    const out = path.join(dir, "00.ipynb");
    const r = run(out, "-p", "epochs", "2", "-p", "seed", "7");
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const cells = JSON.parse(fs.readFileSync(out, "utf8")).cells as Cell[];
    const at = cells.findIndex((c) => c.metadata.tags?.includes("injected-parameters"));
    assert.equal(at, cells.findIndex((c) => c.metadata.tags?.includes("parameters")) + 1, "injected right after the parameters cell");
    assert.match(text(cells[at]), /parameters overridden by MOVIELENS_LAB_PARAMS: epochs=2, seed=7/);
    assert.match(text(cells[at]), /epochs: 2, seed: 7/);

    // A name the notebook has no parameter for stops the run at the injected cell, naming the real parameters.
    const badOut = path.join(dir, "bad.ipynb");
    const bad = run(badOut, "-p", "epoch", "2");
    assert.notEqual(bad.status, 0);
    const badCells = JSON.parse(fs.readFileSync(badOut, "utf8")).cells as Cell[];
    const injected = badCells.find((c) => c.metadata.tags?.includes("injected-parameters"))!;
    assert.match(text(injected), /this notebook has no parameter "epoch"; its parameters are dataset, dim, epochs, seed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
