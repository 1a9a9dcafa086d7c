/**
 * The processes `npm run bench:serve` measures: `npm start` started as a user starts it (its own process group,
 * PORT=0), the runtime API process and the model server's processes found through /proc, and their CPU time
 * read from /proc/<pid>/stat (utime + stime, in clock ticks of 10 ms: Linux's USER_HZ of 100). Linux only.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";

const REPO = path.resolve(__dirname, "..", "..", "..");
const TICK_MS = 10;

/** utime + stime of a process in ms, or 0 when it is gone. */
export function cpuMs(pid: number): number {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (Number(f[11]) + Number(f[12])) * TICK_MS; // fields 14 and 15 of stat(5)
    } catch {
        return 0;
    }
}

function procEntries(): Array<{ pid: number; ppid: number; cmdline: string }> {
    const out: Array<{ pid: number; ppid: number; cmdline: string }> = [];
    for (const e of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(e)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            out.push({ pid: Number(e), ppid, cmdline: fs.readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0").join(" ") });
        } catch { /* gone meanwhile */ }
    }
    return out;
}

/** The measured processes of one running endpoint. */
export interface EndpointProcesses {
    /** The Node process serving the runtime API (npm start's node). */
    api: number;
    /** serve.py: the model server's HTTP front. */
    modelServer: number;
    /** Its worker processes (serve_worker.py). */
    workers: number[];
    /** The extracted archive the model server serves (its --model-dir). */
    modelDir: string;
}

/** The endpoint's processes below `rootPid` (npm), found by their command lines. */
export function findProcesses(rootPid: number): EndpointProcesses {
    const all = procEntries();
    const below = new Set([rootPid]);
    for (let grew = true; grew;) {
        grew = false;
        for (const p of all) if (!below.has(p.pid) && below.has(p.ppid)) { below.add(p.pid); grew = true; }
    }
    const server = all.find((p) => below.has(p.pid) && /serve\.py --model-dir /.test(p.cmdline));
    if (!server) throw new Error(`no model server (serve.py) below pid ${rootPid}`);
    const workers = all.filter((p) => p.ppid === server.pid && /serve_worker\.py/.test(p.cmdline)).map((p) => p.pid);
    return { api: server.ppid, modelServer: server.pid, workers, modelDir: server.cmdline.split("--model-dir ")[1].trim() };
}

export interface StartedEndpoint {
    name: string;
    /** `http://127.0.0.1:PORT`, the SDK's endpoint. */
    endpoint: string;
    processes(): EndpointProcesses;
    stop(): Promise<void>;
}

/** Stops of the endpoints still running, for a bench interrupted by a signal. */
export const running = new Set<() => Promise<void>>();

/** Runs `npm start` with PORT=0 and `env` added; resolves at its `ready` line. */
export function startEndpoint(name: string, env: Record<string, string>, startupMs = 300000): Promise<StartedEndpoint> {
    const child: ChildProcess = spawn("npm", ["start", "--silent"], {
        cwd: REPO, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env, PORT: "0" },
    });
    const stderr: string[] = [];
    readline.createInterface({ input: child.stderr! }).on("line", (l) => { stderr.push(l); if (stderr.length > 20) stderr.shift(); });
    const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        try { process.kill(-child.pid!, "SIGTERM"); } catch { /* gone */ }
        const timer = setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } }, 15000);
        await exited;
        clearTimeout(timer);
        running.delete(stop);
    };
    running.add(stop);
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { stop(); reject(new Error(`${name}: npm start was not ready within ${startupMs / 1000} s`)); }, startupMs);
        child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${name}: npm start exited (${code}) before ready: ${stderr.slice(-5).join(" | ")}`)); });
        readline.createInterface({ input: child.stdout! }).on("line", (l) => {
            const m = /^ready (http:\/\/[^/\s]+)\//.exec(l);
            if (!m) return;
            clearTimeout(timer);
            child.removeAllListeners("exit");
            resolve({ name, endpoint: m[1], processes: () => findProcesses(child.pid!), stop });
        });
    });
}
