/**
 * The local endpoint, programmatically (`npm start` is its CLI, local/start.ts):
 * builds model.tar.gz from the model directory with the same `buildModelArchive` that
 * `pulumi up` uploads, extracts it into a fresh temporary `<work>/ml/model` (what SageMaker
 * fills as /opt/ml/model), starts one model server on it (`local/server/modelServer.ts`: local/server/serve.py
 * with Debian's /usr/bin/python3, worker processes as in the container), waits until /ping is
 * healthy (models loaded), and serves the SageMaker Runtime API (`local/api/runtimeApi.ts`,
 * SigV4-checked) in front of it.
 */
import * as fs from "fs";
import type * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as tar from "tar";
import type { ArchiveResult } from "../packaging/modelArchive";
import { localArchive } from "./localArchive";
import { validateModelDir } from "../packaging/modelDir";
import { ExitInfo, ModelServerHandle, startModelServer, within } from "./server/modelServer";
import { createRuntimeApi } from "./api/runtimeApi";
import { DRAIN_MS, MAX_MODEL_SERVER_TIMEOUT_S } from "./lifecycle";
import { logText } from "./api/logText";
import { createWorkDir, recordModelServer, removeStaleWorkDirs } from "./workDirs";
import { sageMakerNameProblem } from "../config/names";
import { loadSigner } from "./api/sigv4";
import type { Credentials } from "./api/sigv4";

export { PYTHON } from "./server/modelServer";
export const REPO_ROOT = path.resolve(__dirname, "..");
export const DEFAULT_CREDENTIALS: Credentials = { accessKeyId: "local", secretAccessKey: "local-secret" };
/** SageMaker's InvokeEndpoint front end gives a real-time invocation at most 60 s, whatever the container's timeout. */
export const INVOKE_LIMIT_MS = 60000;

export interface LocalEndpointOptions {
    /** Model directory to package. @default `<repo>/model-src` */
    modelDir?: string;
    /** Runtime API port, 0 to 65535 (0 picks a free one). @default 8080 */
    port?: number;
    /** Address the runtime API binds to. @default "127.0.0.1" */
    host?: string;
    /** Endpoint name in the invoke path, SageMaker's rule (names.ts sageMakerNameProblem: 1-63 characters). @default "local" */
    endpointName?: string;
    /** The only credentials the runtime API accepts. @default local / local-secret */
    credentials?: Credentials;
    /** Per-invocation limit of the model server in seconds (SAGEMAKER_MODEL_SERVER_TIMEOUT), finite, > 0 and <= 3600. @default 60 */
    modelServerTimeoutSeconds?: number;
    /** Worker processes of the model server (SAGEMAKER_MODEL_SERVER_WORKERS). @default the variable, else 1 */
    workers?: number;
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
    /** Called with the temp folder as soon as it exists (so a caller's last-resort cleanup can remove it). @default none */
    onWorkDir?: (dir: string) => void;
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
    /** Pids of the model server's current worker processes (each holds its own copy of the models). */
    workerPids(): number[];
    /** Temporary directory holding model.tar.gz and the extracted ml/model; removed by stop(). */
    workDir: string;
    archive: ArchiveResult;
    /** Resolves when the model server exits, for whatever reason. */
    exited: Promise<ExitInfo>;
    /** Requests the runtime API forwarded to the model server. */
    forwarded(): number;
    /** Stops the runtime API and the model server's process group, removes workDir. Idempotent. */
    stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Listens on `port` (0 = any free one) at `host`; a taken port is one clear error naming PORT. */
export async function listenOn(server: http.Server, port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => { server.off("error", reject); resolve(); });
    }).catch((e: NodeJS.ErrnoException) => {
        throw new Error(e.code === "EADDRINUSE" ? `port ${port} is in use; set PORT to a free port (PORT=0 picks one)` : e.message);
    });
}

/** Refuses a bad endpoint name, timeout or (unless `validate` is false) model directory before anything starts. */
function checkStartOptions(endpointName: string, timeoutS: number, modelDir: string, validate: boolean, log: (line: string) => void): void {
    const nameProblem = sageMakerNameProblem(endpointName);
    if (nameProblem) throw new Error(`endpoint name "${logText(endpointName, 80)}" ${nameProblem}`);
    if (!(timeoutS > 0 && timeoutS <= MAX_MODEL_SERVER_TIMEOUT_S)) {
        throw new Error(`modelServerTimeoutSeconds ${timeoutS} must be a number of seconds from 0.001 to ${MAX_MODEL_SERVER_TIMEOUT_S}`);
    }
    if (validate) {
        const check = validateModelDir(modelDir);
        for (const w of check.warnings) log(`warning: ${w}`);
        if (check.errors.length > 0) throw new Error(`the model directory has problems:\n  ${check.errors.join("\n  ")}`);
    }
}

