// Every notebook in notebooks/ runs top to bottom headlessly (nbclient on the tslab kernel in .venv), and committed notebooks carry no outputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PLOTLY_MIME } from "../src/viz/display";
import { reportFacts } from "./helpers/report";

const root = path.resolve(__dirname, "..");
const nbDir = path.join(root, "notebooks");
const python = path.join(root, ".venv", "bin", "python");
const notebooks = fs
  .readdirSync(nbDir)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();

test('committed notebooks carry no outputs, use the TypeScript kernel, and tag their one labParams cell "parameters"', () => {
  assert.ok(notebooks.length > 0, "no notebooks found");
  for (const name of notebooks) {
    const nb = JSON.parse(fs.readFileSync(path.join(nbDir, name), "utf8"));
    assert.equal(nb.metadata?.kernelspec?.name, "tslab", `${name}: kernel is not tslab`);
    nb.cells.forEach((c: { cell_type: string; outputs?: unknown[]; execution_count?: number | null }, i: number) => {
      if (c.cell_type !== "code") return;
      assert.deepEqual(c.outputs, [], `${name}: cell ${i} has saved outputs; clear them before committing`);
      assert.equal(c.execution_count ?? null, null, `${name}: cell ${i} has an execution count`);
    });
    const cells = nb.cells as { cell_type: string; source: string[]; metadata?: { tags?: string[] } }[];
    const tagged = cells.flatMap((c, i) => (c.metadata?.tags?.includes("parameters") ? [i] : []));
    const calls = cells.flatMap((c, i) => (c.cell_type === "code" && c.source.join("").includes("labParams(") ? [i] : []));
    assert.deepEqual(tagged, calls, `${name}: the cell calling labParams must be the one cell tagged "parameters"`);
    assert.equal(tagged.length, 1, `${name}: one parameters cell`);
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
      // --seed 42 is every notebook's default: it changes no result, and each executed copy must record it.
      ["--import", "tsx", path.join(root, "scripts", "reproduce.ts"), "--out", out, "--figures", figures, "--seed", "42"],
      {
        cwd: root,
        encoding: "utf8",
        env: process.env,
      },
    );
    console.log(r.stdout);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr.slice(-4000)}`);
    // The summary names each notebook's slowest cell, from nbclient's execution times.
    for (const nb of notebooks)
      assert.match(r.stdout, new RegExp(`${nb.replace(".", "\\.")} +[\\d.]+ s   slowest: cell \\d+ [\\d.]+ s, "`));
    for (const nb of notebooks) {
      assert.ok(fs.existsSync(path.join(out, nb)), `executed copy of ${nb} missing`);
      const executed = JSON.parse(fs.readFileSync(path.join(out, nb), "utf8"));
      const tagged = executed.cells.findIndex((c: { metadata?: { tags?: string[] } }) => c.metadata?.tags?.includes("parameters"));
      assert.deepEqual(
        executed.metadata.movielens_lab,
        { parameters: { seed: 42 }, parameters_cell: tagged },
        `${nb}: parameters not recorded`,
      );
    }
    const index = fs.readFileSync(path.join(out, "index.html"), "utf8");
    for (const nb of notebooks) assert.ok(index.includes(nb), `index.html does not link ${nb}`);
    // Each report: every Plotly output live, plotly.js inlined once (where there are figures), no script from the network.
    let live = 0;
    for (const nb of notebooks) {
      const report = nb.replace(/\.ipynb$/, ".html");
      assert.ok(index.includes(`href="${encodeURIComponent(report)}"`), `index.html does not link the report ${report}`);
      const executed = JSON.parse(fs.readFileSync(path.join(out, nb), "utf8")) as { cells: { outputs?: { data?: object }[] }[] };
      const plotlyOutputs = executed.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data && PLOTLY_MIME in o.data).length;
      const facts = reportFacts(fs.readFileSync(path.join(out, report), "utf8"));
      assert.equal(facts.liveFigures, plotlyOutputs, `${report}: live figures`);
      assert.equal(facts.plotlyBundles, plotlyOutputs > 0 ? 1 : 0, `${report}: plotly.js inlined once`);
      assert.deepEqual(
        facts.scriptSources.filter((src) => /^(https?:)?\/\//i.test(src)),
        [],
        `${report}: script from the network`,
      );
      assert.equal(facts.scriptClosings, facts.scriptOpenings, `${report}: a script element closed early`);
      live += facts.liveFigures;
    }
    assert.ok(live >= 20, `live figures in all reports: ${live}`);
    for (const f of fs.readdirSync(figures))
      assert.ok(index.includes(`figures/${encodeURIComponent(f)}"`), `index.html does not link ${f}`);
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
