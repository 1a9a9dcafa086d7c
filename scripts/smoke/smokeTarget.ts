/**
 * Where `npm run smoke` sends its requests: its command line (parseSmokeArgs, HELP) and the endpoint it
 * resolves from --local, --outputs, --stack (pulumi stack output) or ENDPOINT_NAME + AWS_REGION.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import { CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_SECONDS } from "./callBounds";
import { loadSmokeData } from "./smokeData";

export const LOCAL_DEFAULT_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local-secret" };

export interface SmokeOptions {
    stack?: string;
    outputsFile?: string;
    localUrl?: string;
    /** SDK maxAttempts (1 = no retry); unset leaves the SDK default / AWS_MAX_ATTEMPTS. */
    maxAttempts?: number;
    /** Items per request after the first one-item request. @default 20 */
    batchSize: number;
    /** `--topology components` with --local: the local endpoint of `npm start -- --topology components` (components named after their models). */
    topology?: "router" | "components";
    /** Longest wait for one answer, in seconds (1-900). @default DEFAULT_TIMEOUT_SECONDS */
    timeoutSeconds?: number;
}

export interface SmokeTarget {
    endpointName: string;
    region: string;
    /** SDK endpoint override (local endpoint only). */
    endpoint?: string;
    /** Explicit credentials (local endpoint without AWS env credentials only); else the default chain. */
    credentials?: { accessKeyId: string; secretAccessKey: string };
    /** Where the target came from, for the report. */
    source: string;
    /** The EndpointConfiguration the stack outputs name; AWS targets are checked to serve it (servingCheck.ts). */
    endpointConfigName?: string;
    /** Topology components: model name -> inference component name (stack output `inferenceComponents`); each model is invoked by it. */
    components?: Record<string, string>;
}

export const HELP = `Usage: npm run smoke -- [--local URL [--topology components] | --stack NAME | --outputs FILE] [--max-attempts N] [--batch-size N] [--timeout-seconds N]

On AWS it first calls DescribeEndpoint: the endpoint must be InService and serve the
endpointConfigName of the stack outputs, else it fails saying a rollback or a pending update happened.
Then it invokes the endpoint with InvokeEndpointCommand: 100 Fashion-MNIST test images and 12 sentiment
texts (local/smoke-data/), and one bad request that must fail as ModelError with a 4xx
original status without being retried. Prints requests, accuracy, p50/p95 latency per model.
Exits 1 with the reason on any failure.

Target (one of):
  --local URL      the local endpoint from \`npm start\`, e.g.
                   http://127.0.0.1:8080/endpoints/local/invocations (or http://127.0.0.1:8080;
                   the name is then ENDPOINT_NAME or "local"). Region: AWS_REGION or us-east-1.
                   Credentials: the local defaults (LOCAL_AWS_ACCESS_KEY_ID / LOCAL_AWS_SECRET_ACCESS_KEY,
                   default local / local-secret) unless AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
                   are set, which are then used as usual.
  --topology components   with --local: \`npm start -- --topology components\` (components named after models)
  --stack NAME     a deployed stack: endpointName and region from \`pulumi stack output --json --stack NAME\`
  --outputs FILE   a JSON file of those stack outputs ({"endpointName": ..., "region": ...})
Components topology (output inferenceComponents): each model is invoked by its InferenceComponentName with
no "model" in the body, and a component that does not exist must fail as ValidationError.
  (none)           ENDPOINT_NAME and AWS_REGION from the environment
For deployed endpoints, credentials come from the default AWS credential chain (env, profile, SSO, role).

Timeouts: --timeout-seconds N (default ${DEFAULT_TIMEOUT_SECONDS}) per answer, ${CONNECT_TIMEOUT_MS / 1000} s to connect; each failure is one line.

Retries: the SDK's own retry strategy (--max-attempts N, or AWS_MAX_ATTEMPTS / AWS_RETRY_MODE);
throttling and transient errors are retried, a ModelError is not.
If nothing answers at the address, it says so in one line and exits 1.

Examples:
  npm run smoke -- --local http://127.0.0.1:8080/endpoints/local/invocations
  npm run smoke -- --stack dev
  npm run smoke -- --outputs outputs.json --max-attempts 5
  ENDPOINT_NAME=my-endpoint AWS_REGION=eu-west-1 npm run smoke
`;

/** Parses argv; every problem at once. Pure. */
export function parseSmokeArgs(argv: string[]): { options: SmokeOptions; errors: string[]; help: boolean } {
    const options: SmokeOptions = { batchSize: 20 };
    const errors: string[] = [];
    let help = false;
    const value = (i: number, flag: string): string | undefined => {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith("--")) { errors.push(`${flag} needs a value; see --help`); return undefined; }
        return v;
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--help" || a === "-h") help = true;
        else if (a === "--local") { options.localUrl = value(i, a); i++; }
        else if (a === "--stack") { options.stack = value(i, a); i++; }
        else if (a === "--outputs") { options.outputsFile = value(i, a); i++; }
        else if (a === "--topology") {
            const v = value(i, a); i++;
            if (v === "router" || v === "components") options.topology = v;
            else if (v !== undefined) errors.push(`--topology ${v} must be router or components`);
        }
        else if (a === "--max-attempts" || a === "--batch-size" || a === "--timeout-seconds") {
            const v = value(i, a); i++;
            if (v === undefined) continue;
            const n = Number(v);
            const max = a === "--max-attempts" ? 10 : a === "--batch-size" ? 256 : 900;
            if (!Number.isInteger(n) || n < 1 || n > max) errors.push(`${a} ${v} must be an integer from 1 to ${max}`);
            else if (a === "--max-attempts") options.maxAttempts = n;
            else if (a === "--timeout-seconds") options.timeoutSeconds = n;
            else options.batchSize = n;
        } else errors.push(`unknown argument ${a}; see --help`);
    }
    const targets = [options.localUrl && "--local", options.stack && "--stack", options.outputsFile && "--outputs"].filter(Boolean);
    if (targets.length > 1) errors.push(`choose one target, not ${targets.join(" and ")}`);
    if (options.topology && !options.localUrl) errors.push("--topology is for --local only (a stack's outputs tell its topology)");
    return { options, errors, help };
}

