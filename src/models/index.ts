// The models namespace (`lab.models`): every model's layers, fast heads and scorer, the scorer interface, and rebuilding from a saved spec.
export * from "./base";
export * from "./layers";
export * from "./scorer";
export * from "./movie-genre";
export * from "./user-movie";
export * from "./dense-classes";
export * from "./baselines";
export * from "./build";
export * from "./item-knn";
export * from "./ease";
export * from "./ials";
export * from "./svdpp";
export * from "./bayesian-svdpp";
export * from "./neumf";
export * from "./sasrec";
