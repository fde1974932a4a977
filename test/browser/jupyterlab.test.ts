// Real-browser test of the lab: JupyterLab (from .venv) + the tslab kernel, driven in the lab's headless Chromium
// (src/viz/browser.ts chooses it; set-up provides one) through playwright-core. Opens a COPY of the notebook, runs Run → Run All Cells, checks no cell failed and a Plotly figure
// rendered interactively, saves, takes the README screenshot, then closes and reopens the notebook to check the saved
// Plotly output renders again without re-running.
import { describe, test, before, after, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page, Locator } from "playwright-core";
import { root, sleep, startLabServer, writeFileAtomic, type LabServer } from "./helpers";
import { chooseBrowser } from "../../src/viz/export";
import { launchBrowser } from "../../src/viz/launch";
import { describeBrowser, type BrowserChoice } from "../../src/viz/browser";

/** The notebook under test (a name in notebooks/, or a path); override with LAB_BROWSER_NOTEBOOK. */
const NOTEBOOK_SETTING = process.env.LAB_BROWSER_NOTEBOOK || "02-movie-genre-embeddings.ipynb";
const SOURCE = path.resolve(root, "notebooks", NOTEBOOK_SETTING);
const NOTEBOOK = path.basename(SOURCE);
const SCREENSHOT = path.join(root, "figures", "jupyterlab-screenshot.png");
// The notebook runs with its own defaults (stage 1 trains in seconds), so the screenshot shows real embeddings.
const LAB_PARAMS = process.env.MOVIELENS_LAB_PARAMS ?? "{}";
const VIEWPORT = { width: 1400, height: 900 };
/** Which figure the README screenshot shows: the first whose title matches, trying these in order (else the first figure). */
const SCREENSHOT_PLOT = [/t-sne/i, /embedding/i];

const SERVER_START_MS = 120_000;
const KERNEL_READY_MS = 120_000;
const RUN_ALL_MS = 10 * 60_000;
const SAVE_MS = 30_000;
const RENDER_MS = 60_000;

const PLOTLY_MIME = "application/vnd.plotly.v1+json";
const STDERR_MIME = "application/vnd.jupyter.stderr";
/**
 * tslab reports a failing cell on stderr (it sends no `error` output): compile errors as "<line>:<col> - message",
 * runtime errors as Node prints them ("TypeError: ..." plus "    at ..." stack lines). JupyterLab renders real `error`
 * outputs (Python kernels) with the same stderr mime type, so tracebacks are matched too.
 */
const ERROR_TEXT =
  /^\s*\d+:\d+ - |^\s*(Uncaught\s+)?[A-Z]?\w*(Error|Exception)( \[\w+\])?: |\n\s+at \S|Traceback \(most recent call last\)/m;

/** What the page shows for one cell of the open notebook. */
interface CellView {
  index: number;
  type: "code" | "markdown" | "raw";
  prompt: string;
  count: number | null;
  running: boolean;
  /** data-mime-type of each output (the Plotly renderer sets none: "plotly" stands for it). */
  mimes: string[];
  stderr: string[];
  /** Plotly outputs (the jupyterlab-plotly renderer's widgets) and how many of them have drawn their SVG. */
  plotly: number;
  plotlySvg: number;
}
interface NotebookView {
  found: boolean;
  status: string | null;
  kernelName: string;
  dirty: boolean;
  dialog: string | null;
  cells: CellView[];
}

let server: LabServer | null = null;
let browser: Browser | null = null;
let chromiumChoice: BrowserChoice | null = null;
let page: Page | null = null;
let sourceHash = "";
let failed: string | null = null;
const pageErrors: string[] = [];
/** Execution counts shown after Run All (compared after reopening: a re-run would change them). */
let countsAfterRun: (number | null)[] = [];
/** Cells whose Plotly figures rendered after Run All (they must render again after reopening). */
let plotlyCells: number[] = [];

