// Set-up step: makes sure a headless browser exists for figure export and the browser tests, without root; says which and why.
//
// It first looks (src/viz/browser.ts: CHROMIUM_PATH, installed Chrome/Chromium/Edge, Playwright's cache, the lab's
// own copy). Only if nothing is found does it install, in this order:
//   - online: Playwright's own installer for its headless shell (into Playwright's cache);
//   - offline, on Linux x64: the headless Chromium shipped inside the npm package @sparticuz/chromium, fetched
//     with `npm pack` from the npm registry, checked against a pinned SHA-512, and unpacked into the lab cache.
// MOVIELENS_LAB_BROWSER_SOURCE=auto|playwright|package|none picks one route (none: install nothing).
// Run as `node --import tsx scripts/provide-browser.ts [--quiet] [--json-stamp FILE]` (set-up passes a stamp file it
// reads next time to skip the search); exits 0 with a warning when no browser could be had
// (figures then degrade to HTML), or 1 under MOVIELENS_LAB_REQUIRE_BROWSER=1.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import {
  LAB_BROWSER_MANIFEST,
  describeBrowser,
  labBrowsersDir,
  labCacheDir,
  searchBrowser,
  type BrowserChoice,
  type LabBrowserManifest,
} from "../src/viz/browser";

/** The registry package that carries a headless Chromium for Linux x64, pinned with its registry SHA-512. */
export const BROWSER_PACKAGE = {
  name: "@sparticuz/chromium",
  version: "153.0.0",
  integrity: "sha512-jiGWqSvPMdu4+P9TilYqAR7yEGPEHINx+lCvE/NqNO/EHYzF/x1hUiI5T6ioVIt7dEy7n88byyT0vk+dnsgQwA==",
} as const;

const root = path.resolve(__dirname, "..");
const npmCmd = process.platform === "win32" ? "npm.cmd" : "npm";

