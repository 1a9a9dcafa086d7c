/**
 * The local endpoint, programmatically (`npm start` is its CLI, local/start.ts):
 * builds model.tar.gz from the model directory with the same `buildModelArchive` that
 * `pulumi up` uploads, extracts it into a fresh temporary `<work>/ml/model` (what SageMaker
 * fills as /opt/ml/model), starts `local/serve.py` on it with Debian's /usr/bin/python3 (the
 * container contract: SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY, /ping, /invocations),
 * waits until /ping is healthy (models loaded), and serves the SageMaker Runtime API
 * (`local/runtimeApi.ts`, SigV4-checked) in front of it.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import * as tar from "tar";
import { ArchiveResult, buildModelArchive } from "../components/modelArchive";
import { validateModelDir } from "../components/modelDir";
import { createRuntimeApi } from "./runtimeApi";
import type { Credentials } from "./sigv4";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const DEFAULT_CREDENTIALS: Credentials = { accessKeyId: "local", secretAccessKey: "local-secret" };
export const PYTHON = "/usr/bin/python3";
/** SageMaker endpoint names: 1-63 letters, digits and hyphens, starting and ending with a letter or digit. */
export const ENDPOINT_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

export interface LocalEndpointOptions {
    /** Model directory to package. @default `<repo>/model-src` */
    modelDir?: string;
    /** Runtime API port, 0 to 65535 (0 picks a free one). @default 8080 */
    port?: number;
    /** Address the runtime API binds to. @default "127.0.0.1" */
    host?: string;
    /** Endpoint name in the invoke path, SageMaker's rule `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`. @default "local" */
    endpointName?: string;
    /** The only credentials the runtime API accepts. @default local / local-secret */
    credentials?: Credentials;
    /** Per-invocation limit of the model server in seconds (SAGEMAKER_MODEL_SERVER_TIMEOUT), > 0. @default 60 */
    modelServerTimeoutSeconds?: number;
    /** Longest wait for /ping to be healthy, in ms. @default 180000 */
    startupTimeoutMs?: number;
    /** Check the model directory with validateModelDir first (as `pulumi up` does). @default true */
    validate?: boolean;
    /** Extra environment for the model server. @default none */
    env?: Record<string, string>;
    /** On stop, longest wait for in-flight invocations to finish before the model server is stopped, in ms. @default 3000 */
    drainMs?: number;
    /** Aborts a start in progress: startLocalEndpoint stops what it started and rejects. @default none */
    signal?: AbortSignal;
    /** Sink for log lines (model server output, failed requests). @default stderr */
    log?: (line: string) => void;
}

export interface LocalEndpoint {
    /** `http://HOST:PORT/endpoints/NAME/invocations` */
    url: string;
    /** `http://HOST:PORT`, the SDK's `endpoint` setting. */
    endpoint: string;
    endpointName: string;
    port: number;
    modelServerUrl: string;
    modelServerPid: number;
    /** Temporary directory holding model.tar.gz and the extracted ml/model; removed by stop(). */
    workDir: string;
    archive: ArchiveResult;
    /** Resolves when the model server exits, for whatever reason. */
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    /** Requests the runtime API forwarded to the model server. */
    forwarded(): number;
    /** Stops the runtime API and the model server's process group, removes workDir. Idempotent. */
    stop(): Promise<void>;
}

function lines(stream: NodeJS.ReadableStream, onLine: (l: string) => void): void {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on("line", onLine);
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
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => { timer = setTimeout(() => r(false), ms); });
    try {
        return await Promise.race([p.then(() => true, () => true), timeout]);
    } finally {
        clearTimeout(timer);
    }
}

