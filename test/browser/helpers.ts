// Helpers for the real-browser JupyterLab test: an isolated JupyterLab server from the project's .venv (temporary root,
// settings, workspaces, runtime, config and data folders; random token; free port) that is always shut down, kernels included.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const root = path.resolve(__dirname, "..", "..");

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for `p` at most `ms`; the timer is cleared, so it never keeps the process alive. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the server is started with port_retries=0, so a race fails loudly). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("could not get a free port"))));
    });
  });
}

/** Writes a file through a temporary sibling and a rename, so readers never see a half-written file. */
export function writeFileAtomic(file: string, data: Buffer | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export interface LabServer {
  url: string;
  port: number;
  token: string;
  /** The temporary folder JupyterLab serves (holds the copy of the notebook under test). */
  notebookDir: string;
  proc: ChildProcess;
  /** Last part of the server's stdout+stderr, for failure messages. */
  logTail(chars?: number): string;
  stop(): Promise<void>;
}

export interface LabServerOptions {
  /** Files copied into the temporary root folder JupyterLab serves. */
  files: string[];
  /** Extra environment for the server (its kernels inherit it). */
  env?: Record<string, string>;
  /** JupyterLab user settings, keyed by "<plugin package>/<plugin name>" (e.g. "@jupyterlab/apputils-extension/notification"). */
  settings?: Record<string, unknown>;
  startTimeoutMs?: number;
}

/** Starts `.venv/bin/jupyter lab` isolated from the user's Jupyter folders and waits until /api/status answers. */
export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const jupyter = path.join(root, ".venv", "bin", "jupyter");
  if (!fs.existsSync(jupyter)) throw new Error(`${jupyter} is missing: run \`npm run setup\``);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-browser-"));
  const dirs = Object.fromEntries(
    ["notebooks", "settings", "workspaces", "runtime", "config", "data"].map((d) => {
      const p = path.join(tmp, d);
      fs.mkdirSync(p, { recursive: true });
      return [d, p];
    }),
  ) as Record<"notebooks" | "settings" | "workspaces" | "runtime" | "config" | "data", string>;
  for (const f of opts.files) fs.copyFileSync(f, path.join(dirs.notebooks, path.basename(f)));
  for (const [plugin, value] of Object.entries(opts.settings ?? {})) {
    const file = path.join(dirs.settings, `${plugin}.jupyterlab-settings`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(value, null, 2));
  }

  const port = await freePort();
  const token = randomBytes(24).toString("hex");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_RUNTIME_DIR: dirs.runtime,
    JUPYTER_CONFIG_DIR: dirs.config,
    // Notebook signatures (trust database) and the notary secret live in the data folder: keep them out of the user's home.
    JUPYTER_DATA_DIR: dirs.data,
    BROWSER: "true",
    ...opts.env,
  };
  delete env.JUPYTER_TOKEN;
  delete env.JUPYTERLAB_WORKSPACES_DIR;
  delete env.JUPYTERLAB_SETTINGS_DIR;

  const args = [
    "lab",
    "--no-browser",
    "--ServerApp.ip=127.0.0.1",
    `--ServerApp.port=${port}`,
    "--ServerApp.port_retries=0",
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${dirs.notebooks}`,
    `--LabApp.user_settings_dir=${dirs.settings}`,
    `--LabApp.workspaces_dir=${dirs.workspaces}`,
    // Lets the test observe kernel replies (execute_reply status) through window.jupyterapp; the UI is still driven by clicks.
    "--LabApp.expose_app_in_browser=True",
    // CI containers often run as root; Jupyter refuses that without this flag.
    ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
  ];
  // detached: the server leads its own process group, so the whole group can be signalled on shutdown.
  const proc = spawn(jupyter, args, { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const append = (b: Buffer) => {
    log += b.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  proc.stdout!.on("data", append);
  proc.stderr!.on("data", append);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    proc.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );

  // Safety net if this process ends without running stop() (crash, Ctrl+C): SIGTERM makes Jupyter shut its kernels down.
  const emergency = () => {
    if (!exited && proc.pid !== undefined) {
      try {
        process.kill(-proc.pid, "SIGTERM");
      } catch {
        /* gone */
      }
    }
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    emergency();
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.once("exit", emergency);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const server: LabServer = {
    url,
    port,
    token,
    notebookDir: dirs.notebooks,
    proc,
    logTail: (chars = 4000) => log.slice(-chars),
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off("exit", emergency);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      // 1. Ask the server to shut down: it also shuts down its kernels (which run in their own sessions, outside our group).
      if (!exited) {
        await fetch(`${url}/api/shutdown?token=${token}`, { method: "POST", signal: AbortSignal.timeout(5000) }).catch(() => {});
        await within(exitPromise, 15_000);
      }
      // 2. Then the process group: SIGTERM, and SIGKILL if it lingers.
      for (const sig of ["SIGTERM", "SIGKILL"] as const) {
        if (proc.pid === undefined) break;
        try {
          process.kill(-proc.pid, sig);
        } catch {
          break; // the group is gone
        }
        await within(exitPromise, 5000);
      }
      // 3. Any kernel still alive: it was started with a connection file inside our temporary runtime folder.
      for (const pid of pidsWithArgument(dirs.runtime)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  let lastError = "";
  while (Date.now() < deadline) {
    if (exited) {
      await server.stop();
      throw new Error(`JupyterLab exited early (${JSON.stringify(exited)})\nJupyterLab log (tail):\n${log.slice(-4000)}`);
    }
    try {
      const r = await fetch(`${url}/api/status?token=${token}`, { signal: AbortSignal.timeout(3000) });
      if (r.ok) {
        const status = (await r.json()) as { started?: string };
        if (status.started) return server;
      }
      lastError = `HTTP ${r.status}`;
    } catch (e) {
      lastError = String((e as Error).message ?? e);
    }
    await sleep(250);
  }
  await server.stop();
  throw new Error(
    `JupyterLab did not answer /api/status within ${opts.startTimeoutMs ?? 120_000} ms (last: ${lastError})\nJupyterLab log (tail):\n${log.slice(-4000)}`,
  );
}

/** Processes (Linux /proc) whose command line contains `needle`; empty elsewhere. */
function pidsWithArgument(needle: string): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8");
      if (cmd.includes(needle)) out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}
