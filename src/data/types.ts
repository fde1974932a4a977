// The in-memory form of a MovieLens dataset: columnar typed arrays plus dense index <-> original id maps.

/**
 * Ratings as parallel typed arrays, one entry per rating (16 bytes per rating).
 * `user[i]` and `movie[i]` are dense indices into the dataset's user and movie tables.
 */
export interface Ratings {
  /** Dense user index, 0..numUsers-1. */
  readonly user: Int32Array;
  /** Dense movie index, 0..numMovies-1. */
  readonly movie: Int32Array;
  /** The rating as given (1..5 for ml-100k/ml-1m, 0.5..5 in half steps for the CSV family). */
  readonly rating: Float32Array;
  /** Unix seconds. */
  readonly timestamp: Uint32Array;
  /** Number of ratings. */
  readonly length: number;
}

/** The movie table, indexed by dense movie index. */
export interface Movies {
  /** Original MovieLens movie id for each dense index. */
  readonly ids: Int32Array;
  /** Title without the trailing "(year)". */
  readonly titles: string[];
  /** The title exactly as in the file. */
  readonly rawTitles: string[];
  /** Release year parsed from the title, or null when the title has none. */
  readonly years: (number | null)[];
  /** Genre names per movie (empty for "(no genres listed)" / only "unknown" stays as "unknown" in ml-100k). */
  readonly genres: string[][];
  /** The dataset's own genre vocabulary, in a stable order. */
  readonly genreVocabulary: string[];
  /** Multi-hot genre matrix, row-major numMovies x genreVocabulary.length. */
  readonly genreMatrix: Uint8Array;
}

/** Demographics where the dataset has them (ml-100k, ml-1m). Indexed by dense user index. */
export interface Users {
  /** Original user id per dense index. */
  readonly ids: Int32Array;
  readonly gender: ("M" | "F")[];
  /** ml-100k: age in years; ml-1m: the coded age bracket's lower bound (1, 18, 25, 35, 45, 50, 56). */
  readonly age: Int16Array;
  /** Human-readable age bracket, e.g. "25-34". */
  readonly ageBracket: string[];
  /** Occupation name (ml-1m codes are decoded). */
  readonly occupation: string[];
  readonly zip: string[];
}

/** A train/test split expressed as indices into a dataset's ratings. */
export interface Split {
  readonly name: string;
  readonly train: Int32Array;
  readonly test: Int32Array;
  /** Test users that have no rating in train. */
  readonly coldUsers: number;
  /** Test movies that have no rating in train. */
  readonly coldMovies: number;
}

/** The names of the datasets the loaders know. */
export type DatasetName = "ml-100k" | "ml-1m" | "ml-latest-small" | "ml-latest" | "ml-20m" | "ml-25m" | "ml-32m";

/** A loaded MovieLens dataset. */
export interface Dataset {
  readonly name: DatasetName | string;
  /** Folder the files were read from. */
  readonly source: string;
  readonly ratings: Ratings;
  readonly movies: Movies;
  /** Null when the dataset has no demographics (the CSV family). */
  readonly users: Users | null;
  /** Original user id per dense user index. */
  readonly userIds: Int32Array;
  readonly numUsers: number;
  readonly numMovies: number;
  /** Original id -> dense index. */
  readonly userIndex: Map<number, number>;
  readonly movieIndex: Map<number, number>;
  /** Smallest and largest possible rating. */
  readonly ratingScale: { readonly min: number; readonly max: number };
  /** tags.csv rows (CSV family, when the file is present), with original ids; absent or null otherwise. */
  readonly tags?: Tags | null;
  /** links.csv rows (CSV family, when the file is present); absent or null otherwise. */
  readonly links?: Links | null;
}

/** User-applied tags (tags.csv), one entry per row, keeping original user and movie ids. */
export interface Tags {
  readonly userId: Int32Array;
  readonly movieId: Int32Array;
  readonly tag: string[];
  /** Unix seconds. */
  readonly timestamp: Uint32Array;
  readonly length: number;
}

/** External ids per movie (links.csv), one entry per row. */
export interface Links {
  readonly movieId: Int32Array;
  /** IMDb id as written, leading zeros kept (e.g. "0114709"). */
  readonly imdbId: string[];
  /** TMDb id, or -1 where the file leaves it empty. */
  readonly tmdbId: Int32Array;
  readonly length: number;
}
