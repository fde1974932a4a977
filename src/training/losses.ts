// Training losses with hand-written gradients: the values of tf.losses' MSE and log loss and of cross-entropy on class probabilities, in a few kernels instead of the tape's dozens.
//
// Each is a tf.customGrad: the forward ops run off the tape and the backward pass is one closed-form expression, so
// a step records one tape node per loss instead of every reshape, cast and broadcast-reduction the stock losses (and
// their gradients) go through. Per-step kernel count matters at the lab's batch sizes, where kernels are tiny.
import { tf } from "../backend";

/** mean((labels - predictions)^2), as tf.losses.meanSquaredError computes it; gradient 2 (p - y) / n. */
export function meanSquaredError(labels: tf.Tensor, predictions: tf.Tensor): tf.Scalar {
  const n = predictions.size;
  const f = tf.customGrad((p, save) => {
    (save as tf.GradSaveFunc)([p as tf.Tensor]);
    return {
      value: tf
        .squaredDifference(labels, p as tf.Tensor)
        .sum()
        .div(n),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [q]: tf.Tensor[]) => [q.sub(labels).mul((dy as tf.Tensor).mul(2 / n))],
    };
  });
  return f(predictions) as tf.Scalar;
}

/** The log loss's epsilon, tf.losses.logLoss's default. */
export const LOG_LOSS_EPSILON = 1e-7;

/**
 * mean(-y log(p + eps) - (1 - y) log(1 - p + eps)), as tf.losses.logLoss computes it; gradient
 * ((1 - y) / (1 - p + eps) - y / (p + eps)) / n.
 */
export function logLoss(labels: tf.Tensor, predictions: tf.Tensor, epsilon = LOG_LOSS_EPSILON): tf.Scalar {
  const n = predictions.size;
  const f = tf.customGrad((p, save) => {
    const pos = (p as tf.Tensor).add(epsilon);
    const neg = tf.sub(1, p as tf.Tensor).add(epsilon);
    const notY = tf.sub(1, labels);
    (save as tf.GradSaveFunc)([pos, neg, notY]);
    const losses = tf.neg(labels.mul(tf.log(pos))).sub(notY.mul(tf.log(neg)));
    return {
      value: losses.sum().div(n),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [a, b, ny]: tf.Tensor[]) => [
        ny
          .div(b)
          .sub(labels.div(a))
          .mul((dy as tf.Tensor).div(n)),
      ],
    };
  });
  return f(predictions) as tf.Scalar;
}

/**
 * -mean_b log(clip(p_b[target_b], 1e-7, 1)) for class probabilities `p` [B, C] and float one-hot targets: softmax
 * cross-entropy on log-probabilities (softmax(log p) = p), so the same value and, through the model's softmax, the
 * same gradient. Gradient -onehot / (B p) where p >= 1e-7, else 0 (as through the clip).
 */
export function classCrossEntropy(oneHot: tf.Tensor, probabilities: tf.Tensor): tf.Scalar {
  const b = probabilities.shape[0] ?? 1;
  const f = tf.customGrad((p, save) => {
    const clipped = (p as tf.Tensor).clipByValue(1e-7, 1);
    (save as tf.GradSaveFunc)([p as tf.Tensor, clipped, oneHot]); // saved: the tape keeps them for the backward pass
    return {
      value: tf.sum(oneHot.mul(tf.log(clipped))).div(-b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], [q, c, y]: tf.Tensor[]) => {
        const g = tf.where(tf.greaterEqual(q, 1e-7), y.div(c), tf.zerosLike(c));
        return [g.mul((dy as tf.Tensor).div(-b))];
      },
    };
  });
  return f(probabilities) as tf.Scalar;
}

/** `log(1 + e^x)` on a number, without overflow (for closed-form losses computed in JS). */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** `1 / (1 + e^-x)` on a number: softplus's derivative. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
