/**
 * `npm run bench:startup`: how long commands take to start, the way the npm scripts run them now
 * (JavaScript from build/js, scripts/launch/) against the old way (ts-node compiling at run time, and a
 * dependency check that imported torch and scikit-learn), and against this machine's floor (npm running an
 * empty script, `node -e 0`), measured interleaved in the same run: medians of N runs. Writes
 * docs/figures/startup.md with --write. Not part of npm test.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { Row, Sample, stepsTable, table, TARGETS, verdicts, VerdictRows } from "./benchStartupReport";
import { STEP_MARKS, stepSeconds } from "./startupSteps";

const REPO = path.resolve(__dirname, "..", "..");
const FIGURES = path.join(REPO, "docs", "figures", "startup.md");
const STEPS_FIGURES = path.join(REPO, "docs", "figures", "startup-steps.md");
const PACKAGE_ARGS = "--model-dir model-src --out build/bench-startup/model.tar.gz --quiet";
const IMPORT_CHECK = "/usr/bin/python3 -c 'import numpy, torch, sklearn, joblib, pytest, hypothesis, waitress'";

const HELP = `Usage: npm run bench:startup -- [--runs N] [--write]

Times, interleaved in one run, each command the new way (the npm scripts as they are: JavaScript
from build/js) and the old way (the same commands through ts-node --transpile-only, and for npm start
the old dependency check that imported torch and scikit-learn; defined in a temporary npm project):
  npm run package (an unchanged rerun: the archive is reused) with the system's npm on its own Node,
  the same with npm on the project's Node (node_modules/.bin/node), and the same without npm;
  npm run smoke -- --help; npm start until its ready line (PORT=0);
and the floors: node -e 0 (the project's Node) and npm running an empty script (on each Node).
Prints a table of medians (min-max) in seconds, wall clock, and the CPU seconds (user + system,
with GNU time; not for npm start, which is stopped at its ready line), each command's floor and its
ratio to it, then whether each target is met (npm start <= ${TARGETS.startReady} s, an unchanged package
rerun <= ${TARGETS.packageRerun} s) or below the machine's floor; --write also saves it to docs/figures/startup.md.
Then the steps of npm start (node … local/start.ts timed step by step with scripts/bench/startupSteps.ts,
npm and scripts/ensure-deps.sh timed apart); --write saves them to docs/figures/startup-steps.md.
Takes about 2 minutes with --runs 5 (npm start loads the models each time).

  --runs N   runs of each command, each way (default 5)
  --write    save the table to docs/figures/startup.md

Examples:
  npm run bench:startup
  npm run bench:startup -- --runs 9 --write`;

/** A command to time; `old` false: only the new way is timed. `floor`: labels of the floor rows it is set against. */
interface Case { label: string; old: boolean; floor: string[]; run: (way: Way) => Promise<Sample> }
type Way = "old" | "new";

const bin = path.join(REPO, "node_modules", ".bin");
const NODE = path.join(bin, "node");
const env = (extra: Record<string, string> = {}) => ({ ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: "1", ...extra });

/** The system's npm (its npm-cli.js) and the Node it runs on from a shell, found on PATH without node_modules/.bin. */
function systemNpm(): { cli: string; node: string; npmVersion: string; nodeVersion: string } {
    const PATH = (process.env.PATH ?? "").split(":").filter((d) => !d.endsWith(path.join("node_modules", ".bin")) && !d.includes("node-gyp-bin")).join(":");
    const which = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { env: { ...process.env, PATH }, encoding: "utf8" }).stdout.trim();
    const npm = which("npm"), node = which("node");
    if (!npm || !node) throw new Error("npm or node is not on PATH; install Node.js with npm");
    const cli = fs.realpathSync(npm);
    const version = (args: string[]) => spawnSync(node, args, { encoding: "utf8" }).stdout.trim();
    return { cli, node, npmVersion: version([cli, "--version"]), nodeVersion: version(["--version"]) };
}

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

/** Wall seconds from starting `cmd` (npm start, in `cwd`) to its ready line; then stops it and waits for it to exit. */
function timedReady(cmd: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Sample> {
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const p = spawn(cmd[0], cmd.slice(1), { cwd, env: env({ PORT: "0", ...extraEnv }), detached: true, stdio: ["ignore", "pipe", "pipe"] });
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
            if (seconds === undefined) reject(new Error(`${cmd.slice(-2).join(" ")} (${cwd}) exited before its ready line: ${stderr.trim().split("\n").pop()}`));
            else resolve({ wall: seconds });
        });
    });
}

/** One start of `local/start.ts` without npm, timed step by step (scripts/bench/startupSteps.ts): seconds per step. */
async function startSteps(): Promise<number[]> {
    const out = path.join(os.tmpdir(), `bench-startup-steps-${process.pid}.jsonl`);
    fs.rmSync(out, { force: true });
    try {
        await timedReady([NODE, "-r", "./scripts/launch/register.js", "-r", "./scripts/bench/startupSteps.ts", "local/start.ts"], REPO, { STARTUP_STEPS_OUT: out });
        return stepSeconds(JSON.parse(fs.readFileSync(out, "utf8").trim().split("\n")[0]) as Record<string, number>).map((x) => x.seconds);
    } finally {
        fs.rmSync(out, { force: true });
    }
}

