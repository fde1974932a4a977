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

interface StepDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

/**
 * Dropout whose mask is seeded AND changes on every training call: call k draws its mask from seed (seed, k). The
 * stock `tf.layers.dropout({ seed })` re-seeds its generator with the same number on every call, so it drops the same
 * units at every step (a fixed thinned network, not dropout). A fresh model replays the same sequence of masks, so
 * the same seed still gives the same numbers. At inference it is the identity. Each mask is a function of the
 * example's row in the whole batch, so a batch split between threads draws the masks one thread would (see
 * {@link withBatchRowOffset} and training/replica.ts).
 */
export class StepDropout extends tf.layers.Layer {
  static className = "MovieLensLabStepDropout";
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: StepDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) throw new RangeError(`StepDropout: rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return x;
    return tf.tidy(() => tf.mul(x, dropoutMask(x.shape, this.rate, this.nextSeed(), batchRowOffset)));
  }

  /** How many training calls drew a mask so far (the next call draws call number `callCount`). */
  get callCount(): number {
    return this.calls;
  }

  /** Sets the call number of the next mask (a replica of the model in another thread follows this thread's count). */
  set callCount(n: number) {
    this.calls = n;
  }

  /**
   * The next training call's mask, already divided by the keep probability (`call` multiplies by exactly this), for
   * a hand-written backward pass; advances the sequence like a call does. Null when the rate is 0.
   */
  nextMask(shape: number[]): tf.Tensor | null {
    if (this.rate === 0) return null;
    return dropoutMask(shape, this.rate, this.nextSeed());
  }

  /** A distinct 32-bit seed per training call, derived from (seed, call number). */
  private nextSeed(): number {
    return (Math.imul(this.seed | 0, 2654435761) + Math.imul(this.calls++, 40503)) >>> 0;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

tf.serialization.registerClass(StepDropout);

/** The row of the whole batch that row 0 of the tensors being masked is (0 unless a thread runs part of a batch). */
let batchRowOffset = 0;

/**
 * Runs `fn` with its dropout masks drawn as rows [offset, offset + B) of the whole batch's masks: a thread that runs
 * rows [h, B) of a batch sets h, so it drops what one thread running the whole batch would.
 */
export function withBatchRowOffset<T>(offset: number, fn: () => T): T {
  const before = batchRowOffset;
  batchRowOffset = offset;
  try {
    return fn();
  } finally {
    batchRowOffset = before;
  }
}

/** Every {@link StepDropout} of a network, its own layers' and those a layer holds (an attention layer's), in a fixed order. */
export function stepDropouts(net: tf.LayersModel): StepDropout[] {
  const out: StepDropout[] = [];
  for (const layer of net.layers) {
    if (layer instanceof StepDropout) out.push(layer);
    else for (const v of Object.values(layer)) if (v instanceof StepDropout) out.push(v);
  }
  return out;
}

/** The 32-bit hash of pair j of a mask's Weyl sequence (murmur3's finaliser). */
function maskPairHash(seed: number, j: number): number {
  let z = ((Math.imul(seed | 0, 0x9e3779b9) ^ 0x85ebca6b) + Math.imul(j + 1, 0x6d2b79f5)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return z ^ (z >>> 16);
}

/**
 * A dropout mask of `shape`: each entry is 1/(1 − rate) with probability 1 − rate (to 16 bits), else 0. Entries 2j and
 * 2j + 1 take the two halves of a 32-bit hash of (seed, j) (murmur3's finaliser over a Weyl sequence), so the mask is
 * a pure function of its seed and of each entry's index. `rowOffset` r makes it rows [r, r + shape[0]) of a mask whose
 * first dimension is longer: the entries at flat indices from r × (row size) on. TF.js's seeded `tf.dropout` draws
 * through seedrandom's Alea in JS and builds a ones tensor; together they were 12% of a SASRec training step.
 */
export function dropoutMask(shape: number[], rate: number, seed: number, rowOffset = 0): tf.Tensor {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropoutMask: rate must be in [0, 1), got ${rate}`);
  const n = shape.reduce((a, b) => a * b, 1);
  const start = rowOffset * (shape.length > 0 ? n / shape[0] : 1);
  const mask = new Float32Array(n);
  const threshold = Math.round((1 - rate) * 65536); // keep when a 16-bit draw is below it
  const scale = 1 / (1 - rate);
  let i = 0;
  if (start % 2 === 1 && n > 0) {
    // The mask starts at the high half of a pair.
    if (maskPairHash(seed, (start - 1) / 2) >>> 16 < threshold) mask[0] = scale;
    i = 1;
  }
  let z0 = (Math.imul(seed | 0, 0x9e3779b9) ^ 0x85ebca6b) + Math.imul((start + i) / 2, 0x6d2b79f5);
  // Branch-free: (h − threshold) >>> 31 is 1 exactly when the 16-bit draw h is below the threshold (twice as fast as
  // an if per entry, whose outcome is random).
  const pairsEnd = i + ((n - i) & ~1);
  for (; i < pairsEnd; i += 2) {
    let z = (z0 = (z0 + 0x6d2b79f5) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    mask[i] = scale * (((z & 0xffff) - threshold) >>> 31);
    mask[i + 1] = scale * (((z >>> 16) - threshold) >>> 31);
  }
  // A last entry alone: the low half of its pair's hash.
  if (i < n) mask[i] = scale * (((maskPairHash(seed, (start + i) / 2) & 0xffff) - threshold) >>> 31);
  return tf.tensor(mask, shape, "float32");
}