const where = (step: string) => `[${step}] ${NOTEBOOK}`;
const sha = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** Runs one step; later steps are skipped after a failure, and failures say which step, with a page summary. */
function step(name: string, body: () => Promise<void>) {
  return async (t: TestContext) => {
    if (failed) {
      t.skip(`an earlier step failed: ${failed}`);
      return;
    }
    try {
      await body();
    } catch (e) {
      failed = name;
      const err = e as Error;
      const extra: string[] = [];
      if (page) {
        const shot = path.join(os.tmpdir(), `lab-browser-failure-${process.pid}.png`);
        await page.screenshot({ path: shot, timeout: 10_000 }).then(
          () => extra.push(`page screenshot: ${shot}`),
          () => {},
        );
        const view = await notebookView().catch(() => null);
        if (view) extra.push(`page: ${summarize(view)}`);
      }
      if (pageErrors.length) extra.push(`browser errors: ${pageErrors.slice(-5).join(" | ")}`);
      if (server && !err.message.includes("JupyterLab log (tail):")) extra.push(`JupyterLab log (tail):\n${server.logTail(2500)}`);
      const msg = err.message.startsWith(`[${name}]`) ? err.message : `${where(name)}: ${err.message}`;
      const wrapped = new Error(`${msg}\n${extra.join("\n")}`);
      wrapped.stack = `${wrapped.message}\n${(err.stack ?? "").split("\n").slice(1).join("\n")}`;
      throw wrapped;
    }
  };
}

function summarize(v: NotebookView): string {
  if (!v.found) return "no notebook panel open" + (v.dialog ? `; dialog: ${v.dialog}` : "");
  const code = v.cells.filter((c) => c.type === "code");
  return (
    `kernel ${v.kernelName || "?"} ${v.status ?? "?"}; ${code.length} code cells, prompts ` +
    code
      .map(
        (c) =>
          `#${c.index}${c.prompt || "[?]"}{${c.mimes.map((m) => (m === "plotly" ? `plotly${c.plotlySvg ? "+svg" : "(no svg)"}` : m.replace("application/vnd.jupyter.", ""))).join(",")}}`,
      )
      .join(" ") +
    (v.dialog ? `; dialog: ${v.dialog}` : "")
  );
}

/** Reads the open notebook from the DOM (JupyterLab 4 class names; tslab kernel). */
async function notebookView(): Promise<NotebookView> {
  return page!.evaluate(
    ({ stderrMime }) => {
      const dialog = document.querySelector(".jp-Dialog");
      const panel = document.querySelector<HTMLElement>("#jp-main-dock-panel .jp-NotebookPanel:not(.lm-mod-hidden)");
      const view = {
        found: !!panel,
        status: null as string | null,
        kernelName: "",
        dirty: false,
        dialog: dialog ? (dialog.textContent ?? "").replace(/\s+/g, " ").trim().slice(0, 300) : null,
        cells: [] as any[],
      };
      if (!panel) return view;
      view.status = panel.querySelector(".jp-Notebook-ExecutionIndicator")?.getAttribute("data-status") ?? null;
      view.kernelName = (panel.querySelector(".jp-Toolbar-kernelName")?.textContent ?? "").trim();
      const tab = document.querySelector(`#jp-main-dock-panel .lm-TabBar-tab[data-id="${panel.id}"]`);
      view.dirty = !!tab?.classList.contains("jp-mod-dirty");
      Array.from(panel.querySelectorAll<HTMLElement>(".jp-Notebook .jp-Cell")).forEach((cell, index) => {
        const type = cell.classList.contains("jp-CodeCell") ? "code" : cell.classList.contains("jp-MarkdownCell") ? "markdown" : "raw";
        const prompt = (cell.querySelector(".jp-InputArea-prompt")?.textContent ?? "").trim();
        const m = /\[(\d+)\]/.exec(prompt);
        const outputs = Array.from(cell.querySelectorAll<HTMLElement>(".jp-OutputArea-output"));
        view.cells.push({
          index,
          type,
          prompt,
          count: m ? Number(m[1]) : null,
          running: prompt.includes("*"),
          mimes: outputs.map((o) => o.getAttribute("data-mime-type") ?? (o.classList.contains("jp-RenderedPlotly") ? "plotly" : "?")),
          stderr: outputs.filter((o) => o.getAttribute("data-mime-type") === stderrMime).map((o) => o.innerText ?? o.textContent ?? ""),
          plotly: cell.querySelectorAll(".jp-OutputArea-output.jp-RenderedPlotly").length,
          plotlySvg: Array.from(cell.querySelectorAll(".jp-OutputArea-output.jp-RenderedPlotly")).filter((p) =>
            p.querySelector(".plot-container .main-svg"),
          ).length,
        });
      });
      return view;
    },
    { stderrMime: STDERR_MIME },
  );
}

