// Tests export without a browser (CHROMIUM_PATH points nowhere): PNG/SVG fail with an install hint, HTML is still written whole.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { trainingCurves } from "../../src/viz/figures";
import { saveFigure, renderFigurePng, findBrowser, BrowserNotFoundError, rendererInfo, closeRenderer } from "../../src/viz/export";

const MISSING = "/nonexistent/bin/chromium";
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "viz-nobrowser-"));
const saved = process.env.CHROMIUM_PATH;

const fig = trainingCurves([{ name: "run", train: [1, 0.5, 0.4], validation: [1.1, 0.7, 0.6] }], { title: "No browser" });

before(() => {
  process.env.CHROMIUM_PATH = MISSING;
});

after(async () => {
  await closeRenderer();
  if (saved === undefined) delete process.env.CHROMIUM_PATH;
  else process.env.CHROMIUM_PATH = saved;
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

test("findBrowser names CHROMIUM_PATH and how to install a browser", () => {
  assert.throws(
    () => findBrowser(),
    (err: unknown) =>
      err instanceof BrowserNotFoundError &&
      err.message.includes(MISSING) &&
      err.message.includes("npm run setup") &&
      err.message.includes("CHROMIUM_PATH"),
  );
});

test("PNG export fails with the install hint; the HTML is written first and whole; no partial files", async () => {
  await assert.rejects(saveFigure(fig, "nobrowser", ["png", "html"], { dir: tmpDir }), (err: unknown) => {
    assert.ok(err instanceof BrowserNotFoundError, String(err));
    assert.match((err as Error).message, /npm run setup/);
    assert.match((err as Error).message, /CHROMIUM_PATH/);
    return true;
  });
  const files = fs.readdirSync(tmpDir).sort();
  assert.deepEqual(files, ["nobrowser.html"], "only the finished HTML, no PNG and no temporary files");
  const html = fs.readFileSync(path.join(tmpDir, "nobrowser.html"), "utf8");
  assert.ok(html.startsWith("<!DOCTYPE html>") && html.trimEnd().endsWith("</html>"), "complete HTML");
  assert.ok(html.includes("Plotly.newPlot"));
  assert.equal(rendererInfo().launches, 0, "no browser was started");
});

test("SVG export and direct rendering fail the same way; an existing PNG is left untouched", async () => {
  const existing = path.join(tmpDir, "keep.png");
  fs.writeFileSync(existing, "old");
  await assert.rejects(saveFigure(fig, "keep", ["png"], { dir: tmpDir }), BrowserNotFoundError);
  assert.equal(fs.readFileSync(existing, "utf8"), "old");
  await assert.rejects(saveFigure(fig, "vector", ["svg"], { dir: tmpDir }), /npm run setup/);
  await assert.rejects(renderFigurePng(fig), BrowserNotFoundError);
  assert.ok(!fs.existsSync(path.join(tmpDir, "vector.svg")));
  assert.ok(fs.readdirSync(tmpDir).every((f) => !f.includes(".tmp")));
});
