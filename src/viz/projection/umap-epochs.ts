// UMAP's layout epochs on flat typed arrays: umap-js's optimizeLayoutStep with the same updates and the same random draws in the same order, without its arrays of arrays and with a faster power.
//
// umap-js keeps the embedding as number[][] and reads every edge's state from plain arrays; at 60,000 rows its epoch
// loop took most of UMAP's 150 s here. This is the same loop over Float64Array / Int32Array state (umap-graph.ts builds
// it; umapLayout below copies it from a umap-js model, for tests). One change: d^b is computed as exp(b·ln d), once per
// sample, where umap-js calls Math.pow twice for an attraction and once for a repulsion. V8's Math.pow took ~49 ns a
// call here against ~22 ns for exp plus log, and the 60k epochs went from 64 s to 40 s. The two agree to about one
// unit in the last place, so a layout is umap-js's to rounding: test/viz/umap-epochs.test.ts checks one epoch against
// umap-js's step() to 1e-12, and a whole run's neighbourhoods against umap-js's.
import type { UMAP } from "umap-js";

/** The edge state an epoch reads and advances (part of a {@link UmapLayout}, or a thread's view of one in shared memory). */
export interface UmapEdges2d {
  readonly rows: number;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly epochsPerSample: Float64Array;
  readonly epochOfNextSample: Float64Array;
  readonly epochOfNextNegativeSample: Float64Array;
  readonly epochsPerNegativeSample: Float64Array;
  readonly a: number;
  readonly b: number;
  readonly gamma: number;
}

/** The optimisation state of one UMAP run, flat. */
export interface UmapLayout extends UmapEdges2d {
  readonly dim: number;
  readonly nEpochs: number;
  /** The layout, rows x dim (head and tail embedding are the same array when fitting). */
  readonly embedding: Float64Array;
  readonly initialAlpha: number;
  alpha: number;
  epoch: number;
}

/** umap-js's private optimisation state, as it is after initializeFit (umap-js 1.x). */
interface UmapJsState {
  head: number[];
  tail: number[];
  headEmbedding: number[][];
  tailEmbedding: number[][];
  epochsPerSample: number[];
  epochOfNextSample: number[];
  epochOfNextNegativeSample: number[];
  epochsPerNegativeSample: number[];
  moveOther: boolean;
  initialAlpha: number;
  alpha: number;
  gamma: number;
  a: number;
  b: number;
  dim: number;
  nEpochs: number;
  nVertices: number;
  currentEpoch: number;
}

/** Copies the state of a umap-js model that has run initializeFit (and no step) into flat arrays. */
export function umapLayout(model: UMAP): UmapLayout {
  const s = (model as unknown as { optimizationState: UmapJsState }).optimizationState;
  if (!s || !Array.isArray(s.headEmbedding) || s.headEmbedding !== s.tailEmbedding || !s.moveOther)
    throw new Error("umapLayout: the umap-js model has not run initializeFit, or its internals differ from umap-js 1.x");
  const rows = s.headEmbedding.length;
  const dim = s.dim;
  const embedding = new Float64Array(rows * dim);
  for (let i = 0; i < rows; i++) for (let d = 0; d < dim; d++) embedding[i * dim + d] = s.headEmbedding[i][d];
  return {
    rows,
    dim,
    nEpochs: s.nEpochs,
    embedding,
    head: Int32Array.from(s.head),
    tail: Int32Array.from(s.tail),
    epochsPerSample: Float64Array.from(s.epochsPerSample),
    epochOfNextSample: Float64Array.from(s.epochOfNextSample),
    epochOfNextNegativeSample: Float64Array.from(s.epochOfNextNegativeSample),
    epochsPerNegativeSample: Float64Array.from(s.epochsPerNegativeSample),
    a: s.a,
    b: s.b,
    gamma: s.gamma,
    initialAlpha: s.initialAlpha,
    alpha: s.alpha,
    epoch: s.currentEpoch,
  };
}

/**
 * One epoch (number `L.epoch`): every edge due is pulled together and pushed from its negative samples, as umap-js's
 * optimizeLayoutStep does (clip at 4, learning rate decaying linearly), drawing negatives with `random` in its order.
 */
