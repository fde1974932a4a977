"""Bench-only Keras reference: trains one of the lab's models with tf.keras `model.fit` on a raw binary data set and reports per-epoch wall time, examples/s and loss as JSON, for the TF.js training benchmark to compare against."""
# Usage: .venv-bench/bin/python bench/python/train_reference.py JOB.json RESULT.json
# (make the venv with `bash bench/python/ensure_venv.sh`; it prints the python path).
#
# Data: `<data>.user.i32`, `<data>.movie.i32` (int32 little-endian) and `<data>.target.f32` (float32 little-endian),
# raw arrays of equal length N with no header. For "movie-genre" the two index arrays are movie and genre, under the
# same file names: `user` = movie index (table size numUsers), `movie` = genre index (table size numMovies).
#
# Job (JSON object); required: data, model, numUsers, numMovies, dim, batchSize, epochs; plus numClasses for
# "dense-classes". Optional: learningRate (Adam, default 0.001), l2 (default 0; dot-bias-* only), offset (default 0;
# dot-bias-linear only), seed (default 0), shuffle (default true), jitCompile (default "auto" = Keras' own default,
# which is no XLA on a CPU-only machine; true/false to force it; the result's "jitCompile" says what was used).
#
# Models (embeddings are Embedding(n, dim); every index input is int32 of shape [B]):
#   dot-bias-sigmoid  sigmoid(u·m + b_u + b_m); he_normal embeddings with L2(l2) on both tables (whole-table Keras
#                     regulariser, as in the Keras "RecommenderNet" collaborative-filtering example); biases are
#                     Embedding(n, 1), zero-initialised, not regularised. BCE on targets in [0, 1].
#   dot-bias-linear   u·m + b_u + b_m + offset, same layers, MSE.
#   dot               u·m only (RandomNormal(0.05) embeddings, like the lab's), MSE.
#   dense-classes     concat(u, m) -> Dense(64, relu) -> Dense(32, relu) -> Dense(numClasses, softmax)
#                     (hidden kernels he_normal, like the lab's), sparse categorical cross-entropy; targets are
#                     class ids 0..numClasses-1 stored as float32.
#   movie-genre       sigmoid(movie·genre) (RandomNormal(0.1) embeddings, like the lab's), BCE.
#
# Timing: one time.perf_counter() span per epoch of fit (on_epoch_begin .. on_epoch_end), so it excludes imports,
# data loading and model build. The first epoch includes tracing (and XLA compilation), so it is reported apart:
# examplesPerSecond = N / median(seconds of epochs 2..E) (of epoch 1 when E == 1); examplesPerSecondFirstEpoch = N /
# seconds of epoch 1. Threading is TensorFlow's default (intra- and inter-op pools sized by TF to the machine's cores,
# reported as 0 = "TF decides"); environment overrides such as TF_NUM_INTRAOP_THREADS are reported if set.
# Errors: a message on stderr naming the missing file/field and exit code 2 (bad job/data) or 1 (anything else);
# no result file is written then.
import json
import os
import platform
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ start-up chatter out of the caller's stderr

MODELS = ("dot-bias-sigmoid", "dot-bias-linear", "dot", "dense-classes", "movie-genre")
THREAD_ENV = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "TF_ENABLE_ONEDNN_OPTS")


class JobError(Exception):
    """A problem with the job or its data files, reported as one clear line."""


