// Provides @tensorflow/tfjs-node with a TensorFlow C runtime taken from PyPI's tensorflow-cpu wheel, for machines that cannot reach Google's libtensorflow download.
//
// How it works (Linux x86_64 only):
//  1. `pip download` the pinned tensorflow-cpu 2.9.1 wheel (the version tfjs-node 4.22 is built against), verified by SHA-256.
//  2. Take from it libtensorflow_framework.so.2, python/_pywrap_tensorflow_internal.so (which exports the TF_* and TFE_*
//     C API in 2.9.x) and the C API headers; strip debug sections to save ~100 MB.
//  3. The pywrap library references CPython symbols (Py*). They are never called through the C API, but the dynamic
//     loader must resolve them, so a tiny stub library (libtfjs_pystub.so) defines each one as a function that aborts
//     with a clear message.
//  4. deps/lib/libtensorflow.so(.2.9.1) is a GNU ld linker script naming the pywrap library and the stub, so that
//     tfjs-node's unchanged binding.gyp (`-ltensorflow -ltensorflow_framework`) links against them.
// The prepared runtime lives in a user cache folder, so a second setup (or a fresh clone) does not download again.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const TF_VERSION = "2.9.1";
const WHEEL = {
  name: "tensorflow-cpu",
  version: TF_VERSION,
  file: "tensorflow_cpu-2.9.1-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  sha256: "6666ddeae45e1f41da788cb4bdea3435aba16edb0bc17b7ac00631c7c9eb052e",
};
const RUNTIME_NAME = `libtensorflow-${TF_VERSION}-pypi-cp310-v1`;

/** The cache folder for downloaded and prepared artefacts. */
export function cacheRoot() {
  if (process.env.MOVIELENS_LAB_CACHE) return path.resolve(process.env.MOVIELENS_LAB_CACHE);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "movielens-embedding-lab");
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  if (r.error) throw new Error(`${cmd} could not be started: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${(r.stderr || "").slice(-4000)}${(r.stdout || "").slice(-2000)}`,
    );
  }
  return r.stdout;
}

function which(cmd) {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

function sha256File(file) {
  const h = createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.allocUnsafe(1 << 22);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

function findPython() {
  for (const p of [process.env.PYTHON, "python3", "python"]) {
    if (!p) continue;
    const r = spawnSync(p, ["-m", "pip", "--version"], { encoding: "utf8" });
    if (r.status === 0) return p;
  }
  throw new Error("provisioning TensorFlow from PyPI needs Python 3 with pip (python3 -m pip); none was found");
}

/** Downloads and verifies the wheel into `dir`, returning its path. */
function downloadWheel(dir, log) {
  const py = findPython();
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, WHEEL.file);
  if (fs.existsSync(target) && sha256File(target) === WHEEL.sha256) return target;
  fs.rmSync(target, { force: true });
  const req = path.join(dir, "requirements-tf.txt");
  fs.writeFileSync(req, `${WHEEL.name}==${WHEEL.version} --hash=sha256:${WHEEL.sha256}\n`);
  log(`downloading ${WHEEL.file} (207 MB) from PyPI with pip (hash-checked)`);
  run(py, [
    "-m",
    "pip",
    "download",
    "--no-deps",
    "--only-binary=:all:",
    "--python-version",
    "3.10",
    "--platform",
    "manylinux2014_x86_64",
    "--implementation",
    "cp",
    "--require-hashes",
    "-r",
    req,
    "-d",
    dir,
    "--progress-bar",
    "off",
    "--disable-pip-version-check",
  ]);
  const got = sha256File(target);
  if (got !== WHEEL.sha256) {
    fs.rmSync(target, { force: true });
    throw new Error(`checksum mismatch for ${WHEEL.file}: expected ${WHEEL.sha256}, got ${got}`);
  }
  return target;
}

/** Extracts what tfjs-node needs from the wheel into `stage/{lib,include}` (Python's zipfile, always present with pip). */
function extractWheel(wheel, stage, py) {
  const script = `
import sys, zipfile, os, shutil
whl, stage = sys.argv[1], sys.argv[2]
want_lib = {"tensorflow/libtensorflow_framework.so.2": "libtensorflow_framework.so.2",
            "tensorflow/python/_pywrap_tensorflow_internal.so": "_pywrap_tensorflow_internal.so"}
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        n = info.filename
        if n in want_lib:
            dst = os.path.join(stage, "lib", want_lib[n])
        elif n.startswith("tensorflow/include/tensorflow/c/") and n.endswith(".h"):
            dst = os.path.join(stage, "include", n[len("tensorflow/include/"):])
        elif n.startswith("tensorflow/include/tensorflow/core/platform/ctstring") and n.endswith(".h"):
            dst = os.path.join(stage, "include", n[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(info) as src, open(dst, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 22)
        os.chmod(dst, 0o755 if dst.endswith((".so", ".so.2")) else 0o644)
for f in want_lib.values():
    if not os.path.exists(os.path.join(stage, "lib", f)):
        sys.exit("missing in wheel: " + f)
`;
  run(py, ["-c", script, wheel, stage]);
}

/** Writes and compiles the stub that satisfies the pywrap library's CPython references. */
function buildPyStub(libDir) {
  const pywrap = path.join(libDir, "_pywrap_tensorflow_internal.so");
  const syms = run("readelf", ["--dyn-syms", "-W", pywrap])
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[6] === "UND")
    .map((f) => f[7].replace(/@.*$/, ""))
    .filter((s) => /^_?Py/.test(s));
  const unique = [...new Set(syms)].sort();
  if (unique.length === 0) throw new Error("no CPython symbols found in the pywrap library; the wheel layout changed");
  const lines = [
    "/* Generated by scripts/provision-tensorflow.mjs: CPython symbols referenced by TensorFlow's pywrap library. */",
    "#include <stdio.h>",
    "#include <stdlib.h>",
    "static void fail(const char *name) {",
    '  fprintf(stderr, "movielens-embedding-lab: TensorFlow called the CPython function %s, which does not exist in Node.js. ' +
      'Rebuild the native backend with a libtensorflow download (see README).\\n", name);',
    "  abort();",
    "}",
    ...unique.map((s) => `void ${s}(void) { fail("${s}"); }`),
    "",
  ];
  const src = path.join(libDir, "tfjs_pystub.c");
  fs.writeFileSync(src, lines.join("\n"));
  const cc = which("cc") || which("gcc");
  if (!cc) throw new Error("a C compiler (cc/gcc) is needed to build the native backend; install build-essential");
  run(cc, ["-shared", "-fPIC", "-O1", "-o", path.join(libDir, "libtfjs_pystub.so"), "-Wl,-soname,libtfjs_pystub.so", src]);
  fs.rmSync(src);
  return unique.length;
}

