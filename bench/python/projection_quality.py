"""Bench-only quality of a 2-D projection against its input, one function for every side: 10-NN preservation and trustworthiness (sklearn's definition), on a seeded sample of rows when the input is large."""
# Usage: .venv-bench/bin/python bench/python/projection_quality.py JOB.json RESULT.json
# JOB: {"input": "x.f32", "rows": n, "cols": d, "embeddings": {"name": "y.f32", ...}, "k": 10, "sample": 3000, "seed": 0}
# RESULT: {"name": {"knn_preservation": p, "trustworthiness": t}, ..., "sample": rows measured}
#
# Both measures need every input-space neighbour rank of the measured rows, which sklearn's trustworthiness gets
# from a full n x n distance matrix (13 GB at 60,000 rows). Here the measured rows are a seeded sample, each ranked
# against all n rows, in blocks; on the whole input (sample >= rows) the value equals sklearn.manifold.trustworthiness
# (checked at start-up on a small input, so a mismatch stops the bench).
import json
import sys

import numpy as np
from sklearn.manifold import trustworthiness as sklearn_trustworthiness


def _sq_dists(a, b):
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def quality(x, y, k=10, sample=None, seed=0):
    """10-NN preservation and trustworthiness of embedding y (n x 2) of x (n x d), on `sample` seeded rows (default all)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.shape[0]
    rows = np.arange(n) if sample is None or sample >= n else np.sort(np.random.default_rng(seed).choice(n, sample, replace=False))
    preserved = 0.0
    penalty = 0.0
    for start in range(0, len(rows), 256):
        block = rows[start : start + 256]
        at = np.arange(len(block))
        dx = _sq_dists(x[block], x)
        dy = _sq_dists(y[block], y)
        dx[at, block] = np.inf
        dy[at, block] = np.inf
        nn_x = np.argpartition(dx, k, axis=1)[:, :k]
        nn_y = np.argpartition(dy, k, axis=1)[:, :k]
        for r in range(len(block)):
            preserved += len(np.intersect1d(nn_x[r], nn_y[r], assume_unique=True)) / k
        # Input-space rank (1 = nearest) of each embedding neighbour: the rows strictly closer, plus one.
        dj = dx[at[:, None], nn_y]  # (rows, k)
        ranks = (dx[:, None, :] < dj[:, :, None]).sum(axis=2) + 1 - k
        penalty += np.sum(ranks[ranks > 0])
    m = len(rows)
    # sklearn: 1 - 2 / (n k (2n - 3k - 1)) * sum over all n rows; per measured row, scaled to n rows.
    t = 1.0 - (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))) * penalty * (n / m)
    return {"knn_preservation": preserved / m, "trustworthiness": float(t)}


def _self_check():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 8))
    y = x[:, :2] + 0.3 * rng.normal(size=(300, 2))
    ours = quality(x, y, k=10)["trustworthiness"]
    ref = sklearn_trustworthiness(x, y, n_neighbors=10)
    if abs(ours - ref) > 1e-9:
        raise SystemExit(f"projection_quality: trustworthiness {ours} differs from sklearn's {ref}")


def main():
    _self_check()
    job = json.load(open(sys.argv[1]))
    x = np.fromfile(job["input"], dtype="<f4").reshape(job["rows"], job["cols"])
    out = {}
    for name, path in job["embeddings"].items():
        y = np.fromfile(path, dtype="<f4").reshape(job["rows"], -1)
        out[name] = quality(x, y, k=job.get("k", 10), sample=job.get("sample"), seed=job.get("seed", 0))
    out["sample"] = min(job["rows"], job.get("sample") or job["rows"])
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
