// Tests the offline notebook reports (scripts/notebook-report.ts): a notebook with a Plotly output becomes HTML whose figure is live in Chromium, with nothing fetched.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import { trainingCurves } from "../src/viz/figures";
import { figureMimeBundle, PLOTLY_MIME } from "../src/viz/display";
import { CHROMIUM_FLAGS, chooseBrowser, closeRenderer, renderFigurePng } from "../src/viz/export";
import { writeNotebookReports, PROJECT_JUPYTER } from "../scripts/notebook-report";
import { reportFacts } from "./helpers/report";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "notebook-report-"));
/** A run name that would end the figure's script element and open an HTML comment if the JSON were not escaped. */
const HOSTILE = "run </script><!-- <b>x</b>";
let browser: Browser | null = null;
let report = "";

/** Two training runs (train + validation each, plus best-epoch markers): an SVG scatter figure with several legend entries. */
function fixtureFigure() {
  return trainingCurves(
    [
      { name: HOSTILE, train: [1, 0.8, 0.7, 0.65], validation: [1.1, 0.9, 0.85, 0.86] },
      { name: "second", train: [1.2, 0.9, 0.75, 0.7], validation: [1.2, 1.0, 0.9, 0.88] },
    ],
    { title: "Fixture curves", width: 700, height: 420 },
  );
}

/** A small executed notebook as `npm run reproduce` leaves it: markdown, text output, and one figure output from show(). */
async function writeFixtureNotebook(file: string): Promise<void> {
  const fig = fixtureFigure();
  const png = await renderFigurePng(fig, { scale: 1 });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: [
      { cell_type: "markdown", id: "intro", metadata: {}, source: ["# Fixture\n", "A figure follows."] },
      {
        cell_type: "code",
        id: "show",
        metadata: {},
        execution_count: 1,
        source: ['await lab.show(fig, { name: "fixture" });'],
        outputs: [
          { output_type: "stream", name: "stdout", text: ["trained\n"] },
          { output_type: "display_data", metadata: {}, data: figureMimeBundle(fig, { png }) },
        ],
      },
    ],
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
}

before(async () => {
  assert.ok(fs.existsSync(PROJECT_JUPYTER), `${PROJECT_JUPYTER} is missing: run \`npm run setup\``);
  const notebook = path.join(tmp, "fixture.ipynb");
  await writeFixtureNotebook(notebook);
  const [result] = writeNotebookReports([notebook], path.join(tmp, "out"));
  assert.equal(result.error, undefined);
  assert.equal(result.html, path.join(tmp, "out", "fixture.html"));
  report = result.html!;
});

after(async () => {
  await closeRenderer();
  if (browser) await browser.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function openBrowser(): Promise<Browser> {
  if (!browser) {
    const { chromium } = require("playwright-core") as typeof import("playwright-core");
    const choice = chooseBrowser();
    browser = await chromium.launch({
      executablePath: choice.executable,
      args: [...CHROMIUM_FLAGS],
      env: { ...process.env, ...choice.env },
      handleSIGINT: false,
    });
  }
  return browser;
}

test("the report inlines plotly.js once, loads no script by URL, and keeps the figure JSON inside its script element", () => {
  const html = fs.readFileSync(report, "utf8");
  const facts = reportFacts(html);
  assert.equal(facts.liveFigures, 1, "one live figure");
  assert.equal(facts.staticImages, 1, "its PNG fallback");
  assert.equal(facts.plotlyBundles, 1, "plotly.js inlined exactly once");
  assert.deepEqual(facts.scriptSources, [], "no <script src> at all (no CDN)");
  assert.equal(facts.scriptClosings, facts.scriptOpenings, "no data closed a script element early");
  assert.ok(!html.includes("<!-- <b>"), "the comment opener in the data is escaped");
  assert.ok(html.includes(`data-mime-type="${PLOTLY_MIME}"`), "the output is marked with the Plotly mime type");
});

test("in Chromium with the network blocked: the figure draws, a hover shows a label, a legend click hides a trace", async () => {
  const context = await (await openBrowser()).newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const outside: string[] = [];
  const errors: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
    outside.push(url);
    return route.abort();
  });
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(`file://${report}`);
    await page.waitForSelector(".lab-plotly .js-plotly-plot .legend", { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector(".lab-plotly-static") === null);
    const traces = await page.evaluate(() => (document.querySelector(".lab-plotly .js-plotly-plot") as any).data.length as number);
    assert.ok(traces >= 4, `train and validation of two runs: ${traces} traces`);

    // Hover: move the real mouse onto the second point of the first trace.
    const point = await page.evaluate(() => {
      const gd = document.querySelector(".lab-plotly .js-plotly-plot") as any;
      const xa = gd._fullLayout.xaxis;
      const ya = gd._fullLayout.yaxis;
      const box = gd.getBoundingClientRect();
      const t = gd.data[0];
      return { x: box.left + xa._offset + xa.l2p(t.x[1]), y: box.top + ya._offset + ya.l2p(t.y[1]) };
    });
    await page.mouse.move(point.x - 20, point.y - 20);
    await page.mouse.move(point.x, point.y, { steps: 4 });
    await page.waitForFunction(() => (document.querySelector(".hoverlayer")?.textContent ?? "").trim().length > 0, undefined, {
      timeout: 5_000,
    });
    const hover = await page.textContent(".hoverlayer");
    assert.match(hover ?? "", /epoch 2: train 0\.8/, `hover label: ${hover}`);
    assert.ok(hover!.includes("</script><!--"), `the hostile name shows as text: ${hover}`);

    // Legend: clicking the first entry hides its trace (visible "legendonly"), and fewer lines are drawn.
    const linesBefore = await page.locator(".scatterlayer .trace path.js-line").count();
    await page.locator(".legend .traces").first().click();
    await page.waitForFunction(() => (document.querySelector(".lab-plotly .js-plotly-plot") as any).data[0].visible === "legendonly");
    const linesAfter = await page.locator(".scatterlayer .trace path.js-line").count();
    assert.ok(linesAfter < linesBefore, `lines drawn: ${linesBefore} before, ${linesAfter} after the legend click`);
    assert.deepEqual(outside, [], "no request left file://");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("without JavaScript the report shows the static PNG in place of the figure", async () => {
  const context = await (await openBrowser()).newContext({ javaScriptEnabled: false, offline: true });
  const page = await context.newPage();
  try {
    await page.goto(`file://${report}`);
    const size = await page.evaluate(() => {
      const img = document.querySelector("img.lab-plotly-static") as HTMLImageElement | null;
      return img ? { complete: img.complete, width: img.naturalWidth, height: img.naturalHeight } : null;
    });
    assert.deepEqual(size, { complete: true, width: 700, height: 420 });
    assert.equal(await page.locator(".js-plotly-plot").count(), 0);
  } finally {
    await context.close();
  }
});
