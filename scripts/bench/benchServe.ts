/**
 * `npm run bench:serve`: load test of the local endpoint.
 *
 * Starts the local endpoint (`startLocalEndpoint`: the archive pulumi up uploads, extracted, served
 * by local/server/serve.py behind the SigV4-checked runtime API) on a free port, or uses a running one
 * (--endpoint URL), and sends N signed InvokeEndpointCommand requests (default 2,000) at a
 * concurrency of C (default 16), alternating the two models with real data (local/smoke-data).
 * Every request must succeed (the SDK does not retry: maxAttempts 1), else the exit status is 1.
 *
 * Then, on the same extracted archive and the same request bodies, it calls the four handler
 * functions in-process with /usr/bin/python3 (model_fn once; input_fn -> predict_fn -> output_fn
 * per body, sequentially) and prints the ratio of end-to-end latency to in-process latency.
 * Also measures a short sequential run (concurrency 1) to separate per-request overhead from queueing.
 *
 * Options: --requests N (2000), --concurrency C (16), --batch B (items per request, 1),
 * --sequential N (200, 0 to skip), --json FILE (write the figures as JSON).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { LocalEndpoint, PYTHON, startLocalEndpoint } from "../../local/endpoint";
import { loadSmokeData, percentile } from "../smoke/smoke";

export interface BenchOptions { requests: number; concurrency: number; batch: number; sequential: number; json?: string }
export interface Stats { n: number; p50: number; p95: number; p99: number; mean: number }
export interface BenchResult {
    options: BenchOptions;
    errors: number;
    firstErrors: string[];
    seconds: number;
    requestsPerSecond: number;
    endToEnd: Record<string, Stats>;
    sequential: Record<string, Stats>;
    inProcess: Record<string, Stats>;
    modelFnSeconds: number;
    environment: string;
}

export const HELP = `Usage: npm run bench:serve -- [--requests N] [--concurrency C] [--batch B] [--sequential N] [--json FILE]

Load test of the local endpoint (not part of npm test, about a minute): starts it on a free port, sends
N signed InvokeEndpoint requests (default 2000) at concurrency C (default 16), batch B (default 1),
alternating the two models with the smoke data, then N sequential ones (default 200, 0 skips), and
the same bodies through the handler functions in-process; prints the latency table and ratios.
Exits 1 if any request failed, 2 on bad arguments.

Examples:
  npm run bench:serve
  npm run bench:serve -- --requests 500 --concurrency 4 --json /tmp/bench-serve.json`;

export function parseBenchArgs(argv: string[]): { options: BenchOptions; errors: string[]; help?: boolean } {
    const options: BenchOptions = { requests: 2000, concurrency: 16, batch: 1, sequential: 200 };
    const errors: string[] = [];
    if (argv.includes("--help") || argv.includes("-h")) return { options, errors, help: true };
    const limits: Record<string, [keyof BenchOptions, number, number]> = {
        "--requests": ["requests", 1, 1_000_000], "--concurrency": ["concurrency", 1, 256], "--batch": ["batch", 1, 256], "--sequential": ["sequential", 0, 100_000],
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--json") { options.json = argv[++i]; if (!options.json) errors.push("--json needs a file name"); continue; }
        const lim = limits[a];
        if (!lim) { errors.push(`unknown argument ${a}; see npm run bench:serve -- --help`); continue; }
        const v = Number(argv[++i]);
        if (!Number.isInteger(v) || v < lim[1] || v > lim[2]) errors.push(`${a} ${argv[i]} must be an integer from ${lim[1]} to ${lim[2]}`);
        else (options as unknown as Record<string, number>)[lim[0]] = v;
    }
    return { options, errors };
}

export function stats(values: number[]): Stats {
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    return { n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), mean };
}

/** The request bodies: model i % 2, items cycling through the smoke data. Pure given the data. */
export function requestBodies(n: number, batch: number): Array<{ model: string; body: string }> {
    const data = loadSmokeData();
    const out: Array<{ model: string; body: string }> = [];
    const cursor = data.map(() => 0);
    for (let i = 0; i < n; i++) {
        const k = i % data.length;
        const { model, cases } = data[k];
        const inputs = Array.from({ length: batch }, () => cases[cursor[k]++ % cases.length].input);
        out.push({ model, body: JSON.stringify({ model, inputs }) });
    }
    return out;
}

