/**
 * `npm run bench:startup`: how long commands take to start, the way the npm scripts run them now
 * (JavaScript from build/js, scripts/launch/) against the old way (ts-node compiling at run time, and a
 * dependency check that imported torch and scikit-learn), measured interleaved in the same run: medians
 * of N runs. Writes docs/figures/startup.md with --write. Not part of npm test.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";

const REPO = path.resolve(__dirname, "..", "..");
const FIGURES = path.join(REPO, "docs", "figures", "startup.md");
const PACKAGE_ARGS = "--model-dir model-src --out build/bench-startup/model.tar.gz --quiet";
const IMPORT_CHECK = "/usr/bin/python3 -c 'import numpy, torch, sklearn, joblib, pytest, hypothesis, waitress'";

const HELP = `Usage: npm run bench:startup -- [--runs N] [--write]

Times, interleaved in one run, each command the new way (the npm scripts as they are: JavaScript
from build/js) and the old way (the same commands through ts-node --transpile-only, and for npm start
the old dependency check that imported torch and scikit-learn; defined in a temporary npm project):
  npm run package (an unchanged rerun: the archive is reused), and the same without npm;
  npm run smoke -- --help; npm start until its ready line (PORT=0); and npm running an empty script.
Prints a table of medians (min-max) in seconds, wall clock, and the CPU seconds (user + system,
with GNU time; not for npm start, which is stopped at its ready line); --write also saves it to docs/figures/startup.md.
Takes about 2 minutes with --runs 5 (npm start loads the models each time).

  --runs N   runs of each command, each way (default 5)
  --write    save the table to docs/figures/startup.md

Examples:
  npm run bench:startup
  npm run bench:startup -- --runs 9 --write`;

interface Case { label: string; run: (way: Way) => Promise<Sample> }
type Way = "old" | "new";

const bin = path.join(REPO, "node_modules", ".bin");
const env = (extra: Record<string, string> = {}) => ({ ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: "1", ...extra });

/** A temporary npm project whose scripts are the old way of the repository's commands. */
function oldProject(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-mme-bench-startup-"));
    const cd = `cd ${JSON.stringify(REPO)} &&`;
    const scripts = {
        package: `${cd} ts-node --transpile-only scripts/package.ts`,
        smoke: `${cd} ts-node --transpile-only scripts/smoke/smoke.ts`,
        start: `${cd} ${IMPORT_CHECK} && exec ts-node --transpile-only local/start.ts`,
        noop: "true",
    };
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench-startup-old-way", private: true, scripts }, null, 2));
    return dir;
}

const TIME = "/usr/bin/time";
/** One run: wall seconds, and CPU seconds (user + system, the command and its children) where GNU time is installed. */
interface Sample { wall: number; cpu?: number }

/** Runs one command to its end; throws when it fails. */
function timed(cmd: string, args: string[], cwd: string): Promise<Sample> {
    const cpuFile = path.join(os.tmpdir(), `bench-startup-cpu-${process.pid}`);
    const [c, a] = fs.existsSync(TIME) ? [TIME, ["-f", "%U %S", "-o", cpuFile, cmd, ...args]] : [cmd, args];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c, a, { cwd, env: env(), encoding: "utf8", timeout: 120000 });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    let cpu: number | undefined;
    if (fs.existsSync(cpuFile)) {
        const [u, sys] = fs.readFileSync(cpuFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
        fs.rmSync(cpuFile, { force: true });
        cpu = u + sys;
    }
    if (r.status !== 0) return Promise.reject(new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout).trim().split("\n").pop()}`));
    return Promise.resolve({ wall, cpu });
}

/** Wall seconds from starting `npm start` (in `cwd`) to its ready line; then stops it and waits for it to exit. */
function timedReady(cwd: string): Promise<Sample> {
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const p = spawn("npm", ["start", "--silent"], { cwd, env: env({ PORT: "0" }), detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let seconds: number | undefined, stderr = "";
        const kill = (sig: NodeJS.Signals) => { try { process.kill(-p.pid!, sig); } catch { /* gone */ } };
        const hard = setTimeout(() => kill("SIGKILL"), 180000);
        p.stderr.on("data", (c) => (stderr = (stderr + c).slice(-2000)));
        readline.createInterface({ input: p.stdout }).on("line", (l) => {
            if (seconds === undefined && l.startsWith("ready ")) {
                seconds = Number(process.hrtime.bigint() - t0) / 1e9;
                kill("SIGTERM");
                setTimeout(() => kill("SIGKILL"), 20000).unref();
            }
        });
        p.on("exit", () => {
            clearTimeout(hard);
            if (seconds === undefined) reject(new Error(`npm start (${cwd}) exited before its ready line: ${stderr.trim().split("\n").pop()}`));
            else resolve({ wall: seconds });
        });
    });
}

function cases(old: string): Case[] {
    const args = PACKAGE_ARGS.split(" ");
    return [
        { label: "`npm run package` (unchanged rerun)", run: (w) => timed("npm", ["run", "--silent", "package", "--", ...args], w === "new" ? REPO : old) },
        { label: "the same without npm (`node … scripts/package.ts`)", run: (w) => timed(path.join(bin, "node"),
            ["-r", w === "new" ? "./scripts/launch/register.js" : "ts-node/register/transpile-only", "scripts/package.ts", ...args], REPO) },
        { label: "`npm run smoke -- --help`", run: (w) => timed("npm", ["run", "--silent", "smoke", "--", "--help"], w === "new" ? REPO : old) },
        { label: "`npm start` to its ready line", run: (w) => timedReady(w === "new" ? REPO : old) },
    ];
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const cell = (xs: number[]) => `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
const cpuCell = (xs: Sample[]) => (xs.every((x) => x.cpu !== undefined) ? median(xs.map((x) => x.cpu!)).toFixed(2) : "-");

