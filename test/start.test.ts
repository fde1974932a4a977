// `npm start`'s JupyterLab: it serves notebooks/ from the project's .venv, lists the TypeScript kernel, and opens no browser here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

test("scripts/start.mjs serves JupyterLab with the TypeScript kernel", { timeout: 120_000 }, async () => {
  const port = await freePort();
  const token = `t${Date.now()}`;
  const child = spawn(
    process.execPath,
    [path.join(root, "scripts", "start.mjs"), "--port", String(port), `--IdentityProvider.token=${token}`],
    {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DISPLAY: "", WAYLAND_DISPLAY: "" },
    },
  );
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  try {
    let specs: { kernelspecs: Record<string, { spec: { display_name: string; argv: string[] } }> } | null = null;
    let contents: { content: { name: string }[] } | null = null;
    for (let i = 0; i < 120 && !specs; i++) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/kernelspecs?token=${token}`);
        if (r.ok) specs = await r.json();
        const c = await fetch(`http://127.0.0.1:${port}/api/contents?token=${token}`);
        if (c.ok) contents = await c.json();
      } catch {
        // not up yet
      }
    }
    assert.ok(specs, `JupyterLab did not answer on port ${port} within 60 s:\n${log.slice(-3000)}`);
    assert.equal(specs.kernelspecs.tslab?.spec.display_name, "TypeScript", "the TypeScript kernel is not listed");
    assert.match(specs.kernelspecs.tslab.spec.argv[1], /scripts[\\/]kernel\.cjs$/);
    assert.ok(
      contents?.content.some((e) => e.name === "02-movie-genre-embeddings.ipynb"),
      "JupyterLab does not serve notebooks/",
    );
    assert.match(log, /open_browser|open the URL printed below/);
  } finally {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
  }
});
