// Saving and loading models in the TF.js layers format, with the encoders and config needed to reuse them; writes are atomic.
import * as fs from "fs";
import * as path from "path";
import { tf } from "../backend";
import { RatingTransformJSON, checkRatingTransformJSON } from "../data/targets";
import { ModelSpec, RecModel } from "../models/base";
import { buildModel } from "../models/build";
import "../models/layers"; // registers the custom layers so saved models deserialize
import { writeDirAtomic } from "../util/atomic";

/** What, besides the weights, a saved model needs to be reused. */
export interface ModelMetadata {
  /** Dataset the model was trained on. */
  dataset: string;
  /** Original user ids per dense user index (empty for stage 1). */
  userIds: number[];
  /** Original movie ids per dense movie index. */
  movieIds: number[];
  /** Genre vocabulary (stage 1). */
  genres?: string[];
  /** How ratings map to targets (rating tasks): the transform's JSON form, `task.transform.toJSON()`; `ratingTransformFromJSON` revives it. */
  transform?: RatingTransformJSON;
  /** Rating class values (dense rating-class model). */
  classes?: number[];
  /** Anything else worth keeping, e.g. the training history. */
  notes?: Record<string, unknown>;
}

interface LabFile {
  format: "movielens-embedding-lab/model";
  version: 1;
  spec: ModelSpec;
  inputNames: string[];
  metadata: ModelMetadata;
  savedAt: string;
}

function concatWeightData(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

/** Bytes per value of the dtypes a weights manifest can hold (quantized weights store their quantized dtype). */
const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** The size of weights.bin that a weights manifest describes, or null when it cannot tell (string weights). */
function manifestBytes(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const w of specs) {
    const dtype: string = w.quantization?.dtype ?? w.dtype;
    const size = BYTES_PER_VALUE[dtype];
    if (size === undefined) return null;
    total += w.shape.reduce((n, d) => n * d, 1) * size;
  }
  return total;
}

/**
 * Saves `model` into folder `dir` (model.json + weights.bin in the TF.js format, plus lab.json with the spec and
 * encoders). The folder appears complete or not at all: it is written under a temporary name and renamed.
 */
export async function saveModel(model: RecModel, dir: string, metadata: ModelMetadata): Promise<string> {
  // The transform is written in the data layer's JSON form, checked before anything is written.
  const checked =
    metadata.transform === undefined
      ? metadata
      : { ...metadata, transform: checkRatingTransformJSON(metadata.transform, "saveModel: metadata.transform") };
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.net.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a || !a.weightData || !a.weightSpecs) throw new Error("saveModel: TF.js produced no weights");
  const modelJson = {
    modelTopology: a.modelTopology,
    format: a.format ?? "layers-model",
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }],
  };
  const lab: LabFile = {
    format: "movielens-embedding-lab/model",
    version: 1,
    spec: model.spec,
    inputNames: model.inputNames,
    metadata: checked,
    savedAt: new Date().toISOString(),
  };
  const target = path.resolve(dir);
  await writeDirAtomic(target, (tmp) => {
    fs.writeFileSync(path.join(tmp, "model.json"), JSON.stringify(modelJson));
    fs.writeFileSync(path.join(tmp, "weights.bin"), concatWeightData(a.weightData as ArrayBuffer | ArrayBuffer[]));
    fs.writeFileSync(path.join(tmp, "lab.json"), JSON.stringify(lab, null, 2));
  });
  return target;
}

/** Loads a model saved by {@link saveModel}; clear errors name the folder and the missing or bad file. */
export async function loadModel(dir: string): Promise<{ model: RecModel; metadata: ModelMetadata }> {
  const folder = path.resolve(dir);
  const read = (name: string): Buffer => {
    const file = path.join(folder, name);
    if (!fs.existsSync(file)) throw new Error(`loadModel: ${file} is missing; is ${folder} a folder written by saveModel?`);
    return fs.readFileSync(file);
  };
  let lab: LabFile;
  let modelJson: { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    lab = JSON.parse(read("lab.json").toString("utf8")) as LabFile;
    modelJson = JSON.parse(read("model.json").toString("utf8"));
  } catch (err) {
    if ((err as Error).message.startsWith("loadModel:")) throw err;
    throw new Error(`loadModel: ${folder} has a corrupt JSON file: ${(err as Error).message}`);
  }
  if (lab.format !== "movielens-embedding-lab/model")
    throw new Error(`loadModel: ${path.join(folder, "lab.json")} is not a lab model file`);
  const transform = lab.metadata?.transform;
  if (transform !== undefined)
    lab.metadata.transform = checkRatingTransformJSON(transform, `loadModel: ${path.join(folder, "lab.json")} metadata.transform`);
  const specs = modelJson.weightsManifest?.[0]?.weights;
  if (!Array.isArray(specs)) throw new Error(`loadModel: ${path.join(folder, "model.json")} has no weights manifest`);
  const weights = read("weights.bin");
  // Check the size before decoding: TF.js would report a short file as a tensor with too few values, and ignore extra bytes.
  const expected = manifestBytes(specs);
  if (expected !== null && weights.byteLength !== expected) {
    const file = path.join(folder, "weights.bin");
    throw new Error(
      `loadModel: ${file} is ${weights.byteLength < expected ? "truncated" : "too long"}: the weights manifest in model.json ` +
        `(${specs.length} weights) expects ${expected} bytes, found ${weights.byteLength} bytes. ` +
        `The folder is incomplete or mixes files from different saves; save the model again.`,
    );
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  // Rebuild from the spec (so the head and tables exist) and set each layer's saved weights, matched by name.
  const tensors = tf.io.decodeWeights(weightData, specs);
  const model = buildModel(lab.spec);
  try {
    for (const layer of model.net.layers) {
      if (!layer.weights.length) continue;
      layer.setWeights(
        layer.weights.map((w) => {
          const t = tensors[w.originalName];
          if (!t)
            throw new Error(`loadModel: ${path.join(folder, "weights.bin")} has no weight "${w.originalName}" for layer ${layer.name}`);
          return t;
        }),
      );
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return { model, metadata: lab.metadata };
}