async function invokeAll(client: SageMakerRuntimeClient, endpointName: string, bodies: Array<{ model: string; body: string }>, concurrency: number) {
    const latencies: Record<string, number[]> = {};
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
        while (next < bodies.length) {
            const { model, body } = bodies[next++];
            const started = performance.now();
            try {
                const res = await client.send(new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: "application/json", Accept: "application/json", Body: Buffer.from(body) }));
                const out = JSON.parse(Buffer.from(res.Body ?? new Uint8Array()).toString("utf8"));
                if (out.model !== model || !Array.isArray(out.predictions)) throw new Error(`unexpected answer ${JSON.stringify(out).slice(0, 120)}`);
                (latencies[model] ??= []).push(performance.now() - started);
            } catch (e) {
                errors.push(`${model}: ${(e as Error).name}: ${(e as Error).message}`.slice(0, 300));
            }
        }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

/** Python run in-process: model_fn once, then input_fn -> predict_fn -> output_fn per body, timed. */
const IN_PROCESS = String.raw`
import json, sys, time
model_dir, bodies_file = sys.argv[1], sys.argv[2]
sys.path.insert(0, model_dir + "/code")
import inference
import stages
t = time.perf_counter()
models = inference.model_fn(model_dir)
model_fn_s = time.perf_counter() - t
bodies = json.load(open(bodies_file))
def once(body):
    data = stages.input_fn(body, "application/json")
    return stages.output_fn(stages.predict_fn(data, models), "application/json")
for b in bodies[:20]:  # warm-up: loads the unpinned model, as the endpoint's warm-up did
    once(b["body"])
out = {}
for b in bodies:
    t = time.perf_counter()
    once(b["body"])
    out.setdefault(b["model"], []).append((time.perf_counter() - t) * 1000)
json.dump({"model_fn_s": model_fn_s, "ms": out}, sys.stdout)
`;

function inProcess(modelDir: string, bodies: Array<{ model: string; body: string }>): Promise<{ model_fn_s: number; ms: Record<string, number[]> }> {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-serve-")), "bodies.json");
    fs.writeFileSync(file, JSON.stringify(bodies));
    return new Promise((resolve, reject) => {
        execFile(PYTHON, ["-c", IN_PROCESS, modelDir, file], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
            fs.rmSync(path.dirname(file), { recursive: true, force: true });
            if (err) reject(new Error(`in-process run failed: ${stderr || err.message}`));
            else resolve(JSON.parse(stdout));
        });
    });
}