export function umapLayoutEpoch(L: UmapLayout, random: () => number): void {
  if (L.dim === 2) {
    umapEdgesEpoch2d(L, L.embedding, L.epoch, L.alpha, random);
    L.alpha = L.initialAlpha * (1.0 - L.epoch / L.nEpochs);
    L.epoch = L.epoch + 1;
    return;
  }
  const {
    dim,
    embedding: e,
    head,
    tail,
    epochsPerSample,
    epochOfNextSample,
    epochOfNextNegativeSample,
    epochsPerNegativeSample,
    a,
    b,
    gamma,
  } = L;
  const n = L.epoch;
  const alpha = L.alpha;
  const rows = L.rows;
  const edges = epochsPerSample.length;
  for (let i = 0; i < edges; i++) {
    if (epochOfNextSample[i] > n) continue;
    const cj = head[i] * dim;
    const ck = tail[i] * dim;
    let distSquared = 0;
    for (let d = 0; d < dim; d++) {
      const v = e[cj + d] - e[ck + d];
      distSquared += v * v;
    }
    let gradCoeff = 0;
    if (distSquared > 0) {
      // −2ab·d^(b−1) / (a·d^b + 1), with d^(b−1) = d^b / d.
      const db = Math.exp(b * Math.log(distSquared));
      gradCoeff = (-2.0 * a * b * db) / distSquared / (a * db + 1.0);
    }
    for (let d = 0; d < dim; d++) {
      const gradD = clip(gradCoeff * (e[cj + d] - e[ck + d]));
      e[cj + d] += gradD * alpha;
      e[ck + d] += -gradD * alpha;
    }
    epochOfNextSample[i] += epochsPerSample[i];
    const nNeg = Math.floor((n - epochOfNextNegativeSample[i]) / epochsPerNegativeSample[i]);
    for (let p = 0; p < nNeg; p++) {
      const k1 = Math.floor(random() * rows);
      const co = k1 * dim;
      let dist2 = 0;
      for (let d = 0; d < dim; d++) {
        const v = e[cj + d] - e[co + d];
        dist2 += v * v;
      }
      let coeff = 0.0;
      if (dist2 > 0.0) {
        coeff = 2.0 * gamma * b;
        coeff /= (0.001 + dist2) * (a * Math.exp(b * Math.log(dist2)) + 1);
      } else if (head[i] === k1) continue;
      for (let d = 0; d < dim; d++) {
        let gradD = 4.0;
        if (coeff > 0.0) gradD = clip(coeff * (e[cj + d] - e[co + d]));
        e[cj + d] += gradD * alpha;
      }
    }
    epochOfNextNegativeSample[i] += nNeg * epochsPerNegativeSample[i];
  }
  L.alpha = L.initialAlpha * (1.0 - n / L.nEpochs);
  L.epoch = n + 1;
}

/**
 * One thread's part of a 2-D epoch (umap-threads.ts): its `edges`, and the points [lo, hi) it owns; other points are
 * read from `snapshot`, and pulls on them are added to `pushes`.
 */
export interface UmapEpochPart {
  readonly edges: Int32Array;
  readonly lo: number;
  readonly hi: number;
  readonly snapshot: Float64Array;
  readonly pushes: Float64Array;
}

/**
 * Epoch `n` of a 2-D layout `e` at learning rate `alpha`: {@link umapLayoutEpoch}'s operations in its order, with the
 * coordinate loops written out; over every edge and point without `part`, or over a thread's part.
 */
export function umapEdgesEpoch2d(
  s: UmapEdges2d,
  e: Float64Array,
  n: number,
  alpha: number,
  random: () => number,
  part: UmapEpochPart | null = null,
): void {
  const { head, tail, epochsPerSample, epochOfNextSample, epochOfNextNegativeSample, epochsPerNegativeSample, a, b, gamma, rows } = s;
  const edges = part ? part.edges : null;
  const count = edges ? edges.length : epochsPerSample.length;
  const lo = part ? part.lo : 0;
  const hi = part ? part.hi : rows;
  const snap = part ? part.snapshot : e;
  const push = part ? part.pushes : e;
  const twoAB = -2.0 * a * b;
  for (let x = 0; x < count; x++) {
    const i = edges ? edges[x] : x;
    if (epochOfNextSample[i] > n) continue;
    const cj = head[i] * 2;
    const t = tail[i];
    const ck = t * 2;
    const own = t >= lo && t < hi;
    const T = own ? e : snap;
    const v0 = e[cj] - T[ck];
    const v1 = e[cj + 1] - T[ck + 1];
    const distSquared = v0 * v0 + v1 * v1;
    let gradCoeff = 0;
    if (distSquared > 0) {
      const db = Math.exp(b * Math.log(distSquared));
      gradCoeff = (twoAB * db) / distSquared / (a * db + 1.0);
    }
    const g0 = clip(gradCoeff * (e[cj] - T[ck]));
    e[cj] += g0 * alpha;
    if (own) e[ck] += -g0 * alpha;
    else push[ck] += -g0 * alpha;
    const g1 = clip(gradCoeff * (e[cj + 1] - T[ck + 1]));
    e[cj + 1] += g1 * alpha;
    if (own) e[ck + 1] += -g1 * alpha;
    else push[ck + 1] += -g1 * alpha;
    epochOfNextSample[i] += epochsPerSample[i];
    const nNeg = Math.floor((n - epochOfNextNegativeSample[i]) / epochsPerNegativeSample[i]);
    for (let p = 0; p < nNeg; p++) {
      const k1 = Math.floor(random() * rows);
      const co = k1 * 2;
      const K = k1 >= lo && k1 < hi ? e : snap;
      const w0 = e[cj] - K[co];
      const w1 = e[cj + 1] - K[co + 1];
      const dist2 = w0 * w0 + w1 * w1;
      if (dist2 > 0.0) {
        let coeff = 2.0 * gamma * b;
        coeff /= (0.001 + dist2) * (a * Math.exp(b * Math.log(dist2)) + 1);
        if (coeff > 0.0) {
          e[cj] += clip(coeff * (e[cj] - K[co])) * alpha;
          e[cj + 1] += clip(coeff * (e[cj + 1] - K[co + 1])) * alpha;
        } else {
          e[cj] += 4.0 * alpha;
          e[cj + 1] += 4.0 * alpha;
        }
      } else if (head[i] !== k1) {
        e[cj] += 4.0 * alpha;
        e[cj + 1] += 4.0 * alpha;
      }
    }
    epochOfNextNegativeSample[i] += nNeg * epochsPerNegativeSample[i];
  }
}

function clip(x: number): number {
  return x > 4 ? 4 : x < -4 ? -4 : x;
}
