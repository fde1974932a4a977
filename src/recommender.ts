// MovieRecommender: the two-stage tutorial's workflow as one object (loadData → preprocessData → stage 1 → embeddings → stage 2 → evaluate → recommend), over the module API.
import * as fs from "fs";
import * as path from "path";
import { DatasetFingerprint, datasetFingerprint, splitChecksum } from "./data/fingerprint";
import { loadDataset, LoadDatasetOptions } from "./data/load";
import { filterByMinRatings } from "./data/preprocess";
import { ratingSummary } from "./data/stats";
import { perUserHoldout, randomSplit, temporalSplit } from "./data/splits";
import { Dataset, DatasetName, Split } from "./data/types";
import { CandidateRule } from "./evaluation/candidates";
import { evaluationData } from "./evaluation/data";
import { UserDebugReport, debugUser } from "./evaluation/debug";
import { ReportOptions, ModelReport, modelReport } from "./evaluation/report";
import { ratingTransformFromJSON } from "./data/targets";
import { Stage2Options, Trained, stage2Scorer, trainStage1, trainStage2, validationSplit } from "./experiments/recipes";
import { TOP_N_MODEL, modelEntry, trainModel } from "./experiments/registry";
import { RecModel } from "./models/base";
import { movieGenreModel } from "./models/movie-genre";
import { movieGenreTask } from "./training/tasks/movie-genre";
import { PlotlyFigure } from "./viz/figures/types";
import { MovieViewOptions, genreEmbeddingView, movieEmbeddingView } from "./viz/views";
import { ExportEmbeddingsOptions, ExportedEmbeddings, exportEmbeddings } from "./viz/embeddings-export";
import { coldStartMovieVector, coldMovieUserScores, foldInUser, foldedUserScorer } from "./recommend/cold-start";
import {
  MovieRow,
  RatedRow,
  movieIndexOf,
  rankMovies,
  recommendForUser,
  similarMovies,
  similarToVector,
  topRatedByUser,
  userIndexOf,
} from "./recommend/recommend";
import { dotWeights } from "./models/user-movie";
import { History } from "./training/fit";
import { ModelMetadata, loadModel, saveModel } from "./training/checkpoint";
import { writeDirAtomic, writeFileAtomic } from "./util/atomic";
import { ProgressMode } from "./util/progress";
import { Matrix } from "./util/matrix";

/** Options for {@link MovieRecommender}. */
export interface MovieRecommenderOptions {
  dataset?: DatasetName;
  /** Folder with the extracted dataset (else MOVIELENS_DIR, data/, or a download when `download` is true). */
  dir?: string;
  download?: boolean;
  /** Embedding dimension of both stages (stage 2 starts from stage 1's movie vectors, so they must match). */
  embeddingDim?: number;
  seed?: number;
  progress?: ProgressMode;
}

/**
 * Movies rated fewer times than this in the training split are never recommended (nor counted by the facade's top-N
 * evaluation, which ranks exactly what `recommend` shows).
 */
export const RECOMMEND_MIN_RATINGS = 5;

/**
 * Which model ranks the facade's lists: "top-n", the lab's best top-N model ({@link TOP_N_MODEL}, trained by
 * `trainTopNModel`), or "stage2", the stage 2 model (`trainUserMovieModel`; an explicit stage 2 ranks by predicted rating).
 */
export type RankWith = "top-n" | "stage2";

/** Which movie embeddings to use: stage 1's (genre-shaped) or stage 2's (taste-shaped). */
export type EmbeddingStage = "stage1" | "stage2";

/** How `preprocessData` filters and splits the ratings (kept, so a saved lab rebuilds the same split). */
export interface PreprocessOptions {
  minRatingsPerUser?: number;
  minRatingsPerMovie?: number;
  split?: "random" | "per-user-latest" | "temporal";
  testFraction?: number;
  /** Ratings held out per user by the "per-user-latest" split. */
  k?: number;
}

