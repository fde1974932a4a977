// UMAP's 2-D epochs on several threads: each thread owns a range of points and the edges whose head is in it, reads other threads' points from a snapshot taken at the start of the epoch, and hands its pushes on their points over in a buffer added after the epoch.
//
// umap-js's epoch (umap-epochs.ts) is one sequential stream of updates: an edge pulls its head and tail together and
// pushes its head from negative samples, each update seeing every earlier one. Split as it is, that stream would race.
// Here the points are split into contiguous ranges, one per thread, and a thread handles the edges whose head it owns:
// - its own points it reads and moves at once, in edge order, as the sequential loop does;
// - another thread's point (a tail or a negative sample) it reads from the snapshot of the layout taken before the
//   epoch, and a pull on it (a tail's move) goes into the thread's buffer, which is added to the layout after every
//   thread has finished, in thread order;
// - each thread draws its negative samples from its own Rng, seeded once from the run's.
// So no thread reads what another writes during an epoch, and the shares of an epoch can run in any order or at
// once: the result depends on the seed and the thread count only. Running the shares one after the other on this
// thread gives exactly the two-thread coordinates (the fallback when a worker cannot start, and what the test
// compares). It is an asynchronous variant of umap-js's SGD (a cross-range pull is a fraction of an epoch stale), not
// its arithmetic: test/viz/umap-threads.test.ts bounds the difference in quality against one thread.
import { Worker } from "node:worker_threads";
import { Rng } from "../../util/random";
import { startSiblingWorker } from "../../util/worker";
import { UmapEdges2d, UmapEpochPart, UmapLayout, umapEdgesEpoch2d } from "./umap-epochs";

/** Control words of the shared Int32Array. */
const GENERATION = 0;
const DONE = 1;
const FAILED = 2;
const STOP = 3;
export const UMAP_CONTROL = { GENERATION, DONE, FAILED, STOP } as const;

/** How long this thread waits for a worker's share of an epoch before giving up with an error. */
const WORKER_TIMEOUT_MS = 120_000;

/** The shared state of a threaded run (SharedArrayBuffers, so a worker can map the same memory). */
export interface UmapShareData {
  rows: number;
  threads: number;
  /** The live layout, rows x 2. */
  embedding: SharedArrayBuffer;
  /** The layout at the start of the epoch. */
  snapshot: SharedArrayBuffer;
  /** threads x rows x 2 pushes on other threads' points. */
  pushes: SharedArrayBuffer;
  head: SharedArrayBuffer;
  tail: SharedArrayBuffer;
  epochsPerSample: SharedArrayBuffer;
  epochOfNextSample: SharedArrayBuffer;
  epochOfNextNegativeSample: SharedArrayBuffer;
  epochsPerNegativeSample: SharedArrayBuffer;
  /** All threads' edge lists, concatenated: thread t's are edgeList[edgeStart[t] .. edgeStart[t + 1]). */
  edgeList: SharedArrayBuffer;
  edgeStart: number[];
  /** Thread t owns points [pointStart[t], pointStart[t + 1]). */
  pointStart: number[];
  /** The seed of each thread's negative samples. */
  seeds: number[];
  a: number;
  b: number;
  gamma: number;
  /** [epoch, alpha] of the epoch being run. */
  epochState: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
}

/** What a worker gets: the shared state and its thread index. */
export interface UmapWorkerData extends UmapShareData {
  index: number;
}

/** One thread's view of the shared state: its part of every epoch. */
export class UmapShare {
  private readonly e: Float64Array;
  private readonly edges: UmapEdges2d;
  private readonly part: UmapEpochPart;
  private readonly random: () => number;

  constructor(d: UmapShareData, index: number) {
    this.e = new Float64Array(d.embedding);
    this.edges = {
      rows: d.rows,
      head: new Int32Array(d.head),
      tail: new Int32Array(d.tail),
      epochsPerSample: new Float64Array(d.epochsPerSample),
      epochOfNextSample: new Float64Array(d.epochOfNextSample),
      epochOfNextNegativeSample: new Float64Array(d.epochOfNextNegativeSample),
      epochsPerNegativeSample: new Float64Array(d.epochsPerNegativeSample),
      a: d.a,
      b: d.b,
      gamma: d.gamma,
    };
    this.part = {
      edges: new Int32Array(d.edgeList, 4 * d.edgeStart[index], d.edgeStart[index + 1] - d.edgeStart[index]),
      lo: d.pointStart[index],
      hi: d.pointStart[index + 1],
      snapshot: new Float64Array(d.snapshot),
      pushes: new Float64Array(d.pushes, 8 * 2 * d.rows * index, 2 * d.rows),
    };
    const rng = new Rng(d.seeds[index]);
    this.random = () => rng.next();
  }

  /** This thread's share of epoch `n` at learning rate `alpha` (see the file comment). */
  run(n: number, alpha: number): void {
    umapEdgesEpoch2d(this.edges, this.e, n, alpha, this.random, this.part);
  }
}

/**
 * A 2-D UMAP layout whose epochs run on `threads` threads (see the file comment): `layout`'s state is copied into
 * shared memory, and {@link epoch} replaces umapLayoutEpoch. `seed` seeds the threads' negative samples.
 * `useWorkers: false` runs every share on this thread, one after the other: the same coordinates.
 */
export class UmapEpochThreads {
  /** The layout being optimised (shared memory); read it after the last epoch. */
  readonly embedding: Float64Array;
  private readonly snapshot: Float64Array;
  private readonly pushes: Float64Array;
  private readonly ctrl: Int32Array;
  private readonly epochState: Float64Array;
  private readonly shares: UmapShare[];
  private readonly workers: Worker[] = [];
  /** Whether the shares 1.. run on worker threads (false: on this thread, after share 0). */
  private workersRunning: boolean;
  private readonly data: UmapShareData;
  private epochsRun = 0;

