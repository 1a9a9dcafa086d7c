/**
 * The model server's worker processes, as `npm start` runs them and as startModelServer hands them
 * out: SAGEMAKER_MODEL_SERVER_WORKERS processes that each load the models (model_fn) and serve one
 * request at a time; a request over the time limit replaces its worker and the next request still
 * succeeds; one model server per model directory, side by side.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { processAlive } from "../../../local/fixtureModel";
import { ModelServerHandle, startModelServer } from "../../../local/server/modelServer";
import { threadsPerWorker } from "../../../sagemaker/containerEnv";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** A handler module whose answers name the worker process that loaded the models and when. */
const PID_HANDLER = `
import json, os, time
def model_fn(model_dir, context):
    return {"pid": os.getpid(), "gpu_id": context.system_properties["gpu_id"], "loaded": os.path.basename(model_dir.rstrip("/"))}
def transform_fn(model, body, content_type, accept, context):
    req = json.loads(body)
    started = time.time()
    time.sleep(req.get("sleep", 0))
    return json.dumps(dict(model, started=started, ended=time.time())), "application/json"
`;

function pidModelDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-mme-workers-"));
    fs.mkdirSync(path.join(dir, "code"));
    fs.writeFileSync(path.join(dir, "code", "inference.py"), PID_HANDLER);
    fs.writeFileSync(path.join(dir, "code", "requirements.txt"), "");
    return dir;
}

interface Answer { status: number; json: any; text: string }

async function invoke(client: SageMakerRuntimeClient, body: unknown): Promise<Answer> {
    try {
        const res = await client.send(new InvokeEndpointCommand({ EndpointName: "local", ContentType: "application/json", Body: Buffer.from(JSON.stringify(body)) }));
        const text = Buffer.from(res.Body ?? new Uint8Array()).toString("utf8");
        return { status: 200, json: JSON.parse(text), text };
    } catch (e) {
        const err = e as { OriginalStatusCode?: number; OriginalMessage?: string; message: string };
        const text = err.OriginalMessage ?? err.message;
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        return { status: err.OriginalStatusCode ?? 0, json, text };
    }
}

