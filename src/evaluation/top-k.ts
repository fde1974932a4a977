// Partial top-K selection over parallel item/score typed arrays (a size-K heap), so ranking never sorts a whole catalogue.

/** The best items of a candidate list, best first, with their scores. */
export interface TopK {
  /** Item ids, best first. */
  readonly items: Int32Array;
  /** The scores of `items`, same order. */
  readonly scores: Float32Array;
}

/**
 * The `k` best of `items` by `scores` (parallel arrays), best first, in O(n log k) with a size-k min-heap.
 *
 * Order: higher score first. Ties: items whose id is flagged non-zero in `losesTies` (indexed by item id) come after
 * unflagged ones, then the lower item id comes first — deterministic, and with `losesTies` marking the relevant
 * items the ranking is pessimistic (a model cannot score hits by emitting constant scores).
 * `k` larger than the list returns the whole list sorted. Throws a RangeError on a NaN score, a length mismatch,
 * or a negative / non-integer `k`.
 */
export function selectTopK(items: ArrayLike<number>, scores: ArrayLike<number>, k: number, losesTies: Uint8Array | null = null): TopK {
  if (items.length !== scores.length) {
    throw new RangeError(`selectTopK: ${items.length} items but ${scores.length} scores`);
  }
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`selectTopK: k must be a non-negative integer, got ${k}`);
  const n = items.length;
  const size = Math.min(k, n);
  const flag = (item: number): number => (losesTies !== null && losesTies[item] !== 0 ? 1 : 0);
  /** True when the candidate at position a ranks strictly above the one at position b. */
  const better = (a: number, b: number): boolean => {
    const sa = scores[a];
    const sb = scores[b];
    if (sa !== sb) return sa > sb;
    const fa = flag(items[a]);
    const fb = flag(items[b]);
    if (fa !== fb) return fa < fb;
    return items[a] < items[b];
  };
  const heap = new Int32Array(size); // positions; heap[0] is the worst kept candidate
  let filled = 0;
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= filled) return;
      const r = l + 1;
      let worst = l;
      if (r < filled && better(heap[l], heap[r])) worst = r;
      if (!better(heap[i], heap[worst])) return;
      const t = heap[i];
      heap[i] = heap[worst];
      heap[worst] = t;
      i = worst;
    }
  };
  for (let p = 0; p < n; p++) {
    const s = scores[p];
    if (s !== s) throw new RangeError(`selectTopK: score of item ${items[p]} (position ${p}) is NaN`);
    if (size === 0) continue;
    if (filled < size) {
      // sift up
      let i = filled++;
      heap[i] = p;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!better(heap[parent], heap[i])) break;
        const t = heap[i];
        heap[i] = heap[parent];
        heap[parent] = t;
        i = parent;
      }
    } else if (better(p, heap[0])) {
      heap[0] = p;
      siftDown(0);
    }
  }
  const order = Array.from(heap).sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
  const outItems = new Int32Array(size);
  const outScores = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    outItems[i] = items[order[i]];
    outScores[i] = scores[order[i]];
  }
  return { items: outItems, scores: outScores };
}

/**
 * 1-based rank `target` would get among `items` under {@link selectTopK}'s order, counting every item that beats it;
 * `target` itself must be in `items`. Throws a RangeError when it is not, or on a NaN score.
 */
export function rankOf(target: number, items: ArrayLike<number>, scores: ArrayLike<number>, losesTies: Uint8Array | null = null): number {
  if (items.length !== scores.length) throw new RangeError(`rankOf: ${items.length} items but ${scores.length} scores`);
  let pos = -1;
  for (let i = 0; i < items.length; i++) {
    if (items[i] === target) {
      pos = i;
      break;
    }
  }
  if (pos < 0) throw new RangeError(`rankOf: item ${target} is not among the candidates`);
  const st = scores[pos];
  if (st !== st) throw new RangeError(`rankOf: score of item ${target} is NaN`);
  const ft = losesTies !== null && losesTies[target] !== 0 ? 1 : 0;
  let rank = 1;
  for (let i = 0; i < items.length; i++) {
    if (i === pos) continue;
    const s = scores[i];
    if (s !== s) throw new RangeError(`rankOf: score of item ${items[i]} is NaN`);
    if (s > st) rank++;
    else if (s === st) {
      const f = losesTies !== null && losesTies[items[i]] !== 0 ? 1 : 0;
      if (f < ft || (f === ft && items[i] < target)) rank++;
    }
  }
  return rank;
}
