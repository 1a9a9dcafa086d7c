/**
 * The tree's size limits, read from the files alone (no process spawned): which of the project's own source
 * files (TypeScript, JavaScript, Python, shell) sit in a folder of more than 12, run over 300 lines, or hold a
 * TypeScript or JavaScript function over 80 lines (found with the `typescript` package's parser). Python
 * functions are measured with Python's own `ast` by tests/python/unit/test_layout.py.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

export const LIMITS = { filesPerFolder: 12, linesPerFile: 300, linesPerFunction: 80 };

/**
 * Not the project's own source (as .gitignore says, plus data): installed packages, build output and caches
 * anywhere; the root's build/, tmp/ and .local-endpoint/ folders; the data the docs and the training read.
 */
const SKIPPED_DIRS = new Set(["node_modules", ".git", "bin", "__pycache__", ".pytest_cache", ".hypothesis"]);
const SKIPPED_PATHS = new Set(["build", "tmp", ".local-endpoint", "docs/figures", "training/data"]);
const SOURCE_EXT = /\.(ts|js|py|sh)$/;

export interface FunctionSize { file: string; name: string; line: number; lines: number }

/** Every source file under `root`, as paths relative to it with forward slashes, sorted. */
export function sourceFiles(root: string): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
        for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
            const p = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) {
                if (!SKIPPED_DIRS.has(e.name) && !SKIPPED_PATHS.has(p)) walk(p);
            } else if (e.isFile() && isSource(root, p)) out.push(p);
        }
    };
    walk("");
    return out.sort();
}

/** A source file by extension, or an extension-less script whose first line names a shell, node or python. */
function isSource(root: string, rel: string): boolean {
    if (SOURCE_EXT.test(rel)) return true;
    if (path.basename(rel).includes(".")) return false;
    const head = fs.readFileSync(path.join(root, rel), "utf8").slice(0, 100);
    return /^#!.*\b(ba)?sh|^#!.*\b(node|python3?)\b/.test(head);
}

export function lineCount(text: string): number {
    return text.length === 0 ? 0 : text.replace(/\n$/, "").split("\n").length;
}

/** Folders holding more than the limit of source files directly, with their counts. */
export function crowdedFolders(files: string[]): { folder: string; files: number }[] {
    const counts = new Map<string, number>();
    for (const f of files) {
        const dir = path.posix.dirname(f);
        counts.set(dir, (counts.get(dir) ?? 0) + 1);
    }
    return [...counts].filter(([, n]) => n > LIMITS.filesPerFolder).map(([folder, n]) => ({ folder, files: n }));
}

/** Every function, method, accessor, constructor and function expression/arrow in a TS or JS text. */
export function tsFunctions(file: string, text: string): FunctionSize[] {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true,
        file.endsWith(".js") ? ts.ScriptKind.JS : ts.ScriptKind.TS);
    const out: FunctionSize[] = [];
    const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && "body" in node && node.body && !isMochaGroup(node)) {
            const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
            const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
            out.push({ file, name: functionName(node), line: start + 1, lines: end - start + 1 });
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return out;
}

/**
 * The callback of mocha's `describe(...)` only groups test cases (each `it` callback is a function and is
 * measured); it is a container like a file, so the file limit bounds it, not the function limit.
 */
function isMochaGroup(node: ts.Node): boolean {
    const call = node.parent;
    if (!call || !ts.isCallExpression(call) || !call.arguments.includes(node as ts.Expression)) return false;
    const callee = call.expression;
    const name = ts.isIdentifier(callee) ? callee.text
        : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) ? callee.expression.text : "";
    return name === "describe" || name === "context";
}

function functionName(node: ts.Node): string {
    const named = (node as { name?: ts.Node }).name;
    if (named && (ts.isIdentifier(named) || ts.isStringLiteral(named) || ts.isPrivateIdentifier(named))) return named.text;
    if (ts.isConstructorDeclaration(node)) return "constructor";
    const parent = node.parent;
    if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
    if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
    if (parent && ts.isCallExpression(parent)) {
        const first = parent.arguments[0];
        const callee = parent.expression.getText().slice(0, 40);
        return first && ts.isStringLiteralLike(first) ? `${callee}("${first.text.slice(0, 60)}")` : `${callee}(callback)`;
    }
    return "(anonymous)";
}

export interface LayoutReport {
    folders: { folder: string; files: number }[];
    longFiles: { file: string; lines: number }[];
    longFunctions: FunctionSize[];
}

/** Everything under `root` that breaks a limit (Python function lengths: see the header). */
export function layoutReport(root: string): LayoutReport {
    const files = sourceFiles(root);
    const longFiles: { file: string; lines: number }[] = [];
    const longFunctions: FunctionSize[] = [];
    for (const f of files) {
        const text = fs.readFileSync(path.join(root, f), "utf8");
        const lines = lineCount(text);
        if (lines > LIMITS.linesPerFile) longFiles.push({ file: f, lines });
        // a file no longer than the function limit cannot hold a function over it: not parsed
        if (/\.(ts|js)$/.test(f) && lines > LIMITS.linesPerFunction) {
            longFunctions.push(...tsFunctions(f, text).filter((fn) => fn.lines > LIMITS.linesPerFunction));
        }
    }
    return { folders: crowdedFolders(files), longFiles, longFunctions };
}
