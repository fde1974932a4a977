// Tests for the shared render service: a kernel-like process renders through another process's browser (real Chromium, real HTTP), gets the same image as its own browser would draw, and falls back to its own browser when the service is gone.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, ChildProcess } from "child_process";
import * as http from "http";
import * as path from "path";
import { trainingCurves } from "../../src/viz/figures";
import { RENDER_SERVICE_ENV, closeRenderer, rendererInfo, renderFigurePng, renderFigureSvg } from "../../src/viz/export";
import { parseRenderRequest } from "../../src/viz/render-service";
import { decodePng } from "./figures-fixtures.test";

const root = path.resolve(__dirname, "..", "..");
let server: ChildProcess | null = null;
let serviceUrl: string | null = null;

/** The render service of a separate Node process (as `npm run reproduce` starts one), started once: its address. */
async function service(): Promise<string> {
  if (serviceUrl === null) serviceUrl = await startServiceProcess();
  return serviceUrl;
}

function startServiceProcess(): Promise<string> {
  const script =
    'const { startRenderService } = require("./src/viz/render-service");' +
    'const { closeRenderer } = require("./src/viz/export");' +
    "startRenderService().then((s) => { console.log(s.url); setInterval(() => {}, 1 << 30); });" +
    // Playwright handles SIGTERM once a browser runs (it closes the browser but does not exit): exit after it.
    'process.on("SIGTERM", () => closeRenderer().then(() => process.exit(0)));';
  server = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    server!.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve(line.trim());
    });
    server!.on("exit", (code) => reject(new Error(`render service exited with ${code}`)));
  });
}

function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function figure() {
  return trainingCurves(
    [
      { name: "train", train: [1, 0.8, 0.7, 0.65], validation: [1.1, 0.9, 0.85, 0.86] },
      { name: "other", train: [1.2, 0.9, 0.75, 0.7] },
    ],
    { title: "Rendered elsewhere" },
  );
}

after(async () => {
  delete process.env[RENDER_SERVICE_ENV];
  server?.kill();
  await closeRenderer();
});

describe("render service", () => {
  test("another process renders this one's PNG and SVG: the same pixels as its own browser, and no browser starts here", async () => {
    const url = await service();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/render$/);
    process.env[RENDER_SERVICE_ENV] = url;
    const launches = rendererInfo().launches;
    const remote = await renderFigurePng(figure(), { width: 500, height: 300, scale: 2 });
    const svg = await renderFigureSvg(figure(), { width: 500, height: 300 });
    assert.equal(rendererInfo().launches, launches, "no browser of this process was started");
    assert.ok(svg.startsWith("<svg") && svg.includes("Rendered elsewhere"), svg.slice(0, 80));
    delete process.env[RENDER_SERVICE_ENV];
    const local = await renderFigurePng(figure(), { width: 500, height: 300, scale: 2 });
    assert.equal(rendererInfo().launches, launches + 1, "rendered here once the service is not named");
    const a = decodePng(remote);
    const b = decodePng(local);
    assert.deepEqual([a.width, a.height], [1000, 600]);
    assert.deepEqual([a.width, a.height, a.distinctPixels, a.nonWhiteShare], [b.width, b.height, b.distinctPixels, b.nonWhiteShare]);
  });

  test("bad requests are refused with the field named; other paths are not found", async () => {
    const url = await service();
    const good = { figure: figure(), format: "png", width: 200, height: 100, scale: 1 };
    const gif = await post(url, JSON.stringify({ ...good, format: "gif" }));
    assert.equal(gif.status, 400);
    assert.match(gif.text, /"format" must be one of png, jpeg, webp, svg, got "gif"/);
    assert.equal((await post(url, "{not json")).status, 400);
    const wrong = await post(url.replace(/[0-9a-f]{32}/, "0".repeat(32)), JSON.stringify(good));
    assert.equal(wrong.status, 404, "a guessed path gets nothing");
    assert.throws(() => parseRenderRequest(JSON.stringify({ ...good, width: 0 })), /"width" must be a whole number of pixels/);
    // A bad address in the environment is named, not rendered around.
    process.env[RENDER_SERVICE_ENV] = "localhost:1234";
    await assert.rejects(
      renderFigurePng(figure()),
      /MOVIELENS_LAB_RENDER_SERVICE must be a render service's http:\/\/ address, got "localhost:1234"/,
    );
    delete process.env[RENDER_SERVICE_ENV];
    assert.throws(() => parseRenderRequest(JSON.stringify({ ...good, figure: { layout: {} } })), /"figure" must be a Plotly figure/);
  });

  test("a service that is gone: the render falls back to this process's browser, once noted", async () => {
    const url = await service();
    const exited = new Promise((resolve) => server!.once("exit", resolve));
    server!.kill();
    await exited;
    server = null;
    process.env[RENDER_SERVICE_ENV] = url;
    const png = decodePng(await renderFigurePng(figure(), { width: 300, height: 200, scale: 1 }));
    assert.deepEqual([png.width, png.height], [300, 200]);
    assert.ok(png.nonWhiteShare > 0.01);
  });
});
