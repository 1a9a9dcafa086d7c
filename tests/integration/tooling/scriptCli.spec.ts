/**
 * Every script of the repository answers --help (exit 0, a usage line and examples) and fails on a bad
 * argument with one line naming the problem, never a stack trace; `npm run smoke` against an address
 * where nothing listens says so in one line.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..", "..");
const TS_NODE = ["-r", "ts-node/register/transpile-only"];

/** Every runnable script, found by listing the folders (a new script is covered without editing this list). */
export function repositoryScripts(): string[] {
    // a folder and its subfolders (scripts/ groups its scripts by concern: bench/, smoke/, docs/, ...)
    const list = (dir: string, re: RegExp): string[] => fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })
        .flatMap((e) => e.isDirectory() ? list(`${dir}/${e.name}`, re) : re.test(e.name) ? [`${dir}/${e.name}`] : []);
    // a TypeScript file under scripts/ is a script when package.json runs it or it reads its arguments; else a module
    const npmScripts = Object.values(JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts as Record<string, string>).join(" ");
    const isTsScript = (f: string) => npmScripts.includes(f) || /process\.argv/.test(fs.readFileSync(path.join(REPO, f), "utf8"));
    const isPythonMain = (f: string) => /if __name__ == "__main__":/.test(fs.readFileSync(path.join(REPO, f), "utf8"));
    return [
        ...list("scripts", /\.sh$/), ...list("scripts", /\.ts$/).filter(isTsScript), ...list("scripts", /\.py$/).filter(isPythonMain),
        ...list("training", /\.py$/).filter(isPythonMain), ...list("local/smoke-data", /\.py$/).filter(isPythonMain),
        "local/start.ts", "config/generate.ts", ".ci/run",
    ];
}

function command(script: string): [string, string[]] {
    if (script.endsWith(".ts")) return [process.execPath, [...TS_NODE, script]];
    if (script.endsWith(".py")) return ["/usr/bin/python3", [script]];
    return ["bash", [script]];
}

function run(cmd: string, args: string[], timeoutMs = 60000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const p = spawn(cmd, args, { cwd: REPO, env: { ...process.env, NO_COLOR: "1" } });
        let stdout = "", stderr = "";
        p.stdout.on("data", (c) => (stdout += c));
        p.stderr.on("data", (c) => (stderr += c));
        const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
        p.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    });
}

describe("every script: --help, and one-line failures", function () {
    this.timeout(120000);
    const scripts = repositoryScripts();

    it("finds the scripts by listing their folders", () => {
        for (const s of ["scripts/package.ts", "scripts/smoke/smoke.ts", "scripts/bench/benchPackage.ts", "scripts/bench/benchServe.ts", "scripts/ensure-deps.sh",
            "scripts/debug.py", "training/train_all.py", "local/start.ts", "scripts/docs/docs.ts", "scripts/conformance/containerConformance.ts"]) assert.ok(scripts.includes(s), s);
        for (const m of ["scripts/conformance/conformanceCompare.ts", "scripts/smoke/servingCheck.ts"]) assert.ok(!scripts.includes(m), `${m} is a module`);
    });

    for (const script of repositoryScripts()) {
        it(`${script} --help exits 0 with a usage line and examples`, async () => {
            const [cmd, args] = command(script);
            const r = await run(cmd, [...args, "--help"]);
            assert.strictEqual(r.code, 0, `${script}: exit ${r.code}\n${r.stderr}`);
            assert.match(r.stdout, /^usage: /im, r.stdout);
            assert.match(r.stdout, /^examples:$/im, r.stdout);
            assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .+:\d+:\d+\)?\n/, "a stack trace");
        });
    }

    // Scripts that take options: a wrong one is refused with one line (Python: argparse's error, made one line).
    for (const script of repositoryScripts().filter((s) => s !== ".ci/run")) {
        it(`${script} refuses an unknown option in one line without a stack trace`, async () => {
            const [cmd, args] = command(script);
            const r = await run(cmd, [...args, "--no-such-option"]);
            assert.notStrictEqual(r.code, 0, `${script} accepted --no-such-option`);
            const lines = r.stderr.trim().split("\n");
            assert.strictEqual(lines.length, 1, `${script} printed:\n${r.stderr}`);
            assert.match(lines[0], /--no-such-option|unrecognized|unknown|unexpected|required/i, lines[0]);
            assert.match(lines[0], /--help/, lines[0]);
        });
    }

    it("npm run smoke against an address where nothing listens says so in one line and exits 1", async () => {
        const port = await new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
        });
        const r = await run(process.execPath, [...TS_NODE, "scripts/smoke/smoke.ts", "--local", `http://127.0.0.1:${port}/endpoints/local/invocations`], 90000);
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stdout, "");
        assert.strictEqual(r.stderr, `smoke: nothing answers at http://127.0.0.1:${port} (ECONNREFUSED): is \`npm start\` running? Start it in another terminal and wait for its "ready" line\n`);
    });
});
