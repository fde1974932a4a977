// Prepares everything the lab needs, idempotently: npm packages, the native TensorFlow backend, the .venv with JupyterLab, and the tslab kernel.
// Run by `npm start` and `npm test` (as their pre-scripts) and by `npm run setup`. It uses only Node's standard library,
// because it runs before node_modules exists.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { nodeFloorProblem } from "./node-floor.mjs";
import { cacheRoot, duBytes, installRuntime, prepareRuntime } from "./provision-tensorflow.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const nm = path.join(root, "node_modules");
const tfjsNodeDir = path.join(nm, "@tensorflow", "tfjs-node");
const venv = path.join(root, ".venv");
const venvPython = path.join(venv, "bin", "python");
const npmCmd = process.platform === "win32" ? "npm.cmd" : "npm";
const quiet = process.argv.includes("--quiet");
const t0 = Date.now();
const timings = [];

function log(msg) {
  console.log(`[setup] ${msg}`);
}

function hashFiles(...files) {
  const h = createHash("sha256");
  for (const f of files) if (fs.existsSync(f)) h.update(fs.readFileSync(f));
  return h.digest("hex");
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.error) throw new Error(`${cmd} could not be started: ${r.error.message}`);
  return r.status ?? 1;
}

function mustSh(cmd, args, opts) {
  const status = sh(cmd, args, opts);
  if (status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${status}`);
}

/** Runs a chatty command with its output captured; prints the output only if it fails. */
function mustShQuiet(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`${cmd} could not be started: ${r.error.message}`);
  if (r.status !== 0) {
    const noise = /^(WARNING: Location|Looking in)/;
    const out = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => l.trim() && !noise.test(l));
    throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${r.status}:\n${out.slice(-40).join("\n")}`);
  }
}

async function step(name, fn) {
  const s = Date.now();
  const result = await fn();
  const secs = (Date.now() - s) / 1000;
  timings.push([name, secs, result]);
  if (!quiet || result !== "up to date") log(`${name}: ${result ?? "done"} (${secs.toFixed(1)} s)`);
}

/** Packages whose install scripts must run, other than tfjs-node (handled on its own). */
function packagesWithInstallScripts() {
  const found = new Set();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith(".")) continue;
      const p = path.join(dir, e.name);
      if (e.name.startsWith("@")) {
        walk(p);
        continue;
      }
      const pj = path.join(p, "package.json");
      if (fs.existsSync(pj)) {
        const j = JSON.parse(fs.readFileSync(pj, "utf8"));
        const s = j.scripts || {};
        const gyp = fs.existsSync(path.join(p, "binding.gyp"));
        if ((s.preinstall || s.install || s.postinstall || gyp) && j.name !== "@tensorflow/tfjs-node") found.add(j.name);
      }
      const inner = path.join(p, "node_modules");
      if (fs.existsSync(inner)) walk(inner);
    }
  };
  walk(nm);
  return [...found].sort();
}

async function npmPackages() {
  const stampFile = path.join(nm, ".lab-setup-npm");
  const want = hashFiles(path.join(root, "package.json"), path.join(root, "package-lock.json"));
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === want) return "up to date";
  // Install scripts are run separately below: tfjs-node's downloads libtensorflow, which fails without internet
  // and would make npm roll the whole install back.
  const fresh = !fs.existsSync(nm) && fs.existsSync(path.join(root, "package-lock.json"));
  mustSh(npmCmd, [fresh ? "ci" : "install", "--ignore-scripts", "--no-audit", "--no-fund"]);
  const pkgs = packagesWithInstallScripts();
  if (pkgs.length) mustSh(npmCmd, ["rebuild", "--foreground-scripts", ...pkgs]);
  fs.writeFileSync(stampFile, want);
  return `installed (${pkgs.length} install scripts run: ${pkgs.join(", ")})`;
}

function nativeLoads() {
  const r = spawnSync(process.execPath, ["-e", "require('@tensorflow/tfjs-node')"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" },
  });
  return { ok: r.status === 0, err: (r.stderr || "").trim().split("\n").slice(-3).join("\n") };
}

