// Tests scripts/build-lib.cjs, which compiles src/ into the lib/ notebooks import: rebuilds only on change, one builder at a time, type errors shown on import.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repo = path.resolve(__dirname, "..");
const builder = path.join(repo, "scripts", "build-lib.cjs");
const { ensureLibrary } = require(builder) as { ensureLibrary: (o: { root: string }) => string };

/** A two-file project with the repo's tsconfig files and node_modules (for tsc and @types/node). */
function project(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "build-lib-"));
  fs.mkdirSync(path.join(root, "src", "util"), { recursive: true });
  fs.writeFileSync(path.join(root, "src", "util", "twice.ts"), "export function twice(x: number): number {\n  return 2 * x;\n}\n");
  fs.writeFileSync(path.join(root, "src", "index.ts"), 'import { twice } from "./util/twice";\nexport const answer: number = twice(21);\n');
  for (const f of ["tsconfig.json", "tsconfig.lib.json"]) fs.copyFileSync(path.join(repo, f), path.join(root, f));
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(root, "node_modules"), "dir");
  return root;
}

function load(root: string): { answer: number } {
  const file = path.join(root, "lib", "index.js");
  for (const k of Object.keys(require.cache)) if (k.startsWith(path.join(root, "lib"))) delete require.cache[k];
  return require(file) as { answer: number };
}

test("lib/ is built once, rebuilt when a source changes, and a type error is thrown by the import with its file and line", () => {
  const root = project();
  try {
    assert.equal(ensureLibrary({ root }), "built");
    assert.equal(load(root).answer, 42);
    assert.ok(fs.existsSync(path.join(root, "lib", "index.d.ts")), "types for tslab");
    assert.equal(ensureLibrary({ root }), "up to date");

    fs.writeFileSync(path.join(root, "src", "util", "twice.ts"), "export function twice(x: number): number {\n  return 3 * x;\n}\n");
    assert.equal(ensureLibrary({ root }), "built");
    assert.equal(load(root).answer, 63);

    fs.writeFileSync(
      path.join(root, "src", "index.ts"),
      'import { twice } from "./util/twice";\nexport const answer: string = twice(21);\n',
    );
    assert.equal(ensureLibrary({ root }), "built with type errors");
    assert.throws(
      () => load(root),
      (e: Error) => /does not compile/.test(e.message) && /src[/\\]index\.ts\(2,14\): error TS2322/.test(e.message),
    );
    // Not marked fresh: the next start tries again, and a fix is picked up.
    fs.writeFileSync(
      path.join(root, "src", "index.ts"),
      'import { twice } from "./util/twice";\nexport const answer: number = twice(2);\n',
    );
    assert.equal(ensureLibrary({ root }), "built");
    assert.equal(load(root).answer, 6);
    assert.deepEqual(
      fs.readdirSync(root).filter((f) => f.startsWith("lib.")),
      [],
      "no lock or temporary folder is left behind",
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("two kernels starting together on a stale lib/ build it once: the second waits for the lock and finds it fresh", async () => {
  const root = project();
  try {
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const code = `process.stdout.write(require(${JSON.stringify(builder)}).ensureLibrary({ root: ${JSON.stringify(root)} }))`;
        const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("error", reject);
        child.on("exit", (status) => (status === 0 ? resolve(out) : reject(new Error(`exit ${status}`))));
      });
    const results = await Promise.all([run(), run()]);
    assert.deepEqual(results.sort(), ["built", "up to date"]);
    assert.equal(load(root).answer, 42);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("the types a notebook loads with `./lib` leave out Playwright's (1.9 MB of declarations; about 0.1 s of every kernel's first cell)", () => {
  const ts = require("typescript") as typeof import("typescript");
  // What tslab's compiler sees: the built library's declarations and everything they import.
  ensureLibrary({ root: repo });
  const program = ts.createProgram([path.join(repo, "lib", "index.d.ts")], {
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
  });
  const files = program.getSourceFiles().map((f) => f.fileName);
  assert.ok(
    files.some((f) => f.includes("/node_modules/@tensorflow/tfjs-core/")),
    "the program reaches the library's real imports",
  );
  const playwright = files.filter((f) => f.includes("/node_modules/playwright-core/"));
  assert.deepEqual(playwright, [], "src/viz/launch.ts is the one module that names Playwright's types, and index.ts does not reach it");
});