/** The format tag of a saved lab's `recommender.json`. */
const SAVED_LAB_FORMAT = "movielens-embedding-lab/recommender";

/** `recommender.json`, the index of a folder written by {@link MovieRecommender.save}. */
interface SavedLab {
  format: typeof SAVED_LAB_FORMAT;
  version: 1;
  savedAt: string;
  options: { dataset: DatasetName; embeddingDim: number; seed: number };
  /** The dataset as loaded, before `preprocessData`'s filters. */
  dataset: DatasetFingerprint;
  preprocess: PreprocessOptions | null;
  split: { name: string; train: number; test: number; sha256: string } | null;
  /** Folder of stage 1 (saveModel format), or null when it was not trained. */
  stage1: string | null;
  stage2: { folder: string; id: string; name: string } | null;
  /** The top-N model is refit on load from the saved split (see {@link MovieRecommender.save}); `seconds` is its fit time. */
  topN: { id: string; name: string; seconds: number } | null;
}

/**
 * The lab in one object, with the two-stage tutorial's method names in camelCase. Every step is also a plain function in the module
 * API (data/, models/, training/, evaluation/, recommend/); this class only keeps the state between them.
 */
export class MovieRecommender {
  readonly options: Required<Omit<MovieRecommenderOptions, "dir" | "download">> & Pick<MovieRecommenderOptions, "dir" | "download">;
  data: Dataset | null = null;
  split: Split | null = null;
  stage1: RecModel | null = null;
  stage1History: History | null = null;
  stage2: Trained | null = null;
  /** The top-N model `recommend` ranks with by default (see {@link trainTopNModel}). */
  topN: Trained | null = null;
  /**
   * The dataset as `loadData` read it (before filters): its checksum once computed (by `save`, or by a filtering
   * `preprocessData`, which then lets the unfiltered data go), else the data to compute it from.
   */
  private loaded: { fingerprint: DatasetFingerprint } | { dataset: Dataset } | null = null;
  /** The options `preprocessData` was last called with. */
  private preprocessed: PreprocessOptions | null = null;

  constructor(options: MovieRecommenderOptions = {}) {
    this.options = {
      dataset: options.dataset ?? "ml-latest-small",
      embeddingDim: options.embeddingDim ?? 32,
      seed: options.seed ?? 42,
      progress: options.progress ?? "auto",
      dir: options.dir,
      download: options.download,
    };
  }

  private need<T>(value: T | null, what: string, step: string): T {
    if (value === null) throw new Error(`MovieRecommender: ${what} is missing; call ${step}() first`);
    return value;
  }

  /** Loads the dataset (the tutorial's `load_data`). */
  async loadData(options: Partial<LoadDatasetOptions> = {}): Promise<Dataset> {
    this.data = await loadDataset(this.options.dataset, { dir: this.options.dir, download: this.options.download, ...options });
    this.loaded = { dataset: this.data };
    this.preprocessed = null;
    this.split = null;
    return this.data;
  }

  /** Filters sparse users/movies and splits the ratings (the tutorial's `preprocess_data`). */
  preprocessData(o: PreprocessOptions = {}): Split {
    let ds = this.need(this.data, "the dataset", "loadData");
    if ((o.minRatingsPerUser ?? 0) > 1 || (o.minRatingsPerMovie ?? 0) > 1) {
      this.loadedFingerprint();
      ds = filterByMinRatings(ds, { minPerUser: o.minRatingsPerUser, minPerMovie: o.minRatingsPerMovie }).dataset;
      this.data = ds;
    }
    const kind = o.split ?? "random";
    this.split =
      kind === "random"
        ? randomSplit(ds, { testFraction: o.testFraction ?? 0.1, seed: this.options.seed })
        : kind === "temporal"
          ? temporalSplit(ds, { testFraction: o.testFraction ?? 0.1 })
          : perUserHoldout(ds, { k: o.k ?? 5, by: "time" });
    this.preprocessed = { ...o };
    return this.split;
  }

