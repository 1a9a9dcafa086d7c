/** scripts/bench/benchServe.ts (`npm run bench:serve`): its arguments, request mix and table. The run itself is not part of npm test. */
import * as assert from "assert";
import { BenchResult, formatBench, parseBenchArgs, requestBodies, stats } from "../../../scripts/bench/benchServe";

describe("npm run bench:serve: arguments, request mix and table", () => {
    it("defaults to 2,000 requests at concurrency 16, batch 1, and 200 sequential ones", () => {
        assert.deepStrictEqual(parseBenchArgs([]), { options: { requests: 2000, concurrency: 16, batch: 1, sequential: 200 }, errors: [] });
        assert.deepStrictEqual(parseBenchArgs(["--requests", "10", "--concurrency", "2", "--batch", "4", "--sequential", "0", "--json", "f.json"]).options,
            { requests: 10, concurrency: 2, batch: 4, sequential: 0, json: "f.json" });
    });

    it("reports every bad argument at once", () => {
        assert.deepStrictEqual(parseBenchArgs(["--requests", "0", "--batch", "300", "--concurrency", "x", "--what"]).errors, [
            "--requests 0 must be an integer from 1 to 1000000",
            "--batch 300 must be an integer from 1 to 256",
            "--concurrency x must be an integer from 1 to 256",
            "unknown argument --what; see npm run bench:serve -- --help",
        ]);
    });

    it("alternates the two models with batches of real smoke data", () => {
        const bodies = requestBodies(6, 3);
        assert.deepStrictEqual(bodies.map((b) => b.model), ["fashion", "sentiment", "fashion", "sentiment", "fashion", "sentiment"]);
        for (const b of bodies) {
            const parsed = JSON.parse(b.body);
            assert.strictEqual(parsed.model, b.model);
            assert.strictEqual(parsed.inputs.length, 3);
        }
        assert.deepStrictEqual(JSON.parse(bodies[0].body).inputs[0].length, 28);
        assert.notDeepStrictEqual(JSON.parse(bodies[0].body).inputs, JSON.parse(bodies[2].body).inputs, "items cycle through the data");
    });

    it("prints requests/s, the latency rows and the ratio of p50 latencies", () => {
        const s = (p50: number) => ({ ...stats([p50]), n: 2 });
        const r: BenchResult = {
            options: { requests: 2, concurrency: 16, batch: 1, sequential: 0 }, errors: 0, firstErrors: [], seconds: 0.5, requestsPerSecond: 4,
            endToEnd: { all: s(20), fashion: s(30) }, sequential: {}, inProcess: { all: s(4), fashion: s(5) }, modelFnSeconds: 1.5, environment: "test",
        };
        const text = formatBench(r);
        assert.match(text, /0 errors, 0\.5 s, \*\*4\.0 requests\/s\*\*/);
        assert.match(text, /^\| end-to-end, concurrency 16, fashion \| 2 \| 30\.0 \| 30\.0 \| 30\.0 \| 30\.0 \|$/m);
        assert.match(text, /^\| end-to-end \(concurrency 16\) \/ in-process \| 5\.0x \| 6\.0x \|$/m);
        assert.ok(!/concurrency 1\)/.test(text), "no sequential rows when --sequential 0");
    });
});