/** Polls the page until `done(view)` returns a value, within `ms`; `fail(view)` may end the wait early with a message. */
async function waitForView<T>(
  what: string,
  ms: number,
  done: (v: NotebookView) => T | null,
  fail?: (v: NotebookView) => string | null,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: NotebookView | null = null;
  while (Date.now() < deadline) {
    last = await notebookView();
    const problem = fail?.(last);
    if (problem) throw new Error(problem);
    const r = done(last);
    if (r !== null) return r;
    await sleep(500);
  }
  throw new Error(`timed out after ${Math.round(ms / 1000)} s waiting for ${what}; last seen: ${last ? summarize(last) : "nothing"}`);
}

/** Clicks a top menu, then one of its items, by their visible labels (as a person would). */
async function menu(top: string, item: string): Promise<void> {
  const p = page!;
  await p
    .locator("#jp-MainMenu .lm-MenuBar-item", { has: p.locator(".lm-MenuBar-itemLabel", { hasText: new RegExp(`^${top}$`) }) })
    .click();
  const entry = p.locator(".lm-Menu:visible .lm-Menu-item", { has: p.locator(".lm-Menu-itemLabel", { hasText: new RegExp(`^${item}$`) }) });
  await entry.first().waitFor({ state: "visible", timeout: 10_000 });
  await entry.first().click();
}

/**
 * jupyterlab-plotly shows a figure whose bundle carries image/png (the kernel's static PNG, or the snapshot the
 * renderer itself stores in the output after drawing, so every saved figure has one) as that image, and swaps in the
 * interactive plot when the pointer enters it. Hover such static figures, as a person would; returns how many.
 */
async function activateStaticPlots(): Promise<number> {
  const p = page!;
  let hovered = 0;
  for (let i = 0; i < 50; i++) {
    // The next figure still showing its PNG (a pointer path may already have woken others up: they are skipped).
    const found = await p.evaluate((mark) => {
      for (const out of Array.from(document.querySelectorAll(".jp-Cell-outputArea .jp-RenderedPlotly"))) {
        const img = out.querySelector<HTMLImageElement>("img.plot-img");
        if (
          out.querySelector(".plot-container") ||
          !img ||
          !img.src.startsWith("data:image/png") ||
          getComputedStyle(img).display === "none"
        )
          continue;
        out.setAttribute("data-lab-test", mark);
        return true;
      }
      return false;
    }, `static-${i}`);
    if (!found) break;
    const output = p.locator(`[data-lab-test="static-${i}"]`);
    const img = output.locator("img.plot-img");
    const graph = output.locator(".plot-container .main-svg").first();
    await p.mouse.move(5, VIEWPORT.height - 5); // park the pointer on the status bar, off every figure
    await img.evaluate((el) => el.scrollIntoView({ block: "center" }));
    // Off-screen cells skip layout (content-visibility) until JupyterLab's observer shows them; the image is then painted.
    await img.or(graph).first().waitFor({ state: "visible", timeout: 10_000 });
    if (await img.isVisible()) {
      const box = await img.boundingBox();
      if (!box) throw new Error("a static Plotly image has no box on screen");
      // A plain pointer move (not locator.hover, which retries once the plot replaces the image under the pointer).
      await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    }
    await graph.waitFor({ state: "attached", timeout: 15_000 });
    hovered++;
  }
  await p.mouse.move(5, VIEWPORT.height - 5);
  return hovered;
}

