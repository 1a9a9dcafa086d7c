// `npm run prepare` (npm runs it itself after `npm ci` / `npm install`): compiles every TypeScript file the
// npm scripts run into build/js (scripts/launch/tsCache.js), so the first `npm start` compiles nothing, and
// removes compiled files whose source is gone; then generates the JSON Schema validators (build/validators).
// Nothing to do when nothing changed (a hash check per file).
"use strict";
const fs = require("fs");
const path = require("path");
const { createTsCache, REPO } = require("./tsCache");

const HELP = `Usage: node scripts/launch/prepare.js   (npm runs it as the prepare script after npm ci)

Compiles the TypeScript that npm start, npm run package, npm run smoke and the other npm scripts run
(everything tsconfig.json includes except tests/, which mocha compiles) into build/js, removes
compiled files whose source is gone, and generates the JSON Schema validators into build/validators.
The scripts also compile a changed file (and regenerate a validator whose schema changed) on their
own when they load it (scripts/launch/register.js), so this only saves the first run that time.

Examples:
  npm run prepare
  node scripts/launch/prepare.js`;

/** Every .ts file under `dir` (skipping node_modules and dot folders), relative to the repository. */
function tsFiles(dir) {
    const abs = path.join(REPO, dir);
    if (!fs.existsSync(abs)) return [];
    if (fs.statSync(abs).isFile()) return abs.endsWith(".ts") ? [dir] : [];
    return fs.readdirSync(abs, { withFileTypes: true })
        .filter((e) => !e.name.startsWith(".") && e.name !== "node_modules")
        .flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [path.join(dir, e.name)] : []));
}

/** The top folders and files tsconfig.json includes, without tests/. */
function sourceRoots() {
    const include = JSON.parse(fs.readFileSync(path.join(REPO, "tsconfig.json"), "utf8")).include ?? [];
    return [...new Set(include.map((p) => p.split("/")[0]))].filter((p) => p !== "tests");
}

/** Removes build/js files (and then empty folders) whose .ts source no longer exists. */
function prune(cache, keep, dir = cache.out) {
    if (!fs.existsSync(dir)) return 0;
    let removed = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            removed += prune(cache, keep, p);
            if (fs.readdirSync(p).length === 0) fs.rmdirSync(p);
        } else if (!keep.has(p)) { fs.rmSync(p, { force: true }); removed++; }
    }
    return removed;
}

/**
 * Generates the JSON Schema validators the commands use into build/validators (jsonSchema/standalone.ts: the
 * manifest's and the facts files'), so the first command does not; a changed schema is still regenerated where it is used.
 */
function prepareValidators(cache) {
    cache.install();
    require(path.join(REPO, "packaging", "manifest.ts")).checkManifest("{}", "models.json");
    const facts = require(path.join(REPO, "sagemaker", "facts.ts"));
    for (const name of facts.FACTS_NAMES) facts.factsProblems(name, {});
}

function main(argv) {
    if (argv.includes("--help") || argv.includes("-h")) { console.log(HELP); return 0; }
    if (argv.length > 0) { console.error(`prepare: unknown argument ${argv[0]}; see node scripts/launch/prepare.js --help`); return 2; }
    const started = Date.now();
    const cache = createTsCache(REPO);
    const files = sourceRoots().flatMap(tsFiles);
    let compiled = 0;
    const failed = [];
    for (const f of files) {
        try { if (cache.compiled(path.join(REPO, f)).fresh) compiled++; } catch (e) { failed.push(`${f}: ${e.message.split("\n")[0]}`); }
    }
    const removed = prune(cache, new Set(files.map((f) => cache.cacheFile(path.join(REPO, f)))));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`prepare: ${compiled} of ${files.length} TypeScript files compiled into build/js, ${removed} stale removed (${seconds} s)`);
    try { prepareValidators(cache); } catch (e) { failed.push(`JSON Schema validators: ${e.message.split("\n")[0]}`); }
    // a file that does not compile fails where it is run, with its line; installing goes on
    for (const f of failed) console.error(`prepare: warning: ${f}`);
    return 0;
}

process.exitCode = main(process.argv.slice(2));
