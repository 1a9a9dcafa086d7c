/**
 * The measuring part of `npm run bench:serve`: two `npm start` endpoints (tuned: the default thread and allocator
 * variables; baseline: LOCAL_SERVE_TUNING=off), one load client in its own process, phases alternating between the
 * two, CPU per request of every process, and the in-process floor (floor.py) with each endpoint's worker environment.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadSmokeData, percentile } from "../../smoke/smokeData";
import type { ClientCommand, ClientReply } from "./client";
import { cpuMs, startEndpoint, StartedEndpoint } from "./processes";
import { BreakdownRow, listeningPort, runBreakdown } from "./breakdown";
import { FloorProcess } from "./floorProcess";
import { JsonLineChild } from "./jsonLines";
import { StandInPath } from "./standinPath";
import { tuningEnv } from "../../../local/server/modelServer";

export interface BenchOptions {
    requests: number; concurrency: number; rounds: number; baseline: boolean; out: string; json?: string;
    /** Requests of each payload sent to each endpoint before anything is timed (the API's and the client's JIT settle). */
    warmup: number;
}
export interface Stats { n: number; p50: number; p95: number; p99: number; mean: number }
/** CPU ms per request of each process. */
export interface CpuPerRequest { api: number; modelServer: number; workers: number; client: number }
export interface PhaseResult {
    phase: string; concurrency: number; requests: number; errors: number; firstErrors: string[]; seconds: number;
    requestsPerSecond: number; latency: Record<string, Stats>; cpu: CpuPerRequest;
    /** The p50 of each round's requests, in round order (how far the machine's spells moved it). */
    roundP50s: number[];
}
export interface VariantResult {
    name: string; tuning: Record<string, string>; phases: PhaseResult[];
    /** The floor of each payload over all its turns, with CPU ms per call and the p50 of each round's turn. */
    floor: Record<string, Stats & { cpuMs: number; roundP50s: number[] }>;
}
export interface BenchResult {
    options: BenchOptions; variants: VariantResult[]; machine: string; loadBefore: string; loadAfter: string; date: string;
    /** Where a request's time goes on the tuned endpoint (breakdown.ts). */
    breakdown?: BreakdownRow[];
}

export const PYTHON = "/usr/bin/python3";
const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local-secret" };
const CLIENT_TS = path.join(__dirname, "client.ts");

export function stats(values: number[]): Stats {
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    return { n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), mean };
}

export interface Payload { key: string; model: string; items: number; body: string }

/** One-item and 64-item payloads of both models, items cycling through the smoke data. Pure given the data. */
export function payloads(sizes: number[] = [1, 64]): Payload[] {
    const out: Payload[] = [];
    for (const { model, cases } of loadSmokeData()) {
        for (const n of sizes) {
            const inputs = Array.from({ length: n }, (_, i) => cases[i % cases.length].input);
            out.push({ key: `${model} x${n}`, model, items: n, body: JSON.stringify({ model, inputs }) });
        }
    }
    return out;
}

/** The phases: each payload alone at concurrency 1, then all payloads mixed and the one-item payloads, at 1 and C. Pure. */
export function phases(all: Payload[], concurrency: number): Array<{ phase: string; keys: string[]; concurrency: number }> {
    const single = all.filter((p) => p.items === 1).map((p) => p.key);
    return [
        ...all.map((p) => ({ phase: p.key, keys: [p.key], concurrency: 1 })),
        ...[1, concurrency].flatMap((c) => [
            { phase: "mixed", keys: all.map((p) => p.key), concurrency: c },
            { phase: "single items", keys: single, concurrency: c },
        ]),
    ];
}

/** The load client process: one JSON command per line in, one reply per line out. */
class Client {
    private readonly lines = new JsonLineChild(spawn(process.execPath, ["-r", "ts-node/register/transpile-only", CLIENT_TS],
        { cwd: path.resolve(__dirname, "..", "..", ".."), stdio: ["pipe", "pipe", "inherit"] }), "bench client");

    async run(c: ClientCommand): Promise<ClientReply> {
        const r = await this.lines.next<ClientReply & { fatal?: string }>(c);
        if (r.fatal) throw new Error(`bench client: ${r.fatal}`);
        return r;
    }

    close(): void { this.lines.close("\n"); }
}

async function runPhase(client: Client, ep: StartedEndpoint, bodies: Payload[], concurrency: number, requests: number) {
    const procs = ep.processes();
    const sample = () => ({ api: cpuMs(procs.api), modelServer: cpuMs(procs.modelServer), workers: procs.workers.reduce((a, p) => a + cpuMs(p), 0) });
    const before = sample();
    const reply = await client.run({ endpoint: ep.endpoint, endpointName: "local", credentials: CREDENTIALS, requests, concurrency,
        bodies: bodies.map((b) => ({ key: b.key, model: b.model, body: b.body })) });
    const after = sample();
    return { reply, cpu: { api: after.api - before.api, modelServer: after.modelServer - before.modelServer, workers: after.workers - before.workers, client: reply.cpuMs } };
}

