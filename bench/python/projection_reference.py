"""Bench-only reference projections: openTSNE (default FFT gradient) and umap-learn on the same input file the lab's t-SNE and UMAP read, timed, with coordinates written for the shared quality measure."""
# Usage: .venv-bench/bin/python bench/python/projection_reference.py JOB.json RESULT.json
# JOB: {"input": "x.f32", "rows": n, "cols": d, "method": "tsne" | "umap", "n_jobs": 1 | 2, "seed": 1,
#       "output": "y.f32", "perplexity": 30, "n_iter": 750, "n_neighbors": 15, "min_dist": 0.1}
# RESULT: {"seconds": total, "phases": {...}, "kl": openTSNE's KL (t-SNE), "compile_seconds": numba warm-up (UMAP), "versions": {...}}
# The input is row-major little-endian float32 (what the lab writes); the output likewise, rows x 2.
import json
import sys
import time

import numpy as np


def run_tsne(x, job):
    import openTSNE
    from openTSNE import TSNE

    # openTSNE's defaults (perplexity 30, FFT gradient above ~10k points, PCA init, early exaggeration 12 for 250
    # iterations, then 500 more), with the lab's seed. Its kNN is "auto" (Annoy for large inputs).
    t0 = time.perf_counter()
    tsne = TSNE(
        n_components=2,
        perplexity=job.get("perplexity", 30),
        n_iter=job.get("n_iter", 500),
        n_jobs=job["n_jobs"],
        random_state=job["seed"],
        verbose=False,
    )
    emb = tsne.fit(x)
    seconds = time.perf_counter() - t0
    return np.asarray(emb, dtype=np.float32), {
        "seconds": seconds,
        "kl": float(emb.kl_divergence),
        "versions": {"openTSNE": openTSNE.__version__},
    }


def run_umap(x, job):
    import numba
    import umap

    # umap-learn compiles its numba kernels on first use; a notebook pays that once per kernel. Time it on a small
    # input first and report it apart from the measured run.
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    umap.UMAP(n_neighbors=15, n_jobs=job["n_jobs"]).fit_transform(rng.normal(size=(600, x.shape[1])).astype(np.float32))
    compile_seconds = time.perf_counter() - t0
    # A random_state makes umap-learn run single-threaded; with n_jobs > 1 it is left unset, as its docs advise.
    seed = job["seed"] if job["n_jobs"] == 1 else None
    t0 = time.perf_counter()
    model = umap.UMAP(
        n_components=2,
        n_neighbors=job.get("n_neighbors", 15),
        min_dist=job.get("min_dist", 0.1),
        n_jobs=job["n_jobs"],
        random_state=seed,
    )
    y = model.fit_transform(x)
    seconds = time.perf_counter() - t0
    return np.asarray(y, dtype=np.float32), {
        "seconds": seconds,
        "compile_seconds": compile_seconds,
        "versions": {"umap-learn": umap.__version__, "numba": numba.__version__},
    }


def main():
    job = json.load(open(sys.argv[1]))
    x = np.fromfile(job["input"], dtype="<f4").reshape(job["rows"], job["cols"])
    run = {"tsne": run_tsne, "umap": run_umap}[job["method"]]
    y, result = run(x, job)
    y.astype("<f4").tofile(job["output"])
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
