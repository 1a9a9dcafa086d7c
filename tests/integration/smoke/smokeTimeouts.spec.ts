/**
 * The smoke test against an endpoint that accepts connections and never answers (a loopback TCP server
 * that reads and stays silent): every request fails with one line within its timeout, and the run ends.
 */
import * as assert from "assert";
import * as net from "net";
import { parseSmokeArgs, runSmoke } from "../../../scripts/smoke/smoke";
import { checkServing } from "../../../scripts/smoke/servingCheck";

describe("the smoke test bounds every network call", function () {
    this.timeout(60000);
    let server: net.Server;
    const sockets = new Set<net.Socket>();
    let port = 0;

    before(async () => {
        server = net.createServer((s) => { sockets.add(s); s.on("close", () => sockets.delete(s)); s.resume(); });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as net.AddressInfo).port;
    });
    after(async () => {
        for (const s of sockets) s.destroy();
        await new Promise((r) => server.close(r));
    });

    it("fails each request to a silent endpoint with one line within the timeout, and the run ends", async () => {
        const started = Date.now();
        const report = await runSmoke({ endpointName: "local", region: "us-east-1", endpoint: `http://127.0.0.1:${port}`,
            credentials: { accessKeyId: "local", secretAccessKey: "local-secret" }, source: "silent" }, { maxAttempts: 1, timeoutMs: 300, batchSize: 50 });
        const ms = Date.now() - started;
        assert.ok(ms < 20000, `the run took ${ms} ms`);
        const requestFailures = report.failures.filter((f) => /request failed/.test(f));
        assert.ok(requestFailures.length >= 3, report.failures.join("\n"));
        for (const f of report.failures) assert.ok(!f.includes("\n"), `one line: ${f}`);
        assert.ok(requestFailures.every((f) => /timed? ?out|timeout/i.test(f)), requestFailures.join("\n"));
        assert.match(report.badRequest, /timed? ?out|timeout/i);
    });

    it("reads --timeout-seconds within 1 to 900", () => {
        assert.strictEqual(parseSmokeArgs(["--timeout-seconds", "5"]).options.timeoutSeconds, 5);
        assert.deepStrictEqual(parseSmokeArgs(["--timeout-seconds", "0"]).errors, ["--timeout-seconds 0 must be an integer from 1 to 900"]);
    });
});

describe("the smoke test's DescribeEndpoint check is bounded too", function () {
    this.timeout(30000);
    it("fails with one line when DescribeEndpoint never answers", async () => {
        const server = net.createServer((s) => s.resume());
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const saved = { ...process.env };
        Object.assign(process.env, {
            AWS_ENDPOINT_URL_SAGEMAKER: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
            AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local-secret", AWS_MAX_ATTEMPTS: "1",
        });
        try {
            const started = Date.now();
            const problem = await checkServing({ endpointName: "e", region: "us-east-1" }, undefined, 300);
            assert.ok(Date.now() - started < 10000, `took ${Date.now() - started} ms`);
            assert.match(problem ?? "", /^DescribeEndpoint e \(us-east-1\) failed: .*time/i);
            assert.ok(!problem!.includes("\n"));
        } finally {
            for (const k of ["AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_MAX_ATTEMPTS"]) {
                if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
            }
            server.close();
        }
    });
});
