// Tests set-up's Node.js floor check: package.json's "engines" is what the code needs, and an older Node fails with a clear message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { nodeFloorProblem, parseVersion } from "../scripts/node-floor.mjs";

const root = path.resolve(__dirname, "..");
const engines = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;

test("the floor in package.json is 20.15.0: zlib.crc32, which verifies unzipped datasets, exists from there on", () => {
  assert.equal(engines, ">=20.15.0");
  assert.equal(typeof (zlib as unknown as { crc32?: unknown }).crc32, "function", "this Node has zlib.crc32");
  assert.equal(nodeFloorProblem(process.versions.node, engines), null, "the running Node passes");
});

test("older Nodes fail with a message naming both versions and what to do; newer ones pass", () => {
  for (const old of ["20.14.0", "v20.0.0", "18.20.4", "20.14.99"]) {
    const msg = nodeFloorProblem(old, engines);
    assert.ok(msg, `${old} must fail`);
    assert.match(msg!, new RegExp(`Node\\.js ${parseVersion(old).join("\\.")} is too old`));
    assert.match(msg!, /needs Node\.js 20\.15\.0 or newer/);
    assert.match(msg!, /zlib\.crc32/);
  }
  for (const ok of ["20.15.0", "20.20.2", "22.0.0", "v24.1.3"]) assert.equal(nodeFloorProblem(ok, engines), null, ok);
  assert.throws(() => nodeFloorProblem("20.15.0", "^20"), /engines\.node must be ">=X\.Y\.Z"/);
  assert.throws(() => parseVersion("twenty"), /not a Node\.js version/);
});

test("set-up stops at once, before installing anything, when the running Node is below the floor", () => {
  // The real set-up script in a scratch copy of the project whose floor is above any Node that exists.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-floor-"));
  try {
    fs.mkdirSync(path.join(dir, "scripts"));
    for (const f of ["setup.mjs", "node-floor.mjs", "provision-tensorflow.mjs"])
      fs.copyFileSync(path.join(root, "scripts", f), path.join(dir, "scripts", f));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "x", engines: { node: ">=99.0.0" } }));
    const r = spawnSync(process.execPath, [path.join(dir, "scripts", "setup.mjs")], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `\\[setup\\] FAILED: Node\\.js ${process.versions.node.replace(/\./g, "\\.")} is too old: this project needs Node\\.js 99\\.0\\.0 or newer`,
      ),
    );
    assert.deepEqual(fs.readdirSync(dir).sort(), ["package.json", "scripts"], "nothing was installed");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