/** The table: one row per command, old and new medians (wall and CPU), and new as a fraction of old. */
export function table(rows: Array<{ label: string; old: Sample[]; new: Sample[] }>, npmOnly: Sample[]): string {
    const lines = ["| command | old way (ts-node): median s (min-max) | CPU s | now (build/js): median s (min-max) | CPU s | now / old |",
        "|---|---:|---:|---:|---:|---:|"];
    const wall = (xs: Sample[]) => xs.map((x) => x.wall);
    for (const r of rows) {
        lines.push(`| ${r.label} | ${cell(wall(r.old))} | ${cpuCell(r.old)} | ${cell(wall(r.new))} | ${cpuCell(r.new)} | ${(median(wall(r.new)) / median(wall(r.old))).toFixed(2)} |`);
    }
    lines.push(`| npm running an empty script (npm's own start, in both) | ${cell(wall(npmOnly))} | ${cpuCell(npmOnly)} | ${cell(wall(npmOnly))} | ${cpuCell(npmOnly)} | 1.00 |`);
    return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) { console.log(HELP); return 0; }
    let runs = 5, write = false;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--write") write = true;
        else if (argv[i] === "--runs" && /^[1-9]\d*$/.test(argv[i + 1] ?? "")) runs = Number(argv[++i]);
        else { console.error(`bench:startup: ${argv[i] === "--runs" ? "--runs needs a whole number >= 1" : `unknown argument ${argv[i]}`}; see npm run bench:startup -- --help`); return 2; }
    }
    const old = oldProject();
    const load0 = os.loadavg()[0];
    try {
        const all = cases(old);
        await timed("npm", ["run", "--silent", "package", "--", ...PACKAGE_ARGS.split(" ")], REPO); // builds the archive the reruns reuse
        const rows = all.map((c) => ({ label: c.label, old: [] as Sample[], new: [] as Sample[] }));
        const npmOnly: Sample[] = [];
        for (let i = 0; i < runs; i++) {
            for (const [k, c] of all.entries()) {
                for (const way of (i % 2 ? ["new", "old"] : ["old", "new"]) as Way[]) rows[k][way].push(await c.run(way));
            }
            npmOnly.push(await timed("npm", ["run", "--silent", "noop"], old));
            process.stderr.write(`bench:startup: run ${i + 1} of ${runs} done\n`);
        }
        const t = table(rows, npmOnly);
        const loads = `${load0.toFixed(1)}-${os.loadavg()[0].toFixed(1)}`;
        const when = new Date().toISOString().slice(0, 16).replace("T", " ");
        const header = `<!-- saved output of \`npm run bench:startup -- --runs ${runs} --write\` (${when} UTC): ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), ` +
            `Node ${process.version}, load average ${loads} (the CPUs shared with other jobs: compare the columns, measured interleaved, rather than absolute times). Rerun it to regenerate. -->`;
        console.log(t);
        if (write) { fs.writeFileSync(FIGURES, `${header}\n${t}\n`); console.error(`bench:startup: wrote ${path.relative(REPO, FIGURES)}`); }
        return 0;
    } finally {
        fs.rmSync(old, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => { console.error(`bench:startup: ${(e as Error).message}`); process.exitCode = 1; });
}