/** The commands and floors to time, and which rows the verdicts read. */
function cases(old: string, sys: ReturnType<typeof systemNpm>): { all: Case[]; which: VerdictRows & { npmFloor: string } } {
    const args = PACKAGE_ARGS.split(" ");
    const npmSys = [sys.node, sys.cli], npmProject = [NODE, sys.cli];
    const npmRun = (npm: string[], script: string, rest: string[], cwd: string) => timed(npm[0], [...npm.slice(1), "run", "--silent", script, ...rest], cwd);
    const at = (w: Way) => (w === "new" ? REPO : old);
    const onSys = `system npm ${sys.npmVersion} on Node ${sys.nodeVersion}`;
    const floor = { node: `\`node -e 0\` (the project's Node ${process.version})`, npmSys: `npm running an empty script (${onSys})`,
        npmProject: `npm running an empty script (npm ${sys.npmVersion} on the project's Node ${process.version})` };
    const pkg = { sys: `unchanged \`npm run package\` rerun (${onSys})`, project: `unchanged \`npm run package\` rerun (npm ${sys.npmVersion} on the project's Node)`,
        bare: "unchanged rerun without npm (`node … scripts/package.ts`)" };
    const start = `\`npm start\` to its ready line (${onSys})`;
    const all: Case[] = [
        { label: pkg.sys, old: true, floor: [floor.npmSys, floor.node], run: (w) => npmRun(npmSys, "package", ["--", ...args], at(w)) },
        { label: pkg.project, old: false, floor: [floor.npmProject, floor.node], run: () => npmRun(npmProject, "package", ["--", ...args], REPO) },
        { label: pkg.bare, old: true, floor: [floor.node], run: (w) => timed(NODE,
            ["-r", w === "new" ? "./scripts/launch/register.js" : "ts-node/register/transpile-only", "scripts/package.ts", ...args], REPO) },
        { label: `\`npm run smoke -- --help\` (${onSys})`, old: true, floor: [floor.npmSys, floor.node], run: (w) => npmRun(npmSys, "smoke", ["--", "--help"], at(w)) },
        { label: start, old: true, floor: [floor.npmSys, floor.node], run: (w) => timedReady([...npmSys, "start", "--silent"], at(w)) },
        { label: floor.node, old: false, floor: [], run: () => timed(NODE, ["-e", "0"], REPO) },
        { label: floor.npmSys, old: false, floor: [], run: () => npmRun(npmSys, "noop", [], old) },
        { label: floor.npmProject, old: false, floor: [], run: () => npmRun(npmProject, "noop", [], old) },
    ];
    return { all, which: { start, packageViaNpm: [pkg.sys, pkg.project], packageWithoutNpm: pkg.bare, npmFloor: floor.npmSys } };
}

async function main(argv: string[]): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) { console.log(HELP); return 0; }
    let runs = 5, write = false;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--write") write = true;
        else if (argv[i] === "--runs" && /^[1-9]\d*$/.test(argv[i + 1] ?? "")) runs = Number(argv[++i]);
        else { console.error(`bench:startup: ${argv[i] === "--runs" ? "--runs needs a whole number >= 1" : `unknown argument ${argv[i]}`}; see npm run bench:startup -- --help`); return 2; }
    }
    const sys = systemNpm();
    const old = oldProject();
    const load0 = os.loadavg()[0];
    try {
        const { all, which } = cases(old, sys);
        await all[0].run("new"); // builds the archive the reruns reuse
        const rows: Row[] = all.map((c) => ({ label: c.label, old: c.old ? [] : undefined, now: [], floor: c.floor }));
        const ensureDeps: Sample[] = [], steps: number[][] = [];
        for (let i = 0; i < runs; i++) {
            for (const [k, c] of all.entries()) {
                for (const way of (i % 2 ? ["new", "old"] : ["old", "new"]) as Way[]) {
                    if (way === "new") rows[k].now.push(await c.run(way));
                    else if (c.old) rows[k].old!.push(await c.run(way));
                }
            }
            ensureDeps.push(await timed("bash", ["scripts/ensure-deps.sh"], REPO));
            steps.push(await startSteps());
            process.stderr.write(`bench:startup: run ${i + 1} of ${runs} done\n`);
        }
        const text = `${table(rows)}\n\n${verdicts(rows, which).join("\n")}`;
        const loads = `${load0.toFixed(1)}-${os.loadavg()[0].toFixed(1)}`;
        const when = new Date().toISOString().slice(0, 16).replace("T", " ");
        const header = (what: string) => `<!-- saved output of \`npm run bench:startup -- --runs ${runs} --write\` (${when} UTC), ${what}: ${os.cpus().length} CPUs ` +
            `(${os.cpus()[0]?.model.trim()}), Node ${process.version}, load average ${loads} (the CPUs shared with other jobs: compare the columns, measured ` +
            "interleaved, rather than absolute times). Rerun it to regenerate. -->";
        const npmRow = rows.find((r) => r.label === which.npmFloor)!;
        const stepText = stepsTable([
            { step: `npm itself, until it runs the script: ${which.npmFloor}`, seconds: npmRow.now.map((x) => x.wall) },
            { step: "`scripts/ensure-deps.sh` (nothing to install)", seconds: ensureDeps.map((x) => x.wall) },
            ...STEP_MARKS.map((m, k) => ({ step: m.step, seconds: steps.map((run) => run[k]) })),
            { step: "total from node's start to `ready` (`node … local/start.ts`, without npm)", seconds: steps.map((run) => run.reduce((a, b) => a + b, 0)) },
        ]);
        console.log(`${text}\n\n${stepText}`);
        if (write) {
            fs.writeFileSync(FIGURES, `${header("the commands against the old way and the floor")}\n${text}\n`);
            fs.writeFileSync(STEPS_FIGURES, `${header("npm start step by step")}\n${stepText}\n`);
            console.error(`bench:startup: wrote ${path.relative(REPO, FIGURES)} and ${path.relative(REPO, STEPS_FIGURES)}`);
        }
        return 0;
    } finally {
        fs.rmSync(old, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => { console.error(`bench:startup: ${(e as Error).message}`); process.exitCode = 1; });
}
