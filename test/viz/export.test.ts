// Tests for figure export: real PNG/JPEG/WebP/SVG/PDF rendering in headless Chromium (the PDF checked with poppler), Plotly JSON read by Python plotly, offline self-contained HTML, escaping in the browser, renderer reuse.
import { test, describe, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser } from "playwright-core";
import { movieEmbeddingScatter, trainingCurves, genreSimilarityHeatmap } from "../../src/viz/figures";
import {
  saveFigure,
  figureHtml,
  renderFigurePng,
  renderFigureSvg,
  closeRenderer,
  configureRenderer,
  rendererInfo,
  findBrowser,
  scriptSafeJson,
  plotlyBundlePath,
  plotlyVersion,
  CHROMIUM_FLAGS,
  SHARED_PLOTLY_FILE,
} from "../../src/viz/export";
import { decodePng, PNG_SIGNATURE, loadSmallMovies, randomMovieCoords, makeMovies, randomCoords } from "./figures-fixtures.test";

const EVIL = "<script>alert(1)</script>";
/** Markup that Plotly itself would interpret (bold, entity, link) if it were not escaped. */
const MARKUP = '<b>Bold</b> &amp; <a href="javascript:alert(3)">click</a>';
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "viz-export-"));
let inspector: Browser | null = null;

/** A separate browser owned by the tests, to inspect SVG and exported HTML independently of the renderer. */
async function inspectBrowser(): Promise<Browser> {
  if (!inspector) {
    const { chromium } = require("playwright-core") as typeof import("playwright-core");
    inspector = await chromium.launch({ executablePath: findBrowser(), args: [...CHROMIUM_FLAGS], handleSIGINT: false });
  }
  return inspector;
}

function smallFigure(title = "Three runs") {
  return trainingCurves(
    [
      { name: "a", train: [1, 0.8, 0.7, 0.65], validation: [1.1, 0.9, 0.85, 0.86] },
      { name: "b", train: [1.2, 0.9, 0.75, 0.7], validation: [1.2, 1.0, 0.9, 0.88] },
      { name: "c", train: [0.9, 0.7, 0.6, 0.55] },
    ],
    { title },
  );
}

/** Hostile movie table: the <script> title, a quoted title, hostile genre. */
function hostileMovies() {
  return makeMovies(
    [`${EVIL} (2001)`, 'Say "Hi" & Bye (1999)', "Heat (1995)", `${MARKUP} (2005)`],
    [["Comedy"], ["Drama"], [EVIL], ["Western"]],
  );
}

before(() => {
  delete process.env.CHROMIUM_PATH;
});

after(async () => {
  await closeRenderer();
  if (inspector) await inspector.close();
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe("PNG export", () => {
  test("saveFigure writes a real PNG of width*scale x height*scale pixels that is not blank", async () => {
    const saved = await saveFigure(smallFigure(), "curves", ["png"], { dir: tmpDir, width: 640, height: 400, scale: 2 });
    assert.equal(saved.png, path.join(tmpDir, "curves.png"));
    const png = fs.readFileSync(saved.png!);
    assert.ok(png.length > 1000);
    assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE));
    const info = decodePng(png);
    assert.equal(info.width, 1280);
    assert.equal(info.height, 800);
    assert.ok(info.distinctPixels > 50, `pixel variance: ${info.distinctPixels} distinct colours`);
    assert.ok(info.nonWhiteShare > 0.01 && info.nonWhiteShare < 0.9, `non-white share ${info.nonWhiteShare}`);
  });

  test("scale is selectable (1x and 1.5x) and the browser is reused across renders", async () => {
    const before = rendererInfo().launches;
    const one = decodePng(await renderFigurePng(smallFigure(), { width: 500, height: 300, scale: 1 }));
    const oneAndHalf = decodePng(await renderFigurePng(smallFigure(), { width: 500, height: 300, scale: 1.5 }));
    assert.deepEqual([one.width, one.height], [500, 300]);
    assert.deepEqual([oneAndHalf.width, oneAndHalf.height], [750, 450]);
    assert.ok(rendererInfo().running);
    assert.ok(rendererInfo().launches - before <= 1, "at most one browser start for several renders");
  });

  test("WebGL scatter of ml-latest-small (scattergl) renders; example saved to /tmp/figure-example.png", async () => {
    const movies = loadSmallMovies();
    const fig = movieEmbeddingScatter(randomMovieCoords(movies), movies, {
      title: "Movie embeddings, ml-latest-small (random coordinates, coloured by primary genre)",
      projectionName: "UMAP",
    });
    assert.ok(fig.data.every((t) => t.type === "scattergl"));
    const png = await renderFigurePng(fig, { width: 1100, height: 700, scale: 1.5 });
    fs.writeFileSync("/tmp/figure-example.png", png);
    const info = decodePng(png);
    assert.deepEqual([info.width, info.height], [1650, 1050]);
    assert.ok(info.distinctPixels > 1000, "thousands of blended marker colours");
    assert.ok(info.nonWhiteShare > 0.05, `points are drawn (non-white share ${info.nonWhiteShare})`);
  });
});

