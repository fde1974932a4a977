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
    const code = fs
      .readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
      .join("\n");
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

test("notebooks import the library through ./src/ files", () => {
  for (const f of files(path.join(root, "notebooks"), [".ipynb"])) {
    const nb = JSON.parse(fs.readFileSync(f, "utf8")) as { cells: { cell_type: string; source: string[] }[] };
    for (const c of nb.cells.filter((x) => x.cell_type === "code")) {
      for (const m of c.source.join("").matchAll(/from\s+"(\.[^"]*)"/g)) {
        assert.ok(m[1].startsWith("./src/") && fs.existsSync(path.join(root, m[1]) + ".ts"), `${path.basename(f)} imports "${m[1]}"`);
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