/** The environment of a process (/proc/<pid>/environ): a worker's is what the floor runs with. */
function processEnv(pid: number): NodeJS.ProcessEnv {
    return Object.fromEntries(fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

/** The variables the tuned endpoint's defaults set (those the report lists with their values). */
const TUNING_KEYS = new Set(Object.keys(tuningEnv({}, {})));

/** A floor's turns of one payload, summed: wall ms of every call, CPU ms and calls, and each turn's p50. */
interface FloorAcc { ms: number[]; cpuMs: number; calls: number; roundP50s: number[] }

export async function runBench(options: BenchOptions, log: (l: string) => void): Promise<BenchResult> {
    const loadBefore = os.loadavg().map((x) => x.toFixed(1)).join(" ");
    const all = payloads();
    const byKey = new Map(all.map((p) => [p.key, p]));
    const specs = [{ name: "tuned", env: {} as Record<string, string> }, ...(options.baseline ? [{ name: "baseline", env: { LOCAL_SERVE_TUNING: "off" } }] : [])];
    const endpoints: StartedEndpoint[] = [];
    const floors: FloorProcess[] = [];
    const client = new Client();
    let standIn: StandInPath | undefined;
    try {
        for (const s of specs) {
            log(`starting ${s.name}: npm start${Object.keys(s.env).length ? ` with ${Object.entries(s.env).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""}`);
            endpoints.push(await startEndpoint(s.name, s.env));
        }
        const envs = endpoints.map((ep) => processEnv(ep.processes().workers[0]));
        for (const [i, ep] of endpoints.entries()) {
            log(`in-process floor with ${ep.name}'s worker environment: loading the models`);
            floors.push(await FloorProcess.start(PYTHON, ep.processes().modelDir, envs[i], all));
        }
        const acc = endpoints.map(() => new Map<string, { ms: Record<string, number[]>; errors: number; firstErrors: string[]; seconds: number; requests: number; cpu: CpuPerRequest; roundP50s: number[] }>());
        const floorAcc = endpoints.map(() => new Map<string, FloorAcc>());
        for (const ep of endpoints) await runPhase(client, ep, all, 1, options.warmup * all.length); // also loads the unpinned model
        for (let round = 0; round < options.rounds; round++) {
            for (const ph of phases(all, options.concurrency)) {
                const order = endpoints.map((_, i) => i);
                if (round % 2 === 1) order.reverse();
                for (const i of order) {
                    log(`round ${round + 1}/${options.rounds}: ${ph.phase}, concurrency ${ph.concurrency}, ${endpoints[i].name}`);
                    const { reply, cpu } = await runPhase(client, endpoints[i], ph.keys.map((k) => byKey.get(k)!), ph.concurrency, options.requests);
                    const id = `${ph.phase}@${ph.concurrency}`;
                    const a = acc[i].get(id) ?? { ms: {}, errors: 0, firstErrors: [], seconds: 0, requests: 0, cpu: { api: 0, modelServer: 0, workers: 0, client: 0 }, roundP50s: [] };
                    for (const [k, v] of Object.entries(reply.latencies)) (a.ms[k] ??= []).push(...v);
                    a.roundP50s.push(stats(Object.values(reply.latencies).flat()).p50);
                    a.errors += reply.errors; a.firstErrors.push(...reply.firstErrors); a.seconds += reply.seconds; a.requests += options.requests;
                    for (const k of Object.keys(cpu) as Array<keyof CpuPerRequest>) a.cpu[k] += cpu[k];
                    acc[i].set(id, a);
                    if (ph.keys.length === 1 && ph.concurrency === 1) { // the floor's turn right after the endpoint's
                        const t = await floors[i].run(ph.keys[0], options.requests);
                        const f = floorAcc[i].get(ph.keys[0]) ?? { ms: [], cpuMs: 0, calls: 0, roundP50s: [] };
                        f.ms.push(...t.ms); f.cpuMs += t.cpu_ms * t.ms.length; f.calls += t.ms.length; f.roundP50s.push(stats(t.ms).p50);
                        floorAcc[i].set(ph.keys[0], f);
                    }
                }
            }
        }
        log("where the time goes: full path, direct to the model server, the SDK alone, the floor and the stand-in path, on the tuned endpoint");
        const modelServerUrl = `http://127.0.0.1:${listeningPort(endpoints[0].processes().modelServer)}`;
        standIn = await StandInPath.start(PYTHON, processEnv(endpoints[0].processes().api));
        const breakdown = await runBreakdown((c) => client.run({ ...c, credentials: CREDENTIALS }), async (key, n) => (await floors[0].run(key, n)).ms,
            endpoints[0].endpoint, modelServerUrl, standIn, all, Math.ceil(options.requests / 4), 2 * options.rounds, stats);
        const variants: VariantResult[] = endpoints.map((ep, i) => ({
            name: ep.name,
            tuning: Object.fromEntries(Object.entries(envs[i]).filter(([k]) => TUNING_KEYS.has(k)).sort()) as Record<string, string>,
            floor: Object.fromEntries([...floorAcc[i]].map(([k, f]) => [k, { ...stats(f.ms), cpuMs: f.cpuMs / f.calls, roundP50s: f.roundP50s }])),
            phases: phases(all, options.concurrency).map((ph) => {
                const a = acc[i].get(`${ph.phase}@${ph.concurrency}`)!;
                const ok = Object.values(a.ms).reduce((n, v) => n + v.length, 0);
                const per = (x: number) => x / a.requests;
                return {
                    phase: ph.phase, concurrency: ph.concurrency, requests: a.requests, errors: a.errors, firstErrors: a.firstErrors.slice(0, 5),
                    seconds: a.seconds, requestsPerSecond: ok / a.seconds,
                    latency: Object.fromEntries([["all", stats(Object.values(a.ms).flat())], ...Object.entries(a.ms).map(([k, v]) => [k, stats(v)])]),
                    cpu: { api: per(a.cpu.api), modelServer: per(a.cpu.modelServer), workers: per(a.cpu.workers), client: per(a.cpu.client) },
                    roundP50s: a.roundP50s,
                };
            }),
        }));
        return {
            options, variants, breakdown, loadBefore, loadAfter: os.loadavg().map((x) => x.toFixed(1)).join(" "), date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
            machine: `${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ""}, Node ${process.version}`,
        };
    } finally {
        client.close();
        standIn?.close();
        for (const f of floors) f.close();
        for (const ep of endpoints) await ep.stop();
    }
}