describe("npm start with SAGEMAKER_MODEL_SERVER_WORKERS=2", function () {
    this.timeout(120000);
    let proc: ChildProcess | undefined;
    let dir: string;
    let err = "";
    let client: SageMakerRuntimeClient;

    before(async () => {
        dir = pidModelDir();
        proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "local/start.ts"], {
            cwd: ROOT, stdio: ["ignore", "pipe", "pipe"],
            env: { ...process.env, PORT: "0", LOCAL_MODEL_DIR: dir, SAGEMAKER_MODEL_SERVER_WORKERS: "2", SAGEMAKER_MODEL_SERVER_TIMEOUT: "1" },
        });
        proc.stderr!.on("data", (c) => (err += c));
        const exit = new Promise<number | null>((r) => proc!.on("exit", (code) => r(code)));
        let out = "";
        const endpoint = await new Promise<string>((resolve, reject) => {
            proc!.stdout!.on("data", (c) => {
                out += c;
                const m = /^ready (http:\/\/[^/]+)\//m.exec(out);
                if (m) resolve(m[1]);
            });
            exit.then((code) => reject(new Error(`npm start exited with ${code} before ready:\n${err}`)));
        });
        client = new SageMakerRuntimeClient({ region: "eu-west-1", endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local-secret" }, maxAttempts: 1 });
    });

    after(async () => {
        client?.destroy();
        if (proc && proc.exitCode === null) {
            proc.kill("SIGTERM");
            await new Promise((r) => proc!.once("exit", r));
        }
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const startedWorkers = () => [...err.matchAll(/worker (\d): pid (\d+) started \(gpu_id None\)/g)].map((m) => Number(m[2]));

    it("starts two worker processes, each loading the models itself, with no gpu_id on CPU", () => {
        const pids = startedWorkers();
        assert.strictEqual(pids.length, 2, err);
        assert.strictEqual(new Set(pids).size, 2);
        for (const pid of pids) {
            assert.ok(processAlive(pid), `worker ${pid} runs`);
            assert.match(err, new RegExp(`pid ${pid} loaded the models in`));
        }
    });

    it("gives each worker the thread and allocator variables, sized by this machine's cores and the two workers", () => {
        const threads = String(threadsPerWorker(os.availableParallelism(), 2));
        for (const pid of startedWorkers()) {
            const env = Object.fromEntries(fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean)
                .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
            assert.deepStrictEqual([env.OMP_NUM_THREADS, env.OPENBLAS_NUM_THREADS, env.MKL_NUM_THREADS, env.MALLOC_MMAP_THRESHOLD_, env.MALLOC_TRIM_THRESHOLD_],
                [threads, threads, threads, "33554432", "67108864"], `worker ${pid}`);
        }
    });

    it("serves two requests at once on the two workers, each answering from its own models, and queues a third", async () => {
        const answers = await Promise.all([1, 2, 3].map(() => invoke(client, { sleep: 0.4 })));
        assert.ok(answers.every((a) => a.status === 200), JSON.stringify(answers));
        assert.deepStrictEqual(new Set(answers.map((a) => a.json.pid)), new Set(startedWorkers()), "both workers answered");
        assert.ok(answers.every((a) => a.json.gpu_id === null && a.json.loaded === "model"));
        // one request at a time per worker: the two requests a worker served did not overlap
        const byPid = new Map<number, Array<{ started: number; ended: number }>>();
        for (const a of answers) byPid.set(a.json.pid, [...(byPid.get(a.json.pid) ?? []), a.json]);
        const shared = [...byPid.values()].find((list) => list.length === 2);
        assert.ok(shared, "three requests on two workers: one worker served two");
        const [x, y] = shared!.sort((p, q) => p.started - q.started);
        assert.ok(y.started >= x.ended, `overlapping requests on one worker: ${JSON.stringify(shared)}`);
    });

    it("answers a request over the 1 s limit with TorchServe's 500, replaces that worker (logged), and the next request still succeeds", async () => {
        const before = startedWorkers();
        const slow = await invoke(client, { sleep: 20 });
        assert.strictEqual(slow.status, 500);
        assert.deepStrictEqual(slow.json, { code: 500, type: "InternalServerException", message: "Worker died." });
        const m = /worker \d: pid (\d+) did not answer within 1 s \(SAGEMAKER_MODEL_SERVER_TIMEOUT\): killed and replaced by pid (\d+), which reloads the models/.exec(err);
        assert.ok(m, err);
        const [killed, fresh] = [Number(m![1]), Number(m![2])];
        assert.ok(before.includes(killed) && !processAlive(killed), "the timed-out worker is gone");
        const next = await invoke(client, {});
        assert.strictEqual(next.status, 200, next.text);
        for (const end = Date.now() + 20000; !err.includes(`pid ${fresh} loaded the models`) && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
        assert.match(err, new RegExp(`pid ${fresh} loaded the models in [0-9.]+ s \\(replacing pid ${killed}, which was killed\\)`));
        const both = await Promise.all([invoke(client, { sleep: 0.5 }), invoke(client, { sleep: 0.5 })]);
        assert.ok(both.every((a) => a.status === 200), JSON.stringify(both));
        assert.ok(both.some((a) => a.json.pid === fresh), `the replacement serves with its own models: ${JSON.stringify(both)}`);
    });
});

describe("startModelServer: one model server per model directory", function () {
    this.timeout(60000);

    it("starts two servers on two directories side by side, each with its own workers and address, and stops each completely", async () => {
        const dirs = [pidModelDir(), pidModelDir()];
        const servers: ModelServerHandle[] = [];
        try {
            for (const d of dirs) servers.push(await startModelServer(d, { workers: 1, log: () => undefined }));
            assert.notStrictEqual(servers[0].url, servers[1].url);
            assert.ok(servers.every((s) => /^http:\/\/127\.0\.0\.1:\d+$/.test(s.url)), "loopback only");
            const pids = servers.map((s) => s.workerPids());
            assert.ok(pids.every((p) => p.length === 1) && pids[0][0] !== pids[1][0]);
            await servers[0].stop();
            assert.ok(!processAlive(pids[0][0]) && !processAlive(servers[0].pid));
            assert.ok(processAlive(pids[1][0]), "the other server keeps running");
        } finally {
            for (const s of servers) await s.stop();
            for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
        }
    });
});
