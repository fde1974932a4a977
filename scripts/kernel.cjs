// Starts the tslab TypeScript kernel from the project root, with lib/ (the library, compiled) current, so notebooks import it as "./lib".
// (tslab compiles cells with the kernel's working folder as TypeScript's rootDir; files outside it cannot be imported.)
const path = require("path");
const { ensureLibrary } = require("./build-lib.cjs");

const root = path.resolve(__dirname, "..");
process.chdir(root);
// Rebuilds lib/ when src/ changed since (about 8 s; a type error surfaces in the notebook's import cell).
ensureLibrary({ root, log: (line) => console.error(`[lab kernel] ${line}`) });
// Stack traces from the library name src/*.ts lines, not lib/*.js ones.
process.setSourceMapsEnabled(true);
// Lets the library know it runs in a notebook (live displays instead of terminal progress bars).
process.env.MOVIELENS_LAB_KERNEL = "tslab";
require(path.join(root, "node_modules", "tslab", "dist", "main.js")).main();