/** endpointName and region from stack outputs (`pulumi stack output --json`). Pure. */
export function targetFromOutputs(outputs: unknown, source: string, env: NodeJS.ProcessEnv): SmokeTarget {
    const o = (outputs && typeof outputs === "object" ? outputs : {}) as Record<string, unknown>;
    const problems: string[] = [];
    if (typeof o.endpointName !== "string" || o.endpointName === "") problems.push("no string output endpointName");
    const region = typeof o.region === "string" && o.region !== "" ? o.region : env.AWS_REGION;
    if (!region) problems.push("no string output region (and AWS_REGION is not set)");
    const ic = o.inferenceComponents;
    const isMap = ic !== null && typeof ic === "object" && !Array.isArray(ic) && Object.keys(ic).length > 0 &&
        Object.values(ic).every((v) => typeof v === "string" && v !== "");
    if (ic !== undefined && !isMap) problems.push("output inferenceComponents is not a map of model name to inference component name");
    if (problems.length > 0) throw new Error(`${source}: ${problems.join("; ")}`);
    const config = typeof o.endpointConfigName === "string" && o.endpointConfigName !== "" ? { endpointConfigName: o.endpointConfigName } : {};
    return { endpointName: o.endpointName as string, region: region as string, source, ...config, ...(isMap ? { components: ic as Record<string, string> } : {}) };
}

/** The local endpoint's target from its URL. Pure. */
export function localTarget(url: string, env: NodeJS.ProcessEnv): SmokeTarget {
    let u: URL;
    try { u = new URL(url); } catch { throw new Error(`--local ${url} is not a URL; use the one npm start prints, e.g. http://127.0.0.1:8080/endpoints/local/invocations`); }
    const m = /^\/endpoints\/([^/]+)\/invocations\/?$/.exec(u.pathname);
    if (!m && u.pathname !== "/" && u.pathname !== "") {
        throw new Error(`--local ${url}: expected http://HOST:PORT/endpoints/NAME/invocations or http://HOST:PORT`);
    }
    const useEnvCredentials = !!(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
    return {
        endpointName: m ? decodeURIComponent(m[1]) : env.ENDPOINT_NAME || "local",
        region: env.AWS_REGION || "us-east-1",
        endpoint: u.origin,
        credentials: useEnvCredentials ? undefined : {
            accessKeyId: env.LOCAL_AWS_ACCESS_KEY_ID || LOCAL_DEFAULT_CREDENTIALS.accessKeyId,
            secretAccessKey: env.LOCAL_AWS_SECRET_ACCESS_KEY || LOCAL_DEFAULT_CREDENTIALS.secretAccessKey,
        },
        source: `local endpoint ${u.origin}${useEnvCredentials ? " (AWS_ACCESS_KEY_ID credentials)" : ""}`,
    };
}

export type PulumiRunner = (stack: string) => Promise<string>;

const runPulumi: PulumiRunner = (stack) => new Promise((resolve, reject) => {
    execFile("pulumi", ["stack", "output", "--json", "--stack", stack], { timeout: 120000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (err) {
            const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "the pulumi CLI is not on PATH (install it, or use --outputs FILE)" : (stderr.trim() || err.message);
            reject(new Error(`pulumi stack output --json --stack ${stack}: ${why}`));
        } else resolve(stdout);
    });
});

export async function resolveTarget(options: SmokeOptions, env: NodeJS.ProcessEnv, pulumi: PulumiRunner = runPulumi): Promise<SmokeTarget> {
    if (options.localUrl) {
        const t = localTarget(options.localUrl, env);
        if (options.topology !== "components") return t;
        return { ...t, components: Object.fromEntries(loadSmokeData().map((d) => [d.model, d.model])) };
    }
    const parse = (text: string, source: string): unknown => {
        try { return JSON.parse(text); } catch (e) { throw new Error(`${source}: not JSON (${(e as Error).message})`); }
    };
    if (options.outputsFile) {
        let text: string;
        try { text = fs.readFileSync(options.outputsFile, "utf8"); } catch (e) { throw new Error(`--outputs ${options.outputsFile}: cannot read (${(e as Error).message})`); }
        return targetFromOutputs(parse(text, options.outputsFile), options.outputsFile, env);
    }
    const src = `pulumi stack output --json --stack ${options.stack}`;
    if (options.stack) return targetFromOutputs(parse(await pulumi(options.stack), src), src, env);
    if (env.ENDPOINT_NAME && env.AWS_REGION) return { endpointName: env.ENDPOINT_NAME, region: env.AWS_REGION, source: "ENDPOINT_NAME and AWS_REGION" };
    throw new Error("no target: use --local URL, --stack NAME or --outputs FILE, or set ENDPOINT_NAME and AWS_REGION (see --help)");
}