/** Width and height from a JPEG's start-of-frame marker. */
function jpegSize(b: Buffer): { width: number; height: number } {
  assert.ok(b[0] === 0xff && b[1] === 0xd8, "JPEG signature");
  for (let p = 2; p + 9 < b.length;) {
    if (b[p] !== 0xff) throw new Error(`bad JPEG marker at ${p}`);
    const marker = b[p + 1];
    const length = b.readUInt16BE(p + 2);
    if (marker >= 0xc0 && marker <= 0xc3) return { height: b.readUInt16BE(p + 5), width: b.readUInt16BE(p + 7) };
    p += 2 + length;
  }
  throw new Error("no JPEG frame header");
}

describe("JPEG, WebP, PDF and JSON export", () => {
  test("JPEG and WebP are real images of width*scale x height*scale", async () => {
    const saved = await saveFigure(smallFigure(), "curves-raster", ["jpeg", "webp"], { dir: tmpDir, width: 640, height: 400, scale: 1.5 });
    assert.equal(saved.jpeg, path.join(tmpDir, "curves-raster.jpg"));
    const jpg = fs.readFileSync(saved.jpeg!);
    assert.deepEqual(jpegSize(jpg), { width: 960, height: 600 });
    const webp = fs.readFileSync(saved.webp!);
    assert.equal(webp.subarray(0, 4).toString("latin1"), "RIFF");
    assert.equal(webp.subarray(8, 12).toString("latin1"), "WEBP");
    assert.ok(webp.length > 2000 && jpg.length > 2000);
  });

  test("PDF is one vector page the figure's size; pdftoppm renders it to a PNG that is not blank, at its aspect ratio", async () => {
    const saved = await saveFigure(smallFigure(), "curves-pdf", ["pdf"], { dir: tmpDir, width: 640, height: 400 });
    const pdf = fs.readFileSync(saved.pdf!);
    assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-");
    const info = execFileSync("pdfinfo", [saved.pdf!], { encoding: "utf8" });
    assert.match(info, /^Pages:\s+1$/m);
    assert.match(info, /^Page size:\s+480 x 300 pts/m, "640 x 400 CSS pixels are 480 x 300 points");
    const prefix = path.join(tmpDir, "curves-pdf-page");
    execFileSync("pdftoppm", ["-png", "-r", "96", "-f", "1", "-l", "1", "-singlefile", saved.pdf!, prefix]);
    const png = decodePng(fs.readFileSync(`${prefix}.png`));
    assert.ok(Math.abs(png.width / png.height - 640 / 400) < 0.02, `aspect ${png.width}x${png.height}`);
    assert.ok(
      png.distinctPixels > 50 && png.nonWhiteShare > 0.01,
      `not blank: ${png.distinctPixels} colours, ${png.nonWhiteShare} non-white`,
    );
    assert.ok(!pdf.includes("/Subtype /Image"), "vector: no embedded raster image");
  });

  test("Plotly JSON reads back in Python with plotly.io.read_json (the .venv's plotly)", async () => {
    const fig = smallFigure("JSON <round> trip");
    const saved = await saveFigure(fig, "curves-json", ["json"], { dir: tmpDir });
    const python = path.join(__dirname, "..", "..", ".venv", "bin", "python");
    const out = execFileSync(
      python,
      [
        "-c",
        "import plotly.io as pio, sys, json; f = pio.read_json(sys.argv[1]); print(json.dumps([len(f.data), f.layout.title.text, f.data[0].type]))",
        saved.json!,
      ],
      { encoding: "utf8" },
    );
    const [traces, title, type] = JSON.parse(out) as [number, string, string];
    assert.equal(traces, fig.data.length);
    assert.equal(title, (fig.layout.title as { text: string }).text);
    assert.equal(type, fig.data[0].type ?? "scatter");
  });
});

