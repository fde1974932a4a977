// The recommend namespace (`lab.recommend`): top-N for a user, similar movies, and cold start for new users and new movies.
export * from "./recommend";
export * from "./cold-start";
export * from "./sequence";
