/**
 * `npm run smoke`: invokes a SageMaker endpoint (deployed or local) with the unmodified
 * `InvokeEndpointCommand` of `@aws-sdk/client-sagemaker-runtime`, with real data: labelled
 * Fashion-MNIST test images and sentiment texts (local/smoke-data/), plus one deliberately
 * bad request that must come back as ModelError with a 4xx original status and not be retried.
 * Prints a table per model (requests, accuracy, p50/p95 latency); exits 1 on any failure.
 */
import type { SageMakerRuntimeClient, SageMakerRuntimeClientConfig } from "@aws-sdk/client-sagemaker-runtime";
import { DEFAULT_TIMEOUT_SECONDS, describe, requestBounds, unreachableMessage } from "./callBounds";
import { batches, loadSmokeData, percentile } from "./smokeData";
import { HELP, parseSmokeArgs, resolveTarget, SmokeTarget } from "./smokeTarget";

export { batches, DATA_DIR, loadSmokeData, percentile } from "./smokeData";
export type { SmokeCase } from "./smokeData";
export * from "./smokeTarget";

export interface ModelStats { model: string; requests: number; items: number; correct: number; accuracy: number; p50Ms: number; p95Ms: number }
export interface SmokeReport {
    target: SmokeTarget; models: ModelStats[]; badRequest: string; badComponent?: string; failures: string[];
    /** Set when nothing answered at the endpoint's address: the one line to print, nothing else was tried. */
    unreachable?: string;
}

// The AWS SDK (about 0.2 s to load) is loaded when a call is made: --help and argument errors do not load it.
const runtimeSdk = () => require("@aws-sdk/client-sagemaker-runtime") as typeof import("@aws-sdk/client-sagemaker-runtime");

export function makeClient(target: SmokeTarget, maxAttempts?: number, timeoutMs = DEFAULT_TIMEOUT_SECONDS * 1000): SageMakerRuntimeClient {
    const config: SageMakerRuntimeClientConfig = { region: target.region, ...(target.endpoint ? { endpoint: target.endpoint } : {}),
        ...(target.credentials ? { credentials: target.credentials } : {}), ...(maxAttempts !== undefined ? { maxAttempts } : {}),
        requestHandler: requestBounds(timeoutMs) }; // every call is bounded: connecting, and waiting for the answer
    return new (runtimeSdk().SageMakerRuntimeClient)(config);
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
                    const res = await client.send(new (runtimeSdk().InvokeEndpointCommand)({
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
            await client.send(new (runtimeSdk().InvokeEndpointCommand)({
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
        const badComponent = components ? await (await import("./smokeComponents")).checkUnknownComponent(client, target.endpointName, failures, describe) : undefined;
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
    const timeoutMs = (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000, notServing = target.endpoint ? undefined : await (await import("./servingCheck")).checkServing(target, undefined, timeoutMs); // AWS only: a rolled-back update fails here
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
