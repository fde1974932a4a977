// Barnes–Hut space-partitioning tree (quadtree in 2-D; binary/octree in 1-D/3-D) over the embedding, for t-SNE's repulsive forces.

const MAX_DEPTH = 48;

/**
 * A rebuildable Barnes–Hut tree over `n` points in `dim` (1..3) dimensions. Nodes are stored in depth-first
 * order in flat typed arrays with a `skip` pointer (the index after the subtree), so traversal needs no stack.
 * Points are kept in tree order (`perm` maps tree order -> original index); the order carries over between
 * builds so a rebuild after a small move mostly finds points already partitioned.
 */
export class BhTree {
  readonly n: number;
  readonly dim: number;
  readonly leafCapacity: number;
  /** Tree position -> original point index. */
  readonly perm: Int32Array;
  /** Point coordinates in tree order, `n x dim`. */
  readonly pos: Float64Array;
  /** Per node, stride dim+2: centre of mass (dim values), point count, squared cell width. */
  node: Float64Array;
  /** Per node: index of the first node after its subtree. */
  skip: Int32Array;
  /** Per node: first tree position of a leaf's points, or -1 for an internal node. */
  leafStart: Int32Array;
  /** Per node: one past a leaf's last tree position. */
  leafEnd: Int32Array;
  /** Per node (leaf or internal): first tree position of its points; they end at `rangeStart[node] + count`. */
  rangeStart: Int32Array;
  nNodes = 0;
  private readonly bounds: Int32Array;
  private readonly centres: Float64Array;

  constructor(n: number, dim: number, leafCapacity = 4) {
    if (dim < 1 || dim > 3) throw new RangeError(`BhTree: dim must be 1, 2 or 3, got ${dim}`);
    this.n = n;
    this.dim = dim;
    this.leafCapacity = Math.max(1, leafCapacity);
    this.perm = new Int32Array(n);
    for (let i = 0; i < n; i++) this.perm[i] = i;
    this.pos = new Float64Array(n * dim);
    const cap = 2 * n + 16;
    this.node = new Float64Array(cap * (dim + 2));
    this.skip = new Int32Array(cap);
    this.leafStart = new Int32Array(cap);
    this.leafEnd = new Int32Array(cap);
    this.rangeStart = new Int32Array(cap);
    this.bounds = new Int32Array((MAX_DEPTH + 2) * 9);
    this.centres = new Float64Array((MAX_DEPTH + 2) * 3);
  }

  /** Rebuilds the tree for coordinates `y` (original order, `n x dim`). */
  build(y: Float64Array): void {
    const { n, dim, perm, pos } = this;
    for (let t = 0; t < n; t++) {
      const p = perm[t] * dim;
      for (let a = 0; a < dim; a++) pos[t * dim + a] = y[p + a];
    }
    this.nNodes = 0;
    if (n === 0) return;
    let half = 0;
    for (let a = 0; a < dim; a++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let t = 0; t < n; t++) {
        const v = pos[t * dim + a];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      this.centres[a] = (lo + hi) / 2;
      if ((hi - lo) / 2 > half) half = (hi - lo) / 2;
    }
    half = half * (1 + 1e-9) + 1e-12;
    this.buildNode(0, n, half, 0);
  }

  private grow(): void {
    const cap = this.skip.length * 2;
    const node = new Float64Array(cap * (this.dim + 2));
    node.set(this.node);
    this.node = node;
    const skip = new Int32Array(cap);
    skip.set(this.skip);
    this.skip = skip;
    const ls = new Int32Array(cap);
    ls.set(this.leafStart);
    this.leafStart = ls;
    const le = new Int32Array(cap);
    le.set(this.leafEnd);
    this.leafEnd = le;
    const rs = new Int32Array(cap);
    rs.set(this.rangeStart);
    this.rangeStart = rs;
  }

  /** Moves points with coordinate `axis` < c to the front of [start, end); returns the split position. */
  private partition(start: number, end: number, axis: number, c: number): number {
    const { dim, pos, perm } = this;
    let i = start;
    let j = end - 1;
    for (;;) {
      while (i <= j && pos[i * dim + axis] < c) i++;
      while (i <= j && pos[j * dim + axis] >= c) j--;
      if (i >= j) break;
      for (let a = 0; a < dim; a++) {
        const tmp = pos[i * dim + a];
        pos[i * dim + a] = pos[j * dim + a];
        pos[j * dim + a] = tmp;
      }
      const tp = perm[i];
      perm[i] = perm[j];
      perm[j] = tp;
      i++;
      j--;
    }
    return i;
  }