describe("SVG export", () => {
  test("saveFigure writes an SVG that parses and contains the traces", async () => {
    const saved = await saveFigure(smallFigure(), "curves", ["svg"], { dir: tmpDir, width: 600, height: 400 });
    const svg = fs.readFileSync(saved.svg!, "utf8");
    assert.match(svg, /^<svg[\s>]/);
    const page = await (await inspectBrowser()).newPage();
    try {
      const result = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, "image/svg+xml");
        return {
          error: doc.getElementsByTagName("parsererror").length,
          root: doc.documentElement.nodeName,
          traces: doc.querySelectorAll("g.trace").length,
          lines: doc.querySelectorAll("g.trace path.js-line").length,
          title: doc.querySelector(".gtitle")?.textContent ?? null,
        };
      }, svg);
      assert.equal(result.error, 0, "well-formed SVG");
      assert.equal(result.root, "svg");
      // 3 train + 2 validation + 2 best-epoch marker traces.
      assert.equal(result.traces, 7);
      assert.equal(result.lines, 5);
      assert.equal(result.title, "Three runs");
    } finally {
      await page.close();
    }
  });
});

describe("HTML export", () => {
  test("self-contained: plotly.js inlined once, no external scripts, styles or URLs to fetch", async () => {
    const saved = await saveFigure(
      genreSimilarityHeatmap(
        [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        ["Drama", "War", "Crime"],
      ),
      "heatmap",
      ["html"],
      { dir: tmpDir },
    );
    const html = fs.readFileSync(saved.html!, "utf8");
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.equal((html.match(/plotly\.js v\d+\.\d+\.\d+/g) ?? []).length, 1, "the bundle is inlined exactly once");
    assert.equal((html.match(/<script\b/gi) ?? []).length, 2, "the bundle and the figure script");
    assert.ok(!/<script[^>]*\bsrc\s*=/i.test(html), "no script src");
    assert.ok(!/<link\b/i.test(html), "no external stylesheet");
    assert.ok(!/src\s*=\s*["']?https?:/i.test(html));
    assert.ok(
      fs.readdirSync(tmpDir).every((f) => !f.includes(".tmp")),
      "no temporary files left",
    );
  });

  test('plotlyJs "inline" (default), "shared" and "cdn": where the page gets plotly.js, and what each costs', async () => {
    const dir = path.join(tmpDir, "plotly-js");
    const inline = await saveFigure(smallFigure(), "inline", ["html"], { dir });
    const inlineHtml = fs.readFileSync(inline.html!, "utf8");
    assert.equal((inlineHtml.match(/plotly\.js v\d+\.\d+\.\d+/g) ?? []).length, 1);
    assert.ok(!/<script[^>]*\bsrc\s*=/i.test(inlineHtml), "inline: no external src");
    assert.ok(!fs.existsSync(path.join(dir, SHARED_PLOTLY_FILE)), "inline writes no shared bundle");
    const minified = fs.statSync(plotlyBundlePath()).size;
    assert.ok(inlineHtml.length < minified + 100_000, `the minified bundle is inlined (${inlineHtml.length} bytes)`);

    const first = await saveFigure(smallFigure(), "shared-a", ["html"], { dir, plotlyJs: "shared" });
    const bundle = path.join(dir, SHARED_PLOTLY_FILE);
    const written = fs.statSync(bundle);
    const second = await saveFigure(smallFigure("Other"), "shared-b", ["html"], { dir, plotlyJs: "shared" });
    const again = fs.statSync(bundle);
    assert.deepEqual([again.ino, again.mtimeMs], [written.ino, written.mtimeMs], "the shared bundle is written once, not per figure");
    assert.ok(fs.readFileSync(bundle).equals(fs.readFileSync(plotlyBundlePath())), "it is the installed minified bundle");
    for (const saved of [first, second]) {
      const html = fs.readFileSync(saved.html!, "utf8");
      assert.deepEqual(
        [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]),
        ["plotly.min.js"],
        "relative src",
      );
      assert.ok(!html.includes("plotly.js v"), "not inlined");
    }
    const cdn = await saveFigure(smallFigure(), "cdn", ["html"], { dir, plotlyJs: "cdn" });
    const cdnHtml = fs.readFileSync(cdn.html!, "utf8");
    const version = (JSON.parse(fs.readFileSync(require.resolve("plotly.js-dist-min/package.json"), "utf8")) as { version: string })
      .version;
    assert.equal(plotlyVersion(), version);
    assert.deepEqual(
      [...cdnHtml.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]),
      [`https://cdn.plot.ly/plotly-${version}.min.js`],
    );
    assert.deepEqual(fs.readdirSync(dir).sort(), ["cdn.html", "inline.html", SHARED_PLOTLY_FILE, "shared-a.html", "shared-b.html"].sort());
    console.log(
      `exported HTML of a small figure: inline ${inlineHtml.length} B, shared ${fs.statSync(first.html!).size} B + ${SHARED_PLOTLY_FILE} ${written.size} B once, cdn ${cdnHtml.length} B`,
    );
    await assert.rejects(
      saveFigure(smallFigure(), "bad", ["html"], { dir, plotlyJs: "remote" as never }),
      /plotlyJs must be one of inline, shared, cdn/,
    );

    // The shared page draws offline, from the file beside it.
    const context = await (await inspectBrowser()).newContext({ offline: true });
    const page = await context.newPage();
    const outside: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) outside.push(r.url());
    });
    try {
      await page.goto(`file://${first.html}`);
      await page.waitForSelector("#figure .main-svg .legend", { timeout: 20_000 });
      assert.deepEqual(outside, []);
    } finally {
      await context.close();
    }
  });

  test("figure JSON cannot close the script element", () => {
    const html = figureHtml(
      movieEmbeddingScatter(
        [
          [0, 0],
          [1, 1],
          [2, 2],
          [3, 3],
        ],
        hostileMovies(),
        { title: "</script><script>alert(2)</script>" },
      ),
    );
    assert.equal((html.match(/<\/script/gi) ?? []).length, 2, "only the two real closing tags");
    assert.equal(scriptSafeJson({ t: "</script>&\u2028" }), '{"t":"\\u003c/script\\u003e\\u0026\\u2028"}');
  });

  test("in Chromium the <script> title shows as text, no dialog fires, nothing is fetched", async () => {
    const movies = hostileMovies();
    const fig = movieEmbeddingScatter(
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      movies,
      { title: `${EVIL} ${MARKUP}`, primaryGenre: "first" },
    );
    const saved = await saveFigure(fig, "hostile", ["html"], { dir: tmpDir });
    const context = await (await inspectBrowser()).newContext();
    const page = await context.newPage();
    const dialogs: string[] = [];
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    try {
      await page.goto(`file://${saved.html}`);
      await page.waitForSelector(".main-svg .legend");
      const title = await page.textContent(".gtitle");
      const legend = await page.$$eval(".legend .legendtext", (els) => els.map((e) => e.textContent));
      const hovers: string[] = [];
      for (const curve of [0, 1, 2, 3]) {
        hovers.push(
          await page.evaluate(async (c) => {
            const gd = document.getElementById("figure") as any;
            (window as any).Plotly.Fx.hover(gd, [{ curveNumber: c, pointNumber: 0 }]);
            await new Promise((r) => setTimeout(r, 50));
            return document.querySelector(".hoverlayer")?.textContent ?? "";
          }, curve),
        );
      }
      const scripts = await page.evaluate(() => document.querySelectorAll("script").length);
      const links = await page.evaluate(() => document.querySelectorAll("svg a").length);
      const bold = await page.evaluate(() => document.querySelectorAll("svg tspan[style*='bold']").length);
      await page.waitForTimeout(200);
      assert.equal(title, `${EVIL} ${MARKUP}`, "the title is shown literally (tags, entity and link as text)");
      assert.ok(
        hovers.some((h) => h.includes(MARKUP)),
        `markup in a movie title stays text: ${hovers.join(" | ")}`,
      );
      assert.equal(links, 0, "no link element was created from data");
      assert.ok(legend.includes(EVIL), `hostile genre shown literally in the legend: ${legend.join(" | ")}`);
      assert.ok(
        hovers.some((h) => h.includes(EVIL) && h.includes("2001")),
        `hover shows the title as text: ${hovers.join(" | ")}`,
      );
      assert.ok(
        hovers.some((h) => h.includes('Say "Hi" & Bye')),
        `quotes and ampersands decode: ${hovers.join(" | ")}`,
      );
      assert.deepEqual(dialogs, [], "no alert/dialog fired");
      assert.deepEqual(requests, [], "nothing fetched from the network");
      assert.deepEqual(errors, []);
      assert.equal(scripts, 2, "no script element was injected");
      assert.ok(bold <= 4, "bold only where the hover template asks for it");
    } finally {
      await context.close();
    }
  });
});

