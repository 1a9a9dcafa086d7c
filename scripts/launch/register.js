// `node -r ./scripts/launch/register.js FILE.ts`: how the npm scripts run TypeScript without compiling it
// at run time. Each .ts module loads from its JavaScript in build/js (scripts/launch/tsCache.js), compiled
// again only when its source changed; the modules keep their own paths (__dirname, require of ./x, JSON
// files), and stack traces name the .ts lines (inline source maps). See docs/commands.md.
"use strict";
const Module = require("module");
const path = require("path");
const { createTsCache, REPO } = require("./tsCache");

// V8's code cache for every module this process loads (the project's and node_modules'), kept in build/.
if (typeof Module.enableCompileCache === "function" && !process.env.NODE_DISABLE_COMPILE_CACHE) {
    Module.enableCompileCache(process.env.NODE_COMPILE_CACHE || path.join(REPO, "build", "node-compile-cache"));
}
createTsCache(REPO).install();
