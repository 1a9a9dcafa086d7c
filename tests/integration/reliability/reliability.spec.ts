/**
 * Bad input (requests): the malformed-request corpus (tests/fixtures/malformedRequests.ts)
 * against ONE local endpoint serving model-src's real models, through the AWS SDK (raw SigV4-signed
 * HTTP where the SDK cannot send the request). Each gets its status and a JSON error (the toolkit's
 * message + traceback for the one 500 it makes before the handler runs); a valid
 * request succeeds after every one; the model server's RSS stays within a stated bound.
 */
import * as assert from "assert";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { LocalEndpoint, startLocalEndpoint } from "../../../local/endpoint";
import { CORPUS, makeClient, mismatch, rssBytes, sendCase, validRequest } from "../../fixtures/malformedRequests";

/** The model server's one worker process, which holds the models (the endpoint runs one worker by default). */
function modelWorker(ep: LocalEndpoint): number {
    const pids = ep.workerPids();
    assert.strictEqual(pids.length, 1, `one worker process expected, got ${pids.join(", ")}`);
    return pids[0];
}

/** RSS growth of the model server's worker allowed across the whole corpus (after both models are loaded). */
export const RSS_GROWTH_BOUND_BYTES = 64 * 1024 * 1024;

describe("the malformed-request corpus against one local endpoint", function () {
    this.timeout(120000);
    let ep: LocalEndpoint;
    let client: SageMakerRuntimeClient;
    let baseline = 0;
    let peak = 0;
    const logs: string[] = [];

    before(async () => {
        ep = await startLocalEndpoint({ port: 0, log: (l) => logs.push(l) });
        client = makeClient(ep.endpoint);
        // load both models (sentiment is loaded on first use), then take the baseline
        for (let i = 0; i < 4; i++) await validRequest(client, ep.endpointName, i);
        baseline = rssBytes(modelWorker(ep));
    });

    after(async () => {
        client?.destroy();
        await ep?.stop();
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") process.stderr.write(logs.slice(-20).join("\n") + "\n");
    });

    it("holds at least 50 distinct malformed requests", () => {
        assert.ok(CORPUS.length >= 50, `${CORPUS.length} cases`);
        assert.strictEqual(new Set(CORPUS.map((c) => c.name)).size, CORPUS.length);
    });

    CORPUS.forEach((c, i) => {
        const want = c.expect.layer === "model" ? `ModelError with original status ${c.expect.status}` : `HTTP ${c.expect.status}`;
        it(`answers ${c.name} with ${want} ${c.expect.code} and then still serves a valid request`, async () => {
            const forwarded = ep.forwarded();
            const outcome = await sendCase(c, ep.endpoint, ep.endpointName, client);
            const wrong = mismatch(c, outcome);
            assert.strictEqual(wrong, undefined, wrong);
            if (c.expect.layer === "api") assert.strictEqual(ep.forwarded(), forwarded, "refused by the runtime API, never forwarded");
            await validRequest(client, ep.endpointName, i);
            peak = Math.max(peak, rssBytes(modelWorker(ep)));
        });
    });

    it("answers malformed and valid requests sent together at concurrency 8 each as if alone", async () => {
        const small = CORPUS.filter((c) => c.body().length < 1024 * 1024);
        const jobs: Array<() => Promise<string | undefined>> = [];
        small.forEach((c, i) => {
            jobs.push(async () => mismatch(c, await sendCase(c, ep.endpoint, ep.endpointName, client)));
            jobs.push(async () => { await validRequest(client, ep.endpointName, i); return undefined; });
        });
        const problems: string[] = [];
        let next = 0;
        await Promise.all(Array.from({ length: 8 }, async () => {
            while (next < jobs.length) {
                const job = jobs[next++];
                const p = await job().catch((e: Error) => e.message);
                if (p) problems.push(p);
            }
        }));
        assert.ok(small.length >= 50, `${small.length} cases`);
        assert.deepStrictEqual(problems, []);
        peak = Math.max(peak, rssBytes(modelWorker(ep)));
    });

    it(`keeps the model server's worker's RSS growth across the corpus under ${RSS_GROWTH_BOUND_BYTES / 2 ** 20} MiB`, async () => {
        await validRequest(client, ep.endpointName, 0);
        const after = rssBytes(modelWorker(ep));
        const growth = Math.max(after, peak) - baseline;
        assert.ok(growth < RSS_GROWTH_BOUND_BYTES,
            `RSS ${(baseline / 2 ** 20).toFixed(1)} MiB -> peak ${(peak / 2 ** 20).toFixed(1)} MiB, now ${(after / 2 ** 20).toFixed(1)} MiB`);
    });
});
