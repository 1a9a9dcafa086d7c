/**
 * `npm start` as a process (local/start.ts run by node, as the npm script does after
 * ensure-deps): the ready line, SIGTERM/SIGINT stopping everything, and exiting non-zero
 * when the model server dies. Uses model-src's real models.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { makeFixtureModelDir, processAlive } from "../../../local/fixtureModel";

const ROOT = path.resolve(__dirname, "..", "..", "..");

interface Started { proc: ChildProcess; ready: string; stderr: () => string; modelServerPid: number; exit: Promise<number | null> }

async function startCli(env: Record<string, string> = {}, viaNpm = false): Promise<Started> {
    const [cmd, args] = viaNpm ? ["npm", ["start", "--silent"]] : [process.execPath, ["-r", "ts-node/register/transpile-only", "local/start.ts"]];
    const proc = spawn(cmd, args, {
        cwd: ROOT, env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "", err = "";
    proc.stderr!.on("data", (c) => (err += c));
    const exit = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
    const ready = await new Promise<string>((resolve, reject) => {
        proc.stdout!.on("data", (c) => {
            out += c;
            const line = out.split("\n").find((l) => l.startsWith("ready"));
            if (line) resolve(line);
        });
        exit.then((code) => reject(new Error(`npm start exited with ${code} before ready:\n${err}`)));
    });
    const modelServerPid = Number(/model server: pid (\d+)/.exec(err)?.[1]);
    return { proc, ready, stderr: () => err, modelServerPid, exit };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
        return await Promise.race([p, new Promise<T>((_, rej) => { timer = setTimeout(() => rej(new Error(`${what} took over ${ms} ms`)), ms); })]);
    } finally {
        clearTimeout(timer);
    }
}

describe("npm start as a process", function () {
    this.timeout(120000);
    let started: Started | undefined;

    afterEach(() => {
        if (started && started.proc.exitCode === null) started.proc.kill("SIGKILL");
        if (started && processAlive(-started.modelServerPid)) process.kill(-started.modelServerPid, "SIGKILL");
        started = undefined;
    });

    it("prints one ready line with the invoke URL, serves it, and stops everything within seconds on SIGTERM", async () => {
        started = await startCli({ ENDPOINT_NAME: "cli-test" });
        const m = /^ready (http:\/\/127\.0\.0\.1:(\d+)\/endpoints\/cli-test\/invocations) /.exec(started.ready);
        assert.ok(m, started.ready);
        assert.ok(started.modelServerPid > 0 && processAlive(started.modelServerPid));
        const client = new SageMakerRuntimeClient({ region: "us-east-1", endpoint: `http://127.0.0.1:${m[2]}`, credentials: { accessKeyId: "local", secretAccessKey: "local-secret" } });
        const res = await client.send(new InvokeEndpointCommand({
            EndpointName: "cli-test", ContentType: "application/json", Body: Buffer.from(JSON.stringify({ model: "fashion", inputs: [Array(28).fill(Array(28).fill(0))] })),
        }));
        assert.strictEqual(JSON.parse(Buffer.from(res.Body!).toString()).predictions.length, 1);
        client.destroy();
        started.proc.kill("SIGTERM");
        assert.strictEqual(await within(started.exit, 5000, "stopping"), 0);
        assert.ok(!processAlive(-started.modelServerPid), "the model server's process group must be gone");
    });

    it("exits non-zero, naming the cause, when the model server dies", async () => {
        const dir = makeFixtureModelDir();
        try {
            started = await startCli({ LOCAL_MODEL_DIR: dir });
            process.kill(started.modelServerPid, "SIGKILL");
            assert.strictEqual(await within(started.exit, 8000, "exiting"), 1);
            assert.match(started.stderr(), /exited unexpectedly \(code null, signal SIGKILL\)/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("stops everything and exits 1 on SIGTERM while the models are still loading", async () => {
        const dir = makeFixtureModelDir();
        const proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "local/start.ts"], {
            cwd: ROOT, env: { ...process.env, PORT: "0", LOCAL_MODEL_DIR: dir, FIXTURE_LOAD_DELAY: "30" }, stdio: ["ignore", "pipe", "pipe"],
        });
        try {
            let err = "";
            const exit = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
            const pid = await new Promise<number>((resolve) => proc.stderr!.on("data", (c) => {
                err += c;
                const m = /model server: pid (\d+)/.exec(err);
                if (m) resolve(Number(m[1]));
            }));
            proc.kill("SIGTERM");
            assert.strictEqual(await within(exit, 5000, "stopping"), 1);
            assert.match(err, /npm start: start interrupted; everything started was stopped/);
            assert.ok(!processAlive(-pid), "the model server's process group must be gone");
        } finally {
            if (proc.exitCode === null) proc.kill("SIGKILL");
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("stops everything when `npm start` itself gets SIGTERM (npm forwards it to the exec'd node)", async () => {
        const dir = makeFixtureModelDir();
        try {
            started = await startCli({ LOCAL_MODEL_DIR: dir }, true);
            assert.match(started.ready, /^ready http:\/\/127\.0\.0\.1:\d+\/endpoints\/local\/invocations /);
            started.proc.kill("SIGTERM");
            await within(started.exit, 5000, "npm's exit");
            assert.ok(await new Promise((r) => {
                const end = Date.now() + 5000;
                const poll = () => (!processAlive(-started!.modelServerPid) ? r(true) : Date.now() > end ? r(false) : setTimeout(poll, 100));
                poll();
            }), "the model server's process group must be gone");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("stops everything on SIGINT (Ctrl-C) too", async () => {
        const dir = makeFixtureModelDir();
        try {
            started = await startCli({ LOCAL_MODEL_DIR: dir });
            started.proc.kill("SIGINT");
            assert.strictEqual(await within(started.exit, 5000, "stopping"), 0);
            assert.ok(!processAlive(-started.modelServerPid), "the model server's process group must be gone");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