/** Builds the archive `pulumi up` uploads into `workDir` and extracts it as SageMaker does into /opt/ml/model. */
async function buildAndExtract(modelDir: string, workDir: string, log: (line: string) => void): Promise<{ archive: ArchiveResult; extracted: string }> {
    const archiveFile = path.join(workDir, "model.tar.gz");
    const archive = await localArchive(modelDir, archiveFile, REPO_ROOT); // reused while the model directory is unchanged
    const extracted = path.join(workDir, "ml", "model");
    fs.mkdirSync(extracted, { recursive: true });
    await tar.x({ file: archiveFile, cwd: extracted, strict: true });
    log(`archive: ${archive.files.length} files, ${archive.bytes} bytes, sha256 ${archive.sha256}; extracted to ${extracted}`);
    return { archive, extracted };
}

/** Starts the local endpoint; resolves once /ping is healthy. On failure everything started is stopped. */
export async function startLocalEndpoint(opts: LocalEndpointOptions = {}): Promise<LocalEndpoint> {
    const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
    const modelDir = opts.modelDir ?? path.join(REPO_ROOT, "model-src");
    const endpointName = opts.endpointName ?? "local";
    const host = opts.host ?? "127.0.0.1";
    const timeoutS = opts.modelServerTimeoutSeconds ?? 60;
    checkStartOptions(endpointName, timeoutS, modelDir, opts.validate !== false, log);
    // a npm start killed with SIGKILL left its temp folder (and maybe its model server): clean up after it
    const stale = removeStaleWorkDirs();
    if (stale.length > 0) log(`removed ${stale.length} stale temp folder(s) of local endpoints that are gone: ${stale.join(", ")}`);
    const workDir = createWorkDir();
    opts.onWorkDir?.(workDir);
    let server: ModelServerHandle | undefined;
    let stopping = false;
    let modelServerUrl = "";
    const api = createRuntimeApi({
        endpointName, credentials: opts.credentials ?? DEFAULT_CREDENTIALS, modelServerUrl: () => modelServerUrl,
        containerTimeoutMs: INVOKE_LIMIT_MS, log: (l) => log(`runtime-api | ${l}`),
    });
    api.setUnavailable("the model server is starting");

    const stop = async (): Promise<void> => {
        if (stopping) return;
        stopping = true;
        api.setUnavailable("the endpoint is stopping");
        const closed = new Promise<void>((r) => api.server.close(() => r()));
        api.server.closeIdleConnections();
        // let in-flight invocations finish (new ones get 503) before the model server goes
        let gone = false;
        server?.exited.then(() => { gone = true; });
        try {
            for (let waited = 0; api.inflight > 0 && waited < (opts.drainMs ?? DRAIN_MS) && !gone; waited += 50) await sleep(50);
            api.server.closeIdleConnections();
            await server?.stop();
            // requests still in flight now fail cleanly (503 from the runtime API) before their connections close
            for (let waited = 0; api.inflight > 0 && waited < 1000; waited += 20) await sleep(20);
            await within(closed, 2000);
        } finally {
            api.server.closeAllConnections();
            fs.rmSync(workDir, { recursive: true, force: true });
        }
    };

    try {
        // 1. listen first: a taken port fails before minutes of model loading
        await listenOn(api.server, opts.port ?? 8080, host);
        const port = (api.server.address() as AddressInfo).port;

        // 2. the archive pulumi up uploads, extracted as SageMaker does into /opt/ml/model
        const { archive, extracted } = await buildAndExtract(modelDir, workDir, log);

        if (opts.signal?.aborted) throw new Error("start interrupted; everything started was stopped");
        // 3. the model server, in its own process group; /ping healthy = every worker loaded the models
        server = await startModelServer(extracted, {
            onStarted: (pid) => { recordModelServer(workDir, pid); loadSigner(); }, // loads while the models load
            timeoutSeconds: timeoutS, workers: opts.workers, env: opts.env, startupTimeoutMs: opts.startupTimeoutMs,
            signal: opts.signal, log: (l) => log(`model-server | ${l}`), orphanCleanupDir: workDir,
        });
        const started = server;
        started.exited.then((e) => {
            if (started.stopping || stopping) return;
            const why = `the model server (pid ${started.pid}) exited unexpectedly (code ${e.code}, signal ${e.signal}); see the model-server log lines`;
            api.setUnavailable(why);
            log(`error: ${why}`);
        });
        modelServerUrl = started.url;
        api.setUnavailable(undefined);
        const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
        return {
            url: `${endpoint}/endpoints/${endpointName}/invocations`,
            endpoint, endpointName, port, modelServerUrl, modelServerPid: started.pid, workDir, archive, exited: started.exited,
            workerPids: () => started.workerPids(),
            forwarded: () => api.forwarded,
            stop,
        };
    } catch (err) {
        await stop();
        throw err;
    }
}