  constructor(
    private readonly layout: UmapLayout,
    readonly threads: number,
    seed: number,
    useWorkers = true,
  ) {
    if (layout.dim !== 2) throw new RangeError(`UmapEpochThreads: 2-D layouts only, got ${layout.dim}-D`);
    if (!(Number.isInteger(threads) && threads >= 2))
      throw new RangeError(`UmapEpochThreads: threads must be an integer ≥ 2, got ${threads}`);
    const rows = layout.rows;
    const sab = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
    const f64 = (a: Float64Array) => {
      const buf = sab(8 * a.length);
      new Float64Array(buf).set(a);
      return buf;
    };
    const i32 = (a: Int32Array) => {
      const buf = sab(4 * a.length);
      new Int32Array(buf).set(a);
      return buf;
    };
    const pointStart = Array.from({ length: threads + 1 }, (_, t) => Math.round((t * rows) / threads));
    // Each thread's edges, in edge order: those whose head it owns.
    const owner = (p: number) => {
      let t = 0;
      while (p >= pointStart[t + 1]) t++;
      return t;
    };
    const counts = new Array<number>(threads).fill(0);
    const edgeOwner = Int32Array.from(layout.head, owner);
    for (const t of edgeOwner) counts[t]++;
    const edgeStart = [0];
    for (let t = 0; t < threads; t++) edgeStart.push(edgeStart[t] + counts[t]);
    const edgeList = new Int32Array(layout.head.length);
    const fill = edgeStart.slice(0, threads);
    for (let i = 0; i < edgeOwner.length; i++) edgeList[fill[edgeOwner[i]]++] = i;
    const rng = new Rng(seed);
    const data: UmapShareData = {
      rows,
      threads,
      embedding: f64(layout.embedding),
      snapshot: sab(8 * 2 * rows),
      pushes: sab(8 * 2 * rows * threads),
      head: i32(layout.head),
      tail: i32(layout.tail),
      epochsPerSample: f64(layout.epochsPerSample),
      epochOfNextSample: f64(layout.epochOfNextSample),
      epochOfNextNegativeSample: f64(layout.epochOfNextNegativeSample),
      epochsPerNegativeSample: f64(layout.epochsPerNegativeSample),
      edgeList: i32(edgeList),
      edgeStart,
      pointStart,
      seeds: Array.from({ length: threads }, () => rng.nextUint32()),
      a: layout.a,
      b: layout.b,
      gamma: layout.gamma,
      epochState: sab(8 * 2),
      ctrl: sab(4 * 4),
    };
    this.data = data;
    this.embedding = new Float64Array(data.embedding);
    this.snapshot = new Float64Array(data.snapshot);
    this.pushes = new Float64Array(data.pushes);
    this.ctrl = new Int32Array(data.ctrl);
    this.epochState = new Float64Array(data.epochState);
    this.shares = [new UmapShare(data, 0)];
    this.workersRunning = useWorkers;
    if (useWorkers) {
      for (let t = 1; t < threads; t++) {
        const workerData: UmapWorkerData = { ...data, index: t };
        this.workers.push(startSiblingWorker(__dirname, "umap-worker", workerData, { failed: FAILED, done: DONE }));
      }
    } else {
      for (let t = 1; t < threads; t++) this.shares.push(new UmapShare(data, t));
    }
  }

  /** One epoch (number `layout.epoch`) on every thread; then the pushes are added and the learning rate decays. */
  epoch(): void {
    const L = this.layout;
    const { ctrl, embedding, snapshot, pushes } = this;
    snapshot.set(embedding);
    if (this.workersRunning) {
      this.epochState[0] = L.epoch;
      this.epochState[1] = L.alpha;
      Atomics.store(ctrl, DONE, 0);
      Atomics.add(ctrl, GENERATION, 1);
      Atomics.notify(ctrl, GENERATION);
    }
    this.shares[0].run(L.epoch, L.alpha);
    if (this.workersRunning) {
      const others = this.threads - 1;
      const start = Date.now();
      for (let done = Atomics.load(ctrl, DONE); done < others; done = Atomics.load(ctrl, DONE)) {
        if (Atomics.load(ctrl, FAILED)) break;
        if (Date.now() - start > WORKER_TIMEOUT_MS)
          throw new Error(`UMAP: a worker thread did not answer in ${WORKER_TIMEOUT_MS / 1000} s`);
        Atomics.wait(ctrl, DONE, done, 1000);
      }
      if (Atomics.load(ctrl, FAILED)) {
        if (this.epochsRun > 0) throw new Error("UMAP: a worker thread failed (run with threads: 1 to use this thread only)");
        // A worker that could not start has run nothing: its shares run here from now on, with the same result.
        this.close();
        this.workersRunning = false;
        for (let t = 1; t < this.threads; t++) {
          this.shares.push(new UmapShare(this.data, t));
          this.shares[t].run(L.epoch, L.alpha);
        }
      }
    } else {
      for (let t = 1; t < this.threads; t++) this.shares[t].run(L.epoch, L.alpha);
    }
    const len = embedding.length;
    for (let t = 0; t < this.threads; t++) {
      const off = t * len;
      for (let i = 0; i < len; i++) {
        embedding[i] += pushes[off + i];
        pushes[off + i] = 0;
      }
    }
    L.alpha = L.initialAlpha * (1.0 - L.epoch / L.nEpochs);
    L.epoch = L.epoch + 1;
    this.epochsRun++;
  }

  /** Stops the workers. */
  close(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GENERATION, 1);
    Atomics.notify(this.ctrl, GENERATION);
    for (const w of this.workers) void w.terminate();
  }
}
