/** The Markdown report of `npm run bench:serve` (docs/figures/bench-serve.md). Pure. */
import type { BenchResult, PhaseResult, VariantResult } from "./run";
import { breakdownRows } from "./breakdown";

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const x = (a: number, b: number) => (Number.isFinite(a / b) && b > 0 ? `${(a / b).toFixed(2)}x` : "-");

function howTaken(r: BenchResult): string[] {
    const o = r.options;
    const tuned = r.variants[0];
    return [
        "How each figure was taken:",
        "",
        `- **Endpoints**: \`npm start\` (PORT=0, its own process group), started by the bench: **tuned** (the defaults: ${
            Object.entries(tuned.tuning).map(([k, v]) => `${k}=${v}`).join(", ") || "none"})` +
        (r.variants.length > 1 ? ", and **baseline** (`LOCAL_SERVE_TUNING=off`: no thread or allocator variables, the libraries' own defaults; " +
            "the same runtime API code). Both run side by side; each phase runs on one, then the other, in alternating order over " +
            `${o.rounds} round(s), so slow spells of a shared machine hit both.` : "."),
        "- **Client**: a separate Node process (`scripts/bench/serveBench/client.ts`) sending `InvokeEndpointCommand` with " +
        "`@aws-sdk/client-sagemaker-runtime` (SigV4-signed, maxAttempts 1: an error is counted, never retried); latency runs from `send()` " +
        "to the parsed answer, whose model and predictions are checked.",
        `- **Phases**: each payload alone at concurrency 1, then all four payloads round-robin ("mixed") and the two one-item payloads ("single items") ` +
        `at concurrency 1 and ${o.concurrency}; ${o.requests} requests per phase and round, after a warm-up of ${o.warmup} requests of each payload on each endpoint. The latency table also gives the p50 of each ` +
        "round (and of the floor's turn after it): how far the machine's slow and fast spells moved the figures.",
        "- **CPU per request**: utime + stime from `/proc/<pid>/stat` (10 ms ticks) of the runtime API process (npm start's node), " +
        "the model server (serve.py) and its workers (summed), read before and after each phase and divided by its requests; " +
        "the client's from `process.cpuUsage()`.",
        "- **Floor**: `scripts/bench/serveBench/floor.py`, the archive's `inference.transform_fn` called directly in /usr/bin/python3 with the " +
        `environment of that endpoint's worker (read from \`/proc/<pid>/environ\`: the same thread and allocator variables), the same bodies; ` +
        `a process kept for the whole run, whose turn of ${o.requests} calls one after the other follows each of that endpoint's ` +
        "one-payload phases, so slow and fast spells of the machine fall on both alike; CPU from `time.process_time()`.",
        ...(r.breakdown ? [`- **Where the time goes**: on the tuned endpoint, the same client times four paths and the floor takes ` +
        `its turn among them (${Math.ceil(o.requests / 4)} requests or calls per turn, ${2 * o.rounds} turns each per payload, in alternating ` +
        "order): the full path; a bare HTTP POST /invocations straight to the model server (`scripts/bench/serveBench/breakdown.ts`, port " +
        "read from /proc); the SDK alone, against a loopback server in the bench process that answers that payload's real answer at " +
        "once; the **stand-in path**: the SDK to a runtime API process (`scripts/bench/serveBench/standinApi.ts`, the same code with the " +
        "tuned runtime API's environment) in front of a stand-in model server (`scripts/bench/serveBench/standin.py`: the model server's own " +
        "HTTP side, no worker process) that busy-waits for the floor's p50 of a turn taken just before, then answers that payload's real " +
        "answer; and the handler in-process."] : []),
        "- **Ratios**: latency ratios use concurrency-1 latencies only (no queueing in them); at concurrency " +
        `${o.concurrency} only requests/s and CPU are compared.`,
    ];
}

