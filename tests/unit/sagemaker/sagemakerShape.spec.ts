/** The shape of sagemaker/: small files and functions, and a GpuModelEndpoint constructor that reads at a glance. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const SAGEMAKER = path.resolve(__dirname, "..", "..", "..", "sagemaker");
const sourceFiles = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []);

interface FunctionSpan { file: string; name: string; lines: number }

/** Every function-like node with a body (functions, methods, constructors, arrows) and its line count. */
function functionSpans(file: string): FunctionSpan[] {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const spans: FunctionSpan[] = [];
    const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
            const first = sf.getLineAndCharacterOfPosition(node.getStart()).line;
            const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
            const name = ts.isConstructorDeclaration(node) ? `${(node.parent as ts.ClassDeclaration).name?.text}.constructor`
                : (node as ts.FunctionDeclaration).name?.getText(sf) ?? `<anonymous at line ${first + 1}>`;
            spans.push({ file: path.relative(SAGEMAKER, file), name, lines: last - first + 1 });
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return spans;
}

describe("sagemaker/: files under 300 lines, functions under 80, a short GpuModelEndpoint constructor", () => {
    const files = sourceFiles(SAGEMAKER);

    it("finds the sources of sagemaker/ and its subfolders", () => {
        for (const sub of ["gpuModelEndpoint.ts", "endpoint/serving.ts", "production/generationLedger.ts", "components/modelComponent.ts", "checks/placement.ts"]) {
            assert.ok(files.includes(path.join(SAGEMAKER, sub)), sub);
        }
    });

    it("keeps every file under 300 lines", () => {
        const long = files.map((f) => [path.relative(SAGEMAKER, f), fs.readFileSync(f, "utf8").split("\n").length] as const).filter(([, n]) => n > 300);
        assert.deepStrictEqual(long, []);
    });

    it("keeps every function under 80 lines", () => {
        const spans = files.flatMap(functionSpans);
        assert.ok(spans.length > 50, `only ${spans.length} functions found`);
        assert.deepStrictEqual(spans.filter((s) => s.lines > 80), []);
    });

    it("keeps the GpuModelEndpoint constructor at 40 lines or fewer", () => {
        const ctor = functionSpans(path.join(SAGEMAKER, "gpuModelEndpoint.ts")).find((s) => s.name === "GpuModelEndpoint.constructor");
        assert.ok(ctor, "no GpuModelEndpoint constructor");
        assert.ok(ctor.lines <= 40, `${ctor.lines} lines`);
    });
});
