"""Bench-only Keras reference for SASRec: the lab's architecture in tf.keras, trained with model.fit on the same windows the TF.js run trains on; reports sequences/s per epoch as JSON."""
# Usage: .venv-bench/bin/python bench/python/sasrec_reference.py JOB.json RESULT.json
# JOB.json: data (prefix of the raw arrays below), numMovies, maxLength (L), dim (d), blocks, dropout, batchSize,
# epochs, learningRate, seed.
# Data (little-endian int32, row-major, written by bench/training.bench.ts from the lab's next-movie task):
#   <data>.history.i32      [N, L]  history tokens (movie index + 1, left-padded with 0)
#   <data>.candidates.i32   [N, 2L] the next-movie tokens at each position, then one sampled negative per position
#                                   (0 at padded positions)
# Model (the lab's src/models/sasrec.ts, layer for layer): item Embedding(numMovies + 1, d) shared by the history and the
# candidates; x = E[h] * sqrt(d) + P (learned positions), padding rows zeroed, dropout; per block: q = LN(x);
# x = softmax(mask(q Wq (x Wk)^T / sqrt(d))) (x Wv) + q, with a causal and key-padding mask and dropout on the weights,
# padding rows zeroed; n = LN(x); x = Dropout(Dense(d)(Dropout(Dense(d, relu)(n)))) + n, padding rows zeroed; final LN.
# Logit of candidate c at position t = state_t . E[c]. Loss: mean over real positions of softplus(-pos) + softplus(neg)
# (BCE), Adam. Timing as train_reference.py: one perf_counter span per epoch; the first epoch (tracing) reported apart;
# sequencesPerSecond = N / median(seconds of epochs 2..E).
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers, ops  # noqa: E402


def build(job):
    L, d, n_items = job["maxLength"], job["dim"], job["numMovies"] + 1
    rate = job["dropout"]
    seed = job["seed"]
    hist = keras.Input((L,), dtype="int32", name="history")
    cand = keras.Input((2 * L,), dtype="int32", name="candidates")
    emb = layers.Embedding(n_items, d, embeddings_initializer=keras.initializers.GlorotUniform(seed), name="item_embedding")
    mask = ops.expand_dims(ops.cast(ops.not_equal(hist, 0), "float32"), -1)  # [B, L, 1]
    pos = PositionTable(L, d, seed + 1)
    x = pos(emb(hist)) * mask
    x = layers.Dropout(rate, seed=seed + 2)(x)
    causal = np.tril(np.ones((L, L), dtype="float32"))
    for b in range(job["blocks"]):
        s = seed + 100 * (b + 1)
        q = layers.LayerNormalization(epsilon=1e-8)(x)
        Q = layers.Dense(d, kernel_initializer=keras.initializers.GlorotUniform(s + 1))(q)
        K = layers.Dense(d, kernel_initializer=keras.initializers.GlorotUniform(s + 2))(x)
        V = layers.Dense(d, kernel_initializer=keras.initializers.GlorotUniform(s + 3))(x)
        scores = ops.matmul(Q, ops.transpose(K, (0, 2, 1))) / np.sqrt(d)
        allowed = ops.transpose(mask, (0, 2, 1)) * ops.convert_to_tensor(causal[None, :, :])  # [B, L, L]
        scores = scores * allowed + (1.0 - allowed) * -1e9
        w = layers.Dropout(rate, seed=s + 7)(ops.softmax(scores, axis=-1))
        x = (ops.matmul(w, V) + q) * mask
        n = layers.LayerNormalization(epsilon=1e-8)(x)
        f = layers.Dense(d, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(s + 20))(n)
        f = layers.Dropout(rate, seed=s + 21)(f)
        f = layers.Dense(d, kernel_initializer=keras.initializers.GlorotUniform(s + 22))(f)
        f = layers.Dropout(rate, seed=s + 23)(f)
        x = (f + n) * mask
    states = layers.LayerNormalization(epsilon=1e-8)(x)
    c = emb(cand)  # [B, 2L, d]
    both = ops.concatenate([states, states], axis=1)
    logits = ops.sum(c * both, axis=-1)  # [B, 2L]
    return keras.Model([hist, cand], logits)


class PositionTable(layers.Layer):
    def __init__(self, L, d, seed, **kw):
        super().__init__(**kw)
        self.table = self.add_weight(shape=(L, d), initializer=keras.initializers.GlorotUniform(seed), name="positions")
        self.scale = float(np.sqrt(d))

    def call(self, e):
        return e * self.scale + self.table


def make_loss(L):
    def loss(y_true, logits):
        real = ops.cast(ops.not_equal(y_true[:, :L], 0), "float32")
        per = ops.softplus(-logits[:, :L]) + ops.softplus(logits[:, L:])
        return ops.sum(per * real) / ops.maximum(ops.sum(real), 1.0)

    return loss


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        job = json.load(f)
    L = job["maxLength"]
    keras.utils.set_random_seed(job["seed"])
    hist = np.fromfile(job["data"] + ".history.i32", dtype="<i4").reshape(-1, L)
    cand = np.fromfile(job["data"] + ".candidates.i32", dtype="<i4").reshape(-1, 2 * L)
    if hist.shape[0] != cand.shape[0]:
        print(f"{job['data']}: {hist.shape[0]} histories but {cand.shape[0]} candidate rows", file=sys.stderr)
        return 2
    model = build(job)
    model.compile(optimizer=keras.optimizers.Adam(job["learningRate"]), loss=make_loss(L))

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds, self.losses = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self._t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._t)
            self.losses.append(float(logs["loss"]))

    timer = Timer()
    # The candidates double as y_true: the loss reads the padding mask from the positive tokens.
    model.fit([hist, cand], cand.astype("float32"), batch_size=job["batchSize"], epochs=job["epochs"], shuffle=True, verbose=0, callbacks=[timer])
    n = hist.shape[0]
    secs = timer.seconds
    median = statistics.median(secs[1:]) if len(secs) > 1 else secs[0]
    out = {
        "sequences": n,
        "epochSeconds": secs,
        "losses": timer.losses,
        "sequencesPerSecond": n / median,
        "sequencesPerSecondFirstEpoch": n / secs[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "intraOpThreads": os.environ.get("TF_NUM_INTRAOP_THREADS", "TF default"),
    }
    tmp = argv[2] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
