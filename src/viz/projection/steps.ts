// Long projections as step generators: one body, driven to the end at once (sync) or yielding to the event loop with progress on the lab's display (async).
import { WorkProgress, WorkTask } from "../../util/progress";

/** Where a projection stands: the piece of work (a phase such as the kNN search, or the iterations) and how far it is. */
export interface StepReport {
  task: WorkTask;
  done: number;
  /** Shown next to the count, e.g. "KL 2.310". */
  detail?: string;
}

/** A projection written as a generator: it yields a report between steps and returns its result. */
export type Steps<T> = Generator<StepReport, T, void>;

/** Runs the steps to the end without yielding to the event loop (the synchronous API). */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value as T;
  }
}

/** Options of {@link runStepsAsync}. */
export interface RunStepsOptions {
  /** Where progress goes (one display for every phase), or none. */
  progress?: WorkProgress | null;
  /** Yield to the event loop at most this often, so displays and other callbacks run (default 100 ms). */
  yieldEveryMs?: number;
}

/**
 * Runs the steps, yielding to the event loop (setImmediate) when `yieldEveryMs` has passed since the last yield, so a
 * notebook's display updates while the work goes on; every report reaches `progress`, a new task title begins a new
 * piece of work on it. The result is the one {@link runSteps} returns: yielding changes no number.
 */
export async function runStepsAsync<T>(steps: Steps<T>, o: RunStepsOptions = {}): Promise<T> {
  const every = o.yieldEveryMs ?? 100;
  const progress = o.progress ?? null;
  let title: string | null = null;
  let last = performance.now();
  try {
    for (;;) {
      const r = steps.next();
      // Explicit casts: tslab's TypeScript does not narrow IteratorResult on `done`.
      if (r.done === true) return r.value as T;
      const { task, done, detail } = r.value as StepReport;
      if (progress) {
        if (task.title !== title) {
          if (title !== null) progress.finish();
          title = task.title;
          progress.begin(task);
        }
        progress.update(done, detail);
      }
      if (performance.now() - last >= every) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        last = performance.now();
      }
    }
  } finally {
    if (progress && title !== null) progress.finish();
  }
}
