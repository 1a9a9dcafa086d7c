/** scripts/bench/benchServe.ts (`npm run bench:serve`): its arguments, payloads, phases and report. The run itself is not part of npm test. */
import * as assert from "assert";
import * as http from "http";
import { BenchResult, figuresFile, formatBench, parseBenchArgs, payloads, phases, stats } from "../../../scripts/bench/benchServe";
import { listeningPort } from "../../../scripts/bench/serveBench/breakdown";
import type { PhaseResult, VariantResult } from "../../../scripts/bench/benchServe";

describe("npm run bench:serve: arguments, payloads, phases and report", () => {
    it("defaults to 400 requests per phase, concurrency 16, 2 rounds, a warm-up of 250, a baseline, and the figures file", () => {
        assert.deepStrictEqual(parseBenchArgs([]), { options: { requests: 400, concurrency: 16, rounds: 2, warmup: 250, baseline: true, out: "docs/figures/bench-serve.md" }, errors: [] });
        assert.deepStrictEqual(parseBenchArgs(["--requests", "10", "--concurrency", "2", "--rounds", "1", "--warmup", "5", "--no-baseline", "--out", "-", "--json", "f.json"]).options,
            { requests: 10, concurrency: 2, rounds: 1, warmup: 5, baseline: false, out: "-", json: "f.json" });
    });

    it("reports every bad argument at once", () => {
        assert.deepStrictEqual(parseBenchArgs(["--requests", "0", "--rounds", "300", "--warmup", "0", "--concurrency", "x", "--what", "--out"]).errors, [
            "--requests 0 must be an integer from 1 to 1000000",
            "--rounds 300 must be an integer from 1 to 100",
            "--warmup 0 must be an integer from 1 to 100000",
            "--concurrency x must be an integer from 1 to 256",
            "unknown argument --what; see npm run bench:serve -- --help",
            "--out needs a file name",
        ]);
    });

    it("sends one-item and 64-item payloads of both models, made of the smoke data", () => {
        const all = payloads();
        assert.deepStrictEqual(all.map((p) => [p.key, p.model, p.items]), [
            ["fashion x1", "fashion", 1], ["fashion x64", "fashion", 64], ["sentiment x1", "sentiment", 1], ["sentiment x64", "sentiment", 64]]);
        for (const p of all) {
            const body = JSON.parse(p.body);
            assert.strictEqual(body.model, p.model);
            assert.strictEqual(body.inputs.length, p.items);
        }
        const images = JSON.parse(all[1].body).inputs;
        assert.strictEqual(images[0].length, 28);
        assert.notDeepStrictEqual(images[0], images[1], "items cycle through the data");
    });

    it("measures each payload alone at concurrency 1, then mixed and single items at 1 and C", () => {
        assert.deepStrictEqual(phases(payloads(), 16).map((p) => `${p.phase}@${p.concurrency}:${p.keys.length}`), [
            "fashion x1@1:1", "fashion x64@1:1", "sentiment x1@1:1", "sentiment x64@1:1", "mixed@1:4", "single items@1:2", "mixed@16:4", "single items@16:2"]);
    });

    const phase = (name: string, c: number, p50: number, rps: number, api: number): PhaseResult => ({
        phase: name, concurrency: c, requests: 10, errors: 0, firstErrors: [], seconds: 1, requestsPerSecond: rps,
        latency: { all: { ...stats([p50]), n: 10 } }, cpu: { api, modelServer: 0.5, workers: 1, client: 1.5 }, roundP50s: [p50 - 0.25, p50 + 0.25],
    });
    const variant = (name: string, k: number): VariantResult => ({
        name, tuning: name === "tuned" ? { OMP_NUM_THREADS: "1" } : {},
        floor: { "fashion x1": { ...stats([0.5]), cpuMs: 0.4, roundP50s: [0.5, 0.75] } },
        phases: [phase("fashion x1", 1, 2 * k, 100 / k, 0.6 * k), phase("mixed", 16, 80 * k, 300 / k, 0.7 * k)],
    });
    const result: BenchResult = {
        options: { requests: 10, concurrency: 16, rounds: 1, warmup: 20, baseline: true, out: "-" }, variants: [variant("tuned", 1), variant("baseline", 2)],
        machine: "test", loadBefore: "0.1", loadAfter: "0.2", date: "2026-11-29 12:00 UTC",
    };

    it("prints latency against the floor and the baseline at concurrency 1 only, and throughput against the baseline", () => {
        const text = formatBench(result);
        assert.match(text, /^\| fashion x1 \| tuned \| 10 \| 2\.00 \| 2\.00 \| 2\.00 \| 0\.50 \| 4\.00x \| 0\.50x \| 1\.75, 2\.25 \| 0\.50, 0\.75 \|$/m);
        assert.match(text, /^\| fashion x1 \| baseline \| 10 \| 4\.00 \| 4\.00 \| 4\.00 \| 0\.50 \| 8\.00x \| - \| 3\.75, 4\.25 \| 0\.50, 0\.75 \|$/m);
        assert.match(text, /^\| mixed \| 16 \| tuned \| 10 \| 0 \| 300\.0 \| 2\.00x \|$/m);
        assert.ok(!/\| mixed \| [^|]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+x/.test(text), "no latency ratio for the concurrency-16 phase");
        assert.match(text, /^\| fashion x1 \| 1 \| tuned \| 0\.60 \| 0\.50 \| 1\.00 \| 1\.50 \| 2\.10 \| 0\.40 \|$/m);
        assert.match(text, /How each figure was taken/);
        assert.match(text, /OMP_NUM_THREADS=1/);
        assert.ok(!/Errors:/.test(text));
        assert.match(figuresFile(result), /^<!-- generated by: npm run bench:serve \(2026-11-29 12:00 UTC\)/);
    });

    it("lists the failed requests of each phase", () => {
        const failed: BenchResult = { ...result, variants: [{ ...result.variants[0], phases: [{ ...result.variants[0].phases[0], errors: 2, firstErrors: ["fashion x1: ModelError: x"] }, result.variants[0].phases[1]] }, result.variants[1]] };
        assert.match(formatBench(failed), /^- tuned, fashion x1 at 1: 2 errors; first: fashion x1: ModelError: x$/m);
    });

    it("shows where the time goes: the measured paths, the floor, the shares derived from them and the stand-in path's ratio", () => {
        const row = { key: "fashion x1", full: stats([4]), direct: stats([1.5]), sdkAlone: stats([1.2]), floor: stats([0.6]), standIn: stats([2.5]), busyMs: 0.5 };
        const text = formatBench({ ...result, breakdown: [row] });
        assert.match(text, /^\| fashion x1 \| 4\.00 \| 1\.20 \| 1\.50 \| 0\.60 \| 0\.90 \| 1\.30 \| 0\.50 \| 2\.50 \| 5\.00x \|$/m,
            "the floor measured in the breakdown's own turns; the stand-in path over the time the stand-in was busy");
        assert.match(formatBench({ ...result, breakdown: [{ ...row, busyMs: 0 }] }), /^\| fashion x1 \|.* \| 0\.00 \| 2\.50 \| - \|$/m, "no ratio over a zero busy time");
        assert.match(text, /Where the time goes/);
        assert.ok(!/Where the time goes/.test(formatBench(result)), "no section without a breakdown");
    });

    it("finds the TCP port a process listens on through /proc", async () => {
        const server = http.createServer();
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            assert.strictEqual(listeningPort(process.pid), (server.address() as { port: number }).port);
        } finally {
            server.close();
        }
    });
});
