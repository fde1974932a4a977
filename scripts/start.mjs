// `npm start`: opens JupyterLab (from the project's .venv) on notebooks/ with the TypeScript kernel; setup has already run as `prestart`.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const jupyter = path.join(root, ".venv", "bin", "jupyter");
if (!fs.existsSync(jupyter)) {
  console.error("JupyterLab is not installed in .venv; run `npm run setup` and read its messages.");
  process.exit(1);
}

// Only ask Jupyter to open a browser where one can be shown: a desktop session, macOS or Windows.
const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY) || ["darwin", "win32"].includes(process.platform);
const openBrowser = hasDisplay && !process.env.CI && process.env.MOVIELENS_LAB_NO_BROWSER !== "1";
const args = [
  "lab",
  `--ServerApp.root_dir=${path.join(root, "notebooks")}`,
  `--ServerApp.open_browser=${openBrowser ? "True" : "False"}`,
  // Jupyter refuses to start as root (containers, CI) unless told; ordinary users are unaffected.
  ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
  ...process.argv.slice(2),
];
console.log(
  `[start] JupyterLab on notebooks/ (kernel: TypeScript/tslab)${openBrowser ? "" : "; open the URL printed below in your browser"}`,
);
const child = spawn(jupyter, args, {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, BROWSER: openBrowser ? (process.env.BROWSER ?? "") : "true" },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
