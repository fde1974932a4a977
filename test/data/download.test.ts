// Tests downloads against local HTTP(S) servers and a local forward proxy: checksums, proxies and NO_PROXY, retries and Range resume, zip slip, progress.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { TestContext, after, before, test } from "node:test";
import { LogProgress, TerminalProgress } from "../../src/util/progress";
import type * as tls from "node:tls";
import {
  ChecksumError,
  DataFormatError,
  DataProgress,
  DownloadError,
  DownloadRetry,
  PINNED_MD5,
  PINNED_SHA256,
  UnsafeZipEntryError,
  downloadDataset,
  downloadFile,
  extractZip,
  loadMl100k,
  readZipDirectory,
  dataProgress,
} from "../../src/data";
import { ProxyConfigError, ProxyTunnelError, describeProxy, matchesNoProxy, openTunnel, proxyForUrl } from "../../src/data/http-client";
import { ZipSpec, buildZip, listTree, tempDir } from "./helpers";

const ITEM =
  "1|Toy Story (1995)|01-Jan-1995||url|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n2|GoldenEye (1995)|01-Jan-1995||url|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n";
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
  } else if (url.startsWith("/to/")) {
    res.writeHead(302, { location: decodeURIComponent(url.slice("/to/".length)) });
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

// Proxy variables of the environment running the tests must not route these downloads: cleared here, restored after.
const PROXY_VARS = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"];
const savedEnv = new Map<string, string | undefined>();

before(async () => {
  for (const v of PROXY_VARS) {
    savedEnv.set(v, process.env[v]);
    delete process.env[v];
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  for (const [v, value] of savedEnv) {
    if (value === undefined) delete process.env[v];
    else process.env[v] = value;
  }
});

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
  await downloadDataset("ml-100k", {
    dataDir,
    url: `${base}/good.zip`,
    sha256: sha(good),
    progress: false,
    force: true,
    keepArchive: true,
  });
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
  // /cut.zip cuts every time and ignores Range: each retry starts over and is cut again.
  await assert.rejects(
    downloadDataset("ml-100k", { dataDir, url: `${base}/cut.zip`, sha256: sha(good), progress: false, retries: 1, retryDelayMs: 1 }),
    (err: unknown) => {
      assert.ok(err instanceof DownloadError);
      assert.match(err.message, /interrupted/);
      return true;
    },
  );
  assert.deepEqual(listTree(dataDir), []);
  const before404 = hits;
  await assert.rejects(
    downloadDataset("ml-100k", { dataDir, url: `${base}/missing.zip`, sha256: null, progress: false, retryDelayMs: 1 }),
    /HTTP 404/,
  );
  assert.equal(hits, before404 + 1, "a 404 is not retried");
  await assert.rejects(
    downloadDataset("ml-100k", { dataDir, url: `http://127.0.0.1:1/x.zip`, sha256: null, progress: false, retries: 1, retryDelayMs: 1 }),
    DownloadError,
  );
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
    await assert.rejects(
      downloadDataset("ml-100k", { dataDir, url: `${base}${route}`, sha256: sha(zips[route]), progress: false }),
      (err: unknown) => {
        assert.ok(err instanceof UnsafeZipEntryError, String(err));
        assert.match(err.message, pattern);
        assert.ok(
          err.file.endsWith(
            ".zip:" + (route === "/abs.zip" ? "/tmp/evil-absolute.txt" : route === "/slip.zip" ? "ml-100k/../../evil.txt" : "ml-100k/link"),
          ),
        );
        return true;
      },
    );
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
  const entries = readZipDirectory(
    (() => {
      const f = path.join(dir, "ok.zip");
      fs.writeFileSync(f, zip);
      return f;
    })(),
  );
  assert.deepEqual(
    entries.map((e) => [e.name, e.method, e.isDirectory]),
    [
      ["ml-100k/", 0, true],
      ["ml-100k/u.data", 0, false],
      ["ml-100k/u.item", 8, false],
      ["ml-100k/u.user", 8, false],
    ],
  );
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

test("download progress: one line per 10% in logs, a throttled bar on a TTY, a new piece of work per phase", () => {
  const lines: string[] = [];
  const bar = dataProgress("ml-25m", new LogProgress((l) => lines.push(l)));
  for (let b = 0; b <= 1000; b++) bar({ phase: "download", file: "https://x/ml-25m.zip", bytes: b * 1000, totalBytes: 1_000_000 });
  bar.done();
  assert.equal(lines.length, 12, lines.join("\n"));
  assert.match(lines[0], /^ml-25m download ml-25m\.zip {3}0% 0 B\/977 KiB/);
  assert.match(lines[10], /^ml-25m download ml-25m\.zip 100% 977 KiB\/977 KiB/);
  assert.match(lines[11], /^ml-25m download ml-25m\.zip: 977 KiB\/977 KiB in \d+s$/);
  const tty: string[] = [];
  const display = new TerminalProgress({ isTTY: true, columns: 80, write: (s: string) => (tty.push(s), true) });
  const bar2 = dataProgress("ml-25m", display);
  for (let b = 0; b <= 1000; b++) bar2({ phase: "download", file: "x.zip", bytes: b * 1000, totalBytes: 1_000_000 });
  display.message("ml-25m: retry 1/5");
  bar2({ phase: "unzip", file: "ml-25m/ratings.csv", bytes: 10, totalBytes: 100 });
  bar2.done();
  // Begin, 100 %, the message and a redraw, finish; begin and finish of the unzip (its 10 % comes too soon to draw).
  assert.ok(tty.length <= 7, `${tty.length} writes: ${JSON.stringify(tty)}`);
  assert.ok(tty.every((s) => s.startsWith("\r")));
  assert.ok(tty.some((s) => /ml-25m: retry 1\/5 *\n$/.test(s)));
  assert.ok(tty.some((s) => /ml-25m unzip ratings\.csv: 10 B\/100 B in/.test(s)));
});

// ---------------------------------------------------------------------------------------------------------------
// Proxies (HTTP_PROXY / HTTPS_PROXY / NO_PROXY), retries and Range resume. Every server, the proxy included, listens
// on 127.0.0.1, and the proxy connects to 127.0.0.1 whatever host it is asked for.

/** Runs `fn` with these environment variables set, then removes them (the proxy variables are unset around tests). */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  for (const [k, v] of Object.entries(vars)) process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(vars)) delete process.env[k];
  }
}

