// Small custom Keras-style layers the lab's models share, registered so that saved models load again.
import { tf } from "../backend";

/** How a score head turns the summed score into the model's output. */
export type HeadActivation = "linear" | "sigmoid";

interface ScoreHeadArgs {
  /** A constant added to every score, e.g. the global mean rating. */
  offset?: number;
  activation?: HeadActivation;
  name?: string;
}

/**
 * Sums its inputs (a dot product and any bias terms, each of shape [B, 1]), adds a constant offset and applies the
 * activation. This is the `dot + b_u + b_i + mu` of biased matrix factorisation, as one inspectable layer.
 */
export class ScoreHead extends tf.layers.Layer {
  static className = "MovieLensLabScoreHead";
  readonly offset: number;
  readonly activation: HeadActivation;

  constructor(args: ScoreHeadArgs = {}) {
    super({ name: args.name });
    this.offset = args.offset ?? 0;
    this.activation = args.activation ?? "linear";
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const first = Array.isArray(inputShape[0]) ? (inputShape[0] as tf.Shape) : (inputShape as tf.Shape);
    return [first[0], 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      let s = list.length === 1 ? list[0] : tf.addN(list);
      if (this.offset !== 0) s = s.add(this.offset);
      return this.activation === "sigmoid" ? tf.sigmoid(s) : s;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), offset: this.offset, activation: this.activation };
  }
}

tf.serialization.registerClass(ScoreHead);
