"""Executes notebooks headlessly with nbclient on the tslab kernel; stops at the first failing cell and names it.

Usage: .venv/bin/python scripts/run_notebooks.py [--out DIR] [--timeout S] [--json FILE] NOTEBOOK...
Parameters reach the notebooks through the MOVIELENS_LAB_PARAMS environment variable (read by labParams() in src/, in
the cell tagged "parameters", papermill's convention); each executed copy records them in its metadata under
"movielens_lab": {"parameters": <the overrides given>, "parameters_cell": <index of the tagged cell>}.
"""
import argparse
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def cell_errors(nb):
    """Yields (index, ename, evalue) for every cell output that is an error."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                yield i, out.get("ename", ""), out.get("evalue", "")


def parameters_cell(nb):
    """Index of the cell tagged "parameters" (papermill's convention), or None."""
    return next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)


def record_parameters(nb):
    """Writes the parameter overrides this run gave the notebook into its metadata."""
    raw = os.environ.get("MOVIELENS_LAB_PARAMS") or "{}"
    nb.metadata["movielens_lab"] = {"parameters": json.loads(raw), "parameters_cell": parameters_cell(nb)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--out", help="folder for the executed copies")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    ap.add_argument("--json", help="write per-notebook timings here")
    args = ap.parse_args()
    results = []
    total = len(args.notebooks)
    for k, path in enumerate(args.notebooks, 1):
        name = os.path.basename(path)
        print(f"[{k}/{total}] {name} ...", flush=True)
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=args.timeout,
            kernel_name="tslab",
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        )
        t0 = time.time()
        failure = None
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
            failure = err
        seconds = time.time() - t0
        record_parameters(nb)
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            tmp = os.path.join(args.out, f".{name}.tmp")
            nbformat.write(nb, tmp)
            os.replace(tmp, os.path.join(args.out, name))
        errors = list(cell_errors(nb))
        if failure is not None or errors:
            where = next(
                (i for i, c in enumerate(nb.cells) if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                None,
            )
            detail = str(failure).strip().splitlines()[-1] if failure is not None else f"{errors[0][1]}: {errors[0][2]}"
            code_index = None
            if where is not None:
                code_index = sum(1 for c in nb.cells[: where + 1] if c.cell_type == "code")
            print(f"FAILED: {name}, cell {where} (code cell #{code_index}): {detail}", flush=True)
            if failure is not None:
                print(str(failure)[-3000:], file=sys.stderr)
            results.append({"notebook": name, "seconds": seconds, "ok": False, "cell": where, "error": detail})
            if args.json:
                json.dump(results, open(args.json, "w"), indent=2)
            sys.exit(1)
        print(f"[{k}/{total}] {name} ok in {seconds:.1f} s", flush=True)
        results.append({"notebook": name, "seconds": seconds, "ok": True})
    if args.json:
        tmp = args.json + ".tmp"
        json.dump(results, open(tmp, "w"), indent=2)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
