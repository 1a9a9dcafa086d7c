// The compiled-JavaScript cache behind every npm script that runs TypeScript (scripts/launch/register.js).
// A .ts file's JavaScript is kept in build/js/<path>.js, ending in a line with the sha1 of what it was made
// from (the source, tsconfig.json and the TypeScript version). A cached file is used only when that line
// matches the source read now, so an edited source is recompiled on its next load and stale output never
// runs. TypeScript itself (about 9 MB of JavaScript) is loaded only on a miss.
// Plain JavaScript on purpose: this is what runs before anything is compiled.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");

/** Bump when the shape of the cached files changes. */
const FORMAT = "1";
const REPO = path.resolve(__dirname, "..", "..");

/**
 * Writes atomically with write-file-atomic (temporary name, then rename), so two commands starting at once never read
 * half a file; loaded on a miss only, like TypeScript.
 */
function writeAtomic(target, text) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    require("write-file-atomic").sync(target, text, { fsync: false });
}

const mapsByFile = new Map();
/** A call site as Node prints it, its position in a loaded .ts file mapped back to the TypeScript source. */
function mappedFrame(frame, loaded) {
    const text = frame.toString();
    const file = frame.getFileName(), line = frame.getLineNumber(), column = frame.getColumnNumber();
    const code = file && loaded.get(file);
    if (!code || !line || !column) return text;
    if (!mapsByFile.has(file)) {
        const m = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)/.exec(code);
        mapsByFile.set(file, m ? new Module.SourceMap(JSON.parse(Buffer.from(m[1], "base64").toString("utf8"))) : undefined);
    }
    const entry = mapsByFile.get(file)?.findEntry(line - 1, column - 1);
    if (entry?.originalLine === undefined) return text;
    return text.replace(`${file}:${line}:${column}`, `${file}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
}

/** The first line of a stack, as Node writes it. */
function errorHeader(error) {
    try { return String(error); } catch { return "Error"; }
}

/** The cache of the project at `root` (tsconfig.json there; output in `<root>/build/js`). */
function createTsCache(root = REPO) {
    const out = path.join(root, "build", "js");
    const read = (f) => { try { return fs.readFileSync(path.join(root, f), "utf8"); } catch { return ""; } };
    let keyPrefix, ts, options;

    /** The sha1 line a cached file ends with: its source plus tsconfig.json and the TypeScript version. */
    const trailer = (source) => {
        keyPrefix ??= `${FORMAT}\0${read("tsconfig.json")}\0${read("node_modules/typescript/package.json")}\0`;
        return `\n// source-sha1 ${crypto.createHash("sha1").update(keyPrefix).update(source).digest("hex")}\n`;
    };

    /** build/js/<path relative to root>.js, or undefined for a file outside root or in node_modules (compiled, not cached). */
    const cacheFile = (file) => {
        const rel = path.relative(root, file);
        if (rel.startsWith("..") || path.isAbsolute(rel) || rel.split(path.sep).includes("node_modules")) return undefined;
        return path.join(out, rel.replace(/\.ts$/, ".js"));
    };

    /** tsconfig.json's compiler options for one file's transpilation (as ts-node --transpile-only uses them). */
    const compilerOptions = () => {
        if (options === undefined) {
            ts = require("typescript");
            const config = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
            if (config.error) throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(config.error.messageText, "\n")}`);
            const converted = ts.convertCompilerOptionsFromJson(config.config.compilerOptions ?? {}, root);
            options = { ...converted.options, sourceMap: false, inlineSourceMap: true, inlineSources: true,
                declaration: false, noEmit: false, outDir: undefined, incremental: undefined };
        }
        return options;
    };

    /** JavaScript for one TypeScript source, transpiled alone without a type check (npm test runs tsc); syntax errors throw. */
    const transpile = (source, file) => {
        const compilerOpts = compilerOptions();
        const result = ts.transpileModule(source, { compilerOptions: compilerOpts, fileName: file, reportDiagnostics: true });
        const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
        if (errors.length === 0) return result.outputText;
        const where = (d) => {
            if (!d.file || d.start === undefined) return path.relative(root, file);
            const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
            return `${path.relative(root, file)}:${line + 1}:${character + 1}`;
        };
        throw new SyntaxError(errors.map((d) => `${where(d)}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`).join("\n"));
    };

    /** JavaScript for `file`: from build/js when its recorded sha1 matches the source, else compiled now and stored. */
    const compiled = (file, source = fs.readFileSync(file, "utf8")) => {
        const target = cacheFile(file);
        const end = trailer(source);
        if (target !== undefined) {
            let cached;
            try { cached = fs.readFileSync(target, "utf8"); } catch { /* not built yet */ }
            if (cached !== undefined && cached.endsWith(end)) return { code: cached, fresh: false };
        }
        const code = transpile(source, file) + end;
        if (target !== undefined) {
            try { writeAtomic(target, code); } catch { /* a read-only checkout still runs, compiling each time */ }
        }
        return { code, fresh: true };
    };

    /**
     * Makes require() load .ts files through the cache (the modules keep their own paths and __dirname), and
     * stack traces name .ts lines: a frame in a loaded .ts file is mapped through its inline source map when a
     * stack is formatted (parsing every map at load instead, as --enable-source-maps does, costs about 0.1 s).
     */
    const install = () => {
        const loaded = new Map();
        Module._extensions[".ts"] = function loadTypeScript(module, filename) {
            const { code } = compiled(filename);
            loaded.set(filename, code);
            module._compile(code, filename);
        };
        const frameText = (f) => { try { return mappedFrame(f, loaded); } catch { return String(f); } };
        Error.prepareStackTrace = (error, frames) => `${errorHeader(error)}${frames.map((f) => `\n    at ${frameText(f)}`).join("")}`;
    };

    return { root, out, cacheFile, compiled, install, typescriptLoaded: () => ts !== undefined };
}

module.exports = { createTsCache, REPO };
