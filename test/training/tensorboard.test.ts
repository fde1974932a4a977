// Tests fit's TensorBoard option: the event file native TensorFlow writes holds each epoch's loss, validation loss and metrics.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadDataset } from "../../src/data";
import { randomSplit } from "../../src/data/splits";
import { userMovieModel } from "../../src/models/user-movie";
import { fit } from "../../src/training/fit";
import { ratingTask } from "../../src/training/tasks/ratings";
import { readScalars } from "../helpers/tfevents";

test("fit({ tensorboard }) writes loss, val_loss and val_rmse per epoch; the event file reads back to the history's numbers", async () => {
  const ds = await loadDataset("ml-latest-small");
  const split = randomSplit(ds, { testFraction: 0.1, seed: 1 });
  const model = userMovieModel({ numUsers: ds.numUsers, numMovies: ds.numMovies, dim: 8, seed: 1, offset: 3.5 });
  const logdir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-tb-"));
  const h = await fit(model, ratingTask(ds, { train: split.train, validation: split.test }), {
    epochs: 3,
    batchSize: 1024,
    learningRate: 0.01,
    seed: 1,
    progress: "none",
    tensorboard: logdir,
  });
  model.dispose();
  const files = fs.readdirSync(logdir).filter((f) => f.startsWith("events.out.tfevents"));
  assert.equal(files.length, 1, `one event file in ${logdir}: ${files.join(", ")}`);
  const scalars = readScalars(path.join(logdir, files[0]));
  const at = (tag: string) => scalars.filter((s) => s.tag === tag).sort((a, b) => a.step - b.step);
  assert.deepEqual(
    at("loss").map((s) => s.step),
    [1, 2, 3],
  );
  h.epochs.forEach((e, i) => {
    assert.ok(Math.abs(at("loss")[i].value - e.loss) < 1e-5 * Math.max(1, e.loss), `loss at epoch ${i + 1}`);
    assert.ok(Math.abs(at("val_loss")[i].value - e.valLoss!) < 1e-5 * Math.max(1, e.valLoss!), `val_loss at epoch ${i + 1}`);
    assert.ok(Math.abs(at("val_rmse")[i].value - e.metrics.rmse) < 1e-5, `val_rmse at epoch ${i + 1}`);
  });
  fs.rmSync(logdir, { recursive: true, force: true });
  await assert.rejects(
    fit(userMovieModel({ numUsers: 2, numMovies: 2, dim: 2, seed: 1 }), ratingTask(ds, { train: split.train }), {
      epochs: 1,
      batchSize: 8,
      seed: 1,
      progress: "none",
      tensorboard: "",
    }),
    /option "tensorboard" must be a folder path/,
  );
});
