// Content checksums of a loaded dataset and of a split, so a saved lab can tell whether it is being loaded against the same data.
import * as crypto from "crypto";
import { Dataset, Split } from "./types";

/** What a dataset checksum covers, with the counts that make a mismatch message readable. */
export interface DatasetFingerprint {
  readonly name: string;
  /** SHA-256 (hex) of every rating (original user and movie ids, value, timestamp) and every movie (id, raw title, genres). */
  readonly sha256: string;
  readonly ratings: number;
  readonly movies: number;
  readonly users: number;
}

function update(hash: crypto.Hash, view: ArrayBufferView): void {
  hash.update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}

/**
 * The dataset's content checksum: independent of the folder it was read from and of the file format's byte layout, so
 * the same release read twice gives the same value, and a different release (or an edited file) gives another.
 */
export function datasetFingerprint(ds: Dataset): DatasetFingerprint {
  const hash = crypto.createHash("sha256");
  const r = ds.ratings;
  update(
    hash,
    Int32Array.from(r.user, (u) => ds.userIds[u]),
  );
  update(
    hash,
    Int32Array.from(r.movie, (m) => ds.movies.ids[m]),
  );
  update(hash, r.rating.subarray(0, r.length));
  update(hash, r.timestamp.subarray(0, r.length));
  update(hash, ds.movies.ids);
  hash.update(ds.movies.rawTitles.map((t, m) => `${t}\t${ds.movies.genres[m].join("|")}`).join("\n"));
  return { name: String(ds.name), sha256: hash.digest("hex"), ratings: r.length, movies: ds.numMovies, users: ds.numUsers };
}

/** SHA-256 (hex) of a split's train and test rating indices, in order. */
export function splitChecksum(split: Split): string {
  const hash = crypto.createHash("sha256");
  update(hash, Int32Array.of(split.train.length, split.test.length));
  update(hash, split.train);
  update(hash, split.test);
  return hash.digest("hex");
}