  /** The (movie, genre, label) pairs stage 1 trains on, positives and sampled negatives (the tutorial's `create_movie_genre_pairs`). */
  createMovieGenrePairs(negativeRatio = 4): { movie: Int32Array; genre: Int32Array; label: Float32Array } {
    const ds = this.need(this.data, "the dataset", "loadData");
    return movieGenreTask(ds.movies, { seed: this.options.seed, negativeRatio }).labelledPairs();
  }

  /** Builds the stage 1 model without training it (the tutorial's `build_movie_genre_model`); `summary()` shows it. */
  buildMovieGenreModel(): RecModel {
    const ds = this.need(this.data, "the dataset", "loadData");
    this.stage1?.dispose();
    this.stage1 = movieGenreModel({
      numMovies: ds.numMovies,
      numGenres: ds.movies.genreVocabulary.length,
      dim: this.options.embeddingDim,
      seed: this.options.seed,
    });
    return this.stage1;
  }

  /** Trains stage 1 (the tutorial's `train_movie_genre_model`). Retraining replaces the previous model. */
  async trainMovieGenreModel(
    o: { epochs?: number; batchSize?: number; learningRate?: number; negativeRatio?: number } = {},
  ): Promise<History> {
    const ds = this.need(this.data, "the dataset", "loadData");
    this.stage1?.dispose();
    const r = await trainStage1(ds, { ...o, dim: this.options.embeddingDim, seed: this.options.seed, progress: this.options.progress });
    this.stage1 = r.model;
    this.stage1History = r.history;
    return r.history;
  }

  /** Stage 1's movie embeddings, numMovies x d (the tutorial's `extract_movie_embeddings`). */
  extractMovieEmbeddings(stage: EmbeddingStage = "stage1"): Matrix {
    if (stage === "stage2") return this.need(this.stage2?.model ?? null, "stage 2", "trainUserMovieModel").weight("movie_embedding");
    return this.need(this.stage1, "stage 1", "trainMovieGenreModel").weight("movie_embedding");
  }

  /** Stage 1's genre embeddings, numGenres x d. */
  extractGenreEmbeddings(): Matrix {
    return this.need(this.stage1, "stage 1", "trainMovieGenreModel").weight("genre_embedding");
  }

  /**
   * A 2-D view of a stage's movie embeddings coloured by genre (the tutorial's `visualize_embeddings`): t-SNE by default,
   * or PCA / UMAP, with progress on the lab's display. Show it with `await show(await rec.visualizeEmbeddings())`, or save it with `saveFigure`.
   */
  async visualizeEmbeddings(o: MovieViewOptions & { stage?: EmbeddingStage } = {}): Promise<PlotlyFigure> {
    const ds = this.need(this.data, "the dataset", "loadData");
    const view = await movieEmbeddingView(ds, this.extractMovieEmbeddings(o.stage ?? "stage1"), {
      seed: this.options.seed,
      progress: this.options.progress,
      ...o,
    });
    return view.figure;
  }

  /**
   * Writes a stage's movie embeddings for the TensorBoard Embedding Projector (vectors.tsv, metadata.tsv,
   * projector_config.pbtxt), NumPy (vectors.npy) and a CSV of their 2-D PCA coordinates, into `dir` (replaced
   * atomically); see {@link exportEmbeddings}.
   */
  async exportEmbeddings(dir: string, o: ExportEmbeddingsOptions & { stage?: EmbeddingStage } = {}): Promise<ExportedEmbeddings> {
    const ds = this.need(this.data, "the dataset", "loadData");
    const { stage, ...rest } = o;
    return exportEmbeddings(ds, this.extractMovieEmbeddings(stage ?? "stage1"), dir, { seed: this.options.seed, ...rest });
  }

  /** Stage 1's genre vectors on the movies' PCA map. */
  visualizeGenres(): PlotlyFigure {
    const ds = this.need(this.data, "the dataset", "loadData");
    return genreEmbeddingView(ds, this.extractMovieEmbeddings("stage1"), this.extractGenreEmbeddings(), { seed: this.options.seed });
  }

