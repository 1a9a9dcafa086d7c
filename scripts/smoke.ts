/**
 * `npm run smoke`: invokes a SageMaker endpoint (deployed or local) with the unmodified
 * `InvokeEndpointCommand` of `@aws-sdk/client-sagemaker-runtime`, with real data: labelled
 * Fashion-MNIST test images and sentiment texts (local/smoke-data/), plus one deliberately
 * bad request that must come back as ModelError with a 4xx original status and not be retried.
 * Prints a table per model (requests, accuracy, p50/p95 latency); exits 1 on any failure.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import { InvokeEndpointCommand, SageMakerRuntimeClient, SageMakerRuntimeClientConfig } from "@aws-sdk/client-sagemaker-runtime";
import { checkServing } from "./servingCheck";
import { CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_SECONDS, describe, requestBounds, unreachableMessage } from "./callBounds";

import { checkUnknownComponent } from "./smokeComponents";
import { batches, loadSmokeData, percentile } from "./smokeData";

export { batches, DATA_DIR, loadSmokeData, percentile } from "./smokeData";
export type { SmokeCase } from "./smokeData";
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

export interface ModelStats { model: string; requests: number; items: number; correct: number; accuracy: number; p50Ms: number; p95Ms: number }
export interface SmokeReport {
    target: SmokeTarget; models: ModelStats[]; badRequest: string; badComponent?: string; failures: string[];
    /** Set when nothing answered at the endpoint's address: the one line to print, nothing else was tried. */
    unreachable?: string;
}

export function makeClient(target: SmokeTarget, maxAttempts?: number, timeoutMs = DEFAULT_TIMEOUT_SECONDS * 1000): SageMakerRuntimeClient {
    const config: SageMakerRuntimeClientConfig = { region: target.region, ...(target.endpoint ? { endpoint: target.endpoint } : {}),
        ...(target.credentials ? { credentials: target.credentials } : {}), ...(maxAttempts !== undefined ? { maxAttempts } : {}),
        requestHandler: requestBounds(timeoutMs) }; // every call is bounded: connecting, and waiting for the answer
    return new SageMakerRuntimeClient(config);
}

/** Runs the smoke test; never throws for endpoint failures, it lists them in `failures`. */
export async function runSmoke(target: SmokeTarget, opts: { maxAttempts?: number; batchSize?: number; dataDir?: string; minAccuracy?: Record<string, number>; timeoutMs?: number } = {}): Promise<SmokeReport> {
    const client = makeClient(target, opts.maxAttempts, opts.timeoutMs);
    const minAccuracy = opts.minAccuracy ?? { fashion: 0.8, sentiment: 0.5 };
    const failures: string[] = [];
    const models: ModelStats[] = [];
    try {
        const components = target.components;
        for (const { model, cases } of loadSmokeData(opts.dataDir)) {
            const component = components?.[model];
            if (components && !component) {
                failures.push(`${model}: no inference component for it in the outputs' inferenceComponents (${Object.keys(components).join(", ")})`);
                continue;
            }
            const latencies: number[] = [];
            let correct = 0, requests = 0;
            for (const batch of batches(cases, opts.batchSize ?? 20)) {
                // An inference component serves one model: its requests name none.
                const inputs = batch.map((c) => c.input);
                const body = JSON.stringify(component ? { inputs } : { model, inputs });
                const started = performance.now();
                let text: string;
                try {
                    requests++;
                    const res = await client.send(new InvokeEndpointCommand({
                        EndpointName: target.endpointName, ContentType: "application/json", Accept: "application/json", Body: Buffer.from(body),
                        ...(component ? { InferenceComponentName: component } : {}),
                    }));
                    latencies.push(performance.now() - started);
                    text = Buffer.from(res.Body ?? new Uint8Array()).toString("utf8");
                } catch (err) {
                    const unreachable = unreachableMessage(err, target);
                    if (unreachable) return { target, models, badRequest: "not sent", failures: [unreachable], unreachable };
                    failures.push(`${model}: a ${batch.length}-item request failed: ${describe(err)}`);
                    continue;
                }
                let preds: { label?: unknown }[] | undefined;
                try { preds = JSON.parse(text).predictions; } catch { /* checked below */ }
                if (!Array.isArray(preds) || preds.length !== batch.length) {
                    failures.push(`${model}: expected {"predictions": [...]} with ${batch.length} item(s), got ${text.slice(0, 200)}`);
                    continue;
                }
                preds.forEach((p, i) => { if (p && p.label === batch[i].label) correct++; });
            }
            const accuracy = correct / cases.length;
            models.push({ model, requests, items: cases.length, correct, accuracy, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95) });
            const min = minAccuracy[model];
            if (min !== undefined && accuracy < min) {
                failures.push(`${model}: accuracy ${(accuracy * 100).toFixed(1)}% on the smoke data is below ${(min * 100).toFixed(0)}%`);
            }
        }
        let badRequest: string;
        const first = components ? Object.values(components)[0] : undefined;
        try {
            await client.send(new InvokeEndpointCommand({
                EndpointName: target.endpointName, ContentType: "application/json",
                Body: Buffer.from(JSON.stringify({ model: "no-such-model", inputs: ["x"] })),
                ...(first ? { InferenceComponentName: first } : {}),
            }));
            badRequest = "answered 2xx";
            failures.push(`bad request (unknown model "no-such-model") was answered with success; it must be a ModelError with a 4xx status`);
        } catch (err) {
            const e = err as { name?: string; OriginalStatusCode?: number; $metadata?: { attempts?: number } };
            badRequest = describe(err);
            if (e.name !== "ModelError" || e.OriginalStatusCode === undefined || e.OriginalStatusCode < 400 || e.OriginalStatusCode > 499) {
                failures.push(`bad request: expected ModelError with a 4xx original status, got ${badRequest}`);
            } else if ((e.$metadata?.attempts ?? 1) !== 1) {
                failures.push(`bad request: the ModelError was retried (${e.$metadata?.attempts} attempts); model errors must not be retried`);
            }
        }
        const badComponent = components ? await checkUnknownComponent(client, target.endpointName, failures, describe) : undefined;
        return { target, models, badRequest, badComponent, failures };
    } finally {
        client.destroy();
    }
}

