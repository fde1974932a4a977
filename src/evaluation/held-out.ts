// Held-out rating predictions: the scorer's prediction for a split's test ratings, in their context (stage 2's session bias) when the scorer has one.
import type { Dataset } from "../data/types";
import type { MovieScorer } from "../models/scorer";

/**
 * Predicted and actual ratings for the dataset's ratings at `indices` (e.g. a split's test set), in rating units. Uses
 * the scorer's rating context when it has one (stage 2's session biases), else its plain (user, movie) prediction.
 */
export function predictHeldOut(
  ds: Pick<Dataset, "ratings">,
  scorer: MovieScorer,
  indices: Int32Array,
): { predicted: Float32Array; actual: Float32Array } {
  if (!scorer.predictRatings) throw new Error(`${scorer.name} ranks movies but does not predict ratings`);
  const predicted = scorer.predictRatingsAt
    ? scorer.predictRatingsAt(indices)
    : scorer.predictRatings(
        Int32Array.from(indices, (i) => ds.ratings.user[i]),
        Int32Array.from(indices, (i) => ds.ratings.movie[i]),
      );
  return { predicted, actual: Float32Array.from(indices, (i) => ds.ratings.rating[i]) };
}