  /**
   * Trains stage 2 on the training split, initialised from stage 1 unless `movieInit` is "random". Explicit losses
   * learn a bias per rating session (one user, one day) unless `sessionBias: false`.
   */
  async trainUserMovieModel(o: Omit<Stage2Options, "stage1"> & { validationFraction?: number } = {}): Promise<Trained> {
    const ds = this.need(this.data, "the dataset", "loadData");
    const split = this.need(this.split, "the split", "preprocessData");
    const init = o.movieInit ?? "finetune";
    const stage1 = init === "random" ? null : this.extractMovieEmbeddings("stage1");
    const { train, validation } = validationSplit(split.train, o.validationFraction ?? 0.05, this.options.seed);
    this.stage2?.model?.dispose();
    const implicit = o.loss === "bpr" || o.loss === "sampled";
    this.stage2 = await trainStage2(ds, train, {
      earlyStopping: implicit ? { patience: 2 } : { patience: 3, monitor: "rmse" },
      sessionBias: !implicit,
      ...o,
      validation,
      stage1,
      movieInit: init,
      dim: this.options.embeddingDim,
      seed: this.options.seed,
      progress: this.options.progress,
    });
    return this.stage2;
  }

  /**
   * Trains the top-N model `recommend` ranks with, on the training split: by default {@link TOP_N_MODEL} (EASE, the
   * best NDCG@10 of the lab's models on the bench; closed-form, seconds). Any registry id that ranks can be given.
   */
  async trainTopNModel(id: string = TOP_N_MODEL): Promise<Trained> {
    const ds = this.need(this.data, "the dataset", "loadData");
    const split = this.need(this.split, "the split", "preprocessData");
    const entry = modelEntry(id);
    this.topN?.model?.dispose();
    this.topN = null;
    this.topN = await trainModel(id, ds, split.train, {
      seed: this.options.seed,
      progress: this.options.progress,
      ...(entry.stage1Seeds > 0 ? { stage1: [this.extractMovieEmbeddings("stage1")] } : {}),
    });
    return this.topN;
  }

  /** The trained model behind `using`, with a message naming the step that trains it. */
  private ranker(using: RankWith): Trained {
    if (using === "stage2") return this.need(this.stage2, "stage 2", "trainUserMovieModel");
    if (using !== "top-n") throw new RangeError(`MovieRecommender: "using" must be "top-n" or "stage2", got ${String(using)}`);
    return this.need(this.topN, "the top-N model", "trainTopNModel");
  }

  /**
   * RMSE, MAE and top-N metrics on the test split, of stage 2 (default) or of the top-N model (`using: "top-n"`). Full
   * ranking skips movies with fewer than {@link RECOMMEND_MIN_RATINGS} training ratings unless `minRatings` says
   * otherwise, so its metrics are those of the lists `recommend` shows.
   */
  async evaluate(o: ReportOptions & { using?: RankWith } = {}): Promise<ModelReport> {
    const ds = this.need(this.data, "the dataset", "loadData");
    const { using = "stage2", ...report } = o;
    return modelReport(ds, this.need(this.split, "the split", "preprocessData"), this.ranker(using), {
      minRatings: RECOMMEND_MIN_RATINGS,
      ...report,
    });
  }

  /**
   * Top-N unseen movies for a user (original id), next to the movies they rated highest (the Keras example's report).
   * Ranked by the top-N model (`trainTopNModel`) by default; `using: "stage2"` ranks by stage 2 instead. An explicit
   * stage 2 fitted for RMSE ranks rarely rated movies with high predicted ratings first (Cremonesi et al., RecSys 2010),
   * which is why it is not the default. Movies with fewer than {@link RECOMMEND_MIN_RATINGS} training ratings are left out.
   */
  recommend(userId: number, n = 10, o: { using?: RankWith } = {}): { topRated: RatedRow[]; recommendations: MovieRow[] } {
    const ds = this.need(this.data, "the dataset", "loadData");
    const split = this.need(this.split, "the split", "preprocessData");
    const t = this.ranker(o.using ?? "top-n");
    return {
      topRated: topRatedByUser(ds, userId, 5, split.train),
      recommendations: recommendForUser(ds, t.scorer, userId, { n, seen: split.train, minRatings: RECOMMEND_MIN_RATINGS }),
    };
  }

