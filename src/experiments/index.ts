// The experiments namespace (`lab.experiments`): the model registry (ids, labels, recipes with tested defaults), side-by-side comparison and the dim × L2 sweep.
export * from "./recipes";
export * from "./registry";
export * from "./compare";
export * from "./sweep";
export * from "./neumf-recipe";
export * from "./sasrec-recipe";
export * from "./sequence-protocol";
