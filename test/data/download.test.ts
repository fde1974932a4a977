// Tests downloads against a local HTTP server: checksum OK / mismatch / unpinned, interrupted transfer, zip slip, progress.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { after, before, test } from "node:test";
import {
  ChecksumError,
  DataFormatError,
  DataProgress,
  DownloadError,
  PINNED_MD5, PINNED_SHA256,
  UnsafeZipEntryError,
  downloadDataset,
  extractZip,
  loadMl100k,
  readZipDirectory,
  stderrProgressBar,
} from "../../src/data";
import { ZipSpec, buildZip, listTree, tempDir } from "./helpers";

const ITEM = "1|Toy Story (1995)|01-Jan-1995||url|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n2|GoldenEye (1995)|01-Jan-1995||url|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n";
const USER = "1|24|M|technician|85711\n2|53|F|other|94043\n";
const DATA = "1\t1\t5\t874965758\n2\t1\t4\t888550871\n1\t2\t3\t876893171\n";

function fakeMl100k(extra: ZipSpec[] = []): Buffer {
  return buildZip([
    { name: "ml-100k/" },
    { name: "ml-100k/u.data", data: DATA, method: 0 },
    { name: "ml-100k/u.item", data: ITEM },
    { name: "ml-100k/u.user", data: USER },
    ...extra,
  ]);
}