/** Prepares (or reuses) the cached runtime folder and returns its path. */
export function prepareRuntime(log = console.log) {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`the PyPI TensorFlow runtime is only prepared on Linux x86_64 (this is ${process.platform}/${process.arch})`);
  }
  const root = cacheRoot();
  const runtime = path.join(root, RUNTIME_NAME);
  if (fs.existsSync(path.join(runtime, "READY.json"))) {
    log(`using cached TensorFlow runtime ${runtime}`);
    return runtime;
  }
  const py = findPython();
  const dlDir = path.join(root, "downloads");
  const wheel = downloadWheel(dlDir, log);
  const stage = fs.mkdtempSync(path.join(root, `.${RUNTIME_NAME}.`));
  try {
    log("extracting libtensorflow and the C API headers from the wheel");
    extractWheel(wheel, stage, py);
    const lib = path.join(stage, "lib");
    if (which("strip")) {
      for (const f of ["_pywrap_tensorflow_internal.so", "libtensorflow_framework.so.2"]) {
        run("strip", ["--strip-unneeded", path.join(lib, f)]);
      }
    }
    const nStub = buildPyStub(lib);
    const script =
      "/* GNU ld script: tfjs-node links -ltensorflow; TensorFlow's C API lives in the pywrap library. */\n" +
      "INPUT(-l:_pywrap_tensorflow_internal.so -l:libtfjs_pystub.so)\n";
    fs.writeFileSync(path.join(lib, "libtensorflow.so"), script);
    fs.writeFileSync(path.join(lib, `libtensorflow.so.${TF_VERSION}`), script);
    fs.symlinkSync("libtensorflow_framework.so.2", path.join(lib, "libtensorflow_framework.so"));
    fs.symlinkSync("libtensorflow_framework.so.2", path.join(lib, `libtensorflow_framework.so.${TF_VERSION}`));
    fs.writeFileSync(
      path.join(stage, "READY.json"),
      JSON.stringify(
        {
          wheel: WHEEL,
          stubbedPythonSymbols: nStub,
          preparedAt: new Date().toISOString(),
        },
        null,
        2,
      ),
    );
    fs.rmSync(runtime, { recursive: true, force: true });
    fs.renameSync(stage, runtime);
  } catch (err) {
    fs.rmSync(stage, { recursive: true, force: true });
    throw err;
  }
  // The wheel is no longer needed once the runtime is prepared.
  fs.rmSync(path.join(dlDir, WHEEL.file), { force: true });
  return runtime;
}

function copyTree(src, dst) {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    fs.rmSync(d, { recursive: true, force: true });
    if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(s), d);
    else if (e.isDirectory()) copyTree(s, d);
    else {
      try {
        fs.linkSync(s, d); // hard link: no extra disk when the cache is on the same file system
      } catch {
        fs.copyFileSync(s, d);
      }
    }
  }
}

/** Installs the prepared runtime into `<tfjsNodeDir>/deps`, where tfjs-node's install script and binding look. */
export function installRuntime(runtime, tfjsNodeDir) {
  const deps = path.join(tfjsNodeDir, "deps");
  fs.rmSync(deps, { recursive: true, force: true });
  copyTree(path.join(runtime, "lib"), path.join(deps, "lib"));
  copyTree(path.join(runtime, "include"), path.join(deps, "include"));
}

/** Bytes under `dir` (files only, hard links counted once per path). */
export function duBytes(dir) {
  let total = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += duBytes(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}
