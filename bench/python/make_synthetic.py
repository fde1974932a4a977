"""Writes random ml-latest-small-sized data in train_reference.py's raw binary format, to smoke-test or time the Keras reference without MovieLens."""
# Usage: python bench/python/make_synthetic.py OUT_DIR [--seed S]   (needs only numpy, e.g. .venv-bench/bin/python)
# Writes, under OUT_DIR (prefix -> job field "data"):
#   ratings  610 users x 9,742 movies, 100,836 ratings in 0.5..5 (half stars), target = the rating
#   unit     same pairs, target = (rating - 0.5) / 4.5 in [0, 1]          (dot-bias-sigmoid)
#   classes  same pairs, target = rating * 2 - 1, class ids 0..9        (dense-classes, numClasses 10)
#   genres   every movie x 20 genres (194,840 pairs; user = movie, movie = genre), target 1 for ~10% (movie-genre)
# and OUT_DIR/sizes.json with the table sizes and counts.
import argparse
import json
import os

import numpy as np

USERS, MOVIES, RATINGS, GENRES = 610, 9742, 100_836, 20


def write(prefix, user, movie, target):
    np.asarray(user, dtype="<i4").tofile(f"{prefix}.user.i32")
    np.asarray(movie, dtype="<i4").tofile(f"{prefix}.movie.i32")
    np.asarray(target, dtype="<f4").tofile(f"{prefix}.target.f32")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    user = rng.integers(0, USERS, RATINGS)
    movie = rng.integers(0, MOVIES, RATINGS)
    stars = rng.integers(1, 11, RATINGS)  # half stars: 1..10 -> 0.5..5.0
    rating = stars / 2.0
    write(os.path.join(a.out_dir, "ratings"), user, movie, rating)
    write(os.path.join(a.out_dir, "unit"), user, movie, (rating - 0.5) / 4.5)
    write(os.path.join(a.out_dir, "classes"), user, movie, stars - 1)
    gm, gg = np.meshgrid(np.arange(MOVIES), np.arange(GENRES), indexing="ij")
    write(os.path.join(a.out_dir, "genres"), gm.ravel(), gg.ravel(), rng.random(MOVIES * GENRES) < 0.1)
    sizes = {"numUsers": USERS, "numMovies": MOVIES, "numRatings": RATINGS, "numGenres": GENRES,
             "numGenrePairs": MOVIES * GENRES, "numClasses": 10, "meanRating": float(rating.mean())}
    with open(os.path.join(a.out_dir, "sizes.json"), "w", encoding="utf-8") as f:
        json.dump(sizes, f, indent=2)
    print(json.dumps(sizes))


if __name__ == "__main__":
    main()
