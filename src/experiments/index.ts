// The experiments namespace (`lab.experiments`): the model registry (ids, labels, recipes with tested defaults) and side-by-side comparison.
export * from "./recipes";
export * from "./registry";
export * from "./compare";