/** Starts the local endpoint; resolves once /ping is healthy. On failure everything started is stopped. */
export async function startLocalEndpoint(opts: LocalEndpointOptions = {}): Promise<LocalEndpoint> {
    const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
    const modelDir = opts.modelDir ?? path.join(REPO_ROOT, "model-src");
    const endpointName = opts.endpointName ?? "local";
    const host = opts.host ?? "127.0.0.1";
    const timeoutS = opts.modelServerTimeoutSeconds ?? 60;
    if (!ENDPOINT_NAME_PATTERN.test(endpointName)) throw new Error(`endpoint name ${endpointName} is not a SageMaker endpoint name`);
    if (opts.validate !== false) {
        const check = validateModelDir(modelDir);
        for (const w of check.warnings) log(`warning: ${w}`);
        if (check.errors.length > 0) throw new Error(`the model directory has problems:\n  ${check.errors.join("\n  ")}`);
    }
    if (!fs.existsSync(PYTHON)) {
        throw new Error(`${PYTHON} not found: install Debian's python3 with the packages in scripts/debian-packages.txt (npm start runs scripts/ensure-deps.sh)`);
    }

    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-mme-local-"));
    let child: ChildProcess | undefined;
    let stopping = false;
    let modelServerUrl = "";
    const api = createRuntimeApi({
        endpointName, credentials: opts.credentials ?? DEFAULT_CREDENTIALS, modelServerUrl: () => modelServerUrl,
        containerTimeoutMs: Math.round(timeoutS * 1000) + 5000, log: (l) => log(`runtime-api | ${l}`),
    });
    api.setUnavailable("the model server is starting");
    let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let resolveExited: (v: { code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (resolveExited = r));

    const stop = async (): Promise<void> => {
        if (stopping) return;
        stopping = true;
        api.setUnavailable("the endpoint is stopping");
        const closed = new Promise<void>((r) => api.server.close(() => r()));
        api.server.closeIdleConnections();
        // let in-flight invocations finish (new ones get 503) before the model server goes
        for (let waited = 0; api.inflight > 0 && waited < (opts.drainMs ?? 3000) && !exitInfo; waited += 50) await sleep(50);
        api.server.closeIdleConnections();
        if (child?.pid !== undefined && !exitInfo) {
            try { process.kill(-child.pid, "SIGTERM"); } catch { /* already gone */ }
            if (!(await within(exited, 3000))) {
                try { process.kill(-child.pid, "SIGKILL"); } catch { /* already gone */ }
                await within(exited, 1000);
            }
        }
        // a straggler process in the group (a handler's own subprocess) must not outlive us
        if (child?.pid !== undefined) { try { process.kill(-child.pid, "SIGKILL"); } catch { /* none left */ } }
        child?.stdin?.destroy();
        await within(closed, 2000);
        api.server.closeAllConnections();
        fs.rmSync(workDir, { recursive: true, force: true });
    };

    const aborted = new Promise<never>((_, reject) => {
        const onAbort = () => reject(new Error("start interrupted; everything started was stopped"));
        if (opts.signal?.aborted) onAbort();
        else opts.signal?.addEventListener("abort", onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    try {
        // 1. listen first: a taken port fails before minutes of model loading
        await new Promise<void>((resolve, reject) => {
            api.server.once("error", reject);
            api.server.listen(opts.port ?? 8080, host, () => { api.server.off("error", reject); resolve(); });
        }).catch((e: NodeJS.ErrnoException) => {
            throw new Error(e.code === "EADDRINUSE" ? `port ${opts.port ?? 8080} is in use; set PORT to a free port (PORT=0 picks one)` : e.message);
        });
        const port = (api.server.address() as AddressInfo).port;

        // 2. the archive pulumi up uploads, extracted as SageMaker does into /opt/ml/model
        const archiveFile = path.join(workDir, "model.tar.gz");
        const archive = await buildModelArchive(modelDir, archiveFile);
        const base = path.join(workDir, "ml");
        const extracted = path.join(base, "model");
        fs.mkdirSync(extracted, { recursive: true });
        await tar.x({ file: archiveFile, cwd: extracted, strict: true });
        log(`archive: ${archive.files.length} files, ${archive.bytes} bytes, sha256 ${archive.sha256}; extracted to ${extracted}`);

        if (opts.signal?.aborted) throw new Error("start interrupted; everything started was stopped");
        // 3. the model server, in its own process group
        child = spawn(PYTHON, [path.join(__dirname, "serve.py")], {
            cwd: extracted,
            detached: true,
            stdio: ["pipe", "pipe", "pipe"],
            env: {
                ...process.env, ...opts.env,
                SAGEMAKER_PROGRAM: "inference.py",
                SAGEMAKER_SUBMIT_DIRECTORY: path.join(extracted, "code"),
                SAGEMAKER_BASE_PATH: base,
                SAGEMAKER_BIND_TO_PORT: "0",
                SAGEMAKER_MODEL_SERVER_TIMEOUT: String(timeoutS),
                LOCAL_EXIT_ON_STDIN_CLOSE: "1",
                PYTHONUNBUFFERED: "1",
            },
        });
        const proc = child;
        proc.stdin?.on("error", () => undefined);
        const portLine = new Promise<number>((resolve) => {
            lines(proc.stdout!, (l) => {
                const m = /^LOCAL_SERVE_PORT=(\d+)$/.exec(l);
                if (m) resolve(Number(m[1]));
                else log(`model-server | ${l}`);
            });
        });
        lines(proc.stderr!, (l) => log(`model-server | ${l}`));
        proc.on("exit", (code, signal) => {
            exitInfo = { code, signal };
            if (!stopping) {
                const why = `the model server (pid ${proc.pid}) exited unexpectedly (code ${code}, signal ${signal}); see the model-server log lines`;
                api.setUnavailable(why);
                log(`error: ${why}`);
            }
            resolveExited(exitInfo);
        });
        proc.on("error", (e) => log(`error: cannot run ${PYTHON}: ${e.message}`));

        // 4. wait for /ping 200 (models loaded), failing fast when loading failed or the process died
        const startupMs = opts.startupTimeoutMs ?? 180000;
        const deadline = Date.now() + startupMs;
        let timer: NodeJS.Timeout | undefined;
        const serverPort = await Promise.race([portLine, aborted,
            exited.then((e) => { throw new Error(`the model server exited before listening (code ${e.code}, signal ${e.signal})`); }),
            new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error("the model server did not start listening")), startupMs); }),
        ]).finally(() => clearTimeout(timer));
        modelServerUrl = `http://127.0.0.1:${serverPort}`;
        log(`model server: pid ${proc.pid} on ${modelServerUrl}, loading the models`);
        for (;;) {
            if (opts.signal?.aborted) throw new Error("start interrupted; everything started was stopped");
            if (exitInfo) throw new Error(`the model server exited while loading the models (code ${exitInfo.code}, signal ${exitInfo.signal}); see the model-server log lines`);
            const ping = await get(`${modelServerUrl}/ping`, 2000).catch(() => undefined);
            if (ping?.status === 200) break;
            if (ping?.status === 503) {
                let parsed: { status?: string; error?: string } = {};
                try { parsed = JSON.parse(ping.body); } catch { /* not JSON */ }
                if (parsed.status === "Unhealthy") throw new Error(`the models failed to load: ${parsed.error}`);
            }
            if (Date.now() > deadline) throw new Error(`/ping was not healthy within ${startupMs / 1000} s`);
            await sleep(100);
        }
        api.setUnavailable(undefined);
        const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
        return {
            url: `${endpoint}/endpoints/${endpointName}/invocations`,
            endpoint, endpointName, port, modelServerUrl, modelServerPid: proc.pid!, workDir, archive, exited,
            forwarded: () => api.forwarded,
            stop,
        };
    } catch (err) {
        await stop();
        throw err;
    }
}
