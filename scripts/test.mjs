// `npm test`: type-checks the project, checks its formatting, then runs every test/**/*.test.ts with Node's test runner (through tsx).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

console.log("== typecheck (tsc --noEmit, strict) ==");
const tsc = run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.json"]);
if (tsc !== 0) {
  console.error("typecheck failed");
  process.exit(tsc);
}

console.log("== format (prettier --check; `npx prettier --write .` fixes it) ==");
const fmt = run(process.execPath, [join(root, "node_modules/prettier/bin/prettier.cjs"), "--check", "--log-level", "warn", "."]);
if (fmt !== 0) {
  console.error("format check failed: run `npx prettier --write .`");
  process.exit(fmt);
}

let files = findTests(join(root, "test")).sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(" ")}`);
  process.exit(1);
}
console.log(`== ${files.length} test files ==`);
const status = run(process.execPath, [
  "--import",
  "tsx",
  "--test",
  "--test-reporter=spec",
  "--test-concurrency=1",
  ...files.map((f) => relative(root, f)),
]);
process.exit(status);
