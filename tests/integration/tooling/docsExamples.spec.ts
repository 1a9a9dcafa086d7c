/**
 * The docs are tested: every generated block of README.md and docs/*.md equals what its generator renders
 * now; every TypeScript example compiles with the repository's tsconfig (and the SDK example runs against
 * `npm start`); every shell example runs against `npm start` when it needs neither AWS nor the Pulumi CLI,
 * and is otherwise checked statically (tests/support/docsShell.ts says how). Starts `npm start` once.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docFiles, fences, findBlocks, masked, REPO, shellCommands, unclosedMarkers } from "../../../scripts/docs/blocks";
import { startNpmStart, Started } from "../../../scripts/docs/endpoint";
import { generatorFor, run } from "../../../scripts/docs/generators";
import { HelpSource, runnable, staticProblems } from "../../support/docsShell";

const docs = docFiles().map((f) => ({ file: f, text: fs.readFileSync(path.join(REPO, f), "utf8") }));
const blocks = docs.flatMap((d) => findBlocks(d.file, d.text));
const allFences = docs.flatMap((d) => fences(d.file, d.text));
const SHELL = ["bash", "sh", "shell"];
const awsCli = (() => { try { execFileSync("aws", ["--version"], { stdio: "ignore" }); return true; } catch { return false; } })();

const helpCache = new Map<string, Promise<string>>();
const helpSource: HelpSource = {
    help(kind, target) {
        const key = `${kind}:${target}`;
        if (!helpCache.has(key)) {
            const [cmd, args] = kind === "npm" ? ["npm", ["run", "--silent", target, "--", "--help"]]
                : target.endsWith(".ts") ? [process.execPath, ["-r", "ts-node/register/transpile-only", target, "--help"]]
                    : target.endsWith(".py") ? ["/usr/bin/python3", [target, "--help"]] : ["bash", [target, "--help"]];
            helpCache.set(key, run(cmd as string, args as string[]).then((r) => {
                if (r.code !== 0) throw new Error(`${target} --help exited ${r.code}`);
                return r.stdout;
            }));
        }
        return helpCache.get(key)!;
    },
};

/** A folder that looks like the repository (symlinks) but has its own build/ and scratch files. */
function sandbox(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-examples-"));
    for (const e of fs.readdirSync(REPO)) if (!["build", ".git"].includes(e)) fs.symlinkSync(path.join(REPO, e), path.join(dir, e));
    return dir;
}

describe("the docs' examples and generated figures", function () {
    this.timeout(240000);
    let started: Started | undefined;
    before(async () => { started = await startNpmStart(); });
    after(async () => { await started?.stop(); });

    it("has generated blocks, closed markers, and a generator for every block", () => {
        assert.ok(blocks.length >= 10, `${blocks.length} blocks`);
        for (const d of docs) assert.deepStrictEqual(unclosedMarkers(d.text), [], d.file);
        assert.deepStrictEqual(blocks.filter((b) => !generatorFor(b.id)).map((b) => `${b.file}: ${b.id}`), []);
    });

    it("tags every fenced block with its language", () => {
        assert.deepStrictEqual(allFences.filter((f) => f.lang === "").map((f) => `${f.file}:${f.line}`), [], "use ```bash, ```ts, ```text, ...");
    });

    const rendered = new Map<string, Promise<{ text: string; volatile?: RegExp[] }>>();
    for (const b of blocks) {
        it(`${b.file}: generated block "${b.id}" equals what its generator renders now`, async () => {
            if (!rendered.has(b.id)) rendered.set(b.id, generatorFor(b.id)!.render(started!.endpoint));
            const r = await rendered.get(b.id)!;
            assert.strictEqual(masked(b.content, r.volatile), masked(r.text, r.volatile), `run: npm run docs -- --write --only ${b.id}`);
        });
    }

    it("compiles every TypeScript block with the repository's tsconfig", () => {
        const ts = allFences.filter((f) => f.lang === "ts" || f.lang === "typescript");
        assert.ok(ts.length >= 1);
        const dir = path.join(REPO, "build", `docs-examples-tsc-${process.pid}`);
        fs.mkdirSync(dir, { recursive: true });
        try {
            ts.forEach((f, i) => fs.writeFileSync(path.join(dir, `example-${i}.ts`), `// ${f.file}:${f.line}\n${f.code}\n`));
            fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { noEmit: true }, include: ["*.ts"] }));
            const r = execFileSync(process.execPath, [path.join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { encoding: "utf8", stdio: "pipe" }).trim();
            assert.strictEqual(r, "");
        } catch (e) {
            assert.fail(`tsc: ${(e as { stdout?: string }).stdout ?? (e as Error).message}`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    for (const f of allFences.filter((x) => SHELL.includes(x.lang))) {
        const commands = shellCommands(f.code);
        const runAll = commands.length > 0 && commands.every((c) => runnable(c, awsCli));
        it(`${f.file}:${f.line}: the shell example ${runAll ? "runs against npm start" : "names commands, scripts, flags, keys and stacks that exist"}`, async () => {
            if (!runAll) {
                const problems: string[] = [];
                for (const c of commands) {
                    if (runnable(c, awsCli) && !c.startsWith("aws")) continue; // would run; checked where a whole block runs
                    for (const p of await staticProblems(c, helpSource)) problems.push(`${c}\n    -> ${p}`);
                }
                assert.deepStrictEqual(problems, []);
                return;
            }
            const dir = sandbox();
            try {
                const script = f.code.split("127.0.0.1:8080").join(`127.0.0.1:${started!.endpoint.port}`);
                const r = await run("bash", ["-euo", "pipefail", "-c", script], { cwd: dir, timeoutMs: 180000 });
                assert.strictEqual(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
                const next = blocks.find((b) => b.file === f.file && b.id === "cli-response" && commands.some((c) => c.startsWith("aws")));
                if (next) assert.ok(r.stdout.trimEnd().endsWith(next.content.split("\n").slice(2, -1).join("\n")), `the CLI printed:\n${r.stdout}`);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }
});
