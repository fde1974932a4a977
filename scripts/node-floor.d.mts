// Types of scripts/node-floor.mjs (set-up's Node.js floor check), for the TypeScript tests that import it.
/** Parses "20.15.1" or "v20.15.1" into [major, minor, patch]; throws on anything else. */
export function parseVersion(text: string): [number, number, number];
/** Null when `running` satisfies the ">=X.Y.Z" floor `range`, else a message naming both versions and what to do. */
export function nodeFloorProblem(running: string, range: string): string | null;
