// The evaluation toolkit's public surface: rating metrics, top-N metrics, protocols, per-user debugging, distributions.
export * from "./rating-metrics";
export * from "./topn-metrics";
export * from "./top-k";
export * from "./data";
export * from "./scoring";
export * from "./protocol";
export * from "./full-ranking";
export * from "./leave-one-out";
export * from "./debug";
export * from "./distributions";
export * from "./candidates";
export * from "./held-out";
export * from "./report";