def load_job(path):
    if not os.path.isfile(path):
        raise JobError(f"job file not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            job = json.load(f)
    except json.JSONDecodeError as e:
        raise JobError(f"job file {path} is not valid JSON: {e}") from None
    if not isinstance(job, dict):
        raise JobError(f"job file {path} must hold a JSON object")

    def need(name, kind):
        if name not in job or job[name] is None:
            raise JobError(f"job field '{name}' is missing (model {job.get('model')!r}, job file {path})")
        return field(name, kind)

    def field(name, kind, default=None):
        v = job.get(name, default)
        if kind is int and not (isinstance(v, int) and not isinstance(v, bool) and v > 0):
            raise JobError(f"job field '{name}' must be a positive integer, got {v!r}")
        if kind is float and not (isinstance(v, (int, float)) and not isinstance(v, bool)):
            raise JobError(f"job field '{name}' must be a number, got {v!r}")
        if kind is bool and not isinstance(v, bool):
            raise JobError(f"job field '{name}' must be true or false, got {v!r}")
        if kind is str and not (isinstance(v, str) and v):
            raise JobError(f"job field '{name}' must be a non-empty string, got {v!r}")
        return v

    model = need("model", str)
    if model not in MODELS:
        raise JobError(f"job field 'model' is {model!r}; expected one of {', '.join(MODELS)}")
    jit = job.get("jitCompile", "auto")
    if jit not in ("auto", True, False):
        raise JobError(f"job field 'jitCompile' must be \"auto\", true or false, got {jit!r}")
    seed = job.get("seed", 0)
    if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        raise JobError(f"job field 'seed' must be a non-negative integer, got {seed!r}")
    out = {
        "data": need("data", str),
        "model": model,
        "numUsers": need("numUsers", int),
        "numMovies": need("numMovies", int),
        "dim": need("dim", int),
        "batchSize": need("batchSize", int),
        "epochs": need("epochs", int),
        "learningRate": float(field("learningRate", float, 0.001)),
        "l2": float(field("l2", float, 0.0)),
        "offset": float(field("offset", float, 0.0)),
        "seed": seed,
        "shuffle": field("shuffle", bool, True),
        "jitCompile": jit,
    }
    if model == "dense-classes":
        out["numClasses"] = need("numClasses", int)
        if out["numClasses"] < 2:
            raise JobError(f"job field 'numClasses' must be at least 2, got {out['numClasses']}")
    if out["l2"] < 0:
        raise JobError(f"job field 'l2' must be >= 0, got {out['l2']}")
    return out


def load_data(job, np):
    prefix = job["data"]
    arrays = {}
    for name, dtype in (("user", "<i4"), ("movie", "<i4"), ("target", "<f4")):
        path = f"{prefix}.{name}.{'i32' if dtype == '<i4' else 'f32'}"
        if not os.path.isfile(path):
            raise JobError(f"data file not found: {path} (job field 'data' is the prefix {prefix!r})")
        size = os.path.getsize(path)
        if size % 4:
            raise JobError(f"data file {path} has {size} bytes, not a multiple of 4")
        arrays[name] = np.fromfile(path, dtype=dtype)
    n = {k: len(v) for k, v in arrays.items()}
    if len(set(n.values())) != 1:
        raise JobError(f"data files under {prefix!r} differ in length: {n}")
    if n["user"] == 0:
        raise JobError(f"data files under {prefix!r} are empty")
    for name, limit in (("user", "numUsers"), ("movie", "numMovies")):
        a = arrays[name]
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= job[limit]:
            raise JobError(f"{prefix}.{name}.i32 holds indices {lo}..{hi}, outside 0..{job[limit] - 1} (job field '{limit}')")
    t = arrays["target"]
    if not np.all(np.isfinite(t)):
        raise JobError(f"{prefix}.target.f32 holds non-finite values")
    if job["model"] == "dense-classes":
        k = job["numClasses"]
        if np.any(t != np.round(t)) or t.min() < 0 or t.max() >= k:
            raise JobError(f"{prefix}.target.f32 must hold class ids 0..{k - 1} for dense-classes, got {t.min()}..{t.max()}")
        y = t.astype(np.int32)
    else:
        if job["model"] in ("dot-bias-sigmoid", "movie-genre") and (t.min() < 0 or t.max() > 1):
            raise JobError(f"{prefix}.target.f32 must lie in [0, 1] for {job['model']} (BCE), got {t.min()}..{t.max()}")
        y = t.reshape(-1, 1)  # same shape as the [B, 1] output, so no loss broadcasting
    return {"user": arrays["user"], "movie": arrays["movie"]}, y


def build_model(job, keras):
    layers, d, model = keras.layers, job["dim"], job["model"]
    user = keras.Input(shape=(), dtype="int32", name="user")
    movie = keras.Input(shape=(), dtype="int32", name="movie")

    def emb(name, rows, init, reg=None, dim=d):
        return layers.Embedding(rows, dim, embeddings_initializer=init, embeddings_regularizer=reg, name=name)

    if model in ("dot-bias-sigmoid", "dot-bias-linear"):
        reg = keras.regularizers.L2(job["l2"]) if job["l2"] > 0 else None
        u = emb("user_embedding", job["numUsers"], "he_normal", reg)(user)
        m = emb("movie_embedding", job["numMovies"], "he_normal", reg)(movie)
        bu = emb("user_bias", job["numUsers"], "zeros", dim=1)(user)
        bm = emb("movie_bias", job["numMovies"], "zeros", dim=1)(movie)
        x = layers.Add(name="score")([layers.Dot(axes=1, name="dot")([u, m]), bu, bm])
        if model == "dot-bias-sigmoid":
            out, loss = layers.Activation("sigmoid", name="sigmoid")(x), "binary_crossentropy"
        else:
            out = layers.Rescaling(1.0, offset=job["offset"], name="offset")(x) if job["offset"] else x
            loss = "mean_squared_error"
    elif model in ("dot", "movie-genre"):
        stddev = 0.05 if model == "dot" else 0.1
        init = lambda k: keras.initializers.RandomNormal(stddev=stddev, seed=job["seed"] + k)  # noqa: E731
        u = emb("user_embedding" if model == "dot" else "movie_embedding", job["numUsers"], init(0))(user)
        m = emb("movie_embedding" if model == "dot" else "genre_embedding", job["numMovies"], init(1))(movie)
        out = layers.Dot(axes=1, name="dot")([u, m])
        if model == "movie-genre":
            out, loss = layers.Activation("sigmoid", name="sigmoid")(out), "binary_crossentropy"
        else:
            loss = "mean_squared_error"
    else:  # dense-classes
        init = lambda k: keras.initializers.RandomNormal(stddev=0.05, seed=job["seed"] + k)  # noqa: E731
        u = emb("user_embedding", job["numUsers"], init(0))(user)
        m = emb("movie_embedding", job["numMovies"], init(1))(movie)
        x = layers.Concatenate(name="concat")([u, m])
        x = layers.Dense(64, activation="relu", kernel_initializer="he_normal", name="dense_1")(x)
        x = layers.Dense(32, activation="relu", kernel_initializer="he_normal", name="dense_2")(x)
        out = layers.Dense(job["numClasses"], activation="softmax", name="classes")(x)
        loss = "sparse_categorical_crossentropy"
    net = keras.Model(inputs={"user": user, "movie": movie}, outputs=out, name=model.replace("-", "_"))
    net.compile(optimizer=keras.optimizers.Adam(learning_rate=job["learningRate"]), loss=loss, jit_compile=job["jitCompile"])
    return net


def write_json_atomic(path, obj):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv):
    if len(argv) != 3:
        raise JobError(f"usage: {os.path.basename(argv[0])} JOB.json RESULT.json")
    job = load_job(argv[1])
    if not os.path.isdir(os.path.dirname(os.path.abspath(argv[2]))):
        raise JobError(f"result folder does not exist: {os.path.dirname(os.path.abspath(argv[2]))}")

    import numpy as np
    import tensorflow as tf

    keras = tf.keras
    t0 = time.perf_counter()
    x, y = load_data(job, np)
    n = len(y)
    load_seconds = time.perf_counter() - t0

    tf.keras.utils.set_random_seed(job["seed"])
    t0 = time.perf_counter()
    net = build_model(job, keras)
    build_seconds = time.perf_counter() - t0

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._t)

    timer = EpochTimer()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    t0 = time.perf_counter()
    hist = net.fit(x, y, batch_size=job["batchSize"], epochs=job["epochs"], shuffle=job["shuffle"], verbose=0, callbacks=[timer])
    fit_seconds = time.perf_counter() - t0

    secs = timer.seconds
    steady = secs[1:] if len(secs) > 1 else secs
    median = statistics.median(steady)
    losses = [float(v) for v in hist.history["loss"]]
    result = {
        "model": job["model"],
        "examples": n,
        "batchSize": job["batchSize"],
        "stepsPerEpoch": -(-n // job["batchSize"]),
        "epochs": job["epochs"],
        "examplesPerSecond": n / median,
        "examplesPerSecondFirstEpoch": n / secs[0],
        "medianEpochSeconds": median,
        "medianOver": "epochs 2..E" if len(secs) > 1 else "epoch 1 (only one epoch)",
        "epochSeconds": secs,
        "lossPerEpoch": losses,
        "finalLoss": losses[-1],
        "lossIncludesL2": job["model"].startswith("dot-bias") and job["l2"] > 0,
        "fitSeconds": fit_seconds,
        "buildSeconds": build_seconds,
        "loadSeconds": load_seconds,
        "params": int(net.count_params()),
        "jitCompile": bool(net.jit_compile),
        "tfVersion": tf.__version__,
        "kerasVersion": keras.__version__ if hasattr(keras, "__version__") else keras.version(),
        "numpyVersion": np.__version__,
        "python": platform.python_version(),
        "threads": {
            "intraOp": tf.config.threading.get_intra_op_parallelism_threads(),
            "interOp": tf.config.threading.get_inter_op_parallelism_threads(),
            "note": "0 = TensorFlow's default (pools sized to the machine's cores)",
            "cpuCount": os.cpu_count(),
            "cpusAvailable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "env": {k: os.environ[k] for k in THREAD_ENV if k in os.environ},
        },
        # 1-minute load average just before and after fit: well above the core count means the timing is contended.
        "loadAverage": {"beforeFit": load_before, "afterFit": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
        "job": job,
    }
    write_json_atomic(argv[2], result)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except JobError as e:
        print(f"train_reference: error: {e}", file=sys.stderr)
        sys.exit(2)
