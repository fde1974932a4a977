// Tests the headless-browser choice (order, reasons, the lab's own copy) and set-up's offline route that unpacks a registry package's Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  installedBrowserCandidates,
  labBrowsersDir,
  playwrightCacheCandidates,
  playwrightCacheDir,
  searchBrowser,
  LAB_BROWSER_MANIFEST,
} from "../../src/viz/browser";
import { chooseBrowser, BrowserNotFoundError } from "../../src/viz/export";
import { launchBrowser } from "../../src/viz/launch";
import { extractTar, readTar, unpackPackageBrowser, BROWSER_PACKAGE } from "../../scripts/provide-browser";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "browser-choice-"));

function fakeExecutable(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "#!/bin/sh\necho 'Chromium 1.2.3'\n", { mode: 0o755 });
  return file;
}

/** An environment that sees only what a test puts into `dir` (its own caches, no CHROMIUM_PATH). */
function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  return {
    HOME: dir,
    XDG_CACHE_HOME: path.join(dir, "cache"),
    PLAYWRIGHT_BROWSERS_PATH: path.join(dir, "pw"),
    MOVIELENS_LAB_CACHE: path.join(dir, "lab"),
  };
}

test("CHROMIUM_PATH wins; a wrong CHROMIUM_PATH is reported, never silently skipped", () => {
  const dir = path.join(tmp, "env");
  const exe = fakeExecutable(path.join(dir, "my-chrome"));
  const installed = fakeExecutable(path.join(dir, "installed-chrome"));
  const found = searchBrowser({ ...isolatedEnv(dir), CHROMIUM_PATH: exe }, "linux", { installed: [installed] });
  assert.equal(found.choice?.executable, exe);
  assert.equal(found.choice?.source, "CHROMIUM_PATH");
  const bad = searchBrowser({ ...isolatedEnv(dir), CHROMIUM_PATH: path.join(dir, "missing") }, "linux", { installed: [installed] });
  assert.equal(bad.choice, null);
  assert.equal(bad.badEnvPath, path.join(dir, "missing"));
  assert.throws(
    () => chooseBrowser({ ...isolatedEnv(dir), CHROMIUM_PATH: path.join(dir, "missing") }),
    (err: unknown) => {
      assert.ok(err instanceof BrowserNotFoundError);
      assert.match((err as Error).message, /CHROMIUM_PATH=.*missing is not an executable file/);
      assert.match((err as Error).message, /npm run setup/);
      return true;
    },
  );
});

