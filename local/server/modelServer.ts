/**
 * One local model server (local/server/serve.py) for one model directory, what the SageMaker PyTorch
 * container runs for /opt/ml/model: worker processes that each load the models and serve one
 * request at a time through the serving toolkit's dispatch. Bound to 127.0.0.1 only.
 *
 * `startModelServer(modelDir, options)` starts it in its own process group, waits until /ping is
 * healthy (every worker loaded the models) and returns a handle; several can run side by side,
 * one per model directory.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { TERM_GRACE_MS } from "../lifecycle";
import { servingTuningEnv, threadsPerWorker } from "../../sagemaker/containerEnv";

export const PYTHON = "/usr/bin/python3";
export const SERVE_PY = path.join(__dirname, "serve.py");

export interface ModelServerOptions {
    /** Seconds one invocation may take (SAGEMAKER_MODEL_SERVER_TIMEOUT), > 0. @default 60 */
    timeoutSeconds?: number;
    /** Worker processes (SAGEMAKER_MODEL_SERVER_WORKERS), >= 1. @default the variable in `env`/process.env, else 1 */
    workers?: number;
    /** Handler module file in `<modelDir>/code` (SAGEMAKER_PROGRAM). @default "inference.py" */
    program?: string;
    /** Extra environment for the model server and its workers. @default none */
    env?: Record<string, string>;
    /** Longest wait for /ping to be healthy, in ms. @default 180000 */
    startupTimeoutMs?: number;
    /** Aborts a start in progress: the server is stopped and the promise rejects. */
    signal?: AbortSignal;
    /** Sink for the server's log lines. @default stderr */
    log?: (line: string) => void;
    /** A folder of the caller's that the server removes when it exits because the caller died (stdin closed). @default none */
    orphanCleanupDir?: string;
    /** Called with serve.py's pid (its process group) right after it is spawned. @default none */
    onStarted?: (pid: number) => void;
}

export interface ExitInfo { code: number | null; signal: NodeJS.Signals | null }

export interface ModelServerHandle {
    /** `http://127.0.0.1:PORT` (POST /invocations, GET /ping). */
    url: string;
    /** Pid of serve.py, the leader of the server's process group. */
    pid: number;
    modelDir: string;
    /** Pids of the current worker processes, by slot (a replaced worker's slot holds its replacement). */
    workerPids(): number[];
    /** Resolves when serve.py exits, for whatever reason. */
    exited: Promise<ExitInfo>;
    /** True once stop() was called. */
    readonly stopping: boolean;
    /** Stops the whole process group (SIGTERM, then SIGKILL after TERM_GRACE_MS); resolves once no process of it is left. Idempotent. */
    stop(): Promise<void>;
}

function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { timeout: timeoutMs }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for `p` at most `ms`; true when it settled in time. Leaves no timer behind. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => { timer = setTimeout(() => r(false), ms); });
    try {
        return await Promise.race([p.then(() => true, () => true), timeout]);
    } finally {
        clearTimeout(timer);
    }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
    if (pid === undefined) return;
    try { process.kill(-pid, signal); } catch { /* already gone */ }
}

/** True while a process of group `pgid` runs (zombies, which only wait to be reaped, do not count). Linux /proc. */
export function groupAlive(pgid: number | undefined): boolean {
    if (pgid === undefined) return false;
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        let stat: string;
        try { stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8"); } catch { continue; }
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(pgrp) === pgid && state !== "Z") return true;
    }
    return false;
}

/** Set to `off` in the environment: no thread or allocator defaults (the figures' baseline in `npm run bench:serve`). */
export const TUNING_SWITCH = "LOCAL_SERVE_TUNING";

/** The thread and allocator defaults the model server's workers get (empty with LOCAL_SERVE_TUNING=off). */
export function tuningEnv(opts: Pick<ModelServerOptions, "workers" | "env">, base: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): Record<string, string> {
    const merged: NodeJS.ProcessEnv = { ...base, ...opts.env };
    const workers = opts.workers ?? (Number(merged.SAGEMAKER_MODEL_SERVER_WORKERS) || 1);
    return merged[TUNING_SWITCH] === "off" ? {} : servingTuningEnv(threadsPerWorker(cores, workers));
}

/**
 * The model server's environment: the container's variables for this directory and options. Thread and allocator
 * defaults (servingTuningEnv, threads from threadsPerWorker of this machine's cores and the worker count) come first,
 * so the caller's environment and `opts.env` override each of them; `LOCAL_SERVE_TUNING=off` leaves them out.
 */
export function modelServerEnv(opts: ModelServerOptions, base: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...tuningEnv(opts, base, cores), ...base, ...opts.env };
    env.SAGEMAKER_PROGRAM = opts.program ?? "inference.py";
    env.SAGEMAKER_BIND_TO_PORT = "0";
    env.SAGEMAKER_MODEL_SERVER_TIMEOUT = String(opts.timeoutSeconds ?? 60);
    if (opts.workers !== undefined) env.SAGEMAKER_MODEL_SERVER_WORKERS = String(opts.workers);
    env.LOCAL_EXIT_ON_STDIN_CLOSE = "1";
    if (opts.orphanCleanupDir) env.LOCAL_ORPHAN_CLEANUP_DIR = opts.orphanCleanupDir;
    env.PYTHONUNBUFFERED = "1";
    return env;
}