  /** Builds the node for tree positions [start, end) whose cell centre is centres[depth*3..] and half-width `half`. */
  private buildNode(start: number, end: number, half: number, depth: number): void {
    if (this.nNodes >= this.skip.length) this.grow();
    const dim = this.dim;
    const stride = dim + 2;
    const node = this.nNodes++;
    const count = end - start;
    this.rangeStart[node] = start;
    if (count <= this.leafCapacity || depth >= MAX_DEPTH) {
      const nd = this.node;
      const pos = this.pos;
      for (let a = 0; a < dim; a++) {
        let s = 0;
        for (let t = start; t < end; t++) s += pos[t * dim + a];
        nd[node * stride + a] = s / count;
      }
      nd[node * stride + dim] = count;
      nd[node * stride + dim + 1] = 4 * half * half;
      this.leafStart[node] = start;
      this.leafEnd[node] = end;
      this.skip[node] = node + 1;
      return;
    }
    this.leafStart[node] = -1;
    this.leafEnd[node] = -1;
    // Split [start, end) along each axis in turn; child c has bit (dim-1-a) set when its coordinate a >= centre a.
    const b = this.bounds;
    const bo = depth * 9;
    const co = depth * 3;
    const nChildren = 1 << dim;
    b[bo] = start;
    b[bo + nChildren] = end;
    for (let a = 0, segs = 1; a < dim; a++, segs *= 2) {
      const step = nChildren / segs;
      const c = this.centres[co + a];
      for (let s = 0; s < segs; s++) {
        const lo = b[bo + s * step];
        const hi = b[bo + (s + 1) * step];
        b[bo + s * step + step / 2] = this.partition(lo, hi, a, c);
      }
    }
    const h2 = half / 2;
    const sums = [0, 0, 0];
    for (let c = 0; c < nChildren; c++) {
      const lo = b[bo + c];
      const hi = b[bo + c + 1];
      if (hi <= lo) continue;
      for (let a = 0; a < dim; a++) {
        const bit = (c >> (dim - 1 - a)) & 1;
        this.centres[co + 3 + a] = this.centres[co + a] + (bit ? h2 : -h2);
      }
      const child = this.nNodes;
      this.buildNode(lo, hi, h2, depth + 1);
      const nd = this.node;
      const m = nd[child * stride + dim];
      for (let a = 0; a < dim; a++) sums[a] += nd[child * stride + a] * m;
    }
    const nd = this.node;
    for (let a = 0; a < dim; a++) nd[node * stride + a] = sums[a] / count;
    nd[node * stride + dim] = count;
    nd[node * stride + dim + 1] = 4 * half * half;
    this.skip[node] = this.nNodes;
  }

  /**
   * Barnes–Hut repulsion for the current build: for every point i, writes Σ_j q_ij² (y_i - y_j) into
   * `out[i*dim ..]` (original order), where q_ij = 1/(1 + |y_i - y_j|²), and returns Z = Σ_{i≠j} q_ij.
   * A cell is summarised by its centre of mass when width² < theta² · distance².
   */
  repulsion(theta: number, out: Float64Array): number {
    return this.dim === 2 ? this.repulsion2dGrouped(theta, out, 0, this.n) : this.repulsionNd(theta, out);
  }

  /**
   * {@link repulsion} for part of the points (2-D only): the groups whose first tree position is in [from, to), so
   * threads with identical builds can split the work by position ranges. Writes only those points' forces and returns
   * their share of Z; the shares of a partition of [0, n) add up to {@link repulsion}'s Z.
   */
  repulsionPart(theta: number, out: Float64Array, from: number, to: number): number {
    if (this.dim !== 2) throw new RangeError("BhTree.repulsionPart: 2-D only");
    return this.repulsion2dGrouped(theta, out, from, to);
  }

  /** Per-point traversal (kept for comparison with the grouped version). */
  repulsionPerPoint(theta: number, out: Float64Array): number {
    return this.dim === 2 ? this.repulsion2d(theta, out) : this.repulsionNd(theta, out);
  }

  /** Group size for {@link repulsion2dGrouped}. */
  groupSize = 32;
  private list = new Float64Array(3 * 1024);
  private direct = new Int32Array(2 * 256);