export function formatReport(r: SmokeReport): string {
    const rows = [["model", "requests", "items", "accuracy", "p50 ms", "p95 ms"]];
    for (const m of r.models) {
        rows.push([m.model, String(m.requests), String(m.items), `${(m.accuracy * 100).toFixed(1)}%`, m.p50Ms.toFixed(1), m.p95Ms.toFixed(1)]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
    const table = rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
    const components = r.target.components ? [`inference components: ${Object.entries(r.target.components).map(([m, c]) => `${m} -> ${c}`).join(", ")}`] : [];
    return [`endpoint ${r.target.endpointName} (${r.target.region}) via ${r.target.source}`, ...components, table,
        `bad request (unknown model): ${r.badRequest}`,
        ...(r.badComponent !== undefined ? [`bad request (unknown inference component): ${r.badComponent}`] : [])].join("\n");
}

async function main(): Promise<number> {
    const { options, errors, help } = parseSmokeArgs(process.argv.slice(2));
    if (help) { process.stdout.write(HELP); return 0; }
    if (errors.length > 0) { process.stderr.write(`smoke: ${errors.join("\n  ")}\n`); return 2; }
    let target: SmokeTarget;
    try { target = await resolveTarget(options, process.env); } catch (e) { process.stderr.write(`smoke: ${(e as Error).message}\n`); return 2; }
    const timeoutMs = (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000, notServing = target.endpoint ? undefined : await checkServing(target, undefined, timeoutMs); // AWS only: a rolled-back update fails here
    if (notServing) { process.stderr.write(`smoke: FAILED: ${notServing}\n`); return 1; }
    const report = await runSmoke(target, { maxAttempts: options.maxAttempts, batchSize: options.batchSize, timeoutMs });
    if (report.unreachable) { process.stderr.write(`smoke: ${report.unreachable}\n`); return 1; }
    process.stdout.write(formatReport(report) + "\n");
    if (report.failures.length > 0) {
        process.stderr.write(`smoke: FAILED\n  ${report.failures.join("\n  ")}\n`);
        return 1;
    }
    process.stdout.write("smoke: OK\n");
    return 0;
}

if (require.main === module) {
    main().then((code) => process.exit(code), (e) => { process.stderr.write(`smoke: ${describe(e)}\n`); process.exit(1); });
}