function log(message: string): void {
  console.log(`[setup] ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------
// A minimal, safe tar reader (ustar + GNU long names): regular files and folders only, nothing may leave `dest`.

/** One entry of a tar archive. */
export interface TarEntry {
  readonly name: string;
  readonly type: "file" | "dir";
  readonly mode: number;
  readonly data: Buffer;
}

function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString("utf8", start, end === -1 || end > start + length ? start + length : end);
}

function octal(buf: Buffer, start: number, length: number, where: string): number {
  const text = cString(buf, start, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`${where}: bad octal field ${JSON.stringify(text)}`);
  return text === "" ? 0 : parseInt(text, 8);
}

/** Parses a tar archive held in memory. `where` names it in errors. */
export function readTar(tar: Buffer, where: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  let ended = false;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) {
      ended = true;
      break;
    }
    const size = octal(header, 124, 12, where);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = header.toString("latin1", 257, 262) === "ustar" ? cString(header, 345, 155) : "";
    const base = cString(header, 0, 100);
    const name = longName ?? (prefix ? `${prefix}/${base}` : base);
    const data = tar.subarray(offset + 512, offset + 512 + size);
    if (data.length !== size) throw new Error(`${where}: entry ${name} is truncated (${data.length} of ${size} bytes)`);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = cString(data, 0, data.length);
      continue;
    }
    longName = null;
    if (type === "x" || type === "g") continue; // pax headers: this reader keeps ustar names
    if (type === "0" || type === "5") {
      entries.push({ name, type: type === "5" ? "dir" : "file", mode: octal(header, 100, 8, where), data });
    } else {
      throw new Error(`${where}: entry ${name} has type ${JSON.stringify(type)}; only files and folders are unpacked`);
    }
  }
  if (!ended) throw new Error(`${where}: the archive ends after ${entries.length} entries without its end marker (truncated)`);
  return entries;
}

/** Writes tar entries under `dest`, refusing any entry whose path is absolute or leaves `dest`. */
export function extractTar(entries: readonly TarEntry[], dest: string, where: string): void {
  const base = path.resolve(dest);
  for (const e of entries) {
    const target = path.resolve(base, e.name);
    if (path.isAbsolute(e.name) || (target !== base && !target.startsWith(base + path.sep))) {
      throw new Error(`${where}: entry ${JSON.stringify(e.name)} would be written outside ${dest}`);
    }
    if (e.type === "dir") fs.mkdirSync(target, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, e.data, { mode: e.mode & 0o755 });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The offline route: a headless Chromium from a registry package

/** SRI string ("sha512-<base64>") of some bytes. */
function sriOf(bytes: Buffer): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

/**
 * Downloads the pinned package tarball with `npm pack` (npm's registry, proxy and cache settings apply), checks its
 * checksum and returns its path and bytes (read once: the tarball is about 67 MB).
 */
function fetchPackageTarball(downloads: string): { file: string; bytes: Buffer } {
  fs.mkdirSync(downloads, { recursive: true });
  const spec = `${BROWSER_PACKAGE.name}@${BROWSER_PACKAGE.version}`;
  const r = spawnSync(npmCmd, ["pack", spec, "--pack-destination", downloads, "--json", "--silent"], {
    cwd: downloads,
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0)
    throw new Error(`npm pack ${spec} failed (exit ${r.status}): ${(r.stderr || r.stdout || "").trim().split("\n").slice(-3).join(" ")}`);
  const info = JSON.parse(r.stdout) as { filename: string }[];
  const file = path.join(downloads, path.basename(info[0].filename));
  const bytes = fs.readFileSync(file);
  const got = sriOf(bytes);
  if (got !== BROWSER_PACKAGE.integrity) {
    fs.rmSync(file, { force: true });
    throw new Error(`${spec}: checksum mismatch for ${file} (expected ${BROWSER_PACKAGE.integrity}, got ${got}); the file was deleted`);
  }
  return { file, bytes };
}

/** Whether `executable --version` runs, with `env`; returns the version line or the error text. */
function runsVersion(executable: string, env: NodeJS.ProcessEnv): { ok: boolean; text: string } {
  const r = spawnSync(executable, ["--version"], { encoding: "utf8", env, timeout: 60_000 });
  const text = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] ?? "";
  return { ok: r.status === 0 && /\d+\.\d+/.test(text), text: text || String(r.error ?? `exit ${r.status}`) };
}

/**
 * Unpacks the pinned package's headless Chromium into `<lab cache>/browsers/<package>-<version>/` and writes the
 * manifest src/viz/browser.ts reads. Works in a temporary sibling folder and renames it into place at the end, so
 * a half-finished copy is never found. Returns the folder.
 */
export async function unpackPackageBrowser(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`${BROWSER_PACKAGE.name} carries a Linux x64 browser only; this is ${process.platform} ${process.arch}`);
  }
  const browsers = labBrowsersDir(env);
  const final = path.join(browsers, `sparticuz-chromium-${BROWSER_PACKAGE.version}`);
  if (fs.existsSync(path.join(final, LAB_BROWSER_MANIFEST))) return final;
  const { file: tarball, bytes } = fetchPackageTarball(path.join(labCacheDir(env), "downloads"));
  const work = `${final}.tmp-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  try {
    const pkg = readTar(zlib.gunzipSync(bytes), tarball);
    const member = (rel: string): Buffer => {
      const e = pkg.find((x) => x.name === `package/bin/${rel}`);
      if (!e) throw new Error(`${tarball}: package/bin/${rel} is missing`);
      return e.data;
    };
    // The browser itself: one brotli-compressed executable (~210 MB unpacked), streamed to disk.
    const exe = path.join(work, "chromium");
    await pipeline(
      Readable.from([member("chromium.br")]),
      zlib.createBrotliDecompress({ chunkSize: 1 << 21 }),
      fs.createWriteStream(exe, { mode: 0o755 }),
    );
    fs.chmodSync(exe, 0o755);
    // SwiftShader (software WebGL, beside the executable), bundled fonts, and the NSS libraries for systems without them.
    extractTar(readTar(zlib.brotliDecompressSync(member("swiftshader.tar.br")), "swiftshader.tar.br"), work, "swiftshader.tar.br");
    extractTar(
      readTar(zlib.brotliDecompressSync(member("fonts.tar.br")), "fonts.tar.br"),
      path.join(work, "bundled-fonts"),
      "fonts.tar.br",
    );
    extractTar(readTar(zlib.brotliDecompressSync(member("al2023.tar.br")), "al2023.tar.br"), work, "al2023.tar.br");
    // A fontconfig file: the system's fonts when there is a fontconfig set-up, plus the bundled ones.
    const fontsConf = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
      "<fontconfig>",
      '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
      `  <dir>${path.join(final, "bundled-fonts", "fonts")}</dir>`,
      `  <cachedir>${path.join(final, "fontconfig-cache")}</cachedir>`,
      "</fontconfig>",
      "",
    ].join("\n");
    fs.writeFileSync(path.join(work, "fonts.conf"), fontsConf);
    // Use the bundled libraries only if the system's are missing.
    let libraryPath: string[] = [];
    const plain = runsVersion(exe, env);
    if (!plain.ok) {
      libraryPath = ["lib"];
      const withLibs = runsVersion(exe, {
        ...env,
        LD_LIBRARY_PATH: [path.join(work, "lib"), env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      });
      if (!withLibs.ok)
        throw new Error(`the unpacked browser does not start: ${plain.text} / with its bundled libraries: ${withLibs.text}`);
    }
    const manifest: LabBrowserManifest = {
      executable: "chromium",
      package: `${BROWSER_PACKAGE.name}@${BROWSER_PACKAGE.version}`,
      version: runsVersion(exe, libraryPath.length ? { ...env, LD_LIBRARY_PATH: path.join(work, "lib") } : env).text.replace(/^\D*/, ""),
      libraryPath,
      fontconfigFile: "fonts.conf",
    };
    fs.writeFileSync(path.join(work, LAB_BROWSER_MANIFEST), JSON.stringify(manifest, null, 2));
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(work, final);
    return final;
  } catch (err) {
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The online route: Playwright's installer

/** Runs Playwright's installer for its headless shell; returns null on success or the reason it failed. */
export function installWithPlaywright(env: NodeJS.ProcessEnv = process.env): string | null {
  const cli = path.join(path.dirname(require.resolve("playwright-core/package.json")), "cli.js");
  const r = spawnSync(process.execPath, [cli, "install", "--only-shell", "chromium"], {
    cwd: root,
    encoding: "utf8",
    env,
    timeout: 10 * 60_000,
  });
  if (r.status === 0) return null;
  const lines = `${r.stderr ?? ""}\n${r.stdout ?? ""}`
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /^Error:/.test(l)) ?? lines.slice(-1)[0] ?? `exit ${r.status}`;
}

// ---------------------------------------------------------------------------------------------------------------

/** The route(s) MOVIELENS_LAB_BROWSER_SOURCE allows. */
type Route = "playwright" | "package";

function routes(env: NodeJS.ProcessEnv): Route[] {
  const source = (env.MOVIELENS_LAB_BROWSER_SOURCE || "auto").toLowerCase();
  if (source === "none") return [];
  if (source === "playwright" || source === "package") return [source];
  if (source !== "auto")
    throw new Error(`MOVIELENS_LAB_BROWSER_SOURCE must be auto, playwright, package or none, got ${JSON.stringify(source)}`);
  return ["playwright", "package"];
}

/** Finds or installs a browser; returns the choice, or null with the reasons each route failed. */
export async function provideBrowser(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ choice: BrowserChoice | null; installed: string | null; failures: string[] }> {
  const found = searchBrowser(env);
  if (found.choice || found.badEnvPath !== undefined)
    return {
      choice: found.choice,
      installed: null,
      failures: found.badEnvPath ? [`CHROMIUM_PATH=${found.badEnvPath} is not an executable file`] : [],
    };
  const failures: string[] = [];
  for (const route of routes(env)) {
    if (route === "playwright") {
      log("no headless browser found; trying Playwright's installer for its headless shell (needs internet access)");
      const why = installWithPlaywright(env);
      if (why === null) {
        const choice = searchBrowser(env).choice;
        if (choice) return { choice, installed: "Playwright's installer", failures };
        failures.push("Playwright's installer finished, but its browser was not found where expected");
      } else failures.push(`Playwright's installer: ${why}`);
    } else {
      log(
        `unpacking the headless Chromium of ${BROWSER_PACKAGE.name}@${BROWSER_PACKAGE.version} from the npm registry into ${labBrowsersDir(env)}`,
      );
      try {
        await unpackPackageBrowser(env);
        const choice = searchBrowser(env).choice;
        if (choice) return { choice, installed: `${BROWSER_PACKAGE.name}@${BROWSER_PACKAGE.version}`, failures };
        failures.push(`${BROWSER_PACKAGE.name}: unpacked, but not found afterwards`);
      } catch (err) {
        failures.push(`${BROWSER_PACKAGE.name}: ${(err as Error).message}`);
      }
    }
  }
  return { choice: null, installed: null, failures };
}

async function main(): Promise<void> {
  const quiet = process.argv.includes("--quiet");
  const t0 = Date.now();
  const result = await provideBrowser();
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const stampAt = process.argv.indexOf("--json-stamp");
  const stampFile = stampAt > 0 ? process.argv[stampAt + 1] : undefined;
  if (stampFile) fs.rmSync(stampFile, { force: true });
  if (result.choice) {
    if (stampFile)
      fs.writeFileSync(
        stampFile,
        JSON.stringify({
          CHROMIUM_PATH: process.env.CHROMIUM_PATH || "",
          executable: result.choice.executable,
          source: result.choice.source,
        }),
      );
    const how = result.installed ? `installed with ${result.installed}` : "found";
    if (!quiet || result.installed) log(`headless browser: ${how}: ${describeBrowser(result.choice)} (${secs} s)`);
    return;
  }
  const why = result.failures.length ? result.failures.join("; ") : "MOVIELENS_LAB_BROWSER_SOURCE=none";
  console.warn(`[setup] WARNING: no headless browser: ${why}.`);
  console.warn(
    "[setup] Figures still show live in JupyterLab and save as HTML + JSON; PNG/SVG export needs a browser (README, 'Troubleshooting').",
  );
  if (process.env.MOVIELENS_LAB_REQUIRE_BROWSER === "1") process.exit(1);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`[setup] FAILED to provide a headless browser: ${(err as Error).message}`);
    process.exit(process.env.MOVIELENS_LAB_REQUIRE_BROWSER === "1" ? 1 : 0);
  });
}
