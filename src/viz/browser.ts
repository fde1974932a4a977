// Finds the headless browser that renders figures, in a fixed order, and says which one it chose and why.
//
// Order (the first that exists wins):
//   1. CHROMIUM_PATH (when set it must point at an executable: a wrong path is an error, never silently skipped);
//   2. an installed Chrome, Chromium or Edge at the usual places on Linux, macOS and Windows;
//   3. Playwright's own browser cache (PLAYWRIGHT_BROWSERS_PATH or the per-OS default), newest revision first;
//   4. the lab's own copy, unpacked by set-up from a registry package into the lab cache (scripts/provide-browser.ts).
// Nothing here downloads or installs: set-up does that (`npm run setup`), and this module only looks.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Chromium flags for rendering: headless, sandbox-less (containers), no GPU, and no background network traffic. */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where a chosen browser came from, in the order they are tried. */
export type BrowserSource = "CHROMIUM_PATH" | "installed" | "playwright-cache" | "lab-cache";

/** The browser to render with, where it came from, and the environment it needs. */
export interface BrowserChoice {
  readonly executable: string;
  readonly source: BrowserSource;
  /** One line saying why this browser was chosen. */
  readonly reason: string;
  /** Extra environment variables the browser needs (the lab's own copy: its fonts and, where needed, its libraries). */
  readonly env: Readonly<Record<string, string>>;
}

/** What a search looked at, for error messages. */
export interface BrowserSearch {
  readonly choice: BrowserChoice | null;
  /** Every place looked at, in order. */
  readonly tried: readonly string[];
  /** Set when CHROMIUM_PATH is set but not an executable file (then nothing else is tried). */
  readonly badEnvPath?: string;
}

/** The marker set-up writes into a finished copy of the lab's own browser (see scripts/provide-browser.ts). */
export interface LabBrowserManifest {
  /** Executable, relative to the folder holding the manifest. */
  readonly executable: string;
  /** Where it came from, e.g. "@sparticuz/chromium@153.0.0". */
  readonly package: string;
  readonly version: string;
  /** Folders (relative) to put on LD_LIBRARY_PATH; empty when the system libraries suffice. */
  readonly libraryPath: readonly string[];
  /** fontconfig file (relative) that adds the bundled fonts to the system's. */
  readonly fontconfigFile: string | null;
}

/** The manifest file name inside a lab-cache browser folder. */
export const LAB_BROWSER_MANIFEST = "READY.json";

/** The lab's download cache: MOVIELENS_LAB_CACHE, else `$XDG_CACHE_HOME/movielens-embedding-lab` or `~/.cache/...`. */
export function labCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOVIELENS_LAB_CACHE) return path.resolve(env.MOVIELENS_LAB_CACHE);
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "movielens-embedding-lab");
}

/** The folder under the lab cache that holds the lab's own browsers (one sub-folder per package version). */
export function labBrowsersDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(labCacheDir(env), "browsers");
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (process.platform === "win32") return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The usual install locations of Chrome, Chromium and Edge on `platform`, most specific first. */
export function installedBrowserCandidates(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] {
  if (platform === "darwin") {
    const apps = [
      "Google Chrome.app/Contents/MacOS/Google Chrome",
      "Chromium.app/Contents/MacOS/Chromium",
      "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
      "Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary",
    ];
    const roots = ["/Applications", path.join(env.HOME || os.homedir(), "Applications")];
    return roots.flatMap((r) => apps.map((a) => path.join(r, a)));
  }
  if (platform === "win32") {
    const roots = [env.PROGRAMFILES, env["PROGRAMFILES(X86)"], env.LOCALAPPDATA].filter((r): r is string => Boolean(r));
    const rel = [
      "Google\\Chrome\\Application\\chrome.exe",
      "Chromium\\Application\\chrome.exe",
      "Microsoft\\Edge\\Application\\msedge.exe",
    ];
    return roots.flatMap((r) => rel.map((x) => path.win32.join(r, x)));
  }
  return [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/usr/bin/microsoft-edge",
    "/usr/bin/microsoft-edge-stable",
    "/snap/bin/chromium",
    "/opt/google/chrome/chrome",
    "/opt/microsoft/msedge/msedge",
  ];
}

/** Playwright's browser cache folder on `platform` (PLAYWRIGHT_BROWSERS_PATH wins; "0" means inside node_modules). */
export function playwrightCacheDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  const set = env.PLAYWRIGHT_BROWSERS_PATH;
  if (set && set !== "0") return path.resolve(set);
  if (set === "0") return path.join(path.dirname(require.resolve("playwright-core/package.json")), ".local-browsers");
  const home = env.HOME || os.homedir();
  if (platform === "darwin") return path.join(home, "Library", "Caches", "ms-playwright");
  if (platform === "win32") return path.join(env.LOCALAPPDATA || path.join(home, "AppData", "Local"), "ms-playwright");
  return path.join(env.XDG_CACHE_HOME || path.join(home, ".cache"), "ms-playwright");
}