async function nativeBackend() {
  if (nativeLoads().ok) return "up to date";
  const source = process.env.MOVIELENS_LAB_TF_SOURCE || "auto"; // auto | official | pypi
  if (source !== "pypi") {
    log("building @tensorflow/tfjs-node the official way (downloads libtensorflow from Google)");
    const status = sh(npmCmd, ["rebuild", "@tensorflow/tfjs-node", "--foreground-scripts"], {
      stdio: ["ignore", "ignore", "ignore"],
    });
    if (status === 0 && nativeLoads().ok) return "official libtensorflow download";
    if (source === "official") throw new Error("the official tfjs-node install failed (MOVIELENS_LAB_TF_SOURCE=official)");
    log("the official download is not reachable; provisioning TensorFlow's C runtime from PyPI instead");
  }
  const runtime = prepareRuntime(log);
  installRuntime(runtime, tfjsNodeDir);
  log("compiling the tfjs-node binding against it (node-gyp)");
  const status = sh(npmCmd, ["rebuild", "@tensorflow/tfjs-node", "--foreground-scripts"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const check = nativeLoads();
  if (status !== 0 || !check.ok) throw new Error(`the tfjs-node binding did not build or load:\n${check.err}`);
  const mb = (duBytes(path.join(tfjsNodeDir, "deps")) / 1e6).toFixed(0);
  return `built from PyPI tensorflow-cpu (deps ${mb} MB, hard-linked from ${runtime} where possible)`;
}

async function pythonEnv() {
  const req = path.join(root, "requirements.txt");
  const stampFile = path.join(venv, ".lab-requirements");
  const translator = path.join(root, "scripts", "papermill_tslab");
  const want = hashFiles(req, path.join(translator, "pyproject.toml"), path.join(translator, "papermill_tslab.py"));
  if (fs.existsSync(venvPython) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === want) {
    return "up to date";
  }
  if (!fs.existsSync(venvPython)) {
    const py = process.env.PYTHON || "python3";
    mustSh(py, ["-m", "venv", venv]);
  }
  log("installing JupyterLab and nbclient into .venv (pinned in requirements.txt)");
  mustShQuiet(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", "-r", req]);
  // papermill's translator for our TypeScript notebooks (`papermill -p epochs 10` works with the tslab kernel).
  mustShQuiet(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", "--no-deps", translator]);
  fs.writeFileSync(stampFile, want);
  return "installed requirements.txt into .venv";
}

async function kernel() {
  const spec = path.join(venv, "share", "jupyter", "kernels", "tslab", "kernel.json");
  const want = {
    argv: [process.execPath, path.join(root, "scripts", "kernel.cjs"), "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
  };
  if (fs.existsSync(spec) && JSON.stringify(JSON.parse(fs.readFileSync(spec, "utf8"))) === JSON.stringify(want)) return "up to date";
  // tslab's installer writes the spec folder (with its logos) into .venv; our kernel.json then starts it from the project root.
  mustSh(process.execPath, [path.join(nm, "tslab", "bin", "tslab"), "install", "--python", venvPython, "--sys-prefix"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (!fs.existsSync(spec)) throw new Error(`tslab install did not write ${spec}`);
  fs.writeFileSync(spec, JSON.stringify(want));
  return `registered the TypeScript kernel in .venv (${path.relative(root, spec)})`;
}

/** lib/: src/ compiled, which notebooks import (scripts/build-lib.cjs; the kernel also rebuilds it when src/ changed). */
async function library() {
  const { ensureLibrary } = createRequire(import.meta.url)("./build-lib.cjs");
  const result = ensureLibrary({ root, log });
  if (result === "built with type errors") throw new Error("src/ does not compile (tsc's messages are above)");
  return result;
}

/** The headless browser for figure export and the browser tests (scripts/provide-browser.ts; never fatal unless required). */
async function headlessBrowser() {
  const stampFile = path.join(nm, ".lab-setup-browser");
  const stampWant = JSON.stringify({ CHROMIUM_PATH: process.env.CHROMIUM_PATH || "" });
  // Fast path: the browser set-up found last time is still there (the library searches again at run time anyway).
  if (fs.existsSync(stampFile)) {
    try {
      const stamp = JSON.parse(fs.readFileSync(stampFile, "utf8"));
      if (JSON.stringify({ CHROMIUM_PATH: stamp.CHROMIUM_PATH }) === stampWant && fs.existsSync(stamp.executable)) return "up to date";
    } catch {
      // A stamp from an older set-up: search again.
    }
  }
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts", "provide-browser.ts"), "--json-stamp", stampFile], {
    cwd: root,
    stdio: "inherit",
  });
  if (r.error) throw new Error(`scripts/provide-browser.ts could not be started: ${r.error.message}`);
  if (r.status !== 0) throw new Error("no headless browser (MOVIELENS_LAB_REQUIRE_BROWSER=1)");
  return fs.existsSync(stampFile) ? "ready" : "none (figures degrade to HTML + JSON)";
}

const floor = nodeFloorProblem(process.versions.node, JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).engines.node);
if (floor) {
  console.error(`[setup] FAILED: ${floor}`);
  process.exit(1);
}

try {
  await step("npm packages", npmPackages);
  await step("headless browser", headlessBrowser);
  try {
    await step("native TensorFlow backend", nativeBackend);
  } catch (err) {
    console.warn(`[setup] WARNING: the native TensorFlow backend is not available: ${err.message}`);
    console.warn("[setup] The lab falls back to the pure-JS CPU backend (slower). See README, 'Troubleshooting'.");
    if (process.env.MOVIELENS_LAB_REQUIRE_NATIVE === "1") process.exit(1);
  }
  await step("Python + JupyterLab (.venv)", pythonEnv);
  await step("TypeScript kernel (tslab)", kernel);
  await step("library for notebooks (lib/, compiled from src/)", library);
  const total = (Date.now() - t0) / 1000;
  if (!quiet || timings.some(([, , r]) => r !== "up to date")) log(`ready in ${total.toFixed(1)} s (cache: ${cacheRoot()})`);
} catch (err) {
  console.error(`[setup] FAILED: ${err.message}`);
  process.exit(1);
}
