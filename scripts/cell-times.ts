// Where an executed notebook spent its time: the slowest code cell, from the execution times nbclient records in each cell's metadata.
import * as fs from "fs";
/**
 * The code cell of an executed notebook that took longest, from the execution times nbclient records in each cell's
 * metadata (iopub busy to idle): its index among all cells, seconds, and the start of its first line. Null when no
 * cell has them.
 */
export function slowestCell(file: string): { cell: number; seconds: number; opening: string } | null {
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as {
    cells: { cell_type: string; source: string | string[]; metadata?: { execution?: Record<string, string> } }[];
  };
  let best: { cell: number; seconds: number; opening: string } | null = null;
  nb.cells.forEach((c, i) => {
    const e = c.metadata?.execution;
    const busy = e?.["iopub.status.busy"];
    const idle = e?.["iopub.status.idle"];
    if (c.cell_type !== "code" || !busy || !idle) return;
    const seconds = (Date.parse(idle) - Date.parse(busy)) / 1000;
    const source = Array.isArray(c.source) ? c.source.join("") : c.source;
    if (Number.isFinite(seconds) && (best === null || seconds > best.seconds))
      best = { cell: i, seconds, opening: (source.split("\n").find((l) => l.trim() && !l.trim().startsWith("//")) ?? "").slice(0, 48) };
  });
  return best;
}
