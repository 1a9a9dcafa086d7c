/**
 * Figures for docs/topologies.md, measured on this machine with the local endpoint (no GPU, no AWS):
 * start time until /ping is healthy, resident memory of the model server process groups, archive bytes,
 * and the p50 latency of one-item requests, for the router topology and the components topology.
 *   npx ts-node --transpile-only scripts/docs/topologyFigures.ts
 */
import * as fs from "fs";
import * as os from "os";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { startLocalComponents } from "../../local/components";
import { startLocalEndpoint } from "../../local/endpoint";
import { percentile } from "../smoke/smokeData";

/** Resident memory (bytes) of every process in process group `pgid` (Linux /proc). */
export function groupRssBytes(pgid: number): number {
    let total = 0;
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
            if (Number(fields[2]) !== pgid) continue; // state ppid pgrp
            const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${entry}/status`, "utf8"));
            if (rss) total += Number(rss[1]) * 1024;
        } catch { /* the process ended meanwhile */ }
    }
    return total;
}

const BLANK = Array(28).fill(Array(28).fill(0));
const BODIES: Record<string, unknown[]> = { fashion: [BLANK], sentiment: ["what a lovely day"] };

async function latencies(endpoint: string, send: (client: SageMakerRuntimeClient, model: string) => Promise<unknown>): Promise<Record<string, number>> {
    const client = new SageMakerRuntimeClient({ region: "us-east-1", endpoint, maxAttempts: 1, credentials: { accessKeyId: "local", secretAccessKey: "local-secret" } });
    const out: Record<string, number> = {};
    try {
        for (const model of Object.keys(BODIES)) {
            await send(client, model); // warm: an unpinned model loads on its first request
            const times: number[] = [];
            for (let i = 0; i < 50; i++) {
                const t0 = performance.now();
                await send(client, model);
                times.push(performance.now() - t0);
            }
            out[model] = percentile(times, 50);
        }
    } finally {
        client.destroy();
    }
    return out;
}

const mib = (b: number) => (b / 1048576).toFixed(1);
const invoke = (client: SageMakerRuntimeClient, body: unknown, component?: string) => client.send(new InvokeEndpointCommand({
    EndpointName: "local", ContentType: "application/json", Body: Buffer.from(JSON.stringify(body)), ...(component ? { InferenceComponentName: component } : {}),
}));

async function main(): Promise<void> {
    const log = () => undefined;
    const rows: string[][] = [["topology", "part", "start to healthy (s)", "model server RSS (MiB)", "archive (bytes)", "p50 one-item request (ms)"]];
    let t0 = Date.now();
    const router = await startLocalEndpoint({ port: 0, log });
    const routerStart = (Date.now() - t0) / 1000;
    try {
        const lat = await latencies(router.endpoint, (c, m) => invoke(c, { model: m, inputs: BODIES[m] }));
        rows.push(["router", "fashion + sentiment, one model server", routerStart.toFixed(2), mib(groupRssBytes(router.modelServerPid)),
            String(router.archive.bytes), Object.entries(lat).map(([m, v]) => `${m} ${v.toFixed(1)}`).join(", ")]);
    } finally {
        await router.stop();
    }
    t0 = Date.now();
    const comps = await startLocalComponents({ port: 0, log });
    const allStart = (Date.now() - t0) / 1000;
    try {
        const lat = await latencies(comps.endpoint, (c, m) => invoke(c, { inputs: BODIES[m] }, comps.inferenceComponents[m]));
        let total = 0;
        for (const c of comps.components) {
            const rss = groupRssBytes(c.server.pid);
            total += rss;
            rows.push(["components", `${c.name} (its own model server)`, (c.startMs / 1000).toFixed(2), mib(rss), String(c.archive.bytes), `${lat[c.model].toFixed(1)}`]);
        }
        rows.push(["components", "all (started in parallel)", allStart.toFixed(2), mib(total), String(comps.components.reduce((n, c) => n + c.archive.bytes, 0)), ""]);
    } finally {
        await comps.stop();
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    process.stdout.write([line(rows[0]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)].join("\n") + "\n");
    process.stdout.write(`\nMachine: ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ""}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, ` +
        `node ${process.version}, ${new Date().toISOString()}\n`);
}

const HELP = `Usage: npx ts-node --transpile-only scripts/docs/topologyFigures.ts

Starts the local endpoint in the router topology and then in the components topology (no GPU, no AWS)
and prints, for each: start time until healthy, resident memory of the model servers, archive bytes and
the p50 latency of one-item requests. Takes about a minute; ports are picked free.

Examples:
  npx ts-node --transpile-only scripts/docs/topologyFigures.ts`;

if (require.main === module) {
    const argv = process.argv.slice(2);
    if (argv.includes("--help") || argv.includes("-h")) { process.stdout.write(HELP + "\n"); process.exit(0); }
    if (argv.length > 0) { process.stderr.write(`topologyFigures: unknown argument ${argv[0]}; see --help\n`); process.exit(2); }
    main().then(() => process.exit(0), (e) => { process.stderr.write(`topologyFigures: ${(e as Error).message}\n`); process.exit(1); });
}
