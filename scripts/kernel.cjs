// Starts the tslab TypeScript kernel with the project root as its working folder, so notebooks import the library as "./src".
// (tslab compiles cells with the kernel's working folder as TypeScript's rootDir; files outside it cannot be imported.)
const path = require("path");

const root = path.resolve(__dirname, "..");
process.chdir(root);
// Lets the library know it runs in a notebook (live displays instead of terminal progress bars).
process.env.MOVIELENS_LAB_KERNEL = "tslab";
require(path.join(root, "node_modules", "tslab", "dist", "main.js")).main();
