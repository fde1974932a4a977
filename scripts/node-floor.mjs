// Checks the running Node.js against package.json's "engines" floor, so an old Node fails at set-up with a clear message.
// The floor is what the code needs: zlib.crc32 (used to verify every unzipped dataset) exists only from Node 20.15.

/** Parses "20.15.1" or "v20.15.1" into [major, minor, patch]; throws on anything else. */
export function parseVersion(text) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(text).trim());
  if (!m) throw new Error(`not a Node.js version: ${JSON.stringify(text)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * Returns null when `running` satisfies the floor `range` (">=X.Y.Z", the only form the project uses), else a message
 * that names both versions and what to do.
 */
export function nodeFloorProblem(running, range) {
  const m = /^\s*>=\s*(v?\d+\.\d+\.\d+)\s*$/.exec(String(range));
  if (!m) throw new Error(`package.json engines.node must be ">=X.Y.Z", got ${JSON.stringify(range)}`);
  const have = parseVersion(running);
  const need = parseVersion(m[1]);
  for (let i = 0; i < 3; i++) {
    if (have[i] > need[i]) return null;
    if (have[i] < need[i]) {
      return (
        `Node.js ${have.join(".")} is too old: this project needs Node.js ${need.join(".")} or newer (package.json "engines"; ` +
        `zlib.crc32, used to verify downloaded datasets, appeared in 20.15). Install a current Node.js 20 LTS or newer ` +
        `(for example with nvm: \`nvm install 20\`) and run the command again.`
      );
    }
  }
  return null;
}
