/**
 * Faults, beyond what tests/integration/local*.spec.ts already cover (one timed-out handler, one
 * in-flight request during stop(), model-server death with no request in flight, npm start's exit):
 * a corrupted or missing model file in the archive (/ping, the log, npm start and the smoke test
 * report it), the model server dying under in-flight requests, many handlers over the time limit
 * at once, SIGTERM of `npm start` with requests in flight and a handler subprocess (no process may
 * outlive it; checked on the process tree), and SIGKILL of `npm start` (its model server and the
 * handler's subprocess must still go).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { LocalEndpoint, startLocalEndpoint } from "../../../local/endpoint";
import { localTarget, runSmoke } from "../../../scripts/smoke/smoke";
import {
    brokenModelSrc, Cli, client, cmdline, corrupt, running, serveWithoutHealthGate, settle, Settled, sleep, startWithHelper as startWithHelperIn, waitFor, within,
} from "../../fixtures/faultHarness";
import { makeFaultModelDir } from "../../fixtures/faultModel";

describe("faults: a corrupted or missing model file in the archive", function () {
    this.timeout(90000);
    const dirs: string[] = [];
    after(() => { for (const d of dirs) fs.rmSync(path.dirname(d), { recursive: true, force: true }); });

    it("keeps /ping unhealthy for a corrupted pinned model file, logs the model and its file as an ERROR, and the smoke test fails with that reason", async () => {
        const dir = brokenModelSrc("fashion/model.pt", corrupt(5000));
        dirs.push(dir);
        const chain = await serveWithoutHealthGate(dir);
        try {
            let ping = await chain.ping();
            for (const end = Date.now() + 60000; ping.status === 503 && JSON.parse(ping.body).status === "Loading" && Date.now() < end; ping = await chain.ping()) await sleep(100);
            assert.strictEqual(ping.status, 503, ping.body);
            const health = JSON.parse(ping.body);
            assert.strictEqual(health.status, "Unhealthy");
            assert.match(health.error, /model 'fashion' could not be loaded: RuntimeError: .*\(file fashion\/model\.pt\)/, health.error);
            assert.ok(chain.log.some((l) => / ERROR /.test(l) && l.includes("model 'fashion' failed to load") && l.includes("(file fashion/model.pt)")), `the log must name the model and its file:\n${chain.log.join("\n")}`);
            const report = await runSmoke(localTarget(chain.url, {}), { maxAttempts: 1 });
            assert.ok(report.failures.length > 0, "the smoke test must fail");
            assert.match(report.failures[0], /^fashion: a 1-item request failed: ModelError \(HTTP 424, 1 attempt\(s\)\): .*the models failed to load: .*model 'fashion' could not be loaded: .*fashion\/model\.pt/);
        } finally {
            await chain.stop();
        }
    });

    it("makes npm start's endpoint refuse to start on a corrupted pinned model file, naming the model, its file and the load error", async () => {
        const dir = brokenModelSrc("fashion/model.pt", corrupt(5000));
        dirs.push(dir);
        const logs: string[] = [];
        const e = await startLocalEndpoint({ modelDir: dir, port: 0, log: (l) => logs.push(l) }).then(() => undefined, (err: Error) => err);
        assert.ok(e, "the endpoint started with a corrupted model file");
        assert.match(e!.message, /^the models failed to load: .*model 'fashion' could not be loaded: RuntimeError: PytorchStreamReader.*\(file fashion\/model\.pt\)/);
    });

    it("refuses to start on a corrupted unpinned model file too, naming the model and its file", async () => {
        const dir = brokenModelSrc("sentiment/model.joblib", corrupt(3000));
        dirs.push(dir);
        const e = await startLocalEndpoint({ modelDir: dir, port: 0, log: () => undefined }).then(() => undefined, (err: Error) => err);
        assert.match(e?.message ?? "", /^the models failed to load: .*model 'sentiment' \(file sentiment\/model\.joblib\): is not a joblib\/pickle file/);
    });

    it("refuses to package a model directory whose manifest names a missing file, naming it", async () => {
        const dir = brokenModelSrc("sentiment/model.joblib", null);
        dirs.push(dir);
        const e = await startLocalEndpoint({ modelDir: dir, port: 0, log: () => undefined }).then(() => undefined, (err: Error) => err);
        assert.match(e?.message ?? "", /^the model directory has problems:\n.*sentiment\/model\.joblib/);
    });

    it("fails at load, naming the file, when an archive built without validation lacks a pinned model file", async () => {
        const dir = brokenModelSrc("fashion/model.pt", null);
        dirs.push(dir);
        const e = await startLocalEndpoint({ modelDir: dir, port: 0, validate: false, log: () => undefined }).then(() => undefined, (err: Error) => err);
        assert.match(e?.message ?? "", /^the models failed to load: .*fashion\/model\.pt does not exist/);
    });
});

describe("faults: the model server under in-flight requests", function () {
    this.timeout(60000);
    let dir: string;
    let ep: LocalEndpoint | undefined;
    beforeEach(() => { dir = makeFaultModelDir(); });
    afterEach(async () => {
        await ep?.stop();
        ep = undefined;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("answers every in-flight request 503 naming the model server within seconds when it is killed", async () => {
        const logs: string[] = [];
        ep = await startLocalEndpoint({ modelDir: dir, port: 0, workers: 3, log: (l) => logs.push(l) });
        const c = client(ep.endpoint);
        const inflight = [1, 2, 3].map(() => settle(c, { sleep: 20 }));
        assert.ok(await waitFor(() => (logs.join("\n").match(/fault-predict sleeping/g) ?? []).length === 3, 15000),
            `the requests never reached the handler:\n${logs.slice(-15).join("\n")}`);
        process.kill(ep.modelServerPid, "SIGKILL");
        const results = await within(Promise.all(inflight), 5000, "in-flight requests after the kill");
        for (const r of results) {
            assert.ok(!r.ok, "a request survived its model server");
            if (!r.ok) {
                assert.deepStrictEqual([r.name, r.status], ["ServiceUnavailable", 503], r.message);
                assert.match(r.message, /model server/);
            }
        }
        const next = await settle(c, {});
        assert.ok(!next.ok && next.status === 503 && /exited unexpectedly/.test(next.message), JSON.stringify(next));
        c.destroy();
    });

    it("answers many slow handlers at once as TorchServe does (500 Worker died. each), replaces every timed-out worker, then serves again", async () => {
        const logs: string[] = [];
        ep = await startLocalEndpoint({ modelDir: dir, port: 0, modelServerTimeoutSeconds: 1, workers: 2, log: (l) => logs.push(l) });
        const c = client(ep.endpoint);
        const first = ep.workerPids();
        const slow = await within(Promise.all([1, 2, 3, 4, 5].map(() => settle(c, { sleep: 5 }))), 20000, "slow handlers");
        for (const r of slow) {
            assert.ok(!r.ok && r.name === "ModelError" && r.original === 500, JSON.stringify(r));
            if (!r.ok) assert.strictEqual(JSON.parse(r.message).message, "Worker died.");
        }
        const next = await settle(c, { n: 1 });
        assert.ok(next.ok, JSON.stringify(next));
        assert.strictEqual(logs.filter((l) => /did not answer within 1 s .*killed and replaced/.test(l)).length, 5, logs.join("\n"));
        assert.strictEqual(ep.workerPids().length, 2);
        assert.ok(first.every((pid) => !ep!.workerPids().includes(pid) && !running(pid)), "every original worker was replaced and is gone");
        c.destroy();
    });
});

describe("faults: npm start stopped with requests in flight", function () {
    this.timeout(90000);
    let dir: string;
    let cli: Cli | undefined;
    let tree: number[] = [];
    beforeEach(() => { dir = makeFaultModelDir(); });
    afterEach(() => {
        if (cli && cli.proc.exitCode === null) cli.proc.kill("SIGKILL");
        for (const pid of tree) if (running(pid)) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
        cli = undefined;
        tree = [];
        fs.rmSync(dir, { recursive: true, force: true });
    });

    async function startWithHelper(): Promise<Cli> {
        const started = await startWithHelperIn(dir);
        cli = started.cli;
        tree = started.tree;
        return started.cli;
    }

    it("on SIGTERM finishes short requests, fails long ones cleanly, exits 0 and leaves no process behind", async () => {
        const started = await startWithHelper();
        const c = client(started.endpoint);
        const short = [settle(c, { sleep: 1.5 }), settle(c, { sleep: 2 })];
        const long = [settle(c, { sleep: 30 }), settle(c, { sleep: 30 })];
        assert.ok(await waitFor(() => (started.stderr().match(/fault-predict sleeping/g) ?? []).length === 4, 15000), "the requests never reached the handler");
        started.proc.kill("SIGTERM");
        const [s, l] = await within(Promise.all([Promise.all(short), Promise.all(long)]), 9000, "in-flight requests after SIGTERM");
        for (const r of s) assert.ok(r.ok, `a short in-flight request did not finish: ${JSON.stringify(r)}`);
        for (const r of l) {
            assert.ok(!r.ok, "a 30 s request cannot have finished");
        for (const r of s) assert.ok(r.ok, `a short in-flight request did not finish: ${JSON.stringify(r)}\n${started.stderr()}`);
        }
        assert.strictEqual(await within(started.exit, 9000, "npm start's exit"), 0);
        assert.ok(await waitFor(() => tree.every((p) => !running(p)), 3000),
            `left running: ${tree.filter(running).map((p) => `${p} ${cmdline(p)}`).join("; ")}`);
        c.destroy();
    });

    it("when killed with SIGKILL (no cleanup possible), its model server and the handler's subprocess still go away, and so does its temp folder", async () => {
        const started = await startWithHelper();
        const workDir = /extracted to (\S+)\/ml\/model/.exec(started.stderr())?.[1];
        assert.ok(workDir && fs.existsSync(workDir), `no temp folder in the log:\n${started.stderr()}`);
        started.proc.kill("SIGKILL");
        await started.exit;
        assert.ok(await waitFor(() => tree.every((p) => !running(p)), 5000),
            `orphaned: ${tree.filter(running).map((p) => `${p} ${cmdline(p)}`).join("; ")}`);
        assert.ok(await waitFor(() => !fs.existsSync(workDir), 5000), `left behind: ${workDir}`);
    });
});