  /**
   * The debug view of `recommend`'s list for one user: the same model and candidates (minimum ratings included), with the
   * user's held-out movies, their ranks and the hits at `k` (relevant: test rating >= `relevanceThreshold`, default 4).
   */
  async debugUser(userId: number, o: { k?: number; relevanceThreshold?: number | null; using?: RankWith } = {}): Promise<UserDebugReport> {
    const ds = this.need(this.data, "the dataset", "loadData");
    const split = this.need(this.split, "the split", "preprocessData");
    const t = this.ranker(o.using ?? "top-n");
    return debugUser(evaluationData(ds, split), ds.movies, userIndexOf(ds, userId), t.scorer, {
      k: o.k ?? 10,
      relevanceThreshold: o.relevanceThreshold === undefined ? 4 : o.relevanceThreshold,
      minRatings: RECOMMEND_MIN_RATINGS,
    });
  }

  /** Movies most similar to `movieId` in either stage's embedding space. */
  similarMovies(movieId: number, k = 10, stage: EmbeddingStage = "stage1"): MovieRow[] {
    const ds = this.need(this.data, "the dataset", "loadData");
    return similarMovies(ds, this.extractMovieEmbeddings(stage), movieId, { k, minRatings: RECOMMEND_MIN_RATINGS });
  }

  /** A movie that has no ratings yet, from its genres: its nearest movies, and the users most likely to like it. */
  coldStartMovie(genres: string[], k = 10): { similar: MovieRow[]; topUsers: { userId: number; score: number }[] } {
    const ds = this.need(this.data, "the dataset", "loadData");
    const v = coldStartMovieVector(this.extractGenreEmbeddings(), ds.movies.genreVocabulary, genres);
    const similar = similarToVector(ds, this.extractMovieEmbeddings("stage1"), v, { k, minRatings: RECOMMEND_MIN_RATINGS });
    let topUsers: { userId: number; score: number }[] = [];
    if (this.stage2?.model && this.stage2.model.spec.options.movieInit !== "random") {
      const scores = coldMovieUserScores(dotWeights(this.stage2.model), v);
      topUsers = Array.from(scores, (score, u) => ({ userId: ds.userIds[u], score }))
        .sort((a, b) => b.score - a.score)
        .slice(0, k);
    }
    return { similar, topUsers };
  }

  /**
   * A new user from a handful of (movieId, rating) pairs: their top-N among the movies they did not rate. By default the
   * top-N model scores them from the movies they liked (rating >= `likedAt`, default 4; lower ratings only exclude their
   * movies), as EASE scores any user: one more row of its interaction matrix. `using: "stage2"` folds them into stage 2
   * instead (their vector solved with every movie vector fixed), which uses every rating, low ones included.
   */
  coldStartUser(ratings: { movieId: number; rating: number }[], n = 10, o: { using?: RankWith; likedAt?: number } = {}): MovieRow[] {
    const ds = this.need(this.data, "the dataset", "loadData");
    const rated = ratings.map((r) => movieIndexOf(ds, r.movieId));
    const candidates = new CandidateRule(ds.numUsers, ds.numMovies, ds.ratings, { minRatings: RECOMMEND_MIN_RATINGS }).candidatesExcluding(
      rated,
    );
    const using = o.using ?? "top-n";
    const t = this.ranker(using);
    if (using === "top-n") {
      const likedAt = o.likedAt ?? 4;
      const liked = Int32Array.from(rated.filter((_, k) => ratings[k].rating >= likedAt));
      if (!t.scorer.scoreNewUser) {
        throw new Error(`MovieRecommender: the top-N model ${t.name} cannot score a new user without retraining; pass { using: "stage2" }`);
      }
      if (liked.length === 0) {
        throw new RangeError(
          `MovieRecommender.coldStartUser: no rating is >= likedAt (${likedAt}); give a liked movie, or pass { using: "stage2" }`,
        );
      }
      return rankMovies(ds, candidates, t.scorer.scoreNewUser(liked, candidates), n);
    }
    const w = dotWeights(this.need(t.model, "a stage 2 model", "trainUserMovieModel"));
    const user = foldInUser(ds, w, ratings, { transform: t.transform ?? undefined });
    return rankMovies(ds, candidates, foldedUserScorer(w, user).scoreMovies(-1, candidates), n);
  }