function latencyRows(r: BenchResult): string[] {
    const rows = ["| payload | endpoint | n | p50 | p95 | p99 | floor p50 | p50 / floor p50 | p50 / baseline p50 | p50 of each round | floor p50 of each round |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"];
    const base = r.variants[1];
    for (const key of Object.keys(r.variants[0].floor)) {
        for (const v of r.variants) {
            const phase = v.phases.find((p) => p.phase === key && p.concurrency === 1)!;
            const s = phase.latency.all;
            const b = base?.phases.find((p) => p.phase === key && p.concurrency === 1)!.latency.all;
            rows.push(`| ${key} | ${v.name} | ${s.n} | ${f(s.p50)} | ${f(s.p95)} | ${f(s.p99)} | ${f(v.floor[key].p50)} | ${x(s.p50, v.floor[key].p50)} | ${b && v !== base ? x(s.p50, b.p50) : "-"} | ` +
                `${phase.roundP50s.map((p) => f(p)).join(", ")} | ${v.floor[key].roundP50s.map((p) => f(p)).join(", ")} |`);
        }
    }
    return rows;
}

function throughputRows(r: BenchResult): string[] {
    const rows = ["| load | concurrency | endpoint | requests | errors | requests/s | / baseline |", "|---|---:|---|---:|---:|---:|---:|"];
    const base = r.variants[1];
    const loads = r.variants[0].phases.filter((p) => p.phase === "mixed" || p.phase === "single items");
    for (const ph of loads) {
        for (const v of r.variants) {
            const p = v.phases.find((q) => q.phase === ph.phase && q.concurrency === ph.concurrency)!;
            const b = base?.phases.find((q) => q.phase === ph.phase && q.concurrency === ph.concurrency);
            rows.push(`| ${p.phase} | ${p.concurrency} | ${v.name} | ${p.requests} | ${p.errors} | ${f(p.requestsPerSecond, 1)} | ${b && v !== base ? x(p.requestsPerSecond, b.requestsPerSecond) : "-"} |`);
        }
    }
    return rows;
}

function cpuRows(r: BenchResult): string[] {
    const rows = ["| phase | concurrency | endpoint | API | model server | workers | client | endpoint total | floor |", "|---|---:|---|---:|---:|---:|---:|---:|---:|"];
    for (const ph of r.variants[0].phases) {
        for (const v of r.variants) {
            const p = v.phases.find((q) => q.phase === ph.phase && q.concurrency === ph.concurrency)!;
            const fl = v.floor[p.phase]?.cpuMs;
            rows.push(`| ${p.phase} | ${p.concurrency} | ${v.name} | ${f(p.cpu.api)} | ${f(p.cpu.modelServer)} | ${f(p.cpu.workers)} | ${f(p.cpu.client)} | ${f(p.cpu.api + p.cpu.modelServer + p.cpu.workers)} | ${fl === undefined ? "-" : f(fl)} |`);
        }
    }
    return rows;
}

function errorsOf(v: VariantResult): string[] {
    return v.phases.filter((p: PhaseResult) => p.errors > 0).map((p) => `- ${v.name}, ${p.phase} at ${p.concurrency}: ${p.errors} errors; first: ${p.firstErrors.join("; ")}`);
}

/** The report: how the figures were taken, latency, throughput and CPU tables. */
export function formatBench(r: BenchResult): string {
    const errors = r.variants.flatMap(errorsOf);
    const sections: Array<[string, string[]]> = [
        ["**Latency at concurrency 1** (ms):", latencyRows(r)],
        ["**Throughput**:", throughputRows(r)],
        ["**CPU time per request** (ms; floor: the handler alone):", cpuRows(r)],
        ...(r.breakdown ? [["**Where the time goes** (tuned endpoint, concurrency 1, p50 ms; two columns are " +
            "differences of medians, so approximate: model server + worker pipe = direct - floor, runtime API + its hop = " +
            "full - direct - SDK alone; path / stand-in busy: what this request path costs on this machine around a handler " +
            "that takes the floor's time, so the lowest full / floor it can reach here):", breakdownRows(r.breakdown)] as [string, string[]]] : []),
        ...(errors.length ? [["Errors:", errors] as [string, string[]]] : []),
    ];
    return [
        `\`npm run bench:serve\`, ${r.date}: ${r.machine}; load average ${r.loadBefore} before, ${r.loadAfter} after.`,
        "",
        ...howTaken(r),
        ...sections.flatMap(([title, rows]) => ["", title, "", ...rows]),
    ].join("\n");
}
