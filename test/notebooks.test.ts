// Every notebook in notebooks/ runs top to bottom headlessly (nbclient on the tslab kernel in .venv), and committed notebooks carry no outputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const nbDir = path.join(root, "notebooks");
const python = path.join(root, ".venv", "bin", "python");
const notebooks = fs
  .readdirSync(nbDir)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();

test("committed notebooks carry no outputs and use the TypeScript kernel", () => {
  assert.ok(notebooks.length > 0, "no notebooks found");
  for (const name of notebooks) {
    const nb = JSON.parse(fs.readFileSync(path.join(nbDir, name), "utf8"));
    assert.equal(nb.metadata?.kernelspec?.name, "tslab", `${name}: kernel is not tslab`);
    nb.cells.forEach((c: { cell_type: string; outputs?: unknown[]; execution_count?: number | null }, i: number) => {
      if (c.cell_type !== "code") return;
      assert.deepEqual(c.outputs, [], `${name}: cell ${i} has saved outputs; clear them before committing`);
      assert.equal(c.execution_count ?? null, null, `${name}: cell ${i} has an execution count`);
    });
  }
});

test(
  "npm run reproduce: every notebook executes without a cell error, figures exported, index written",
  { timeout: 30 * 60 * 1000 },
  () => {
    assert.ok(fs.existsSync(python), `${python} is missing: run \`npm run setup\``);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "lab-reproduce-"));
    const figures = path.join(out, "figures");
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(root, "scripts", "reproduce.ts"), "--out", out, "--figures", figures],
      {
        cwd: root,
        encoding: "utf8",
        env: process.env,
      },
    );
    console.log(r.stdout);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr.slice(-4000)}`);
    for (const nb of notebooks) assert.ok(fs.existsSync(path.join(out, nb)), `executed copy of ${nb} missing`);
    const index = fs.readFileSync(path.join(out, "index.html"), "utf8");
    for (const nb of notebooks) assert.ok(index.includes(nb), `index.html does not link ${nb}`);
    for (const fig of ["01-rating-distribution.png", "02-movies-tsne.png", "03-init-rmse.png", "05-rmse.png", "08-attention.png"]) {
      assert.ok(fs.statSync(path.join(figures, fig)).size > 10_000, `figure ${fig} missing or tiny`);
    }
    const timings = JSON.parse(fs.readFileSync(path.join(out, "timings.json"), "utf8")) as {
      seconds: number;
      notebooks: { notebook: string; seconds: number }[];
    };
    assert.equal(timings.notebooks.length, notebooks.length);
    fs.rmSync(out, { recursive: true, force: true });
  },
);