  /**
   * Saves the whole lab into folder `dir`: stage 1 and stage 2 (weights, id maps, rating transform, training history),
   * the options and seed, how the data was preprocessed and split (with the split's checksum) and the dataset's name
   * and content checksum, in `recommender.json`. The top-N model is saved as its registry id and refit on load from
   * the same split and seed: the default, EASE, is closed-form (its n x n weights would be 50 MB on ml-latest-small
   * and take seconds to recompute), and every registry model is deterministic for a seed on one backend. The folder
   * appears complete or not at all (written under a temporary name, then renamed). Returns the folder's absolute path.
   */
  async save(dir: string): Promise<string> {
    const ds = this.need(this.data, "the dataset", "loadData");
    const loaded = this.loadedFingerprint();
    const metadata = (extra: Partial<ModelMetadata> = {}): ModelMetadata => ({
      dataset: String(ds.name),
      userIds: Array.from(ds.userIds),
      movieIds: Array.from(ds.movies.ids),
      genres: ds.movies.genreVocabulary,
      ...extra,
    });
    const saved: SavedLab = {
      format: SAVED_LAB_FORMAT,
      version: 1,
      savedAt: new Date().toISOString(),
      options: { dataset: this.options.dataset, embeddingDim: this.options.embeddingDim, seed: this.options.seed },
      dataset: loaded,
      preprocess: this.split ? this.preprocessed : null,
      split: this.split
        ? { name: this.split.name, train: this.split.train.length, test: this.split.test.length, sha256: splitChecksum(this.split) }
        : null,
      stage1: this.stage1 ? "stage1" : null,
      stage2: this.stage2?.model ? { folder: "stage2", id: this.stage2.id, name: this.stage2.name } : null,
      topN: this.topN ? { id: this.topN.id, name: this.topN.name, seconds: this.topN.seconds } : null,
    };
    const target = path.resolve(dir);
    await writeDirAtomic(target, async (tmp) => {
      if (this.stage1) {
        await saveModel(this.stage1, path.join(tmp, "stage1"), metadata({ userIds: [], notes: { history: this.stage1History } }));
      }
      if (this.stage2?.model) {
        await saveModel(
          this.stage2.model,
          path.join(tmp, "stage2"),
          metadata({ transform: this.stage2.transform?.toJSON(), notes: { history: this.stage2.history } }),
        );
      }
      writeFileAtomic(path.join(tmp, "recommender.json"), JSON.stringify(saved, null, 2) + "\n");
    });
    return target;
  }

