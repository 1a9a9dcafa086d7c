/**
 * `npm start`: the whole request path on this machine, without AWS (see local/endpoint.ts).
 * Reads PORT, ENDPOINT_NAME, LOCAL_AWS_ACCESS_KEY_ID / LOCAL_AWS_SECRET_ACCESS_KEY, LOCAL_MODEL_DIR
 * or --model-dir, --topology router|components, SAGEMAKER_MODEL_SERVER_TIMEOUT, SAGEMAKER_MODEL_SERVER_WORKERS, LOCAL_BIND_HOST; prints one `ready <invoke URL>`
 * line; SIGINT/SIGTERM stop everything; exits 1 when the model server dies.
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_CREDENTIALS, startLocalEndpoint } from "./endpoint";
import type { LocalEndpoint, LocalEndpointOptions } from "./endpoint";
import { bindWarning, MAX_MODEL_SERVER_TIMEOUT_S, SHUTDOWN_BOUND_MS } from "./lifecycle";
import { logText } from "./api/logText";
import { sageMakerNameProblem } from "../config/names";

/** Settings from argv and environment; every problem reported at once. Pure. */
export function resolveStartOptions(argv: string[], env: NodeJS.ProcessEnv): { options: LocalEndpointOptions; errors: string[]; warnings: string[];
    help: boolean; topology: "router" | "components" } {
    const errors: string[] = [];
    const warnings: string[] = [];
    let topology: "router" | "components" = "router";
    const setTopology = (v: string | undefined) => {
        if (v === "router" || v === "components") topology = v;
        else errors.push(`--topology ${v ?? "(missing)"}: use router (one model server for every model) or components (one per model)`);
    };
    let modelDir = env.LOCAL_MODEL_DIR || undefined;
    let help = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--help" || a === "-h") help = true;
        else if (a === "--model-dir") {
            modelDir = argv[++i];
            if (!modelDir) errors.push("--model-dir needs a directory, e.g. --model-dir model-src");
        } else if (a.startsWith("--model-dir=")) {
            modelDir = a.slice("--model-dir=".length);
            if (!modelDir) errors.push("--model-dir= is empty; give a directory, e.g. --model-dir=model-src");
        } else if (a === "--topology") setTopology(argv[++i]);
        else if (a.startsWith("--topology=")) setTopology(a.slice("--topology=".length));
        else errors.push(`unknown argument ${a}; see --help`);
    }
    const options: LocalEndpointOptions = { modelDir: modelDir ? path.resolve(modelDir) : undefined };
    if (env.PORT !== undefined && env.PORT !== "") {
        const port = Number(env.PORT);
        if (!Number.isInteger(port) || port < 0 || port > 65535) errors.push(`PORT=${env.PORT} must be an integer port number 0..65535 (0 picks a free port)`);
        else options.port = port;
    }
    if (env.ENDPOINT_NAME) {
        const problem = sageMakerNameProblem(env.ENDPOINT_NAME);
        if (problem) errors.push(`ENDPOINT_NAME="${logText(env.ENDPOINT_NAME, 80)}" ${problem}; set a SageMaker endpoint name (1-63 letters, digits and hyphens)`);
        else options.endpointName = env.ENDPOINT_NAME;
    }
    const key = env.LOCAL_AWS_ACCESS_KEY_ID, secret = env.LOCAL_AWS_SECRET_ACCESS_KEY;
    if ((key && !secret) || (!key && secret)) {
        errors.push("set LOCAL_AWS_ACCESS_KEY_ID and LOCAL_AWS_SECRET_ACCESS_KEY together (or neither for local / local-secret)");
    } else if (key && secret) options.credentials = { accessKeyId: key, secretAccessKey: secret };
    if (env.SAGEMAKER_MODEL_SERVER_TIMEOUT) {
        const raw = env.SAGEMAKER_MODEL_SERVER_TIMEOUT;
        const t = Number(raw);
        if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(t > 0 && t <= MAX_MODEL_SERVER_TIMEOUT_S)) {
            errors.push(`SAGEMAKER_MODEL_SERVER_TIMEOUT=${logText(raw, 40)} must be a number of seconds from 0.001 to ${MAX_MODEL_SERVER_TIMEOUT_S} (like 60 or 2.5)`);
        } else options.modelServerTimeoutSeconds = t;
    }
    if (env.LOCAL_BIND_HOST) {
        options.host = env.LOCAL_BIND_HOST;
        const warning = bindWarning(env.LOCAL_BIND_HOST);
        if (warning) warnings.push(warning);
    }
    if (env.SAGEMAKER_MODEL_SERVER_WORKERS) {
        const n = Number(env.SAGEMAKER_MODEL_SERVER_WORKERS);
        if (!Number.isInteger(n) || n < 1) errors.push(`SAGEMAKER_MODEL_SERVER_WORKERS=${logText(env.SAGEMAKER_MODEL_SERVER_WORKERS, 40)} must be a whole number of worker processes >= 1`);
        else options.workers = n;
    }
    return { options, errors, warnings, help, topology };
}