describe("renderer lifecycle", () => {
  test("closeRenderer stops the browser; the next render starts it again; idle timeout closes it", async () => {
    await renderFigurePng(smallFigure(), { width: 300, height: 200 });
    assert.ok(rendererInfo().running);
    await closeRenderer();
    assert.equal(rendererInfo().running, false);
    const launches = rendererInfo().launches;
    configureRenderer({ idleTimeoutMs: 300 });
    try {
      const svg = await renderFigureSvg(smallFigure(), { width: 300, height: 200 });
      assert.match(svg, /<svg/);
      assert.equal(rendererInfo().launches, launches + 1);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(rendererInfo().running, false, "closed after the idle timeout");
    } finally {
      configureRenderer({ idleTimeoutMs: 60_000 });
    }
  });

  test("saveFigure rejects names with folders and unknown formats before writing anything", async () => {
    await assert.rejects(saveFigure(smallFigure(), "../escape", ["html"], { dir: tmpDir }), /figure name/);
    await assert.rejects(
      saveFigure(smallFigure(), "ok", ["html", "gif" as never], { dir: tmpDir }),
      /unknown format "gif" \(use html, json, png, jpeg, webp, svg, pdf\)/,
    );
    assert.ok(!fs.existsSync(path.join(tmpDir, "ok.html")));
  });
});

test("typed arrays in hand-made figures are exported as plain arrays", () => {
  const html = figureHtml({ data: [{ type: "scatter", x: new Float32Array([1, 2]) as unknown as number[], y: [3, NaN] }], layout: {} });
  assert.ok(html.includes('"x":[1,2],"y":[3,null]'));
  assert.ok(randomCoords(2).length === 4);
});
