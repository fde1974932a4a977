// Builds lib/ (the library compiled to JavaScript with .d.ts types) from src/ when src/ changed, so notebooks load it ready-made.
//
// Why: tslab type-checks and emits every TypeScript file a notebook imports, in every kernel. Importing src/ cost each
// notebook about 10 s before its first line ran (131 files checked and emitted with declarations); importing lib/, tslab
// reads only the .d.ts files (skipLibCheck) and the first cell compiles in about 1.5 s.
//
// Used by scripts/kernel.cjs (every kernel start), scripts/setup.mjs (npm start / test / reproduce) and `node
// scripts/build-lib.cjs`. lib/ is never edited by hand and never committed: src/ is the source.
//   - Fresh or stale: a fingerprint of src/ and the tsconfig files (each file's path, size and modification time) is
//     kept in lib/.fingerprint; any edit, added or removed file, or checkout changes it.
//   - Atomic: the build goes to a temporary folder that replaces lib/ by rename, so no reader sees half a build.
//   - One builder at a time: two kernels starting together take turns on a lock folder (lib.lock); the second finds
//     lib/ fresh and goes on. A lock left by a killed build is taken over after LOCK_STALE_MS.
//   - Type errors: the rest of lib/ is built, but lib/index.js throws them (file, line and message), so the notebook's
//     import cell shows what to fix instead of running stale or broken code. The fingerprint is not written, so the
//     next kernel start tries again.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const { spawnSync } = require("node:child_process");

/** A lock older than this is from a build that died; a full build takes about 8 s on a 2-core machine. */
const LOCK_STALE_MS = 5 * 60 * 1000;
const FINGERPRINT = ".fingerprint";

/** Every file whose change calls for a rebuild, sorted, relative to root. */
function inputs(root) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) out.push(path.relative(root, p));
    }
  };
  walk(path.join(root, "src"));
  for (const f of ["tsconfig.json", "tsconfig.lib.json"]) if (fs.existsSync(path.join(root, f))) out.push(f);
  return out.sort();
}

/** A hash of each input's path, size and modification time (cheap: no file is read). */
function fingerprint(root) {
  const h = crypto.createHash("sha256");
  for (const f of inputs(root)) {
    const s = fs.statSync(path.join(root, f));
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest("hex");
}

function readFingerprint(lib) {
  try {
    return fs.readFileSync(path.join(lib, FINGERPRINT), "utf8");
  } catch {
    return "";
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Takes the lock folder (mkdir is atomic); waits for another builder, or takes over a stale lock. */
function lock(lockDir) {
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      return;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
    }
    let age = 0;
    try {
      age = Date.now() - fs.statSync(lockDir).mtimeMs;
    } catch {
      continue; // released between the two calls
    }
    if (age > LOCK_STALE_MS) fs.rmSync(lockDir, { recursive: true, force: true });
    else sleep(200);
  }
}

/** lib/index.js when src/ does not compile: importing the library fails with tsc's messages. */
function failingIndex(messages) {
  const text = `The library in src/ does not compile, so lib/ (what notebooks import) was not updated:\n\n${messages}\n\nFix these errors, then restart the kernel (or run \`node scripts/build-lib.cjs\`).`;
  return `// Written by scripts/build-lib.cjs because src/ did not compile.\nthrow new Error(${JSON.stringify(text)});\n`;
}

/**
 * Makes lib/ current with src/. Returns what it did: "up to date", "built" or "built with type errors".
 * @param {{ root: string, log?: (line: string) => void }} options
 */
function ensureLibrary({ root, log = () => {} }) {
  const lib = path.join(root, "lib");
  if (readFingerprint(lib) === fingerprint(root)) return "up to date";
  const lockDir = path.join(root, "lib.lock");
  lock(lockDir);
  try {
    const want = fingerprint(root);
    if (readFingerprint(lib) === want) return "up to date"; // another process built it while this one waited
    const tmp = path.join(root, `lib.tmp-${process.pid}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    const started = Date.now();
    log("src/ changed since lib/ was built: compiling it (about 8 s)");
    const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
    const r = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.lib.json"), "--outDir", tmp, "--pretty", "false"], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    if (r.error) throw new Error(`tsc could not be started: ${r.error.message}`);
    const messages = `${r.stdout}${r.stderr}`.trim();
    if (!fs.existsSync(path.join(tmp, "index.js"))) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new Error(`tsc -p tsconfig.lib.json wrote no lib/index.js (exit code ${r.status}):\n${messages}`);
    }
    const ok = r.status === 0;
    if (ok) fs.writeFileSync(path.join(tmp, FINGERPRINT), want);
    else fs.writeFileSync(path.join(tmp, "index.js"), failingIndex(messages));
    const old = path.join(root, `lib.old-${process.pid}`);
    if (fs.existsSync(lib)) fs.renameSync(lib, old);
    fs.renameSync(tmp, lib);
    fs.rmSync(old, { recursive: true, force: true });
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    log(ok ? `lib/ built in ${secs} s` : `src/ has type errors; lib/index.js reports them:\n${messages}`);
    return ok ? "built" : "built with type errors";
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

module.exports = { ensureLibrary };

if (require.main === module) {
  const result = ensureLibrary({ root: path.resolve(__dirname, ".."), log: (l) => console.error(`[build-lib] ${l}`) });
  console.log(`lib/: ${result}`);
  process.exit(result === "built with type errors" ? 1 : 0);
}
