// `npm run reproduce [-- --dataset ml-100k --epochs 10 --out out/reproduce]`: executes every notebook headlessly, exports their figures, and writes an index page.
import { ChildProcess, spawn } from "child_process";
import * as os from "os";
import * as fs from "fs";
import * as path from "path";
import { slowestCell } from "./cell-times";
import { escapeHtml } from "../src/util/html";
import { writeFileAtomic } from "../src/util/atomic";
import { describeBrowser, searchBrowser } from "../src/viz/browser";
import { RENDER_SERVICE_ENV, closeRenderer } from "../src/viz/export";
import { startRenderService } from "../src/viz/render-service";
import { writeNotebookReports } from "./notebook-report";

const root = path.resolve(__dirname, "..");

interface Args {
  out: string;
  figures: string;
  only: string[];
  params: Record<string, string | number | boolean>;
  html: boolean;
  /** Notebooks executed at once (each in its own kernel). */
  jobs: number;
}

function usage(msg?: string): never {
  if (msg) console.error(`reproduce: ${msg}`);
  console.error(
    "usage: npm run reproduce -- [--out DIR] [--figures DIR] [--only NAME ...] [--jobs N] [--no-html] [--download] [--<parameter> VALUE ...]\n" +
      "  parameters override the notebooks' first cells, e.g. --dataset ml-100k --epochs 10 --dim 64 --seed 1\n" +
      "  --jobs: notebooks run at once (default 2); --download: let notebooks fetch a missing dataset from GroupLens",
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    out: path.join(root, "out", "reproduce"),
    figures: path.join(root, "figures"),
    only: [],
    params: {},
    html: true,
    jobs: Math.max(1, Math.min(2, os.cpus().length)),
  };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    if (!key.startsWith("--")) usage(`unexpected argument "${key}"`);
    const name = key.slice(2);
    if (name === "no-html") {
      a.html = false;
      continue;
    }
    if (name === "download") {
      process.env.MOVIELENS_DOWNLOAD = "1";
      continue;
    }
    if (name === "help") usage();
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) usage(`${key} needs a value`);
    i++;
    if (name === "out") a.out = path.resolve(value);
    else if (name === "figures") a.figures = path.resolve(value);
    else if (name === "only") a.only.push(value);
    else if (name === "jobs") {
      a.jobs = Number(value);
      if (!Number.isInteger(a.jobs) || a.jobs < 1) usage(`--jobs needs a positive integer, got "${value}"`);
    } else if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) usage(`"${key}" is not a parameter name`);
    else a.params[name] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value === "true" ? true : value === "false" ? false : value;
  }
  return a;
}