  /**
   * Loads a lab written by {@link save}: reads the dataset again (from `options.dir`, MOVIELENS_DIR, data/ or a
   * download, as `loadData` does) and refuses it, naming both checksums, unless it is the same data the lab was saved
   * with; then rebuilds the split from the saved parameters (checked against the saved split's checksum), restores
   * both stages and refits the top-N model. The result recommends what the saved lab recommended.
   */
  static async load(dir: string, options: Pick<MovieRecommenderOptions, "dir" | "download" | "progress"> = {}): Promise<MovieRecommender> {
    const folder = path.resolve(dir);
    const file = path.join(folder, "recommender.json");
    const where = `MovieRecommender.load: ${file}`;
    if (!fs.existsSync(file)) throw new Error(`${where} is missing; is ${folder} a folder written by rec.save()?`);
    let saved: SavedLab;
    try {
      saved = JSON.parse(fs.readFileSync(file, "utf8")) as SavedLab;
    } catch (err) {
      throw new Error(`${where} is not valid JSON: ${(err as Error).message}`);
    }
    if (saved?.format !== SAVED_LAB_FORMAT) throw new Error(`${where} is not a saved lab (format ${JSON.stringify(saved?.format)})`);
    if (saved.version !== 1) throw new Error(`${where} has version ${saved.version}; this lab reads version 1`);
    const rec = new MovieRecommender({ ...saved.options, ...options });
    try {
      const ds = await rec.loadData();
      const now = rec.loadedFingerprint();
      const was = saved.dataset;
      if (now.sha256 !== was.sha256) {
        throw new Error(
          `MovieRecommender.load: ${folder} was saved from ${was.name} with checksum ${was.sha256.slice(0, 16)}… ` +
            `(${was.ratings} ratings, ${was.movies} movies, ${was.users} users), but the data loaded from ${ds.source} has ` +
            `checksum ${now.sha256.slice(0, 16)}… (${now.ratings} ratings, ${now.movies} movies, ${now.users} users): ` +
            `a different version of the dataset. Load it from the files it was saved with (option dir), or train again.`,
        );
      }
      if (saved.split) {
        const split = rec.preprocessData(saved.preprocess ?? {});
        const sha = splitChecksum(split);
        if (sha !== saved.split.sha256) {
          throw new Error(
            `MovieRecommender.load: the split rebuilt from ${file}'s parameters (${split.train.length} train, ${split.test.length} test) ` +
              `differs from the saved one (${saved.split.train} train, ${saved.split.test} test); the lab's split code has changed since it was saved`,
          );
        }
      }
      const restore = async (sub: string) => {
        const { model, metadata } = await loadModel(path.join(folder, sub));
        const ids = metadata.movieIds;
        if (ids.length !== ds.numMovies || ids.some((id, m) => id !== ds.movies.ids[m])) {
          model.dispose();
          throw new Error(`MovieRecommender.load: ${path.join(folder, sub)} was trained on other movies than the loaded dataset's`);
        }
        return { model, metadata, history: (metadata.notes?.history ?? null) as History | null };
      };
      if (saved.stage1) {
        const s1 = await restore(saved.stage1);
        rec.stage1 = s1.model;
        rec.stage1History = s1.history;
      }
      if (saved.stage2) {
        const s2 = await restore(saved.stage2.folder);
        const transform = s2.metadata.transform ? ratingTransformFromJSON(s2.metadata.transform, `${where} stage2 transform`) : null;
        rec.stage2 = {
          id: saved.stage2.id,
          name: saved.stage2.name,
          scorer: stage2Scorer(ds, s2.model, transform),
          model: s2.model,
          history: s2.history,
          transform,
          seconds: s2.history?.seconds ?? 0,
        };
      }
      if (saved.topN) await rec.trainTopNModel(saved.topN.id);
      return rec;
    } catch (err) {
      rec.dispose();
      throw err;
    }
  }

  /** The checksum of the dataset as `loadData` read it, computed once. */
  private loadedFingerprint(): DatasetFingerprint {
    const loaded = this.need(this.loaded, "the dataset", "loadData");
    if ("dataset" in loaded) this.loaded = { fingerprint: datasetFingerprint(loaded.dataset) };
    return (this.loaded as { fingerprint: DatasetFingerprint }).fingerprint;
  }

  /** Frees every model's tensors. */
  dispose(): void {
    this.stage1?.dispose();
    this.stage2?.model?.dispose();
    this.topN?.model?.dispose();
    this.stage1 = null;
    this.stage2 = null;
    this.topN = null;
  }
}