  /**
   * 2-D repulsion with one traversal per group of nearby points (a maximal subtree of ≤ groupSize points):
   * a node is summarised for the whole group when width² < theta² · (distance from its centre of mass to the
   * group's bounding box)², which is at least as strict as the per-point test. The resulting interaction list is
   * then evaluated for each point of the group in a branch-free loop.
   */
  private repulsion2dGrouped(theta: number, out: Float64Array, from: number, to: number): number {
    const { pos, perm, skip, leafStart, leafEnd, rangeStart, nNodes } = this;
    const node = this.node;
    const th2 = theta * theta;
    const groupSize = this.groupSize;
    let z = 0;
    let g = 0;
    while (g < nNodes) {
      const gCount = node[g * 4 + 2];
      if (gCount > groupSize && leafStart[g] < 0) {
        g++;
        continue;
      }
      const gs = rangeStart[g];
      const ge = gs + gCount;
      if (gs < from || gs >= to) {
        g = skip[g];
        continue;
      }
      let x0 = Infinity;
      let x1 = -Infinity;
      let y0 = Infinity;
      let y1 = -Infinity;
      for (let t = gs; t < ge; t++) {
        const x = pos[2 * t];
        const y = pos[2 * t + 1];
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      // Build the interaction list for the group.
      let list = this.list;
      let direct = this.direct;
      let nl = 0;
      let nd = 0;
      let m = 0;
      while (m < nNodes) {
        const b = m * 4;
        const cx = node[b];
        const cy = node[b + 1];
        const dx = cx < x0 ? x0 - cx : cx > x1 ? cx - x1 : 0;
        const dy = cy < y0 ? y0 - cy : cy > y1 ? cy - y1 : 0;
        if (node[b + 3] < th2 * (dx * dx + dy * dy)) {
          if (nl + 3 > list.length) {
            const bigger = new Float64Array(list.length * 2);
            bigger.set(list);
            this.list = list = bigger;
          }
          list[nl] = cx;
          list[nl + 1] = cy;
          list[nl + 2] = node[b + 2];
          nl += 3;
          m = skip[m];
        } else {
          const ls = leafStart[m];
          if (ls >= 0) {
            if (nd + 2 > direct.length) {
              const bigger = new Int32Array(direct.length * 2);
              bigger.set(direct);
              this.direct = direct = bigger;
            }
            direct[nd] = ls;
            direct[nd + 1] = leafEnd[m];
            nd += 2;
            m = skip[m];
          } else m++;
        }
      }
      // Evaluate it for every point of the group, two points per pass over the summaries (shared loads, more parallel work).
      for (let t = gs; t < ge; t += 2) {
        const two = t + 1 < ge;
        const t2 = two ? t + 1 : t;
        const xa = pos[2 * t];
        const ya = pos[2 * t + 1];
        const xb = pos[2 * t2];
        const yb = pos[2 * t2 + 1];
        let fxa = 0;
        let fya = 0;
        let sqa = 0;
        let fxb = 0;
        let fyb = 0;
        let sqb = 0;
        for (let l = 0; l < nl; l += 3) {
          const cx = list[l];
          const cy = list[l + 1];
          const mass = list[l + 2];
          const dxa = xa - cx;
          const dya = ya - cy;
          const dxb = xb - cx;
          const dyb = yb - cy;
          const qa = 1 / (1 + (dxa * dxa + dya * dya));
          const qb = 1 / (1 + (dxb * dxb + dyb * dyb));
          const mqa = mass * qa;
          const mqb = mass * qb;
          sqa += mqa;
          sqb += mqb;
          const mqqa = mqa * qa;
          const mqqb = mqb * qb;
          fxa += mqqa * dxa;
          fya += mqqa * dya;
          fxb += mqqb * dxb;
          fyb += mqqb * dyb;
        }
        for (let r = 0; r < nd; r += 2) {
          const le = direct[r + 1];
          for (let s = direct[r]; s < le; s++) {
            const px = pos[2 * s];
            const py = pos[2 * s + 1];
            if (s !== t) {
              const ex = xa - px;
              const ey = ya - py;
              const q = 1 / (1 + (ex * ex + ey * ey));
              sqa += q;
              const qq = q * q;
              fxa += qq * ex;
              fya += qq * ey;
            }
            if (s !== t2) {
              const ex = xb - px;
              const ey = yb - py;
              const q = 1 / (1 + (ex * ex + ey * ey));
              sqb += q;
              const qq = q * q;
              fxb += qq * ex;
              fyb += qq * ey;
            }
          }
        }
        z += sqa;
        const pa = perm[t];
        out[2 * pa] = fxa;
        out[2 * pa + 1] = fya;
        if (two) {
          z += sqb;
          const pb = perm[t2];
          out[2 * pb] = fxb;
          out[2 * pb + 1] = fyb;
        }
      }
      g = skip[g];
    }
    return z;
  }

  private repulsion2d(theta: number, out: Float64Array): number {
    const { n, pos, perm, node, skip, leafStart, leafEnd, nNodes } = this;
    const th2 = theta * theta;
    let z = 0;
    for (let t = 0; t < n; t++) {
      const x = pos[2 * t];
      const y = pos[2 * t + 1];
      let fx = 0;
      let fy = 0;
      let sq = 0;
      let nd = 0;
      while (nd < nNodes) {
        const b = nd * 4;
        const dx = x - node[b];
        const dy = y - node[b + 1];
        const d2 = dx * dx + dy * dy;
        if (node[b + 3] < th2 * d2) {
          const q = 1 / (1 + d2);
          const mq = node[b + 2] * q;
          sq += mq;
          const mqq = mq * q;
          fx += mqq * dx;
          fy += mqq * dy;
          nd = skip[nd];
        } else {
          const ls = leafStart[nd];
          if (ls >= 0) {
            const le = leafEnd[nd];
            for (let s = ls; s < le; s++) {
              if (s === t) continue;
              const ex = x - pos[2 * s];
              const ey = y - pos[2 * s + 1];
              const q = 1 / (1 + (ex * ex + ey * ey));
              sq += q;
              const qq = q * q;
              fx += qq * ex;
              fy += qq * ey;
            }
            nd = skip[nd];
          } else nd++;
        }
      }
      z += sq;
      const p = perm[t];
      out[2 * p] = fx;
      out[2 * p + 1] = fy;
    }
    return z;
  }

  private repulsionNd(theta: number, out: Float64Array): number {
    const { n, dim, pos, perm, node, skip, leafStart, leafEnd, nNodes } = this;
    const stride = dim + 2;
    const th2 = theta * theta;
    const f = new Float64Array(dim);
    const diff = new Float64Array(dim);
    let z = 0;
    for (let t = 0; t < n; t++) {
      f.fill(0);
      let sq = 0;
      let nd = 0;
      while (nd < nNodes) {
        const b = nd * stride;
        let d2 = 0;
        for (let a = 0; a < dim; a++) {
          const v = pos[t * dim + a] - node[b + a];
          diff[a] = v;
          d2 += v * v;
        }
        if (node[b + dim + 1] < th2 * d2) {
          const q = 1 / (1 + d2);
          const mq = node[b + dim] * q;
          sq += mq;
          const mqq = mq * q;
          for (let a = 0; a < dim; a++) f[a] += mqq * diff[a];
          nd = skip[nd];
        } else {
          const ls = leafStart[nd];
          if (ls >= 0) {
            const le = leafEnd[nd];
            for (let s = ls; s < le; s++) {
              if (s === t) continue;
              let e2 = 0;
              for (let a = 0; a < dim; a++) {
                const v = pos[t * dim + a] - pos[s * dim + a];
                diff[a] = v;
                e2 += v * v;
              }
              const q = 1 / (1 + e2);
              sq += q;
              const qq = q * q;
              for (let a = 0; a < dim; a++) f[a] += qq * diff[a];
            }
            nd = skip[nd];
          } else nd++;
        }
      }
      z += sq;
      const p = perm[t] * dim;
      for (let a = 0; a < dim; a++) out[p + a] = f[a];
    }
    return z;
  }
}

/** Exact O(n²) repulsion with the same contract as {@link BhTree.repulsion} (for small n, theta = 0, and checks). */
export function exactRepulsion(y: Float64Array, n: number, dim: number, out: Float64Array): number {
  out.fill(0);
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let d2 = 0;
      for (let a = 0; a < dim; a++) {
        const v = y[i * dim + a] - y[j * dim + a];
        d2 += v * v;
      }
      const q = 1 / (1 + d2);
      z += 2 * q;
      const qq = q * q;
      for (let a = 0; a < dim; a++) {
        const v = qq * (y[i * dim + a] - y[j * dim + a]);
        out[i * dim + a] += v;
        out[j * dim + a] -= v;
      }
    }
  }
  return z;
}
