// End-to-end test: a real tslab kernel (TS 5.0.4 compile of src/viz) runs show()/showTable() and sends one multi-mime display_data over ZeroMQ.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "child_process";
import { createHmac, randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { decodePng, REPO_ROOT } from "./figures-fixtures.test";

type Zmq = typeof import("zeromq");
const DELIM = "<IDS|MSG>";
const key = randomBytes(16).toString("hex");
const session = randomBytes(8).toString("hex");
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "viz-kernel-"));

let zmq: Zmq | null = null;
try {
  zmq = require("zeromq") as Zmq;
} catch {
  zmq = null;
}

let kernel: ChildProcess | null = null;
let kernelLog = "";
let shell: import("zeromq").Dealer;
let iopub: import("zeromq").Subscriber;

interface Message {
  header: { msg_type: string; msg_id: string };
  parent_header: { msg_id?: string };
  content: Record<string, any>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function sign(parts: string[]): string {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

async function send(msgType: string, content: object): Promise<string> {
  const msgId = randomBytes(8).toString("hex");
  const header = JSON.stringify({
    msg_id: msgId,
    username: "test",
    session,
    msg_type: msgType,
    version: "5.3",
    date: new Date().toISOString(),
  });
  const parts = [header, "{}", "{}", JSON.stringify(content)];
  await shell.send([DELIM, sign(parts), ...parts]);
  return msgId;
}

function parse(frames: Buffer[]): Message {
  const i = frames.findIndex((f) => f.toString() === DELIM);
  const [hmac, header, parent, , content] = frames.slice(i + 1).map((f) => f.toString());
  assert.equal(hmac, sign(frames.slice(i + 2, i + 6).map((f) => f.toString())), "kernel signs its messages");
  return { header: JSON.parse(header), parent_header: JSON.parse(parent), content: JSON.parse(content) };
}

const inbox: Message[] = [];
let wake: (() => void) | null = null;

/** Reads iopub in the background (zeromq allows one pending receive per socket). */
async function pumpIopub(): Promise<void> {
  try {
    for await (const frames of iopub) {
      inbox.push(parse(frames as Buffer[]));
      wake?.();
    }
  } catch {
    // Socket closed.
  }
}

/** The next iopub message, or null after `timeoutMs`. */
async function nextIopub(timeoutMs: number): Promise<Message | null> {
  if (inbox.length === 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = null;
  }
  return inbox.shift() ?? null;
}

/** Runs `code` in the kernel and returns every iopub message belonging to it (until the kernel is idle again). */
async function execute(code: string, timeoutMs = 150_000): Promise<Message[]> {
  const msgId = await send("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false });
  const out: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timeout running ${code}\n${kernelLog}`);
    const msg = await nextIopub(left);
    if (!msg || msg.parent_header.msg_id !== msgId) continue;
    if (msg.header.msg_type === "status" && msg.content.execution_state === "idle") break;
    out.push(msg);
  }
  const reply = parse(await shell.receive());
  assert.equal(reply.header.msg_type, "execute_reply");
  assert.equal(reply.content.status, "ok", JSON.stringify({ reply: reply.content, out: out.map((m) => m.content) }));
  return out;
}

/** The text a cell printed to stdout. */
function stdoutOf(messages: Message[]): string {
  return messages
    .filter((m) => m.header.msg_type === "stream" && m.content.name === "stdout")
    .map((m) => String(m.content.text))
    .join("");
}

before(async () => {
  if (!zmq) return;
  const ports = {
    shell_port: await freePort(),
    iopub_port: await freePort(),
    control_port: await freePort(),
    stdin_port: await freePort(),
    hb_port: await freePort(),
  };
  const connection = { transport: "tcp", ip: "127.0.0.1", key, signature_scheme: "hmac-sha256", ...ports };
  const connFile = path.join(tmpDir, "connection.json");
  fs.writeFileSync(connFile, JSON.stringify(connection));
  kernel = spawn(process.execPath, [path.join(REPO_ROOT, "node_modules", "tslab", "bin", "tslab"), "kernel", "--config-path", connFile], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CHROMIUM_PATH: "" },
  });
  kernel.stdout!.on("data", (d) => (kernelLog += d));
  kernel.stderr!.on("data", (d) => (kernelLog += d));
  shell = new zmq.Dealer();
  shell.connect(`tcp://127.0.0.1:${ports.shell_port}`);
  iopub = new zmq.Subscriber();
  iopub.connect(`tcp://127.0.0.1:${ports.iopub_port}`);
  iopub.subscribe();
  void pumpIopub();
  // Ping with kernel_info_request until the iopub subscription sees the kernel's status messages.
  const deadline = Date.now() + 60_000;
  for (;;) {
    await send("kernel_info_request", {});
    parse(await shell.receive());
    if (await nextIopub(500)) break;
    if (Date.now() > deadline) throw new Error(`kernel did not come up\n${kernelLog}`);
  }
  // Drain the remaining status messages of the pings.
  while (await nextIopub(300));
});

after(async () => {
  if (kernel && kernel.exitCode === null) {
    const exited = new Promise((r) => kernel!.once("exit", r));
    kernel.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (kernel.exitCode === null && kernel.signalCode === null) kernel.kill("SIGKILL");
  }
  if (zmq) {
    shell?.close();
    iopub?.close();
  }
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

test(
  "show() in a real tslab kernel sends ONE display_data with plotly JSON + PNG + text",
  { skip: zmq ? false : "zeromq unavailable", timeout: 200_000 },
  async () => {
    const messages = await execute(
      [
        'import { show } from "./src/viz/display";',
        // tslab's loader resolves compiled local files by path + ".js" only, so a folder import needs the explicit /index.
        'import { trainingCurves } from "./src/viz/figures/index";',
        'const fig = trainingCurves([{ name: "r", train: [1, 0.6, 0.5], validation: [1.2, 0.9, 0.8] }], { title: "<script>alert(1)</script>" });',
        "await show(fig, { width: 420, height: 280 });",
      ].join("\n"),
    );
    const errors = messages.filter((m) => m.header.msg_type === "error" || (m.header.msg_type === "stream" && m.content.name === "stderr"));
    assert.deepEqual(
      errors.map((m) => m.content),
      [],
    );
    const displays = messages.filter((m) => m.header.msg_type === "display_data");
    assert.equal(displays.length, 1, "one output");
    const data = displays[0].content.data as Record<string, any>;
    assert.deepEqual(Object.keys(data).sort(), ["application/vnd.plotly.v1+json", "image/png", "text/plain"]);
    assert.equal(data["application/vnd.plotly.v1+json"].layout.title.text, "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert.ok(data["application/vnd.plotly.v1+json"].data.length >= 2);
    const png = decodePng(Buffer.from(data["image/png"], "base64"));
    assert.deepEqual([png.width, png.height], [420, 280]);
    assert.ok(png.distinctPixels > 20);
    assert.ok(JSON.stringify(data).length < 200_000, "no plotly.js inside the output");
  },
);

test(
  "showTable() in a real tslab kernel sends an escaped HTML table",
  { skip: zmq ? false : "zeromq unavailable", timeout: 120_000 },
  async () => {
    const messages = await execute(
      ['import { showTable } from "./src/viz/display";', 'showTable([{ a: "<b>x</b>" }, { a: 2 }, { a: 3 }], { maxRows: 1 });'].join("\n"),
    );
    const displays = messages.filter((m) => m.header.msg_type === "display_data");
    assert.equal(displays.length, 1);
    const html = String(displays[0].content.data["text/html"]);
    assert.ok(html.includes("<td>&lt;b&gt;x&lt;/b&gt;</td>"));
    assert.ok(html.includes("… 2 more rows"));
  },
);

test(
  "show(fig, { name }) with a figures folder renders once: the cell's PNG is the saved file, at 2x with its CSS size",
  { skip: zmq ? false : "zeromq unavailable", timeout: 200_000 },
  async () => {
    const figures = path.join(tmpDir, "figures-show");
    const messages = await execute(
      [
        'import { show } from "./src/viz/display";',
        'import { trainingCurves } from "./src/viz/figures/index";',
        `process.env.MOVIELENS_LAB_FIGURES_DIR = ${JSON.stringify(figures)};`,
        'await show(trainingCurves([{ name: "r", train: [1, 0.6, 0.5] }]), { width: 400, height: 250, name: "saved-once" });',
        "delete process.env.MOVIELENS_LAB_FIGURES_DIR;",
      ].join("\n"),
    );
    const displays = messages.filter((m) => m.header.msg_type === "display_data");
    assert.equal(displays.length, 1);
    const shown = Buffer.from(displays[0].content.data["image/png"], "base64");
    const png = decodePng(shown);
    assert.deepEqual([png.width, png.height], [800, 500]);
    assert.deepEqual(displays[0].content.metadata["image/png"], { width: 400, height: 250 });
    assert.ok(shown.equals(fs.readFileSync(path.join(figures, "saved-once.png"))), "the saved file is the PNG shown in the cell");
  },
);

test(
  "show(fig, { name }) without a browser degrades: the cell still shows the figure, the folder gets HTML + JSON, one note line",
  { skip: zmq ? false : "zeromq unavailable", timeout: 200_000 },
  async () => {
    const figures = path.join(tmpDir, "figures-nobrowser");
    const messages = await execute(
      [
        'import { show } from "./src/viz/display";',
        'import { trainingCurves } from "./src/viz/figures/index";',
        `process.env.MOVIELENS_LAB_FIGURES_DIR = ${JSON.stringify(figures)};`,
        'process.env.CHROMIUM_PATH = "/nonexistent/chromium";',
        'await show(trainingCurves([{ name: "r", train: [1, 0.6, 0.5] }]), { name: "degraded-a" });',
        'await show(trainingCurves([{ name: "s", train: [2, 1, 0.5] }]), { name: "degraded-b" });',
        "delete process.env.MOVIELENS_LAB_FIGURES_DIR;",
        'process.env.CHROMIUM_PATH = "";',
      ].join("\n"),
    );
    const displays = messages.filter((m) => m.header.msg_type === "display_data");
    assert.equal(displays.length, 2, "both figures are shown");
    for (const d of displays) {
      assert.ok(d.content.data["application/vnd.plotly.v1+json"], "interactive figure in the cell");
      assert.equal(d.content.data["image/png"], undefined);
    }
    assert.deepEqual(fs.readdirSync(figures).sort(), ["degraded-a.html", "degraded-a.json", "degraded-b.html", "degraded-b.json"]);
    const json = JSON.parse(fs.readFileSync(path.join(figures, "degraded-b.json"), "utf8"));
    assert.deepEqual(json.data[0].y, [2, 1, 0.5], "the JSON is the figure");
    assert.match(fs.readFileSync(path.join(figures, "degraded-a.html"), "utf8"), /Plotly\.newPlot/);
    const stdout = stdoutOf(messages);
    const notes = stdout.split("\n").filter((l) => l.includes("headless browser"));
    assert.equal(notes.length, 1, `one note line, got: ${stdout}`);
    assert.match(notes[0], /saved as HTML \+ JSON instead of PNG .*npm run setup/);
    assert.ok(!messages.some((m) => m.header.msg_type === "error"), "no error");
  },
);

test(
  "t-SNE's worker threads start inside a real tslab kernel and give the coordinates a script gets",
  { skip: zmq ? false : "zeromq unavailable", timeout: 200_000 },
  async () => {
    const messages = await execute(
      [
        'import { gaussianClusters, tsne } from "./src/viz/projection/index";',
        "const m = gaussianClusters({ n: 600, dim: 8, clusters: 4, seed: 2 });",
        "const r = tsne(m, { seed: 3, nIter: 60, threads: 2 });",
        "let s = 0; for (const v of r.coords) s += v;",
        "console.log(`threads ${r.diagnostics.threads} sum ${s.toPrecision(12)}`);",
      ].join("\n"),
    );
    assert.ok(!messages.some((m) => m.header.msg_type === "error"), "no error");
    const stdout = stdoutOf(messages);
    const { gaussianClusters, tsne } = await import("../../src/viz/projection");
    const here = tsne(gaussianClusters({ n: 600, dim: 8, clusters: 4, seed: 2 }), { seed: 3, nIter: 60, threads: 2 });
    let s = 0;
    for (const v of here.coords) s += v;
    assert.equal(here.diagnostics.threads, 2);
    assert.equal(stdout.trim(), `threads 2 sum ${s.toPrecision(12)}`);
  },
);

test(
  "SASRec's second training thread starts inside a real tslab kernel and trains what a script trains",
  { skip: zmq ? false : "zeromq unavailable", timeout: 200_000 },
  async () => {
    const code = [
      'import { loadDataset } from "./src/data/load";',
      'import { leaveLastOutSplit } from "./src/data/sequences";',
      'import { sasrecModel } from "./src/models/sasrec";',
      'import { fit } from "./src/training/fit";',
      'import { nextMovieTask } from "./src/training/tasks/next-movie";',
      'const ds = await loadDataset("ml-latest-small");',
      "const split = leaveLastOutSplit(ds);",
      "const m = sasrecModel({ numMovies: ds.numMovies, maxLength: 8, dim: 8, blocks: 1, dropout: 0.2, seed: 4 });",
      'const h = await fit(m, nextMovieTask(ds, { train: split.train, maxLength: 8, seed: 4 }), { epochs: 1, batchSize: 256, seed: 4, threads: 2, progress: "none" });',
      "console.log(`loss ${h.epochs[0].loss.toPrecision(12)}`);",
    ].join("\n");
    const messages = await execute(code);
    assert.ok(!messages.some((m) => m.header.msg_type === "error"), "no error");
    const stdout = stdoutOf(messages);
    const { loadDataset } = await import("../../src/data/load");
    const { leaveLastOutSplit } = await import("../../src/data/sequences");
    const { sasrecModel } = await import("../../src/models/sasrec");
    const { fit } = await import("../../src/training/fit");
    const { nextMovieTask } = await import("../../src/training/tasks/next-movie");
    const ds = await loadDataset("ml-latest-small");
    const split = leaveLastOutSplit(ds);
    const m = sasrecModel({ numMovies: ds.numMovies, maxLength: 8, dim: 8, blocks: 1, dropout: 0.2, seed: 4 });
    const h = await fit(m, nextMovieTask(ds, { train: split.train, maxLength: 8, seed: 4 }), {
      epochs: 1,
      batchSize: 256,
      seed: 4,
      threads: 2,
      progress: "none",
    });
    m.dispose();
    assert.equal(stdout.trim(), `loss ${h.epochs[0].loss.toPrecision(12)}`);
  },
);

// Last in this file: it shuts the kernel down.
test(
  "a shutdown_request ends the kernel by itself while the figure browser is running (no SIGTERM from the caller)",
  { skip: zmq ? false : "zeromq unavailable", timeout: 120_000 },
  async () => {
    const messages = await execute(
      [
        'import { show } from "./src/viz/display";',
        'import { rendererInfo } from "./src/viz/export";',
        'import { trainingCurves } from "./src/viz/figures/index";',
        'await show(trainingCurves([{ name: "r", train: [1, 0.5] }]), { width: 300, height: 200 });',
        "console.log(`renderer running ${rendererInfo().running}`);",
      ].join("\n"),
    );
    const stdout = stdoutOf(messages);
    assert.equal(stdout.trim(), "renderer running true", "the browser is attached before the shutdown");
    const exited = new Promise<void>((resolve) => kernel!.once("exit", () => resolve()));
    await send("shutdown_request", { restart: false });
    assert.equal(parse(await shell.receive()).header.msg_type, "shutdown_reply");
    // jupyter_client sends SIGTERM 2.5 s after its request; without the hook the browser would keep Node alive until the
    // renderer's 60 s idle timeout. 20 s leaves room for a slow machine and still fails without the hook.
    const outcome = await Promise.race([
      exited.then(() => "exited"),
      new Promise<string>((r) => setTimeout(() => r("still running"), 20_000)),
    ]);
    assert.equal(outcome, "exited", kernelLog);
    assert.equal(kernel!.signalCode, null);
    assert.equal(kernel!.exitCode, 0);
  },
);
