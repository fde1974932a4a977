// Training curves to TensorBoard: per-epoch scalars written by native TensorFlow's summary writer (tf.node.summaryFileWriter).
import { backendInfo } from "../backend";
import { EpochLog } from "../util/progress";

/** The part of tfjs-node's SummaryFileWriter the lab uses. */
interface SummaryWriter {
  scalar(name: string, value: number, step: number): void;
  flush(): void;
}

/**
 * Writes one run's epoch logs under `logdir` (TensorBoard's `--logdir`): "loss", "val_loss" and each validation metric
 * ("val_rmse", "val_auc", …) at step = epoch number (1-based). Needs the native backend (the writer is TensorFlow's).
 */
export class TensorBoardLog {
  private readonly writer: SummaryWriter;

  constructor(readonly logdir: string) {
    if (typeof logdir !== "string" || logdir.length === 0)
      throw new RangeError(`fit: option "tensorboard" must be a folder path, got ${JSON.stringify(logdir)}`);
    if (backendInfo.name !== "tensorflow")
      throw new Error(`fit: option "tensorboard" needs the native TensorFlow backend (active: ${backendInfo.name}); run \`npm run setup\``);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const node = require("@tensorflow/tfjs-node") as { node: { summaryFileWriter(dir: string): SummaryWriter } };
    this.writer = node.node.summaryFileWriter(logdir);
  }

  /** Writes one epoch's scalars. */
  epochEnd(log: EpochLog): void {
    const step = log.epoch + 1;
    this.writer.scalar("loss", log.loss, step);
    if (log.valLoss !== null) this.writer.scalar("val_loss", log.valLoss, step);
    for (const [name, value] of Object.entries(log.metrics)) if (Number.isFinite(value)) this.writer.scalar(`val_${name}`, value, step);
  }

  /** Writes everything pending to disk. */
  flush(): void {
    this.writer.flush();
  }
}
