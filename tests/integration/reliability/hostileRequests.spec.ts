/**
 * The hostile-request corpus (tests/fixtures/hostileRequests.ts) against the runtime API in front of a
 * stand-in model server (a loopback HTTP server that only counts requests; the corpus never gets past the
 * API): each gets its 4xx (or, when the client left, none) and exactly one log line, without a stack
 * trace, with control characters escaped and signatures redacted; nothing is forwarded. Also the API's
 * option checks and a log-forging endpoint name sent, signed, through the AWS SDK.
 */
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { createRuntimeApi, MAX_PAYLOAD_BYTES, RuntimeApi } from "../../../local/api/runtimeApi";
import { CREDENTIALS } from "../../fixtures/malformedRequests";
import { HOSTILE_REQUESTS, sendRaw } from "../../fixtures/hostileRequests";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the hostile-request corpus: a 4xx and one clean log line each, nothing forwarded", function () {
    this.timeout(60000);
    let api: RuntimeApi;
    let port = 0;
    let modelServer: http.Server;
    let modelServerHits = 0;
    const logs: string[] = [];

    before(async () => {
        modelServer = http.createServer((_req, res) => { modelServerHits++; res.end("{}"); });
        await new Promise<void>((r) => modelServer.listen(0, "127.0.0.1", r));
        const msPort = (modelServer.address() as AddressInfo).port;
        api = createRuntimeApi({ endpointName: "local", credentials: CREDENTIALS, modelServerUrl: `http://127.0.0.1:${msPort}`, log: (l) => logs.push(l) });
        await new Promise<void>((r) => api.server.listen(0, "127.0.0.1", r));
        port = (api.server.address() as AddressInfo).port;
    });

    after(async () => {
        api.server.closeAllConnections();
        await new Promise((r) => api.server.close(r));
        await new Promise((r) => modelServer.close(r));
    });

    /** Log lines written since `from`, once they stop coming (bounded wait). */
    async function newLines(from: number): Promise<string[]> {
        for (let i = 0; i < 40 && logs.length === from; i++) await sleep(25);
        await sleep(100);
        return logs.slice(from);
    }

    it("holds at least 15 distinct hostile requests", () => {
        assert.ok(HOSTILE_REQUESTS.length >= 15);
        assert.strictEqual(new Set(HOSTILE_REQUESTS.map((r) => r.what)).size, HOSTILE_REQUESTS.length);
    });

    for (const row of HOSTILE_REQUESTS) {
        const answer = row.status === undefined ? "no answer (the client left)" : `HTTP ${row.status}`;
        it(`meets ${row.what} with ${answer} and one log line without a stack`, async () => {
            const from = logs.length;
            const forwarded = api.forwarded;
            const reply = await sendRaw(port, row, "local");
            assert.strictEqual(reply.status, row.status, `status ${reply.status}`);
            const lines = await newLines(from);
            assert.strictEqual(lines.length, 1, `expected one log line, got:\n${lines.join("\n")}`);
            assert.ok(!/\n|^\s+at /m.test(lines[0]), `a stack or a second line: ${lines[0]}`);
            for (const text of row.notLogged ?? []) assert.ok(!lines[0].includes(text), `logged ${JSON.stringify(text)}: ${lines[0]}`);
            if (row.status === 413) {
                assert.ok(reply.sentBody <= MAX_PAYLOAD_BYTES + 2 * 1024 * 1024, `the API read ${reply.sentBody} bytes before answering`);
                assert.ok(reply.ms < 5000, `the 413 took ${reply.ms} ms`);
            }
            assert.strictEqual(api.forwarded, forwarded, "forwarded to the model server");
            assert.strictEqual(modelServerHits, 0);
            const ok = await sendRaw(port, { what: "follow-up", head: () => "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n", status: 404 }, "local");
            assert.strictEqual(ok.status, 404, "the API still answers after it");
            await newLines(logs.length);
        });
    }

    it("escapes a log-forging endpoint name sent signed through the AWS SDK, in one line", async () => {
        const client = new SageMakerRuntimeClient({ region: "us-east-1", endpoint: `http://127.0.0.1:${port}`, credentials: CREDENTIALS, maxAttempts: 1 });
        const from = logs.length;
        try {
            await assert.rejects(client.send(new InvokeEndpointCommand({ EndpointName: "local\n2026-01-01T00:00:00Z runtime-api | forged", Body: Buffer.from("{}"), ContentType: "application/json" })),
                (e: Error) => e.name === "ValidationError");
        } finally {
            client.destroy();
        }
        const lines = await newLines(from);
        assert.strictEqual(lines.length, 1, lines.join("\n"));
        assert.ok(!lines[0].includes("\n") && lines[0].includes("local\\x0a2026"), lines[0]);
    });
});

describe("the runtime API validates its own options", () => {
    const base = { credentials: CREDENTIALS, modelServerUrl: "http://127.0.0.1:9" };
    it("refuses an endpoint name longer than SageMaker's 63 characters, even one of letters and hyphens", () => {
        assert.throws(() => createRuntimeApi({ ...base, endpointName: "a-".repeat(50) + "b" }), /endpoint name .* is 101 characters long \(at most 63\)/);
    });
    it("refuses an infinite, fractional or non-positive container timeout", () => {
        for (const ms of [Infinity, NaN, 0, -1, 1.5, 2 ** 31]) {
            assert.throws(() => createRuntimeApi({ ...base, endpointName: "local", containerTimeoutMs: ms }), /containerTimeoutMs/, String(ms));
        }
    });
});
