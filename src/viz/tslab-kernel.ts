// The running tslab kernel's internals that the viz layer needs: the cell's display_data writer, and a hook that runs when the kernel shuts down.
import * as path from "path";

/** tslab's public module, as far as the display fallback uses it. */
export interface TslabPublic {
  display: { html(s: string): void; png(b: Uint8Array): void; text(s: string): void };
}

/** tslab's `dist/jupyter.js`, as far as we use it. */
interface TslabJupyter {
  /** The writer for the running cell's display_data messages: `(content, isUpdate) => void`. */
  lastWriteDisplayData?: unknown;
  /** The kernel's ZeroMQ server; its `close()` runs on a shutdown_request, just before the sockets close. */
  ZmqServer?: { prototype: { close?: (...args: unknown[]) => unknown } };
}

/** What {@link tslabKernel} finds: tslab's public module (or null) and its `jupyter.js` (or null when unreachable). */
export interface TslabModules {
  readonly publicApi: TslabPublic | null;
  readonly jupyter: TslabJupyter | null;
}

/**
 * Finds the tslab that runs this code. Inside a kernel, `require("tslab")` is redirected to the kernel's own tslab,
 * so its module is the entry of Node's module cache whose exports are what `require("tslab")` returned, and its
 * sibling `jupyter.js` is in the cache too. Outside a kernel (a script, a test) tslab may load but holds no cell.
 */
export function tslabKernel(): TslabModules {
  let publicApi: TslabPublic;
  try {
    publicApi = require("tslab") as TslabPublic;
  } catch {
    return { publicApi: null, jupyter: null };
  }
  const cache = require.cache;
  for (const id of Object.keys(cache)) {
    const entry = cache[id];
    if (!entry || entry.exports !== publicApi) continue;
    const jupyter = cache[path.join(path.dirname(entry.filename), "jupyter.js")];
    return { publicApi, jupyter: jupyter ? (jupyter.exports as TslabJupyter) : null };
  }
  return { publicApi, jupyter: null };
}

const shutdownHooks = new Set<() => unknown>();
let closeWrapped = false;

/**
 * Runs `hook` when the tslab kernel this code runs in shuts down (a shutdown_request: JupyterLab's "Shut Down Kernel"
 * or "Restart Kernel", nbclient's end of a notebook). tslab then closes its sockets and lets Node exit by itself, which
 * it cannot while a child process such as the headless browser is still attached; jupyter_client waits 2.5 s and then
 * sends SIGTERM. A hook that releases such a resource lets the kernel exit at once. The hook may return a promise; its
 * errors are ignored. Registering the same function twice runs it once. Returns false (and registers nothing) outside
 * a tslab kernel.
 */
export function onKernelShutdown(hook: () => unknown): boolean {
  const server = tslabKernel().jupyter?.ZmqServer?.prototype;
  const close = server?.close;
  if (!server || typeof close !== "function") return false;
  shutdownHooks.add(hook);
  if (!closeWrapped) {
    closeWrapped = true;
    server.close = function (this: unknown, ...args: unknown[]): unknown {
      for (const h of shutdownHooks) {
        try {
          void Promise.resolve(h()).catch(() => undefined);
        } catch {
          // A failing hook must not stop the kernel from closing.
        }
      }
      return close.apply(this, args);
    };
  }
  return true;
}