test("order: installed browser, then Playwright's cache (headless shell, newest revision), then the lab's own copy", () => {
  const dir = path.join(tmp, "order");
  const env = isolatedEnv(dir);
  const lab = path.join(labBrowsersDir(env), "sparticuz-chromium-153.0.0");
  fakeExecutable(path.join(lab, "chromium"));
  // Without its manifest the lab copy is unfinished and never chosen.
  assert.equal(searchBrowser(env, "linux", { installed: [] }).choice, null);
  fs.writeFileSync(
    path.join(lab, LAB_BROWSER_MANIFEST),
    JSON.stringify({ executable: "chromium", package: "p@1", version: "153.0", libraryPath: ["lib"], fontconfigFile: "fonts.conf" }),
  );
  const fromLab = searchBrowser(env, "linux", { installed: [] }).choice!;
  assert.equal(fromLab.source, "lab-cache");
  assert.equal(fromLab.executable, path.join(lab, "chromium"));
  assert.equal(fromLab.env.FONTCONFIG_FILE, path.join(lab, "fonts.conf"));
  assert.equal(fromLab.env.LD_LIBRARY_PATH, path.join(lab, "lib"));
  assert.match(fromLab.reason, /no installed browser and none in Playwright's cache/);

  const pw = playwrightCacheDir("linux", env);
  fakeExecutable(path.join(pw, "chromium-1200", "chrome-linux", "chrome"));
  fakeExecutable(path.join(pw, "chromium_headless_shell-1100", "chrome-linux", "headless_shell"));
  fakeExecutable(path.join(pw, "chromium_headless_shell-1255", "chrome-headless-shell-linux64", "chrome-headless-shell"));
  const fromPw = searchBrowser(env, "linux", { installed: [] }).choice!;
  assert.equal(fromPw.source, "playwright-cache");
  assert.equal(fromPw.executable, path.join(pw, "chromium_headless_shell-1255", "chrome-headless-shell-linux64", "chrome-headless-shell"));
  assert.deepEqual(fromPw.env, {});

  const installed = fakeExecutable(path.join(dir, "usr", "bin", "chromium"));
  const fromInstalled = searchBrowser(env, "linux", { installed: [path.join(dir, "nope"), installed] });
  assert.equal(fromInstalled.choice?.source, "installed");
  assert.equal(fromInstalled.choice?.executable, installed);
  assert.deepEqual(fromInstalled.tried, [path.join(dir, "nope"), installed]);
});

test("usual install places on Linux, macOS and Windows, and Playwright's cache per OS", () => {
  assert.ok(installedBrowserCandidates("linux").includes("/usr/bin/chromium"));
  assert.ok(installedBrowserCandidates("linux").includes("/usr/bin/google-chrome"));
  const mac = installedBrowserCandidates("darwin", { HOME: "/Users/u" });
  assert.ok(mac.includes("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"));
  assert.ok(mac.includes("/Users/u/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"));
  const win = installedBrowserCandidates("win32", {
    PROGRAMFILES: "C:\\Program Files",
    "PROGRAMFILES(X86)": "C:\\Program Files (x86)",
    LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local",
  });
  assert.ok(win.includes("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"));
  assert.ok(win.includes("C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"));
  assert.equal(playwrightCacheDir("darwin", { HOME: "/Users/u" }), "/Users/u/Library/Caches/ms-playwright");
  assert.equal(playwrightCacheDir("linux", { HOME: "/home/u" }), "/home/u/.cache/ms-playwright");
  assert.equal(playwrightCacheDir("linux", { HOME: "/home/u", PLAYWRIGHT_BROWSERS_PATH: "/pw" }), "/pw");
  assert.deepEqual(playwrightCacheCandidates("linux", { PLAYWRIGHT_BROWSERS_PATH: path.join(tmp, "none") }), []);
});

test("the tar reader unpacks files and folders and refuses entries that leave the folder", () => {
  const src = path.join(tmp, "tar-src");
  fs.mkdirSync(path.join(src, "fonts"), { recursive: true });
  fs.writeFileSync(path.join(src, "fonts", "a.ttf"), "font bytes");
  fs.writeFileSync(path.join(src, "fonts.conf"), "<fontconfig/>");
  const tarFile = path.join(tmp, "t.tar");
  assert.equal(spawnSync("tar", ["-cf", tarFile, "-C", src, "fonts.conf", "fonts"]).status, 0);
  const entries = readTar(fs.readFileSync(tarFile), tarFile);
  assert.deepEqual(entries.map((e) => `${e.type}:${e.name}`).sort(), ["dir:fonts/", "file:fonts.conf", "file:fonts/a.ttf"]);
  const out = path.join(tmp, "tar-out");
  extractTar(entries, out, tarFile);
  assert.equal(fs.readFileSync(path.join(out, "fonts", "a.ttf"), "utf8"), "font bytes");
  const evil = [{ name: "../escape.txt", type: "file" as const, mode: 0o644, data: Buffer.from("x") }];
  assert.throws(() => extractTar(evil, out, "evil.tar"), /evil\.tar: entry "\.\.\/escape\.txt" would be written outside/);
  assert.ok(!fs.existsSync(path.join(tmp, "escape.txt")));
  const truncated = fs.readFileSync(tarFile).subarray(0, 700);
  assert.throws(() => readTar(truncated, "cut.tar"), /cut\.tar: .*truncated/);
});

test(
  "offline route: set-up unpacks the registry package's Chromium into the lab cache, checksum-verified, and it renders",
  {
    skip: process.platform === "linux" && process.arch === "x64" ? false : `${BROWSER_PACKAGE.name} carries Linux x64 only`,
    timeout: 300_000,
  },
  async () => {
    const dir = path.join(tmp, "offline");
    const env = { ...process.env, ...isolatedEnv(dir) };
    delete env.CHROMIUM_PATH;
    const folder = await unpackPackageBrowser(env);
    assert.equal(path.dirname(folder), labBrowsersDir(env));
    assert.deepEqual(fs.readdirSync(labBrowsersDir(env)), [path.basename(folder)], "no temporary folder left");
    const found = searchBrowser(env, "linux", { installed: [] }).choice!;
    assert.equal(found.source, "lab-cache");
    assert.match(found.reason, /@sparticuz\/chromium@153\.0\.0/);
    const browser = await launchBrowser(found);
    try {
      const page = await browser.newPage({ viewport: { width: 200, height: 100 } });
      await page.setContent(
        '<body style="margin:0;background:#fff"><svg width="200" height="100"><rect x="10" y="10" width="80" height="80" fill="#c00"/><text x="100" y="60" font-size="30">Ab</text></svg></body>',
      );
      const png = await page.screenshot();
      assert.equal(png.subarray(1, 4).toString("latin1"), "PNG");
      const text = await page.evaluate(() => document.querySelector("text")!.getComputedTextLength());
      assert.ok(text > 10, `text was laid out with a real font (width ${text})`);
      const red = await page.evaluate(() => getComputedStyle(document.querySelector("rect")!).fill);
      assert.equal(red, "rgb(204, 0, 0)");
    } finally {
      await browser.close();
    }
  },
);

test("cleanup", () => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