/**
 * Polls `/ping` until it answers 200; throws when the models failed to load (503 Unhealthy), when `check` throws
 * (interrupted, the server exited) or past `deadline` (ms since the epoch; `startupMs` is named in that error).
 */
async function waitHealthy(url: string, startupMs: number, deadline: number, check: () => void): Promise<void> {
    for (;;) {
        check();
        const ping = await get(`${url}/ping`, 2000).catch(() => undefined);
        if (ping?.status === 200) return;
        if (ping?.status === 503) {
            let parsed: { status?: string; error?: string } = {};
            try { parsed = JSON.parse(ping.body); } catch { /* not JSON */ }
            if (parsed.status === "Unhealthy") throw new Error(`the models failed to load: ${parsed.error}`);
        }
        if (Date.now() > deadline) throw new Error(`/ping was not healthy within ${startupMs / 1000} s`);
        await sleep(25); // a local GET a poll: ready within 25 ms of the models loading
    }
}

/** Starts serve.py on `modelDir` (an extracted archive: code/, models, ...); resolves once /ping is healthy. */
export async function startModelServer(modelDir: string, opts: ModelServerOptions = {}): Promise<ModelServerHandle> {
    const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
    if (!fs.existsSync(PYTHON)) {
        throw new Error(`${PYTHON} not found: install Debian's python3 with the packages in scripts/debian-packages.txt (npm start runs scripts/ensure-deps.sh)`);
    }
    const workers = new Map<number, number>();
    let exitInfo: ExitInfo | undefined;
    let stopping = false;
    const child: ChildProcess = spawn(PYTHON, [SERVE_PY, "--model-dir", modelDir], {
        cwd: modelDir, detached: true, stdio: ["pipe", "pipe", "pipe"], env: modelServerEnv(opts),
    });
    child.stdin?.on("error", () => undefined);
    if (child.pid !== undefined) opts.onStarted?.(child.pid);
    const exited = new Promise<ExitInfo>((resolve) => child.on("exit", (code, signal) => { exitInfo = { code, signal }; resolve(exitInfo); }));
    child.on("error", (e) => log(`error: cannot run ${PYTHON}: ${e.message}`));
    const portLine = new Promise<number>((resolve) => {
        readline.createInterface({ input: child.stdout!, crlfDelay: Infinity }).on("line", (l) => {
            const port = /^LOCAL_SERVE_PORT=(\d+)$/.exec(l);
            const worker = /^LOCAL_SERVE_WORKER=(\d+):(\d+)$/.exec(l);
            if (port) resolve(Number(port[1]));
            else if (worker) workers.set(Number(worker[1]), Number(worker[2]));
            else log(l);
        });
    });
    readline.createInterface({ input: child.stderr!, crlfDelay: Infinity }).on("line", log);

    const stop = async (): Promise<void> => {
        if (stopping) return;
        stopping = true;
        if (!exitInfo) {
            killGroup(child.pid, "SIGTERM");
            // a process holding the GIL never runs Python's signal handler: bounded grace, then the whole group goes
            if (!(await within(exited, TERM_GRACE_MS))) {
                killGroup(child.pid, "SIGKILL");
                await within(exited, 1000);
            }
        }
        // a straggler in the group (a worker, a handler's own subprocess) must not outlive us
        killGroup(child.pid, "SIGKILL");
        child.stdin?.destroy();
        for (let waited = 0; waited < 2000 && groupAlive(child.pid); waited += 20) await sleep(20);
    };
    const interrupted = () => new Error("start interrupted; everything started was stopped");
    try {
        const startupMs = opts.startupTimeoutMs ?? 180000;
        const deadline = Date.now() + startupMs;
        let timer: NodeJS.Timeout | undefined;
        const aborted = new Promise<never>((_, reject) => {
            if (opts.signal?.aborted) reject(interrupted());
            opts.signal?.addEventListener("abort", () => reject(interrupted()), { once: true });
        });
        aborted.catch(() => undefined);
        const port = await Promise.race([portLine, aborted,
            exited.then((e) => { throw new Error(`the model server exited before listening (code ${e.code}, signal ${e.signal})`); }),
            new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error("the model server did not start listening")), startupMs); }),
        ]).finally(() => clearTimeout(timer));
        const url = `http://127.0.0.1:${port}`;
        log(`model server: pid ${child.pid} on ${url}, loading the models`);
        await waitHealthy(url, startupMs, deadline, () => {
            if (opts.signal?.aborted) throw interrupted();
            if (exitInfo) throw new Error(`the model server exited while loading the models (code ${exitInfo.code}, signal ${exitInfo.signal}); see the model-server log lines`);
        });
        return {
            url, pid: child.pid!, modelDir, exited, stop,
            workerPids: () => [...workers.entries()].sort((a, b) => a[0] - b[0]).map(([, pid]) => pid),
            get stopping() { return stopping; },
        };
    } catch (err) {
        await stop();
        throw err;
    }
}
