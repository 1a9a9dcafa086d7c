/**
 * The tree's limits (tests/support/layoutLimits.ts): every folder holds at most 12 source files, every source
 * file has at most 300 lines, every TypeScript/JavaScript function at most 80 (Python functions:
 * tests/python/test_source_limits.py). Reads files only; the checker itself is tested on small texts first.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { crowdedFolders, layoutReport, LIMITS, lineCount, sourceFiles, tsFunctions } from "../../support/layoutLimits";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const body = (n: number) => Array.from({ length: n }, (_, i) => `    x += ${i};`).join("\n");

describe("the layout checker", () => {
    it("measures functions, methods, arrows and callbacks from their first to their last line", () => {
        const text = [
            "export function f(): void {", body(3), "}",
            "class C {", "    m(): number {", body(2), "        return 1;", "    }", "}",
            "const g = (a: number) => {", body(1), "};",
            "it(\"does a thing\", () => {", body(4), "});",
        ].join("\n");
        const sizes = Object.fromEntries(tsFunctions("x.ts", text).map((f) => [f.name, f.lines]));
        assert.deepStrictEqual(sizes, { f: 5, m: 5, g: 3, 'it("does a thing")': 6 });
    });

    it("does not count a describe callback as a function, but does count the test callbacks inside it", () => {
        const text = ["describe(\"a group\", () => {", "    it(\"one\", () => {", body(90), "    });", "});"].join("\n");
        const found = tsFunctions("x.spec.ts", text);
        assert.deepStrictEqual(found.map((f) => [f.name, f.lines]), [['it("one")', 92]]);
    });

    it("counts lines with or without a final newline", () => {
        assert.strictEqual(lineCount("a\nb\n"), 2);
        assert.strictEqual(lineCount("a\nb"), 2);
        assert.strictEqual(lineCount(""), 0);
    });

    it("lists the project's source files and skips installed packages, build output and data", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "layout-"));
        try {
            const write = (rel: string, text = "x\n") => {
                fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
                fs.writeFileSync(path.join(root, rel), text);
            };
            for (const f of ["a/one.ts", "a/two.py", "a/run.sh", "a/notes.md", "node_modules/p/index.js", "build/x.js",
                "docs/figures/f.py", "training/data/d.py", "a/bin/out.js", ".ci/run"]) write(f, f === ".ci/run" ? "#!/usr/bin/env bash\n" : "x\n");
            write("a/README", "plain text\n");
            assert.deepStrictEqual(sourceFiles(root), [".ci/run", "a/one.ts", "a/run.sh", "a/two.py"]);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("reports a folder over the limit with its count, and not one at the limit", () => {
        const files = (dir: string, n: number) => Array.from({ length: n }, (_, i) => `${dir}/f${i}.ts`);
        assert.deepStrictEqual(crowdedFolders([...files("full", LIMITS.filesPerFolder), ...files("over", LIMITS.filesPerFolder + 1)]),
            [{ folder: "over", files: LIMITS.filesPerFolder + 1 }]);
    });
});

describe("the repository's layout", () => {
    const report = layoutReport(ROOT);

    it(`has no folder with more than ${LIMITS.filesPerFolder} source files`, () => {
        assert.deepStrictEqual(report.folders, [], "group these folders' files into subfolders by concern");
    });

    it(`has no source file over ${LIMITS.linesPerFile} lines`, () => {
        assert.deepStrictEqual(report.longFiles, [], "split these files by concern");
    });

    it(`has no TypeScript or JavaScript function over ${LIMITS.linesPerFunction} lines`, () => {
        const listed = report.longFunctions.map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
        assert.deepStrictEqual(listed, [], "extract well-named helpers from these functions");
    });
});