/** A server on 127.0.0.1 closed (connections included) after the test; returns its port. */
async function listen(t: TestContext, srv: http.Server | https.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  srv.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    srv.close();
  });
  return (srv.address() as AddressInfo).port;
}

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

interface ProxySeen {
  readonly method: string;
  readonly target: string;
  readonly auth: string | undefined;
}

/** A forward proxy: absolute-form requests are forwarded, CONNECT opens a TCP tunnel; optionally demands Basic credentials. */
async function startProxy(t: TestContext, requireAuth?: string): Promise<{ port: number; seen: ProxySeen[] }> {
  const seen: ProxySeen[] = [];
  const upstreams = new Set<net.Socket>();
  const proxy = http.createServer((req, res) => {
    const auth = req.headers["proxy-authorization"];
    seen.push({ method: req.method ?? "", target: req.url ?? "", auth });
    if (requireAuth !== undefined && auth !== requireAuth) {
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="test"' });
      res.end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400);
      res.end();
      return;
    }
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const up = http.request(
      {
        host: "127.0.0.1",
        port: Number(target.port),
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers,
        agent: false,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        upRes.on("error", () => res.destroy());
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  proxy.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const auth = req.headers["proxy-authorization"];
    seen.push({ method: "CONNECT", target: req.url ?? "", auth });
    client.on("error", () => undefined);
    if (requireAuth !== undefined && auth !== requireAuth) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const port = /:(\d+)$/.exec(req.url ?? "");
    if (!port) {
      client.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const up = net.connect(Number(port[1]), "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    upstreams.add(up);
    up.on("close", () => upstreams.delete(up));
    up.on("error", () => client.destroy());
    client.on("close", () => up.destroy());
  });
  const port = await listen(t, proxy);
  t.after(() => {
    for (const s of upstreams) s.destroy();
  });
  return { port, seen };
}

test("NO_PROXY matcher: *, lists, domain suffixes at label boundaries, host:port, IP literals", () => {
  const cases: [host: string, port: number, noProxy: string | undefined, bypass: boolean][] = [
    ["files.grouplens.org", 443, undefined, false],
    ["files.grouplens.org", 443, "", false],
    ["files.grouplens.org", 443, "*", true],
    ["files.grouplens.org", 443, "grouplens.org", true],
    ["grouplens.org", 443, "grouplens.org", true],
    ["files.grouplens.org", 443, ".grouplens.org", true],
    ["grouplens.org", 443, ".grouplens.org", true], // curl: a leading dot still matches the domain itself
    ["a.b.grouplens.org", 443, "*.grouplens.org", true],
    ["notgrouplens.org", 443, "grouplens.org", false],
    ["grouplens.org.evil.example", 443, "grouplens.org", false],
    ["FILES.GroupLens.ORG.", 443, "grouplens.org", true],
    ["files.grouplens.org", 443, "example.com, grouplens.org", true],
    ["files.grouplens.org", 443, "example.com,,  other.org example.net", false],
    ["files.grouplens.org", 443, "example.com grouplens.org", true],
    ["files.grouplens.org", 443, "grouplens.org:443", true],
    ["files.grouplens.org", 8443, "grouplens.org:443", false],
    ["example.com", 80, "bad:port, example.com", true],
    ["127.0.0.1", 80, "127.0.0.1", true],
    ["127.0.0.1", 80, "0.0.1", false], // IP literals never match as suffixes
    ["127.0.0.1", 80, ".0.0.1", false],
    ["10.0.0.1", 80, "10.0.0.10", false],
    ["127.0.0.1", 80, "127.0.0.1:8080", false],
    ["127.0.0.1", 8080, "127.0.0.1:8080", true],
    ["localhost", 80, "127.0.0.1", false],
    ["[::1]", 80, "::1", true],
    ["[::1]", 80, "[::1]", true],
    ["::1", 80, "[0:0::1]:80", true],
    ["[::1]", 81, "[::1]:80", false],
    ["[::2]", 80, "::1", false],
  ];
  for (const [host, port, noProxy, bypass] of cases) {
    assert.equal(matchesNoProxy(host, port, noProxy), bypass, `${host}:${port} with NO_PROXY=${JSON.stringify(noProxy)}`);
  }
});

test("proxy from the environment: lowercase wins, scheme per URL, NO_PROXY, credentials never shown", () => {
  const pick = (url: string, env: Record<string, string>): string | null => proxyForUrl(url, env)?.href ?? null;
  assert.equal(pick("http://x.org/f", {}), null);
  assert.equal(pick("http://x.org/f", { HTTP_PROXY: "http://upper:1" }), "http://upper:1/");
  assert.equal(pick("http://x.org/f", { http_proxy: "http://lower:2", HTTP_PROXY: "http://upper:1" }), "http://lower:2/");
  assert.equal(pick("http://x.org/f", { http_proxy: "", HTTP_PROXY: "http://upper:1" }), null, "an empty lowercase variable still wins");
  assert.equal(pick("https://x.org/f", { HTTP_PROXY: "http://p:1" }), null, "https: URLs read HTTPS_PROXY only");
  assert.equal(pick("https://x.org/f", { HTTPS_PROXY: "proxy.corp:3128" }), "http://proxy.corp:3128/", "no scheme = http://");
  assert.equal(pick("https://x.org/f", { HTTPS_PROXY: "http://p:1", NO_PROXY: "x.org" }), null);
  assert.equal(
    pick("https://x.org/f", { HTTPS_PROXY: "http://p:1", NO_PROXY: "x.org", no_proxy: "y.org" }),
    "http://p:1/",
    "lowercase no_proxy wins",
  );
  assert.equal(describeProxy(new URL("http://user:secret@proxy.corp:3128")), "http://proxy.corp:3128");
  for (const bad of ["socks5://user:secret@p:1080", "http://user:secret@[bad"]) {
    assert.throws(
      () => proxyForUrl("https://x.org/f", { HTTPS_PROXY: bad }),
      (err: unknown) => err instanceof ProxyConfigError && /HTTPS_PROXY/.test(err.message) && !err.message.includes("secret"),
      bad,
    );
  }
});

test("HTTP proxy: absolute-form GETs with Basic credentials, redirects through it, proxy named on stderr without credentials; NO_PROXY bypasses it", async (t) => {
  const password = "p@ss:w rd";
  const proxy = await startProxy(t, basic("lab user", password));
  const proxyUrl = `http://${encodeURIComponent("lab user")}:${encodeURIComponent(password)}@127.0.0.1:${proxy.port}`;
  const dataDir = tempDir(t);
  const printed: string[] = [];
  const stderrWrite = process.stderr.write;
  process.stderr.write = ((s: string | Uint8Array) => (printed.push(String(s)), true)) as typeof process.stderr.write;
  try {
    await withEnv({ HTTP_PROXY: proxyUrl }, () => downloadDataset("ml-100k", { dataDir, url: `${base}/redirect`, sha256: sha(good) }));
  } finally {
    process.stderr.write = stderrWrite;
  }
  assert.deepEqual(listTree(dataDir), ["ml-100k", "ml-100k/u.data", "ml-100k/u.item", "ml-100k/u.user"]);
  assert.deepEqual(
    proxy.seen.map((s) => [s.method, s.target, s.auth]),
    [
      ["GET", `${base}/redirect`, basic("lab user", password)],
      ["GET", `${base}/good.zip`, basic("lab user", password)],
    ],
  );
  const log = printed.join("");
  assert.match(log, new RegExp(`ml-100k: downloading via proxy http://127\\.0\\.0\\.1:${proxy.port}\\n`));
  assert.ok(!log.includes("p@ss") && !log.includes(encodeURIComponent(password)) && !log.includes("lab"), log);

  // NO_PROXY (here as host:port in a list) sends the request straight to the server.
  const hitsBefore = hits;
  const port = new URL(base).port;
  const dir2 = tempDir(t);
  await withEnv({ HTTP_PROXY: proxyUrl, NO_PROXY: `example.com, 127.0.0.1:${port}` }, () =>
    downloadFile(`${base}/good.zip`, path.join(dir2, "a.zip"), { sha256: sha(good) }),
  );
  assert.equal(proxy.seen.length, 2, "the proxy saw nothing more");
  assert.equal(hits, hitsBefore + 1);
  // Wrong credentials: the proxy's 407 fails at once.
  await assert.rejects(
    withEnv({ HTTP_PROXY: `http://lab:wrong@127.0.0.1:${proxy.port}` }, () =>
      downloadFile(`${base}/good.zip`, path.join(dir2, "b.zip"), { sha256: sha(good), retries: 3, retryDelayMs: 1 }),
    ),
    /HTTP 407/,
  );
  assert.equal(proxy.seen.length, 3);
  assert.deepEqual(listTree(dir2), ["a.zip"]);
});

test("CONNECT tunnel: established with Proxy-Authorization and usable as a raw socket; a refusal is a ProxyTunnelError and is not retried", async (t) => {
  const proxy = await startProxy(t, basic("u", "pw"));
  const port = Number(new URL(base).port);
  const socket = await openTunnel(new URL(`http://u:pw@127.0.0.1:${proxy.port}`), "127.0.0.1", port, { timeoutMs: 5000 });
  socket.end(`GET /good.zip HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  assert.match(raw.subarray(0, 16).toString("latin1"), /^HTTP\/1\.1 200 /);
  assert.ok(raw.subarray(raw.length - good.length).equals(good));
  assert.deepEqual(proxy.seen, [{ method: "CONNECT", target: `127.0.0.1:${port}`, auth: basic("u", "pw") }]);

  await assert.rejects(
    openTunnel(new URL(`http://u:wrong@127.0.0.1:${proxy.port}`), "127.0.0.1", port, { timeoutMs: 5000 }),
    (err: unknown) => {
      assert.ok(err instanceof ProxyTunnelError);
      assert.equal(err.statusCode, 407);
      assert.match(err.message, /HTTP 407 \(proxy authentication required/);
      assert.ok(!err.message.includes("wrong"));
      return true;
    },
  );
  const dir = tempDir(t);
  await assert.rejects(
    withEnv({ HTTPS_PROXY: `http://u:wrong@127.0.0.1:${proxy.port}` }, () =>
      downloadFile(`https://127.0.0.1:${port}/good.zip`, path.join(dir, "a.zip"), { sha256: sha(good), retries: 3, retryDelayMs: 1 }),
    ),
    (err: unknown) => err instanceof DownloadError && /407/.test(err.message),
  );
  assert.equal(proxy.seen.length, 3, "one CONNECT per refused attempt, no retry");
  assert.deepEqual(listTree(dir), []);
});

test("https through the proxy: CONNECT + TLS with SNI, trusted through the ca option; an untrusted certificate fails at once; http: redirecting to https: switches to the tunnel", async (t) => {
  const dir = tempDir(t);
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  const made = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { encoding: "utf8", timeout: 20_000 },
  );
  if (made.error || made.status !== 0) {
    t.skip(`openssl could not make a test certificate (${made.error?.message ?? made.stderr}); the tunnel itself is tested above`);
    return;
  }
  const cert = fs.readFileSync(certFile);
  const servernames: (string | false | null)[] = [];
  const tlsServer = https.createServer({ key: fs.readFileSync(keyFile), cert }, (req, res) => {
    servernames.push((req.socket as tls.TLSSocket).servername);
    if (req.url === "/good.zip") {
      res.writeHead(200, { "content-length": String(good.length) });
      res.end(good);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const tlsPort = await listen(t, tlsServer);
  const proxy = await startProxy(t);
  const proxyUrl = `http://127.0.0.1:${proxy.port}`;
  const httpsUrl = `https://localhost:${tlsPort}/good.zip`;
  await withEnv({ HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl }, async () => {
    await assert.rejects(
      downloadFile(httpsUrl, path.join(dir, "untrusted.zip"), { sha256: sha(good), retries: 3, retryDelayMs: 1 }),
      (err: unknown) => {
        assert.ok(err instanceof DownloadError);
        assert.match(err.message, /self[- ]signed|certificate/i);
        assert.match(err.message, new RegExp(`via proxy http://127\\.0\\.0\\.1:${proxy.port}`));
        return true;
      },
    );
    assert.deepEqual(
      proxy.seen.map((s) => [s.method, s.target]),
      [["CONNECT", `localhost:${tlsPort}`]],
      "not retried",
    );
    const got = await downloadFile(httpsUrl, path.join(dir, "a.zip"), { sha256: sha(good), ca: cert });
    assert.equal(got.bytes, good.length);
    assert.ok(fs.readFileSync(path.join(dir, "a.zip")).equals(good));
    const viaRedirect = `${base}/to/${encodeURIComponent(httpsUrl)}`;
    await downloadFile(viaRedirect, path.join(dir, "b.zip"), { sha256: sha(good), ca: [cert] });
    assert.ok(fs.readFileSync(path.join(dir, "b.zip")).equals(good));
  });
  assert.deepEqual(
    proxy.seen.slice(1).map((s) => [s.method, s.target]),
    [
      ["CONNECT", `localhost:${tlsPort}`],
      ["GET", `${base}/to/${encodeURIComponent(httpsUrl)}`],
      ["CONNECT", `localhost:${tlsPort}`],
    ],
  );
  assert.deepEqual(servernames, ["localhost", "localhost"], "SNI carries the host name");
  // Direct https (NO_PROXY) with the same ca option.
  await withEnv({ HTTPS_PROXY: proxyUrl, NO_PROXY: "127.0.0.1" }, () =>
    downloadFile(`https://127.0.0.1:${tlsPort}/good.zip`, path.join(dir, "c.zip"), { sha256: sha(good), ca: cert }),
  );
  assert.equal(proxy.seen.length, 4);
  assert.deepEqual(
    listTree(dir).filter((f) => f.endsWith(".zip")),
    ["a.zip", "b.zip", "c.zip"],
  );
});

/** 1 MiB of deterministic pseudo-random bytes. */
const BIG = ((): Buffer => {
  const b = Buffer.alloc(1 << 20);
  let x = 12345;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
})();
const ETAG = '"big-v1"';

/** Sends `body`'s first `n` bytes of a promised whole, then drops the connection once they are out. */
function sendCut(res: http.ServerResponse, body: Buffer, n: number): void {
  res.writeHead(200, { "content-length": String(body.length), etag: ETAG, "accept-ranges": "bytes" });
  res.write(body.subarray(0, n), () => setTimeout(() => res.socket?.destroy(), 5));
}

interface RangeSeen {
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
}

/**
 * A server of BIG whose first answer is cut halfway; later answers to a Range request depend on `mode`: honour it
 * (206), ignore it (200), answer another range (206 from byte 0) or refuse it (416).
 */
async function rangeServer(t: TestContext, mode: "honour" | "ignore" | "mismatch" | "416"): Promise<{ url: string; seen: RangeSeen[] }> {
  const seen: RangeSeen[] = [];
  const srv = http.createServer((req, res) => {
    seen.push({ range: req.headers.range, ifRange: req.headers["if-range"] as string | undefined });
    if (seen.length === 1) {
      sendCut(res, BIG, BIG.length >> 1);
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const n = BIG.length;
    if (m && mode === "honour" && req.headers["if-range"] === ETAG && Number(m[1]) < n) {
      const start = Number(m[1]);
      res.writeHead(206, { "content-range": `bytes ${start}-${n - 1}/${n}`, "content-length": String(n - start), etag: ETAG });
      res.end(BIG.subarray(start));
    } else if (m && mode === "mismatch") {
      res.writeHead(206, { "content-range": `bytes 0-${n - 1}/${n}`, "content-length": String(n), etag: ETAG });
      res.end(BIG);
    } else if (m && mode === "416") {
      res.writeHead(416, { "content-range": `bytes */${n}` });
      res.end();
    } else {
      res.writeHead(200, { "content-length": String(n), etag: ETAG });
      res.end(BIG);
    }
  });
  const port = await listen(t, srv);
  return { url: `http://127.0.0.1:${port}/big.bin`, seen };
}

test("a transfer cut halfway resumes with Range + If-Range from the bytes received; progress continues; checksum over the whole file", async (t) => {
  const { url, seen } = await rangeServer(t, "honour");
  const dir = tempDir(t);
  const retries: DownloadRetry[] = [];
  const events: DataProgress[] = [];
  const got = await downloadFile(url, path.join(dir, "big.bin"), {
    sha256: sha(BIG),
    retries: 3,
    retryDelayMs: 1,
    onRetry: (r) => retries.push(r),
    onProgress: (p) => events.push(p),
  });
  assert.deepEqual([got.bytes, got.sha256, got.verified], [BIG.length, sha(BIG), true]);
  assert.ok(fs.readFileSync(path.join(dir, "big.bin")).equals(BIG));
  assert.deepEqual(listTree(dir), ["big.bin"], "no temporary file left");
  assert.equal(retries.length, 1);
  const kept = retries[0].bytes;
  assert.ok(kept > 0 && kept < BIG.length, `${kept} bytes kept`);
  assert.match(retries[0].cause, /interrupted transfer after \d+ bytes/);
  assert.deepEqual(seen, [
    { range: undefined, ifRange: undefined },
    { range: `bytes=${kept}-`, ifRange: ETAG },
  ]);
  // Progress: the cut attempt ends at `kept`, the resumed one carries on from there up to the whole file.
  const at = events.findIndex((e) => e.bytes === kept);
  assert.ok(at >= 0 && at < events.length - 1);
  assert.ok(
    events.every((e, i) => i === 0 || e.bytes > events[i - 1].bytes),
    "progress never goes back",
  );
  assert.ok(events.every((e) => e.totalBytes === BIG.length));
  assert.equal(events[events.length - 1].bytes, BIG.length);
});

test("a server that ignores Range (always 200): the retry starts over and the file is still right", async (t) => {
  const { url, seen } = await rangeServer(t, "ignore");
  const dir = tempDir(t);
  const retries: DownloadRetry[] = [];
  const got = await downloadFile(url, path.join(dir, "big.bin"), {
    sha256: sha(BIG),
    retries: 3,
    retryDelayMs: 1,
    onRetry: (r) => retries.push(r),
  });
  assert.equal(got.bytes, BIG.length);
  assert.ok(fs.readFileSync(path.join(dir, "big.bin")).equals(BIG));
  assert.equal(seen.length, 2);
  assert.equal(seen[1].range, `bytes=${retries[0].bytes}-`);
  assert.deepEqual(listTree(dir), ["big.bin"]);
});

test("a mismatched Content-Range or a 416 restarts from byte 0 without Range", async (t) => {
  for (const mode of ["mismatch", "416"] as const) {
    const { url, seen } = await rangeServer(t, mode);
    const dir = tempDir(t);
    const retries: DownloadRetry[] = [];
    const got = await downloadFile(url, path.join(dir, "big.bin"), {
      sha256: sha(BIG),
      retries: 3,
      retryDelayMs: 1,
      onRetry: (r) => retries.push(r),
    });
    assert.equal(got.sha256, sha(BIG), mode);
    assert.ok(fs.readFileSync(path.join(dir, "big.bin")).equals(BIG), mode);
    assert.deepEqual(
      seen.map((s) => s.range),
      [undefined, `bytes=${retries[0].bytes}-`, undefined],
      mode,
    );
    assert.equal(retries.length, 2, mode);
    assert.match(retries[1].cause, mode === "416" ? /HTTP 416.*restarting from byte 0/ : /Content-Range "bytes 0-.*restarting from byte 0/);
    assert.equal(retries[1].bytes, 0, mode);
  }
});

test("retries exhausted: a clear error (URL, bytes received, last cause), exponential backoff, no final file", async (t) => {
  let requests = 0;
  const srv = http.createServer((_req, res) => {
    requests++;
    sendCut(res, BIG, BIG.length >> 2);
  });
  const url = `http://127.0.0.1:${await listen(t, srv)}/big.bin`;
  const dir = tempDir(t);
  const retries: DownloadRetry[] = [];
  const events: DataProgress[] = [];
  await assert.rejects(
    downloadFile(url, path.join(dir, "big.bin"), {
      sha256: sha(BIG),
      retries: 2,
      retryDelayMs: 1,
      onRetry: (r) => retries.push(r),
      onProgress: (p) => events.push(p),
    }),
    (err: unknown) => {
      assert.ok(err instanceof DownloadError);
      assert.equal(err.file, url);
      const received = events[events.length - 1].bytes;
      assert.ok(received > 0);
      assert.ok(
        err.message.startsWith(
          `${url}: expected the complete file (${BIG.length} bytes), found ${received} bytes received after 3 attempts; last error: an interrupted transfer`,
        ),
        err.message,
      );
      assert.match(err.message, /gave up after 2 retries; the partial download was deleted/);
      return true;
    },
  );
  assert.equal(requests, 3);
  assert.deepEqual(
    retries.map((r) => [r.attempt, r.delayMs]),
    [
      [1, 1],
      [2, 2],
    ],
  );
  assert.deepEqual(listTree(dir), [], "neither the final file nor the .part");
});

test("HTTP 408/429/5xx are retried, other 4xx are not", async (t) => {
  const statuses: number[] = [];
  let flaky = 0;
  const srv = http.createServer((req, res) => {
    if (req.url === "/flaky") {
      flaky++;
      const status = flaky === 1 ? 503 : flaky === 2 ? 429 : flaky === 3 ? 408 : 200;
      statuses.push(status);
      res.writeHead(status, { "content-length": String(status === 200 ? good.length : 0) });
      res.end(status === 200 ? good : undefined);
    } else if (req.url === "/down") {
      statuses.push(502);
      res.writeHead(502);
      res.end();
    } else {
      statuses.push(403);
      res.writeHead(403);
      res.end();
    }
  });
  const root = `http://127.0.0.1:${await listen(t, srv)}`;
  const dir = tempDir(t);
  const got = await downloadFile(`${root}/flaky`, path.join(dir, "a.zip"), { sha256: sha(good), retries: 3, retryDelayMs: 1 });
  assert.equal(got.bytes, good.length);
  assert.deepEqual(statuses.splice(0), [503, 429, 408, 200]);
  await assert.rejects(
    downloadFile(`${root}/down`, path.join(dir, "b.zip"), { sha256: sha(good), retries: 1, retryDelayMs: 1 }),
    /0 bytes received after 2 attempts; last error: HTTP 502/,
  );
  assert.deepEqual(statuses.splice(0), [502, 502]);
  await assert.rejects(
    downloadFile(`${root}/secret`, path.join(dir, "c.zip"), { sha256: sha(good), retries: 3, retryDelayMs: 1 }),
    /expected HTTP 200, found HTTP 403/,
  );
  assert.deepEqual(statuses, [403]);
  assert.deepEqual(listTree(dir), ["a.zip"]);
});