function cellErrors(v: NotebookView): string[] {
  const out: string[] = [];
  for (const c of v.cells)
    for (const s of c.stderr) if (ERROR_TEXT.test(s)) out.push(`cell ${c.index} (${c.prompt}): ${s.trim().slice(0, 1500)}`);
  return out;
}

/** execute_reply messages with status "error", seen through the exposed app (the authoritative signal; tslab has no `error` output). */
async function failedReplies(): Promise<{ count: number | null; status: string }[]> {
  return page!.evaluate(() => ((window as any).__labTestReplies ?? []).filter((r: any) => r.status === "error"));
}

describe(`JupyterLab in Chromium: ${NOTEBOOK}`, { timeout: 20 * 60_000 }, () => {
  before(() => {
    assert.ok(fs.existsSync(SOURCE), `${where("setup")}: ${SOURCE} does not exist (set LAB_BROWSER_NOTEBOOK to test another notebook)`);
    // No browser is a failure with the reason (what was tried, how to get one), never a silent skip.
    chromiumChoice = chooseBrowser();
    console.log(`# browser: ${describeBrowser(chromiumChoice)}`);
    sourceHash = sha(SOURCE);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    browser = null;
    page = null;
    await server?.stop();
    server = null;
  });

  test(
    "JupyterLab starts on a copy of the notebook and answers /api/status",
    { timeout: SERVER_START_MS + 30_000 },
    step("start JupyterLab", async () => {
      server = await startLabServer({
        files: [SOURCE],
        env: { MOVIELENS_LAB_PARAMS: LAB_PARAMS },
        startTimeoutMs: SERVER_START_MS,
        settings: {
          // No news/update toasts over the notebook (and no requests to the internet).
          "@jupyterlab/apputils-extension/notification": { fetchNews: "false", checkForUpdates: false, doNotDisturbMode: true },
        },
      });
      assert.ok(fs.existsSync(path.join(server.notebookDir, NOTEBOOK)));
    }),
  );

  test(
    "the notebook opens in Chromium and the TypeScript kernel becomes idle",
    { timeout: KERNEL_READY_MS + 60_000 },
    step("open notebook", async () => {
      browser = await launchBrowser(chromiumChoice!);
      const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
      page = await context.newPage();
      page.setDefaultTimeout(30_000);
      page.on("pageerror", (e) => pageErrors.push(e.message));
      await page.goto(`${server!.url}/lab/tree/${encodeURIComponent(NOTEBOOK)}?token=${server!.token}`, {
        waitUntil: "domcontentloaded",
        timeout: 60_000,
      });
      await waitForView(
        "the kernel to be idle",
        KERNEL_READY_MS,
        (v) => (v.found && v.status === "idle" && v.cells.length > 0 ? v : null),
        (v) => (v.dialog ? `a dialog blocks the notebook: ${v.dialog}` : null),
      );
      // Watch kernel replies from now on (the page only observes; Run All is still chosen from the menu).
      const kernel = await page.evaluate(async () => {
        const app = (window as any).jupyterapp;
        if (!app) return { error: "window.jupyterapp is missing (expose_app_in_browser)" };
        const w = app.shell.currentWidget;
        await w.sessionContext.ready;
        const k = w.sessionContext.session?.kernel;
        if (!k) return { error: "no kernel connection" };
        for (let i = 0; i < 240 && !(k.connectionStatus === "connected" && k.status === "idle"); i++)
          await new Promise((r) => setTimeout(r, 250));
        if (k.status !== "idle") return { error: `the kernel is ${k.status} (${k.connectionStatus}) after 60 s` };
        (window as any).__labTestReplies = [];
        k.anyMessage.connect((_: unknown, a: any) => {
          if (a.direction === "recv" && a.msg.header.msg_type === "execute_reply") {
            (window as any).__labTestReplies.push({ status: a.msg.content.status, count: a.msg.content.execution_count ?? null });
          }
        });
        return { name: k.name as string, display: w.sessionContext.kernelDisplayName as string };
      });
      assert.ok(!("error" in kernel), `${where("open notebook")}: ${"error" in kernel ? kernel.error : ""}`);
      assert.equal(kernel.name, "tslab", `${where("open notebook")}: the notebook runs kernel ${kernel.name}, not tslab`);
      // And the page says so: kernel name in the notebook toolbar, execution indicator idle.
      await waitForView("the toolbar to show the TypeScript kernel, idle", 30_000, (v) =>
        v.status === "idle" && v.kernelName === kernel.display ? v : null,
      );
      const nb = JSON.parse(fs.readFileSync(SOURCE, "utf8"));
      const view = await notebookView();
      assert.equal(
        view.cells.length,
        nb.cells.length,
        `${where("open notebook")}: the page shows ${view.cells.length} cells, the file has ${nb.cells.length}`,
      );
    }),
  );

  test(
    "Run → Run All Cells executes every code cell without an error",
    { timeout: RUN_ALL_MS + 60_000 },
    step("run all cells", async () => {
      const started = Date.now();
      await menu("Run", "Run All Cells");
      const codeCells = (v: NotebookView) => v.cells.filter((c) => c.type === "code");
      // Run All queues every code cell at once ([*]); it is over when no cell is pending and the kernel is idle again
      // (three polls in a row, ~1 s). A failing cell stops the run, leaving the cells after it unexecuted.
      let idleSeen = 0;
      const end = await waitForView(
        "Run All to finish",
        RUN_ALL_MS,
        (v) => {
          const code = codeCells(v);
          const settled = v.status === "idle" && code.length > 0 && !code.some((c) => c.running) && code.some((c) => c.count !== null);
          idleSeen = settled ? idleSeen + 1 : 0;
          return idleSeen >= 3 ? v : null;
        },
        (v) =>
          v.dialog
            ? `a dialog appeared during the run: ${v.dialog}`
            : ["dead", "restarting", "autorestarting"].includes(v.status ?? "")
              ? `the kernel is ${v.status} (it crashed or ran out of memory?); last seen: ${summarize(v)}`
              : null,
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`# ${NOTEBOOK}: Run All Cells finished in ${seconds} s`);

      const problems = cellErrors(end);
      const bad = await failedReplies();
      for (const r of bad) {
        const cell = end.cells.find((c) => c.count !== null && c.count === r.count);
        const text = cell?.stderr.join("\n").trim().slice(0, 1500) || "(no stderr output)";
        const line = `cell ${cell ? cell.index : "?"} ([${r.count}]) failed: ${text}`;
        if (!problems.some((p) => p.startsWith(`cell ${cell?.index} `))) problems.push(line);
      }
      const notRun = codeCells(end).filter((c) => c.count === null);
      if (notRun.length && !problems.length) {
        const lastRun = codeCells(end)
          .filter((c) => c.count !== null)
          .pop();
        problems.push(
          `Run All stopped before cell ${notRun[0].index}` +
            (lastRun
              ? `; last executed cell ${lastRun.index} ${lastRun.prompt} printed: ${lastRun.stderr.join("\n").trim().slice(0, 1500) || "(nothing on stderr)"}`
              : ""),
        );
      }
      if (problems.length) assert.fail(`${where("run all cells")}: ${problems.length} cell error(s):\n${problems.join("\n")}`);
      if (notRun.length)
        assert.fail(
          `${where("run all cells")}: code cells without an execution count after Run All: ${notRun.map((c) => c.index).join(", ")}`,
        );
      countsAfterRun = end.cells.map((c) => c.count);
    }),
  );

  test(
    "an interactive Plotly figure renders as SVG",
    { timeout: RENDER_MS + 30_000 },
    step("plotly renders", async () => {
      // Every Plotly output of the notebook model must be drawn by the jupyterlab-plotly renderer (not a PNG fallback).
      const expected: number[] = await page!.evaluate((mime) => {
        const cells = (window as any).jupyterapp.shell.currentWidget.content.model.cells;
        const out: number[] = [];
        for (let i = 0; i < cells.length; i++) {
          const c = cells.get(i);
          out.push(c.type === "code" ? c.outputs.toJSON().filter((o: any) => o.data && o.data[mime]).length : 0);
        }
        return out;
      }, PLOTLY_MIME);
      const total = expected.reduce((a, b) => a + b, 0);
      assert.ok(total > 0, `${where("plotly renders")}: no cell produced a ${PLOTLY_MIME} output`);
      const hovered = await activateStaticPlots();
      if (hovered) console.log(`# ${NOTEBOOK}: ${hovered} Plotly figure(s) showed their static PNG first; hovered them`);
      const v = await waitForView(`all ${total} Plotly outputs to draw their SVG (.js-plotly-plot .main-svg)`, RENDER_MS, (v) =>
        v.cells.every((c, i) => c.plotlySvg === expected[i]) ? v : null,
      );
      const plots = v.cells.filter((c) => c.plotlySvg).map((c) => c.index);
      // Drawn, not just present: the first plot has a real size and drawn traces.
      const first = page!.locator(".jp-OutputArea-output.jp-RenderedPlotly").first();
      const box = await first.locator(".main-svg").first().boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, `${where("plotly renders")}: the first Plotly SVG is ${JSON.stringify(box)}`);
      const traces = await first.locator(".trace, .heatmaplayer image, .scatterlayer .point").count();
      assert.ok(traces > 0, `${where("plotly renders")}: the first Plotly figure has no drawn traces`);
      console.log(`# ${NOTEBOOK}: ${total} Plotly figure(s) rendered as SVG, in cells ${plots.join(", ")}`);
      plotlyCells = plots;
    }),
  );

  test(
    "File → Save Notebook writes the outputs, and the README screenshot shows a rendered plot",
    { timeout: SAVE_MS + 60_000 },
    step("save and screenshot", async () => {
      const saved = path.join(server!.notebookDir, NOTEBOOK);
      const mtimeBefore = fs.statSync(saved).mtimeMs;
      await menu("File", "Save Notebook");
      await waitForView(
        "the notebook to be saved (tab not dirty)",
        SAVE_MS,
        (v) => (!v.dirty && fs.statSync(saved).mtimeMs !== mtimeBefore ? v : null),
        (v) => (v.dialog ? `a dialog appeared on save: ${v.dialog}` : null),
      );
      const nb = JSON.parse(fs.readFileSync(saved, "utf8"));
      const code = nb.cells.map((c: any, i: number) => ({ ...c, i })).filter((c: any) => c.cell_type === "code");
      const unsaved = code.filter((c: any) => c.execution_count == null).map((c: any) => c.i);
      if (unsaved.length)
        assert.fail(`${where("save and screenshot")}: saved code cells without an execution count: ${unsaved.join(", ")}`);
      const errors = code.flatMap((c: any) =>
        (c.outputs ?? []).filter((o: any) => o.output_type === "error").map((o: any) => `cell ${c.i}: ${o.ename}: ${o.evalue}`),
      );
      if (errors.length) assert.fail(`${where("save and screenshot")}: saved error outputs:\n${errors.join("\n")}`);
      const plotly = code.filter((c: any) => (c.outputs ?? []).some((o: any) => o.data?.[PLOTLY_MIME]));
      assert.ok(plotly.length > 0, `${where("save and screenshot")}: the saved notebook has no ${PLOTLY_MIME} output`);

      // The README screenshot: a rendered plot in the middle of the viewport, preferably an embedding map (t-SNE first).
      const plots = page!.locator(".jp-OutputArea-output.jp-RenderedPlotly");
      const titles = await plots.evaluateAll((els) => els.map((e) => (e.querySelector(".gtitle")?.textContent ?? "").toLowerCase()));
      const preferred = SCREENSHOT_PLOT.map((re) => titles.findIndex((t) => re.test(t))).find((i) => i >= 0);
      const pick = preferred ?? 0;
      const plot = plots.nth(pick);
      await page!.mouse.move(5, VIEWPORT.height - 5); // no hover label
      await plot.evaluate((el) => el.scrollIntoView({ block: "center" }));
      await sleep(800); // let content-visibility/windowing paint the cells around it
      await plot.locator(".main-svg").first().waitFor({ state: "visible", timeout: 10_000 });
      assert.ok(await plotInViewport(plot), `${where("save and screenshot")}: the plot is not inside the viewport after scrolling`);
      const png = await page!.screenshot({ type: "png", fullPage: true, timeout: 30_000 });
      writeFileAtomic(SCREENSHOT, png);
      console.log(
        `# ${NOTEBOOK}: screenshot of plot ${pick + 1}/${titles.length} ("${titles[pick] || "untitled"}") -> ${path.relative(root, SCREENSHOT)}`,
      );
    }),
  );

  test(
    "File → Close Tab, reopen from the file browser: the saved Plotly output renders without re-running",
    { timeout: RENDER_MS + 60_000 },
    step("close and reopen", async () => {
      const p = page!;
      await menu("File", "Close Tab");
      await waitForView(
        "the notebook tab to close",
        15_000,
        (v) => (!v.found ? v : null),
        (v) => (v.dialog ? `a dialog appeared on close: ${v.dialog}` : null),
      );

      const listing = p.locator(".jp-FileBrowser .jp-DirListing-content");
      if (!(await listing.isVisible())) await p.locator('.jp-SideBar .lm-TabBar-tab[data-id="filebrowser"]').click();
      const item = p.locator(".jp-DirListing-item", { has: p.locator(".jp-DirListing-itemText", { hasText: NOTEBOOK }) });
      await item.first().dblclick({ timeout: 15_000 });

      await waitForView("the reopened notebook to show its Plotly outputs", RENDER_MS, (v) =>
        v.found && v.cells.length === countsAfterRun.length && plotlyCells.every((i) => v.cells[i].plotly > 0) ? v : null,
      );
      // Saved figures come back as their stored PNG snapshot; pointing at them brings the interactive plot back.
      const hovered = await activateStaticPlots();
      console.log(`# ${NOTEBOOK}: reopened; ${hovered} saved Plotly figure(s) shown as static PNG until hovered`);
      const v = await waitForView(
        `the reopened notebook to draw its saved Plotly figures again (cells ${plotlyCells.join(", ")})`,
        RENDER_MS,
        (v) => (v.found && v.cells.length === countsAfterRun.length && plotlyCells.every((i) => v.cells[i].plotlySvg > 0) ? v : null),
        (v) => (v.dialog ? `a dialog appeared on reopen: ${v.dialog}` : null),
      );
      assert.deepEqual(
        v.cells.map((c) => c.count),
        countsAfterRun,
        `${where("close and reopen")}: execution counts changed after reopening (the notebook was re-run or not saved)`,
      );
      assert.ok(!v.cells.some((c) => c.running), `${where("close and reopen")}: a cell is running after reopening`);
      assert.equal(
        sha(SOURCE),
        sourceHash,
        `${where("close and reopen")}: notebooks/${NOTEBOOK} was modified; only its temporary copy may change`,
      );
    }),
  );
});

/** Whether the element's box lies (mostly) inside the viewport. */
async function plotInViewport(loc: Locator): Promise<boolean> {
  const box = await loc.boundingBox();
  if (!box) return false;
  const visibleH = Math.min(box.y + box.height, VIEWPORT.height) - Math.max(box.y, 0);
  return visibleH >= Math.min(box.height, VIEWPORT.height) * 0.8 && box.x >= 0 && box.x < VIEWPORT.width;
}
