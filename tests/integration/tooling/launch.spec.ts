/**
 * How the npm scripts run TypeScript (scripts/launch/): from JavaScript cached in build/js, compiled again
 * when a source changed (never stale), TypeScript loaded only then, stack traces on .ts lines. Each test
 * works in a temporary project (tsconfig.json copied from the repository) run by a fresh node process.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..", "..");
const TS_CACHE = path.join(REPO, "scripts", "launch", "tsCache.js");

/** Runs `entry` (a .ts file of `root`) in a new node with the cache of `root` installed; says whether TypeScript was loaded. */
function runTs(root: string, entry: string): { code: number | null; stdout: string; stderr: string; typescriptLoaded: boolean } {
    const script = `const c = require(${JSON.stringify(TS_CACHE)}).createTsCache(${JSON.stringify(root)}); c.install();
process.on("exit", () => process.stderr.write("typescript loaded: " + c.typescriptLoaded() + "\\n"));
require(${JSON.stringify(path.join(root, entry))});`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60000 });
    const loaded = /typescript loaded: (true|false)\n$/.exec(r.stderr);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/typescript loaded: \w+\n$/, ""), typescriptLoaded: loaded?.[1] === "true" };
}

describe("npm scripts run TypeScript from build/js (scripts/launch/)", function () {
    this.timeout(120000);
    let root: string;
    const write = (f: string, text: string) => { fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true }); fs.writeFileSync(path.join(root, f), text); };
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-mme-launch-"));
        fs.copyFileSync(path.join(REPO, "tsconfig.json"), path.join(root, "tsconfig.json"));
        write("lib/value.ts", "export const VALUE: number = 1;\n");
        write("main.ts", 'import { VALUE } from "./lib/value";\ninterface Shown { v: number }\nconst shown: Shown = { v: VALUE };\nconsole.log(`value ${shown.v} from ${require("path").basename(__filename)}`);\n');
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("compiles on the first run, and a second run loads the cached JavaScript without loading TypeScript", () => {
        const first = runTs(root, "main.ts");
        assert.strictEqual(first.code, 0, first.stderr);
        assert.strictEqual(first.stdout, "value 1 from main.ts\n");
        assert.strictEqual(first.typescriptLoaded, true);
        assert.ok(fs.existsSync(path.join(root, "build", "js", "lib", "value.js")), "build/js/lib/value.js written");
        const second = runTs(root, "main.ts");
        assert.deepStrictEqual([second.code, second.stdout, second.typescriptLoaded], [0, "value 1 from main.ts\n", false], second.stderr);
    });

    it("never runs stale output: an edited source takes effect on the next run, even with its old modification time", () => {
        assert.strictEqual(runTs(root, "main.ts").stdout, "value 1 from main.ts\n");
        const file = path.join(root, "lib", "value.ts");
        const { atime, mtime } = fs.statSync(file);
        fs.writeFileSync(file, "export const VALUE: number = 2;\n");
        fs.utimesSync(file, atime, mtime);
        const r = runTs(root, "main.ts");
        assert.deepStrictEqual([r.code, r.stdout, r.typescriptLoaded], [0, "value 2 from main.ts\n", true], r.stderr);
        assert.match(fs.readFileSync(path.join(root, "build", "js", "lib", "value.js"), "utf8"), /VALUE = 2/);
    });

    it("recompiles everything when tsconfig.json changes", () => {
        runTs(root, "main.ts");
        const config = JSON.parse(fs.readFileSync(path.join(root, "tsconfig.json"), "utf8"));
        fs.writeFileSync(path.join(root, "tsconfig.json"), JSON.stringify({ ...config, compilerOptions: { ...config.compilerOptions, target: "es2020" } }));
        assert.strictEqual(runTs(root, "main.ts").typescriptLoaded, true);
    });

    it("refuses a file that does not parse, naming the file, line and column, and caches nothing for it", () => {
        write("bad.ts", "const ok = 1;\nconst broken = ;\n");
        const r = runTs(root, "bad.ts");
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /bad\.ts:2:16: Expression expected/);
        assert.strictEqual(fs.existsSync(path.join(root, "build", "js", "bad.js")), false);
    });

    it("names the TypeScript line in a stack trace, not the line of the compiled JavaScript", () => {
        write("throws.ts", "interface A { a: number }\ntype B = A;\nconst b: B = { a: 1 };\n\nexport function fail(): never {\n    throw new Error(`failed ${b.a}`);\n}\nfail();\n");
        for (const run of [1, 2]) {
            const r = runTs(root, "throws.ts");
            assert.match(r.stderr, /at fail \(.*throws\.ts:6:11\)/, `run ${run}:\n${r.stderr}`);
        }
    });

    it("is what every npm script that runs a .ts file uses (no ts-node at run time), and prepare fills build/js", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts as Record<string, string>;
        const tsScripts = Object.entries(scripts).filter(([, cmd]) => /\.ts\b/.test(cmd));
        assert.ok(tsScripts.length >= 8, `${tsScripts.length} scripts run .ts files`);
        for (const [name, cmd] of tsScripts) assert.match(cmd, /node -r \.\/scripts\/launch\/register\.js \S+\.ts$/, `${name}: ${cmd}`);
        assert.strictEqual(scripts.prepare, "node scripts/launch/prepare.js");
    });

    it("prepare compiles the scripts' TypeScript into build/js and removes compiled files whose source is gone", () => {
        const orphan = path.join(REPO, "build", "js", "scripts", "launch-spec-no-such-source.js");
        fs.mkdirSync(path.dirname(orphan), { recursive: true });
        fs.writeFileSync(orphan, "// left by a deleted source\n");
        const r = spawnSync(process.execPath, [path.join(REPO, "scripts", "launch", "prepare.js")], { encoding: "utf8", timeout: 120000 });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /^prepare: \d+ of \d+ TypeScript files compiled into build\/js, [1-9]\d* stale removed/);
        assert.strictEqual(fs.existsSync(orphan), false);
        for (const f of ["local/start.js", "scripts/package.js", "scripts/smoke/smoke.js"]) assert.ok(fs.existsSync(path.join(REPO, "build", "js", f)), f);
    });

    it("prepare generates the JSON Schema validators into build/validators, replacing one that is not intact", () => {
        const manifest = path.join(REPO, "build", "validators", "models.schema.js");
        fs.mkdirSync(path.dirname(manifest), { recursive: true });
        fs.writeFileSync(manifest, "module.exports = () => true;\n");
        const r = spawnSync(process.execPath, [path.join(REPO, "scripts", "launch", "prepare.js")], { encoding: "utf8", timeout: 120000 });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stderr, "");
        for (const f of ["models.schema.js", "dlc-images.schema.js", "gpu-instances.schema.js"]) {
            assert.match(fs.readFileSync(path.join(REPO, "build", "validators", f), "utf8"), /\n\/\/ validator-sha256 [0-9a-f]{64}\n$/, f);
        }
    });
});
