// The training namespace (`lab.training`): the one training loop, tasks (loss + metrics over batches), progress, checkpoints and sparse row updates.
export * from "./fit";
export * from "./task";
export * from "./losses";
export * from "../util/progress";
export * from "./checkpoint";
export * from "./sparse";
export * from "./tasks/ratings";
export * from "./tasks/rating-classes";
export * from "./tasks/implicit";
export * from "./tasks/movie-genre";
export * from "./optimizers";
export * from "./penalty";