const sha = (b: Buffer): string => crypto.createHash("sha256").update(b).digest("hex");
const good = fakeMl100k();
const zips: Record<string, Buffer> = {
  "/good.zip": good,
  "/slip.zip": fakeMl100k([{ name: "ml-100k/../../evil.txt", data: "pwned" }]),
  "/abs.zip": fakeMl100k([{ name: "/tmp/evil-absolute.txt", data: "pwned" }]),
  "/link.zip": fakeMl100k([{ name: "ml-100k/link", data: "/etc/passwd", mode: 0o120777 }]),
  "/incomplete.zip": buildZip([{ name: "ml-100k/u.data", data: DATA }]),
};
let base = "";
let hits = 0;
const server = http.createServer((req, res) => {
  hits++;
  const url = req.url ?? "";
  if (url === "/redirect") {
    res.writeHead(302, { location: "/good.zip" });
    res.end();
  } else if (url === "/cut.zip") {
    // Promise the whole file, send half, then drop the connection.
    res.writeHead(200, { "content-length": String(good.length) });
    res.write(good.subarray(0, good.length >> 1));
    setTimeout(() => res.socket?.destroy(), 20);
  } else if (zips[url]) {
    res.writeHead(200, { "content-length": String(zips[url].length), "content-type": "application/zip" });
    res.end(zips[url]);
  } else {
    res.writeHead(404);
    res.end();
  }
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test("pinned checksums are either unknown (null) or real SHA-256 hex", () => {
  for (const v of Object.values(PINNED_SHA256)) assert.ok(v === null || /^[0-9a-f]{64}$/.test(v));
});

test("download with a matching checksum: unpacked atomically, loadable, nothing else left", async (t) => {
  const dataDir = tempDir(t);
  const events: DataProgress[] = [];
  const dir = await downloadDataset("ml-100k", { dataDir, url: `${base}/redirect`, sha256: sha(good), onProgress: (p) => events.push(p) });
  assert.equal(dir, path.join(dataDir, "ml-100k"));
  assert.deepEqual(listTree(dataDir), ["ml-100k", "ml-100k/u.data", "ml-100k/u.item", "ml-100k/u.user"]);
  const ds = loadMl100k(dir);
  assert.equal(ds.ratings.length, 3);
  assert.equal(ds.movies.titles[1], "GoldenEye");
  assert.ok(events.some((e) => e.phase === "download" && e.bytes === good.length && e.totalBytes === good.length));
  assert.ok(events.some((e) => e.phase === "unzip"));
  // Already there: no new request.
  const before = hits;
  assert.equal(await downloadDataset("ml-100k", { dataDir, url: `${base}/good.zip`, sha256: "0".repeat(64), progress: false }), dir);
  assert.equal(hits, before);
  // keepArchive keeps the verified zip.
  await downloadDataset("ml-100k", { dataDir, url: `${base}/good.zip`, sha256: sha(good), progress: false, force: true, keepArchive: true });
  assert.deepEqual(fs.readFileSync(path.join(dataDir, "downloads", "ml-100k.zip")), good);
});

test("checksum mismatch: ChecksumError, nothing left behind", async (t) => {
  const dataDir = tempDir(t);
  await assert.rejects(
    downloadDataset("ml-100k", { dataDir, url: `${base}/good.zip`, sha256: "ab".repeat(32), progress: false }),
    (err: unknown) => {
      assert.ok(err instanceof ChecksumError);
      assert.equal(err.file, `${base}/good.zip`);
      assert.match(err.expected, /SHA-256 abab/);
      assert.equal(err.found, sha(good));
      return true;
    },
  );
  assert.deepEqual(listTree(dataDir), []);
});

test("no pinned checksum: refused unless allowUnverified", async (t) => {
  const dataDir = tempDir(t);
  // The real pinned tables (nothing known for ml-32m) are used when no sha256 option is given.
  assert.equal(PINNED_SHA256["ml-32m"], null);
  assert.equal(PINNED_MD5["ml-32m"], null);
  await assert.rejects(downloadDataset("ml-32m", { dataDir, url: `${base}/good.zip`, progress: false }), (err: unknown) => {
    assert.ok(err instanceof ChecksumError);
    assert.ok(err.message.includes(sha(good)), "the computed SHA-256 is shown so it can be checked and pinned");
    assert.match(err.message, /allowUnverified/);
    return true;
  });
  assert.deepEqual(listTree(dataDir), []);
  const stderrWrite = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write; // silence the expected warning
  try {
    // Explicitly unpinned (sha256: null) ml-100k-shaped archive: accepted only with allowUnverified.
    await downloadDataset("ml-100k", { dataDir, url: `${base}/good.zip`, sha256: null, progress: false, allowUnverified: true });
  } finally {
    process.stderr.write = stderrWrite;
  }
  assert.deepEqual(listTree(dataDir), ["ml-100k", "ml-100k/u.data", "ml-100k/u.item", "ml-100k/u.user"]);
});

test("GroupLens's published MD5 is checked when no SHA-256 is pinned", async (t) => {
  const dataDir = tempDir(t);
  assert.equal(PINNED_MD5["ml-100k"], "0e33842e24a9c977be4e0107933c0723");
  await assert.rejects(downloadDataset("ml-100k", { dataDir, url: `${base}/good.zip`, progress: false }), (err: unknown) => {
    assert.ok(err instanceof ChecksumError);
    assert.match(err.message, /MD5 0e33842e24a9c977be4e0107933c0723 \(published by GroupLens\)/);
    return true;
  });
  assert.deepEqual(listTree(dataDir), []);
});

test("interrupted download and HTTP errors: DownloadError, nothing left behind", async (t) => {
  const dataDir = tempDir(t);
  await assert.rejects(downloadDataset("ml-100k", { dataDir, url: `${base}/cut.zip`, sha256: sha(good), progress: false }), (err: unknown) => {
    assert.ok(err instanceof DownloadError);
    assert.match(err.message, /interrupted/);
    return true;
  });
  assert.deepEqual(listTree(dataDir), []);
  await assert.rejects(downloadDataset("ml-100k", { dataDir, url: `${base}/missing.zip`, sha256: null, progress: false }), /HTTP 404/);
  await assert.rejects(downloadDataset("ml-100k", { dataDir, url: `http://127.0.0.1:1/x.zip`, sha256: null, progress: false }), DownloadError);
  assert.deepEqual(listTree(dataDir), []);
});

test("zip entries escaping the folder (.., absolute, symlink) are rejected before anything is written", async (t) => {
  const root = tempDir(t);
  const dataDir = path.join(root, "data");
  fs.mkdirSync(dataDir);
  for (const [route, pattern] of [
    ["/slip.zip", /zip slip/],
    ["/abs.zip", /absolute path/],
    ["/link.zip", /symbolic link/],
  ] as const) {
    await assert.rejects(downloadDataset("ml-100k", { dataDir, url: `${base}${route}`, sha256: sha(zips[route]), progress: false }), (err: unknown) => {
      assert.ok(err instanceof UnsafeZipEntryError, String(err));
      assert.match(err.message, pattern);
      assert.ok(err.file.endsWith(".zip:" + (route === "/abs.zip" ? "/tmp/evil-absolute.txt" : route === "/slip.zip" ? "ml-100k/../../evil.txt" : "ml-100k/link")));
      return true;
    });
    assert.deepEqual(listTree(root), ["data"], route);
  }
  assert.equal(fs.existsSync("/tmp/evil-absolute.txt"), false);
  // An archive without the dataset's files is refused as a whole.
  await assert.rejects(
    downloadDataset("ml-100k", { dataDir, url: `${base}/incomplete.zip`, sha256: sha(zips["/incomplete.zip"]), progress: false }),
    /missing u\.item, u\.user/,
  );
  assert.deepEqual(listTree(root), ["data"]);
});

test("unzip checks CRC-32 and sizes; reads stored and deflated entries", async (t) => {
  const dir = tempDir(t);
  const zip = Buffer.from(good);
  const entries = readZipDirectory((() => {
    const f = path.join(dir, "ok.zip");
    fs.writeFileSync(f, zip);
    return f;
  })());
  assert.deepEqual(entries.map((e) => [e.name, e.method, e.isDirectory]), [
    ["ml-100k/", 0, true],
    ["ml-100k/u.data", 0, false],
    ["ml-100k/u.item", 8, false],
    ["ml-100k/u.user", 8, false],
  ]);
  // Flip one byte of the stored u.data payload: the CRC no longer matches.
  const bad = Buffer.from(zip);
  const at = bad.indexOf(Buffer.from(DATA));
  bad[at] ^= 1;
  const badFile = path.join(dir, "bad.zip");
  fs.writeFileSync(badFile, bad);
  const out = path.join(dir, "out");
  await assert.rejects(extractZip(badFile, out), (err: unknown) => err instanceof DataFormatError && /CRC-32/.test(err.message));
  fs.writeFileSync(badFile, zip.subarray(0, zip.length - 10));
  assert.throws(() => readZipDirectory(badFile), DataFormatError);
});

test("progress bar: throttled on a TTY, at most one line per 10% elsewhere", () => {
  const lines: string[] = [];
  const bar = stderrProgressBar("ml-25m", { stream: { isTTY: false, write: (s: string) => (lines.push(s), true) } });
  for (let b = 0; b <= 1000; b++) bar({ phase: "download", file: "x", bytes: b * 1000, totalBytes: 1_000_000 });
  bar.done();
  assert.equal(lines.length, 11);
  assert.match(lines[10], /100% 977 KiB\/977 KiB/);
  const tty: string[] = [];
  const bar2 = stderrProgressBar("ml-25m", { stream: { isTTY: true, columns: 80, write: (s: string) => (tty.push(s), true) }, intervalMs: 1e9 });
  for (let b = 0; b <= 1000; b++) bar2({ phase: "download", file: "x", bytes: b * 1000, totalBytes: 1_000_000 });
  bar2.done();
  assert.ok(tty.length <= 4, `${tty.length} writes`);
  assert.ok(tty.every((s) => s.startsWith("\r") || s === "\n"));
});