export async function runBench(options: BenchOptions, log: (l: string) => void = () => undefined): Promise<BenchResult> {
    const ep: LocalEndpoint = await startLocalEndpoint({ port: 0, log: () => undefined });
    const client = new SageMakerRuntimeClient({
        region: "us-east-1", endpoint: ep.endpoint, maxAttempts: 1, credentials: { accessKeyId: "local", secretAccessKey: "local-secret" },
    });
    try {
        const bodies = requestBodies(options.requests, options.batch);
        log(`warm-up, then ${options.requests} requests at concurrency ${options.concurrency} (batch ${options.batch})`);
        await invokeAll(client, ep.endpointName, bodies.slice(0, 20), 1);
        const load = await invokeAll(client, ep.endpointName, bodies, options.concurrency);
        let seq: Record<string, number[]> = {};
        if (options.sequential > 0) {
            log(`${options.sequential} sequential requests (concurrency 1)`);
            const s = await invokeAll(client, ep.endpointName, bodies.slice(0, options.sequential), 1);
            load.errors.push(...s.errors);
            seq = s.latencies;
        }
        log("the four handler functions in-process on the same bodies (/usr/bin/python3)");
        const py = await inProcess(path.join(ep.workDir, "ml", "model"), bodies);
        const ok = Object.values(load.latencies).reduce((a, l) => a + l.length, 0);
        const all = (r: Record<string, number[]>) => Object.values(r).flat();
        const table = (r: Record<string, number[]>) => Object.fromEntries([["all", stats(all(r))], ...Object.entries(r).map(([m, l]) => [m, stats(l)])]);
        return {
            options, errors: load.errors.length, firstErrors: load.errors.slice(0, 5), seconds: load.seconds, requestsPerSecond: ok / load.seconds,
            endToEnd: table(load.latencies), sequential: table(seq), inProcess: table(py.ms), modelFnSeconds: py.model_fn_s,
            environment: `${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ""}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}, node ${process.version}`,
        };
    } finally {
        client.destroy();
        await ep.stop();
    }
}

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");

/** Markdown table of a result. Pure. */
export function formatBench(r: BenchResult): string {
    const o = r.options;
    const lines = [
        `${o.requests} signed InvokeEndpoint requests (AWS SDK, maxAttempts 1) at concurrency ${o.concurrency}, batch ${o.batch}, alternating fashion/sentiment: ` +
        `${r.errors} errors, ${r.seconds.toFixed(1)} s, **${r.requestsPerSecond.toFixed(1)} requests/s**.`,
        "",
        "| latency (ms) | n | p50 | p95 | p99 | mean |",
        "|---|---:|---:|---:|---:|---:|",
    ];
    const rows = (label: string, t: Record<string, Stats>) => {
        for (const [m, s] of Object.entries(t)) lines.push(`| ${label}, ${m} | ${s.n} | ${f(s.p50)} | ${f(s.p95)} | ${f(s.p99)} | ${f(s.mean)} |`);
    };
    rows(`end-to-end, concurrency ${o.concurrency}`, r.endToEnd);
    if (o.sequential > 0) rows("end-to-end, concurrency 1", r.sequential);
    rows("in-process handlers", r.inProcess);
    lines.push("", "| ratio of p50 latencies | " + Object.keys(r.inProcess).join(" | ") + " |", "|---|" + Object.keys(r.inProcess).map(() => "---:").join("|") + "|");
    const ratio = (t: Record<string, Stats>) => Object.keys(r.inProcess).map((m) => `${(t[m]?.p50 / r.inProcess[m].p50).toFixed(1)}x`).join(" | ");
    lines.push(`| end-to-end (concurrency ${o.concurrency}) / in-process | ${ratio(r.endToEnd)} |`);
    if (o.sequential > 0) lines.push(`| end-to-end (concurrency 1) / in-process | ${ratio(r.sequential)} |`);
    lines.push("", `model_fn (load at start) in-process: ${r.modelFnSeconds.toFixed(2)} s. Machine: ${r.environment}.`);
    if (r.errors > 0) lines.push("", "First errors:", ...r.firstErrors.map((e) => `- ${e}`));
    return lines.join("\n");
}

async function main(): Promise<number> {
    const { options, errors, help } = parseBenchArgs(process.argv.slice(2));
    if (help) { process.stdout.write(HELP + "\n"); return 0; }
    if (errors.length > 0) { process.stderr.write(`bench:serve: ${errors.join("; ")}\n`); return 2; }
    const r = await runBench(options, (l) => process.stderr.write(`bench:serve: ${l}\n`));
    process.stdout.write(formatBench(r) + "\n");
    if (options.json) fs.writeFileSync(options.json, JSON.stringify(r, null, 2));
    return r.errors === 0 ? 0 : 1;
}

if (require.main === module) {
    main().then((code) => process.exit(code), (e) => { process.stderr.write(`bench:serve: ${(e as Error).message}\n`); process.exit(1); });
}
