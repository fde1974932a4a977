// The optimisers in one place: the names fit accepts, the TF.js optimiser ("tfjs" updates), and the same rules in JS that "sparse" and "dense" updates apply to head weights and to the table rows a batch touches.
//
// fit's "tfjs" updates step every weight with a TF.js optimiser ({@link makeOptimizer}); its "sparse" and "dense"
// updates step them with the JS rules of training/optimizer-rules.ts ({@link JsOptimizer}), which has no TF.js so that
// the table worker thread can load it.
import { tf } from "../backend";
import { JsOptimizerName } from "./optimizer-rules";

export { CATCH_UP_STEPS, JsOptimizer } from "./optimizer-rules";
export type { Convention, JsOptimizerName, Slots } from "./optimizer-rules";

/** The optimisers the loop can build by name. */
export type OptimizerName = "adam" | "sgd" | "adagrad" | "rmsprop";

/** Whether `name` has JS rules (see {@link JsOptimizer}), i.e. sparse updates can use it. */
export function hasJsRules(name: OptimizerName): name is JsOptimizerName {
  return name === "adam" || name === "adagrad" || name === "sgd";
}

/** The TF.js optimiser dense updates step every weight with. */
export function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case "adam":
      return tf.train.adam(lr);
    case "sgd":
      return tf.train.sgd(lr);
    case "adagrad":
      return tf.train.adagrad(lr);
    case "rmsprop":
      return tf.train.rmsprop(lr);
    default:
      throw new Error(`unknown optimizer "${name as string}" (use adam, sgd, adagrad or rmsprop)`);
  }
}
