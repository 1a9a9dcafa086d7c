/**
 * The smoke test against an endpoint that accepts connections and never answers (a loopback TCP server
 * that reads and stays silent): every request fails with one line within its timeout, and the run ends.
 */
import * as assert from "assert";
import * as net from "net";
import { parseSmokeArgs, runSmoke } from "../scripts/smoke";

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