/** Executables inside one Playwright browser folder (headless shell first, then full Chromium), per OS layout. */
function playwrightExecutables(folder: string, platform: NodeJS.Platform): string[] {
  if (platform === "darwin") {
    return [
      "chrome-headless-shell-mac-arm64/chrome-headless-shell",
      "chrome-headless-shell-mac-x64/chrome-headless-shell",
      "chrome-mac/headless_shell",
      "chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
      "chrome-mac-x64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
      "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
    ].map((r) => path.join(folder, r));
  }
  if (platform === "win32") {
    return [
      "chrome-headless-shell-win64/chrome-headless-shell.exe",
      "chrome-win/headless_shell.exe",
      "chrome-win64/chrome.exe",
      "chrome-win/chrome.exe",
    ].map((r) => path.join(folder, r));
  }
  return [
    "chrome-headless-shell-linux64/chrome-headless-shell",
    "chrome-headless-shell-linux-arm64/chrome-headless-shell",
    "chrome-linux/headless_shell",
    "chrome-linux64/chrome",
    "chrome-linux/chrome",
  ].map((r) => path.join(folder, r));
}

/** Browser executables in Playwright's cache, headless shells before full builds, newest revision first. */
export function playwrightCacheCandidates(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = playwrightCacheDir(platform, env);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const revision = (name: string): number => Number(name.slice(name.lastIndexOf("-") + 1)) || 0;
  const kind = (name: string): number => (name.startsWith("chromium_headless_shell-") ? 0 : name.startsWith("chromium-") ? 1 : 2);
  return entries
    .filter((n) => kind(n) < 2)
    .sort((a, b) => kind(a) - kind(b) || revision(b) - revision(a))
    .flatMap((n) => playwrightExecutables(path.join(dir, n), platform));
}

/** Reads the lab's own browsers from the lab cache, newest version first (only finished, complete copies). */
export function labCacheBrowsers(env: NodeJS.ProcessEnv = process.env): { dir: string; manifest: LabBrowserManifest }[] {
  const dir = labBrowsersDir(env);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: { dir: string; manifest: LabBrowserManifest }[] = [];
  for (const name of entries) {
    const folder = path.join(dir, name);
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(folder, LAB_BROWSER_MANIFEST), "utf8")) as LabBrowserManifest;
      if (typeof manifest.executable === "string") out.push({ dir: folder, manifest });
    } catch {
      // Not a finished copy (set-up writes the manifest last).
    }
  }
  const major = (v: string): number => Number(v.split(".")[0]) || 0;
  return out.sort((a, b) => major(b.manifest.version) - major(a.manifest.version));
}

/** The environment a lab-cache browser needs: its fontconfig file and, where set-up found it necessary, its libraries. */
function labBrowserEnv(dir: string, manifest: LabBrowserManifest, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (manifest.fontconfigFile) out.FONTCONFIG_FILE = path.join(dir, manifest.fontconfigFile);
  if (manifest.libraryPath.length > 0) {
    out.LD_LIBRARY_PATH = [
      ...manifest.libraryPath.map((p) => path.join(dir, p)),
      ...(env.LD_LIBRARY_PATH ? [env.LD_LIBRARY_PATH] : []),
    ].join(path.delimiter);
  }
  return out;
}

/** Options for {@link searchBrowser}. */
export interface BrowserSearchOptions {
  /** The installed-browser paths to try (default: {@link installedBrowserCandidates} for the platform). */
  readonly installed?: readonly string[];
}

/** Looks for a browser in the documented order and reports what it looked at. Never throws, never installs. */
export function searchBrowser(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  options: BrowserSearchOptions = {},
): BrowserSearch {
  const tried: string[] = [];
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (isExecutableFile(fromEnv)) {
      return { choice: { executable: fromEnv, source: "CHROMIUM_PATH", reason: "CHROMIUM_PATH is set", env: {} }, tried: [fromEnv] };
    }
    return { choice: null, tried: [fromEnv], badEnvPath: fromEnv };
  }
  for (const candidate of options.installed ?? installedBrowserCandidates(platform, env)) {
    tried.push(candidate);
    if (isExecutableFile(candidate)) {
      return {
        choice: {
          executable: candidate,
          source: "installed",
          reason: `an installed browser at a usual place (CHROMIUM_PATH is unset)`,
          env: {},
        },
        tried,
      };
    }
  }
  const pwDir = playwrightCacheDir(platform, env);
  tried.push(`${pwDir} (Playwright's cache)`);
  for (const candidate of playwrightCacheCandidates(platform, env)) {
    if (isExecutableFile(candidate)) {
      return {
        choice: {
          executable: candidate,
          source: "playwright-cache",
          reason: `no installed Chrome, Chromium or Edge; found in Playwright's cache ${pwDir}`,
          env: {},
        },
        tried,
      };
    }
  }
  const labDir = labBrowsersDir(env);
  tried.push(`${labDir} (the lab's own copy from set-up)`);
  for (const { dir, manifest } of labCacheBrowsers(env)) {
    const executable = path.join(dir, manifest.executable);
    if (isExecutableFile(executable)) {
      return {
        choice: {
          executable,
          source: "lab-cache",
          reason: `no installed browser and none in Playwright's cache; the lab's copy of ${manifest.package} unpacked by set-up`,
          env: labBrowserEnv(dir, manifest, env),
        },
        tried,
      };
    }
  }
  return { choice: null, tried };
}

/** One line naming the chosen browser, its source and why (what set-up and the notebooks print). */
export function describeBrowser(choice: BrowserChoice): string {
  return `${choice.executable} (${choice.source}: ${choice.reason})`;
}