/** What main needs of a started endpoint, router or components (the pid and folder only where known). */
type Started = Pick<LocalEndpoint, "url" | "endpointName" | "exited" | "stop"> & Partial<Pick<LocalEndpoint, "modelServerPid" | "workDir">>;

/** Last resort when stop() did not finish: SIGKILL the model server's process group, remove the temp folder. */
function forceCleanup(ep: Started | undefined, workDir: string | undefined): void {
    if (ep?.modelServerPid !== undefined) { try { process.kill(-ep.modelServerPid, "SIGKILL"); } catch { /* already gone */ } }
    const dir = ep?.workDir ?? workDir;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

const HELP = `Usage: npm start [-- --model-dir DIR] [--topology router|components]

Serves the model directory as a local SageMaker endpoint: builds model.tar.gz with the
archive code pulumi up uses, extracts it like /opt/ml/model, runs local/server/serve.py on it with
/usr/bin/python3 (worker processes that each load the models, as in the container), and answers the SageMaker Runtime API (SigV4-checked) in front of it.
Prints "ready <invoke URL>" when the models are loaded. Ctrl-C stops everything.
--topology components serves one local inference component per model (each its own archive
and model server, named after its model) and routes by InferenceComponentName, as an
endpoint of the components topology does; router (the default) serves all models in one.

Environment:
  PORT                          runtime API port (default 8080; 0 picks a free one)
  ENDPOINT_NAME                 endpoint name in the URL (default local)
  LOCAL_AWS_ACCESS_KEY_ID       access key accepted (default local)
  LOCAL_AWS_SECRET_ACCESS_KEY   secret key accepted (default local-secret)
  LOCAL_MODEL_DIR               model directory (default model-src; --model-dir wins)
  SAGEMAKER_MODEL_SERVER_TIMEOUT  seconds per invocation (default 60, at most 3600); a worker over it is replaced
  SAGEMAKER_MODEL_SERVER_WORKERS  model server worker processes (default 1)
  LOCAL_BIND_HOST               address to bind (default 127.0.0.1; any other prints a warning)

Examples:
  npm start
  PORT=0 npm start                          # any free port; the ready line names it
  npm start -- --model-dir path/to/my-models
  npm start -- --topology components
`;

async function main(): Promise<void> {
    const { options, errors, warnings, help, topology } = resolveStartOptions(process.argv.slice(2), process.env);
    if (help) { process.stdout.write(HELP); return; }
    if (errors.length > 0) {
        process.stderr.write(`npm start: ${errors.join("\n  ")}\n`);
        process.exit(2);
    }
    for (const w of warnings) process.stderr.write(`npm start: warning: ${w}\n`);
    // handlers first: a signal during startup aborts it (and cleans up), one after ready stops
    const interrupt = new AbortController();
    let ep: Started | undefined;
    let components: Record<string, string> | undefined;
    let shuttingDown = false;
    let workDir: string | undefined;
    const shutdown = (code: number) => {
        if (shuttingDown) return;
        shuttingDown = true;
        // stop() is bounded (drain, SIGTERM grace, SIGKILL of the model server's group); this is the backstop
        setTimeout(() => { forceCleanup(ep, workDir); process.exit(code); }, SHUTDOWN_BOUND_MS).unref();
        if (!ep) { interrupt.abort(); return; } // startLocalEndpoint rejects, cleans up, main exits
        ep.stop().then(() => process.exit(code), () => { forceCleanup(ep, workDir); process.exit(code); });
    };
    process.on("SIGINT", () => shutdown(0));
    process.on("SIGTERM", () => shutdown(0));
    process.on("SIGHUP", () => shutdown(0));
    // if whoever started us dies without a signal reaching us (e.g. a wrapper shell killed), stop too
    const parent = process.ppid;
    setInterval(() => {
        if (process.ppid !== parent) {
            process.stderr.write(`npm start: the parent process ${parent} is gone; stopping\n`);
            shutdown(1);
        }
    }, 1000).unref();
    try {
        if (topology === "components") {
            // loaded only for this topology: the default start does not load the per-model archive code
            const { startLocalComponents } = await import("./components");
            const c = await startLocalComponents({ ...options, signal: interrupt.signal });
            components = c.inferenceComponents;
            ep = c;
        } else {
            ep = await startLocalEndpoint({ ...options, signal: interrupt.signal, onWorkDir: (d) => { workDir = d; } });
        }
    } catch (err) {
        process.stderr.write(`npm start: ${(err as Error).message}\n`);
        process.exit(1); // the start did not complete (a signal during startup interrupts it: still status 1)
    }
    const started = ep;
    const creds = options.credentials ?? DEFAULT_CREDENTIALS;
    const named = components ? `, inference components ${Object.values(components).join(", ")}` : "";
    process.stdout.write(`ready ${started.url} (endpoint ${started.endpointName}${named}, access key ${creds.accessKeyId}, any region; Ctrl-C stops)\n`);
    started.exited.then(() => {
        if (shuttingDown) return;
        process.stderr.write("npm start: the model server died; answering 503 for 1 s, then exiting with status 1\n");
        setTimeout(() => shutdown(1), 1000);
    });
}

if (require.main === module) {
    void main();
}
