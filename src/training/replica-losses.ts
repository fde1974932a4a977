// The losses a data-parallel training thread can rebuild by name (training/replica.ts): each with the weight of a part of a batch in the batch's mean.
import { tf } from "../backend";
import { Forward, TaskBatch } from "./task";
import { NEXT_MOVIE_LOSS, nextMovieLoss } from "./tasks/next-movie";

/** A loss that is a weighted mean over a batch, rebuilt from plain-data options in another thread. */
export interface ReplicaLoss {
  loss(forward: Forward, batch: TaskBatch): tf.Scalar;
  /**
   * The weight of a part of a batch in the whole batch's mean, from its target values: the whole batch's loss is the
   * weight-averaged loss of its parts, and so is its gradient.
   */
  weight(target: Float32Array): number;
}

const REGISTRY: Record<string, (options: Record<string, number>) => ReplicaLoss> = {
  // The mean over real positions: a part weighs its number of real positions (the mask's sum).
  [NEXT_MOVIE_LOSS]: (o) => ({
    loss: nextMovieLoss(o.maxLength),
    weight: (target) => target.reduce((a, x) => a + x, 0),
  }),
};

/** The registered loss `name` with its options; throws naming the registered ones when `name` is not one. */
export function replicaLoss(name: string, options: Record<string, number>): ReplicaLoss {
  const make = REGISTRY[name];
  if (!make) throw new Error(`replicaLoss: no loss registered as "${name}" (registered: ${Object.keys(REGISTRY).join(", ")})`);
  return make(options);
}
