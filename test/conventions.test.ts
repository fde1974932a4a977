// Project conventions that keep the lab working in tslab and readable: header comments, file-path imports in src/, no dynamic imports.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");

function files(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (exts.some((x) => e.name.endsWith(x))) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** A source file's text without its comment lines (so commented-out imports do not count). */
function codeWithoutComments(file: string): string {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
    .join("\n");
}

test("every source file opens with a one-line comment saying what it is for", () => {
  const all = ["src", "scripts", "bench", "test", ".ci"].flatMap((d) =>
    files(path.join(root, d), [".ts", ".mjs", ".cjs", ".py", ".sh", "run"]),
  );
  assert.ok(all.length > 50);
  const bad = all.filter((f) => {
    const first =
      fs
        .readFileSync(f, "utf8")
        .split("\n")
        .find((l) => !l.startsWith("#!")) ?? "";
    return !/^(\/\/ |# |""")\S/.test(first);
  });
  assert.deepEqual(
    bad.map((f) => path.relative(root, f)),
    [],
  );
});

test("src/ imports name files, not folders (tslab resolves local imports only as files)", () => {
  const bad: string[] = [];
  for (const f of files(path.join(root, "src"), [".ts"])) {
    const code = codeWithoutComments(f);
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]*)"/g)) {
      if (!fs.existsSync(path.resolve(path.dirname(f), m[1]) + ".ts")) bad.push(`${path.relative(root, f)}: "${m[1]}"`);
    }
  }
  assert.deepEqual(bad, []);
});

test("src/ has no dynamic import() (under tsx it would load a second copy of a module)", () => {
  const bad = files(path.join(root, "src"), [".ts"]).filter((f) => /\bawait import\(/.test(fs.readFileSync(f, "utf8")));
  assert.deepEqual(
    bad.map((f) => path.relative(root, f)),
    [],
  );
});

test("notebooks import the library only through its front door, compiled (./lib is src/index.ts built by scripts/build-lib.cjs)", () => {
  for (const f of files(path.join(root, "notebooks"), [".ipynb"])) {
    const nb = JSON.parse(fs.readFileSync(f, "utf8")) as { cells: { cell_type: string; source: string[] }[] };
    for (const c of nb.cells.filter((x) => x.cell_type === "code")) {
      for (const m of c.source.join("").matchAll(/from\s+"(\.[^"]*)"/g)) {
        assert.equal(m[1], "./lib", `${path.basename(f)} imports "${m[1]}"`);
      }
    }
  }
});

test("no src/ file is named like a Node built-in module (tslab would load it instead of the built-in: src/data/http.ts once recursed forever)", () => {
  const builtins = new Set(require("node:module").builtinModules as string[]);
  const bad = files(path.join(root, "src"), [".ts"]).filter((f) => builtins.has(path.basename(f, ".ts")));
  assert.deepEqual(
    bad.map((f) => path.relative(root, f)),
    [],
  );
});

/** Every relative import of each src/ file, resolved to a path relative to the repo root. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files(path.join(root, "src"), [".ts"])) {
    const code = codeWithoutComments(f);
    const deps: string[] = [];
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]*)"|require\("(\.{1,2}\/[^"]*)"\)/g)) {
      deps.push(path.relative(root, path.resolve(path.dirname(f), m[1] ?? m[2]) + ".ts"));
    }
    graph.set(path.relative(root, f), deps);
  }
  return graph;
}

/**
 * The layers, bottom to top (README, "Layout"). Imports go down or sideways only: data → models → training →
 * evaluation → recommend → experiments → viz, with the shared helpers below everything and the facade and the front
 * door on top.
 */
const LAYERS: [string, RegExp][] = [
  ["shared", /^src\/(util\/|backend\.ts$|params\.ts$)/],
  ["data", /^src\/data\//],
  ["models", /^src\/models\//],
  ["training", /^src\/training\//],
  ["evaluation", /^src\/evaluation\//],
  ["recommend", /^src\/recommend\//],
  ["experiments", /^src\/experiments\//],
  ["viz", /^src\/viz\//],
  ["front", /^src\/(recommender|index)\.ts$/],
];

function layerOf(file: string): number {
  const i = LAYERS.findIndex(([, re]) => re.test(file));
  if (i < 0) throw new Error(`${file} belongs to no layer: add it to LAYERS and to the README's layout`);
  return i;
}

test("imports only go down the layers (data → models → training → evaluation → recommend → experiments → viz)", () => {
  const bad: string[] = [];
  for (const [file, deps] of importGraph()) {
    for (const dep of deps) {
      if (layerOf(dep) > layerOf(file)) bad.push(`${file} (${LAYERS[layerOf(file)][0]}) imports ${dep} (${LAYERS[layerOf(dep)][0]})`);
    }
  }
  assert.deepEqual(bad, []);
});

test("src/ has no import cycles", () => {
  const graph = importGraph();
  const state = new Map<string, "active" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "active") {
      cycles.push([...trail.slice(trail.indexOf(file)), file].join(" → "));
      return;
    }
    state.set(file, "active");
    for (const dep of graph.get(file) ?? []) visit(dep, [...trail, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test("the front door is curated, and it holds every lab.<name> a notebook uses", () => {
  const lab = require("../src/index") as Record<string, unknown>;
  const values = Object.keys(lab);
  assert.ok(values.length <= 80, `src/index.ts exports ${values.length} values; keep the front door small (namespaces hold the rest)`);
  for (const ns of ["data", "models", "training", "evaluation", "recommend", "experiments", "figures", "projection"]) {
    assert.equal(typeof lab[ns], "object", `namespace lab.${ns}`);
  }
  const indexSource = fs.readFileSync(path.join(root, "src", "index.ts"), "utf8");
  const missing: string[] = [];
  for (const f of files(path.join(root, "notebooks"), [".ipynb"])) {
    const nb = JSON.parse(fs.readFileSync(f, "utf8")) as { cells: { cell_type: string; source: string[] }[] };
    for (const c of nb.cells.filter((x) => x.cell_type === "code")) {
      for (const m of c.source.join("").matchAll(/\blab\.([A-Za-z_]\w*)/g)) {
        const isType = new RegExp(`export type \\{[^}]*\\b${m[1]}\\b`).test(indexSource);
        if (!(m[1] in lab) && !isType) missing.push(`${path.basename(f)}: lab.${m[1]}`);
      }
    }
  }
  assert.deepEqual([...new Set(missing)], []);
});
