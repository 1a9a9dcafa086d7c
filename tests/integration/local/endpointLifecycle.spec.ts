/**
 * The local endpoint's lifecycle with the fixture handler (local/fixtureModel.ts): model-server death,
 * clean shutdown with a request in flight, start failures and a taken port.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { startLocalEndpoint } from "../../../local/endpoint";
import { makeFixtureModelDir, processAlive } from "../../../local/fixtureModel";
import { client, invoke, rejection } from "../../support/localClient";

describe("the local endpoint's lifecycle", function () {
    this.timeout(30000);

    it("answers 503 ServiceUnavailable (retried by the SDK) after the model server dies, and stops cleanly", async () => {
        const dir = makeFixtureModelDir();
        const logs: string[] = [];
        const ep = await startLocalEndpoint({ modelDir: dir, port: 0, validate: false, log: (l) => logs.push(l) });
        try {
            process.kill(ep.modelServerPid, "SIGKILL");
            const exit = await ep.exited;
            assert.strictEqual(exit.signal, "SIGKILL");
            const e = await rejection(invoke(client(ep, { maxAttempts: 2 }), "{}"));
            assert.deepStrictEqual([e.name, e.$metadata.httpStatusCode, e.$metadata.attempts], ["ServiceUnavailable", 503, 2]);
            assert.match(e.message, /exited unexpectedly \(code null, signal SIGKILL\)/);
        } finally {
            await ep.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.ok(!processAlive(ep.modelServerPid));
        assert.ok(!fs.existsSync(ep.workDir));
    });

    it("lets an in-flight invocation finish when stopped, refuses new ones, and leaves no process", async () => {
        const dir = makeFixtureModelDir();
        const ep = await startLocalEndpoint({ modelDir: dir, port: 0, validate: false, log: () => undefined });
        try {
            const slow = invoke(client(ep), "{\"sleep\": 0.8}");
            await new Promise((r) => setTimeout(r, 300));
            const stopping = ep.stop();
            const res = await slow;
            assert.strictEqual(JSON.parse(res.text).body, "{\"sleep\": 0.8}");
            await stopping;
        } finally {
            await ep.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.ok(!processAlive(-ep.modelServerPid), "the model server's process group must be gone");
        await rejection(invoke(client(ep), "{}"));
    });

    it("fails to start with the model_fn error when loading fails, leaving no process or temp dir", async () => {
        const dir = makeFixtureModelDir();
        const logs: string[] = [];
        try {
            const e = await rejection(startLocalEndpoint({ modelDir: dir, port: 0, validate: false, env: { FIXTURE_LOAD_FAIL: "1" }, log: (l) => logs.push(l) }));
            assert.strictEqual(e.message, "the models failed to load: RuntimeError: model file fixture/weights.txt is corrupt");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        const pid = Number(/model server: pid (\d+)/.exec(logs.join("\n"))?.[1]);
        assert.ok(pid > 0 && !processAlive(pid), `model server pid ${pid} must be gone`);
        const work = /extracted to (\S+)\/ml\/model/.exec(logs.join("\n"))?.[1] ?? "";
        assert.ok(work !== "" && !fs.existsSync(work), `${work} must be removed`);
    });

    it("refuses a model directory that fails validation, listing the problems", async () => {
        const dir = makeFixtureModelDir();
        fs.rmSync(`${dir}/code/inference.py`);
        try {
            const e = await rejection(startLocalEndpoint({ modelDir: dir, port: 0, log: () => undefined }));
            assert.match(e.message, /^the model directory has problems:\n {2}.*code\/inference\.py: missing/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("names the port when it is taken", async () => {
        const blocker = http.createServer();
        await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
        const port = (blocker.address() as { port: number }).port;
        const dir = makeFixtureModelDir();
        try {
            const e = await rejection(startLocalEndpoint({ modelDir: dir, port, validate: false, log: () => undefined }));
            assert.strictEqual(e.message, `port ${port} is in use; set PORT to a free port (PORT=0 picks one)`);
        } finally {
            blocker.close();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