/** Runs one notebook through scripts/run_notebooks.py; resolves with its exit code. */
function runNotebook(
  python: string,
  nb: string,
  args: Args,
  env: NodeJS.ProcessEnv,
  timingsFile: string,
  running: Set<ChildProcess>,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      python,
      [path.join(root, "scripts", "run_notebooks.py"), "--out", args.out, "--json", timingsFile, path.join(root, "notebooks", nb)],
      {
        cwd: root,
        env,
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    running.add(child);
    child.on("exit", (code) => {
      running.delete(child);
      resolve(code ?? 1);
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const python = path.join(root, ".venv", "bin", "python");
  if (!fs.existsSync(python)) usage(`${python} is missing; run \`npm run setup\` first`);
  const nbDir = path.join(root, "notebooks");
  let notebooks = fs
    .readdirSync(nbDir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  if (args.only.length) notebooks = notebooks.filter((n) => args.only.some((o) => n.includes(o)));
  if (notebooks.length === 0) usage("no notebook matched --only");
  fs.mkdirSync(args.out, { recursive: true });
  fs.mkdirSync(args.figures, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MOVIELENS_LAB_PARAMS: JSON.stringify(args.params),
    MOVIELENS_LAB_FIGURES_DIR: args.figures,
    // Notebooks that run side by side already share the cores: a second training thread each would only contend.
    MOVIELENS_LAB_TRAINING_THREADS:
      process.env.MOVIELENS_LAB_TRAINING_THREADS || (Math.min(args.jobs, notebooks.length) >= os.cpus().length ? "1" : "2"),
  };
  console.log(
    `reproduce: ${notebooks.length} notebooks, ${args.jobs} at a time, parameters ${JSON.stringify(args.params)}, figures -> ${path.relative(root, args.figures) || "."}`,
  );
  const browser = searchBrowser();
  // One browser renders every kernel's figures, instead of one started (and plotly.js loaded) per notebook.
  const service = browser.choice ? await startRenderService() : null;
  if (service) env[RENDER_SERVICE_ENV] = service.url;
  if (browser.choice) console.log(`reproduce: figures rendered by ${describeBrowser(browser.choice)}, one for all notebooks`);
  else
    console.log(
      "reproduce: no headless browser, so figures are saved as HTML + JSON (no PNG); `npm run setup` provides one (README, Troubleshooting).",
    );
  const t0 = Date.now();
  // Longest first, so that two workers finish together. Measured alone in a run of all nine (2026-12-06): 08 78 s
  // (SASRec), 05 59 s (twelve models), 07 57 s, 03 36 s, 02 29 s, 06 19 s, the rest 11–14 s; with 08 started last
  // the nine took 199 s. 07 is not started beside 05: the two contend for the cores (all eight in 273 s that way,
  // 258 s with 07 later, when there were eight).
  const heavy = ["08-", "05-", "03-", "07-", "02-", "06-"];
  const rank = (n: string): number => (heavy.findIndex((h) => n.startsWith(h)) + heavy.length + 1) % (heavy.length + 1);
  const queue = [...notebooks].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const running = new Set<ChildProcess>();
  const timingFiles: string[] = [];
  let failed: string | null = null;
  const worker = async (): Promise<void> => {
    while (queue.length && failed === null) {
      const nb = queue.shift()!;
      const tf = path.join(args.out, `.${nb}.timings.json`);
      timingFiles.push(tf);
      const code = await runNotebook(python, nb, args, env, tf, running);
      if (code !== 0 && failed === null) {
        failed = nb;
        for (const c of running) c.kill("SIGTERM"); // stop at the first failing notebook
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, notebooks.length) }, worker));
  const seconds = (Date.now() - t0) / 1000;
  if (service) {
    await service.close();
    await closeRenderer();
  }
  if (failed !== null) {
    console.error(
      `reproduce: FAILED in ${failed} after ${seconds.toFixed(0)} s (the notebook and cell are named above; executed copies are in ${args.out})`,
    );
    process.exit(1);
  }
  const times = timingFiles.flatMap((f) => JSON.parse(fs.readFileSync(f, "utf8")) as { notebook: string; seconds: number }[]);
  timingFiles.forEach((f) => fs.rmSync(f, { force: true }));
  times.sort((a, b) => a.notebook.localeCompare(b.notebook));
  writeFileAtomic(path.join(args.out, "timings.json"), JSON.stringify({ seconds, jobs: args.jobs, notebooks: times }, null, 2) + "\n");
  if (args.html) {
    // Offline reports: each Plotly output live (plotly.js inlined once per page), its PNG as the fallback.
    const reports = writeNotebookReports(
      notebooks.map((nb) => path.join(args.out, nb)),
      args.out,
    );
    for (const r of reports)
      if (r.html === null)
        console.error(`reproduce: nbconvert failed for ${path.basename(r.notebook)} (the executed notebook is still in ${args.out})`);
  }
  const figures = fs
    .readdirSync(args.figures)
    .filter((f) => /\.(png|jpg|webp|svg|pdf|html|json)$/.test(f))
    .sort();
  writeIndex(args, notebooks, times, figures, seconds);
  console.log(`reproduce: all ${notebooks.length} notebooks in ${seconds.toFixed(0)} s (${args.jobs} at a time)`);
  for (const t of times) {
    const slowest = slowestCell(path.join(args.out, t.notebook));
    const where = slowest ? `   slowest: cell ${slowest.cell} ${slowest.seconds.toFixed(1)} s, ${JSON.stringify(slowest.opening)}` : "";
    console.log(`  ${t.notebook.padEnd(36)} ${t.seconds.toFixed(1).padStart(6)} s${where}`);
  }
  console.log(`  index: ${path.join(args.out, "index.html")}`);
}

function writeIndex(
  args: Args,
  notebooks: string[],
  times: { notebook: string; seconds: number }[],
  figures: string[],
  seconds: number,
): void {
  const rel = (p: string): string => path.relative(args.out, p).split(path.sep).map(encodeURIComponent).join("/");
  const rows = notebooks
    .map((nb) => {
      const t = times.find((x) => x.notebook === nb);
      const html = nb.replace(/\.ipynb$/, ".html");
      const htmlLink = fs.existsSync(path.join(args.out, html)) ? `<a href="${encodeURIComponent(html)}">HTML</a> · ` : "";
      return `<tr><td>${escapeHtml(nb)}</td><td>${htmlLink}<a href="${encodeURIComponent(nb)}">notebook</a></td><td style="text-align:right">${t ? t.seconds.toFixed(1) : "?"} s</td></tr>`;
    })
    .join("\n");
  // One entry per figure name: its PNG when there is one (linking its interactive HTML), and a link to every file of it.
  const names = [...new Set(figures.map((f) => f.replace(/\.[a-z]+$/, "")))].sort();
  const figs = names
    .map((name) => {
      const files = figures.filter((f) => f.replace(/\.[a-z]+$/, "") === name);
      const href = (f: string): string => rel(path.join(args.figures, f));
      const png = files.includes(`${name}.png`) ? href(`${name}.png`) : null;
      const html = files.includes(`${name}.html`) ? href(`${name}.html`) : null;
      const links = files.map((f) => `<a href="${href(f)}">${escapeHtml(f.slice(name.length + 1).toUpperCase())}</a>`).join(" · ");
      const caption = `<figcaption>${escapeHtml(name)} · ${links}</figcaption>`;
      if (png) return `<figure><a href="${html ?? png}"><img src="${png}" alt="${escapeHtml(name)}" loading="lazy"></a>${caption}</figure>`;
      return `<figure>${html ? `<a href="${html}">${escapeHtml(name)} (interactive; no PNG without a browser)</a>` : ""}${caption}</figure>`;
    })
    .join("\n");
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MovieLens embedding lab — reproduce run</title>
<style>body{font-family:sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{padding:4px 12px;border-bottom:1px solid #ddd}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:16px}figure{margin:0}img{width:100%;border:1px solid #eee}figcaption{font-size:12px;color:#555}</style></head>
<body><h1>MovieLens embedding lab — reproduce run</h1>
<p>${escapeHtml(new Date().toISOString())} · parameters ${escapeHtml(JSON.stringify(args.params))} · ${notebooks.length} notebooks in ${seconds.toFixed(0)} s</p>
<h2>Executed notebooks</h2><table><tr><th>notebook</th><th>open</th><th>time</th></tr>
${rows}
</table>
<h2>Figures</h2><div class="grid">
${figs}
</div></body></html>
`;
  writeFileAtomic(path.join(args.out, "index.html"), page);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
