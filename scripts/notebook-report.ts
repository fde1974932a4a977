// Turns executed notebooks into offline HTML reports whose Plotly outputs are live figures (nbconvert with scripts/nbconvert/lab_plotly).
//
// A custom nbconvert template rather than rewriting nbconvert's HTML afterwards: the template sees each output's whole
// mime bundle (Plotly JSON, PNG, text) where it renders it, so nothing has to find outputs again in generated markup.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { plotlyBundleSource } from "../src/viz/export";

const root = path.resolve(__dirname, "..");

/** Folder holding the lab's nbconvert templates (nbconvert's `extra_template_basedirs`). */
export const REPORT_TEMPLATE_DIR = path.join(root, "scripts", "nbconvert");

/** Name of the report template under {@link REPORT_TEMPLATE_DIR}. */
export const REPORT_TEMPLATE = "lab_plotly";

/** The `jupyter` of the project's virtual environment (`npm run setup` creates it). */
export const PROJECT_JUPYTER = path.join(root, ".venv", "bin", "jupyter");

/** Options for {@link writeNotebookReports}. */
export interface NotebookReportOptions {
  /** The `jupyter` executable with nbconvert (default: the project's `.venv/bin/jupyter`). */
  jupyter?: string;
}

/** What became of one notebook: the report written, or why not. */
export interface NotebookReport {
  /** The executed notebook (.ipynb) converted. */
  readonly notebook: string;
  /** The HTML report (`<outDir>/<notebook name>.html`), or null when nbconvert failed. */
  readonly html: string | null;
  /** nbconvert's error output when it failed. */
  readonly error?: string;
}

/**
 * Writes `<outDir>/<name>.html` for each executed notebook with the lab_plotly template: the page has JupyterLab's
 * look, each Plotly output is drawn live (hover, zoom, legend toggles) by the minified plotly.js inlined once per page,
 * with its PNG shown until then and to viewers without JavaScript, and the page loads nothing from the network.
 * A failed conversion is reported in the result, not thrown, so that the other notebooks still get their reports.
 */
export function writeNotebookReports(notebooks: readonly string[], outDir: string, options: NotebookReportOptions = {}): NotebookReport[] {
  const jupyter = options.jupyter ?? PROJECT_JUPYTER;
  // The template inlines plotly.min.js from its search path; this copy is the script-safe one (no "</script" inside).
  const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-report-plotly-"));
  try {
    fs.writeFileSync(path.join(bundleDir, "plotly.min.js"), plotlyBundleSource());
    fs.mkdirSync(outDir, { recursive: true });
    return notebooks.map((notebook) => {
      const r = spawnSync(
        jupyter,
        [
          "nbconvert",
          "--to",
          "html",
          `--TemplateExporter.extra_template_basedirs=${REPORT_TEMPLATE_DIR}`,
          `--TemplateExporter.extra_template_paths=${bundleDir}`,
          "--template",
          REPORT_TEMPLATE,
          "--log-level",
          "WARN",
          "--output-dir",
          outDir,
          notebook,
        ],
        { encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] },
      );
      if (r.stderr) process.stderr.write(r.stderr);
      const html = path.join(outDir, path.basename(notebook).replace(/\.ipynb$/, "") + ".html");
      if (r.status === 0 && fs.existsSync(html)) return { notebook, html };
      return { notebook, html: null, error: (r.error?.message ?? r.stderr ?? "").trim().split("\n").slice(-5).join("\n") };
    });
  } finally {
    fs.rmSync(bundleDir, { recursive: true, force: true });
  }
}
