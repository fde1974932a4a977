// Rebuilds a model from its saved spec (kind + options), so a loaded model has the same layers, head and tables as a new one.
import { ModelSpec, RecModel } from "./base";
import { DenseClassModelOptions, denseClassModel } from "./dense-classes";
import { MovieGenreModelOptions, movieGenreModel } from "./movie-genre";
import { NeuMFModelOptions, neumfModel } from "./neumf";
import { SasRecModelOptions, sasrecModel } from "./sasrec";
import { UserMovieModelOptions, userMovieModel } from "./user-movie";

/** A fresh, untrained model with the architecture `spec` describes. */
export function buildModel(spec: ModelSpec): RecModel {
  switch (spec.kind) {
    case "movie-genre":
      return movieGenreModel(spec.options as unknown as MovieGenreModelOptions);
    case "user-movie":
      return userMovieModel(spec.options as unknown as UserMovieModelOptions, true);
    case "dense-classes":
      return denseClassModel(spec.options as unknown as DenseClassModelOptions);
    case "neumf":
      return neumfModel(spec.options as unknown as NeuMFModelOptions);
    case "sasrec":
      return sasrecModel(spec.options as unknown as SasRecModelOptions);
    default:
      throw new Error(`unknown model kind "${(spec as { kind: string }).kind}"`);
  }
}
