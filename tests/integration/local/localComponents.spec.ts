/**
 * `npm start -- --topology components`: one local inference component per model of model-src (each its own
 * per-model archive and model server) behind one runtime API, driven by the unmodified AWS SDK with
 * InferenceComponentName; and the smoke test against it (in-process and as `npm start` + `npm run smoke`).
 */
import * as assert from "assert";
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { startLocalComponents, LocalComponentsEndpoint } from "../../../local/components";
import { processAlive } from "../../../local/fixtureModel";
import { routeInvocation } from "../../../local/api/componentRouting";
import { formatReport, localTarget, runSmoke } from "../../../scripts/smoke/smoke";
import { loadSmokeData } from "../../../scripts/smoke/smokeData";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const BLANK = Array(28).fill(Array(28).fill(0));

describe("local component routing (pure)", () => {
    const components = { fashion: () => "http://f", sentiment: () => "http://s" };
    it("routes by the component name, and a router endpoint without the header to its one model server", () => {
        assert.deepStrictEqual(routeInvocation("sentiment", components, () => "http://r"), { base: "http://s", component: "sentiment" });
        assert.deepStrictEqual(routeInvocation(undefined, undefined, () => "http://r"), { base: "http://r" });
    });
    it("answers AWS's ValidationError when a components endpoint gets no component name", () => {
        const r = routeInvocation(undefined, components, () => "http://r") as { error: { status: number; body: string; headers: Record<string, string> } };
        assert.deepStrictEqual([r.error.status, r.error.headers["x-amzn-errortype"]], [400, "ValidationError"]);
        assert.match(JSON.parse(r.error.body).message, /^Inference Component Name header is required for endpoints to which you plan to deploy inference components\./);
    });
    it("answers ValidationError naming the hosted components for an unknown one, and for any component on a router endpoint", () => {
        const r = routeInvocation("toString", components, () => "http://r") as { error: { body: string } };
        assert.match(JSON.parse(r.error.body).message, /^Inference Component toString of account 000000000000 not found; this endpoint hosts fashion, sentiment\.$/);
        const router = routeInvocation("fashion", undefined, () => "http://r") as { error: { body: string } };
        assert.match(JSON.parse(router.error.body).message, /this endpoint hosts no inference components/);
    });
});

describe("npm start --topology components: one local inference component per model, through the unmodified SDK", function () {
    this.timeout(240000);
    let ep: LocalComponentsEndpoint;
    let client: SageMakerRuntimeClient;
    const logs: string[] = [];
    const invoke = (body: unknown, component?: string) => client.send(new InvokeEndpointCommand({
        EndpointName: "local", ContentType: "application/json", Body: Buffer.from(JSON.stringify(body)),
        ...(component !== undefined ? { InferenceComponentName: component } : {}),
    }));

    before(async () => {
        ep = await startLocalComponents({ port: 0, log: (l) => logs.push(l) });
        client = new SageMakerRuntimeClient({ region: "us-east-1", endpoint: ep.endpoint, maxAttempts: 1,
            credentials: { accessKeyId: "local", secretAccessKey: "local-secret" } });
    });

    after(async () => {
        client?.destroy();
        if (!ep) return;
        const pids = ep.components.map((c) => c.server.pid);
        await ep.stop();
        for (const pid of pids) assert.ok(!processAlive(pid) && !processAlive(-pid), `model server ${pid} gone after stop()`);
        assert.ok(!fs.existsSync(ep.workDir), ep.workDir);
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") process.stderr.write(logs.slice(-40).join("\n") + "\n");
    });

    it("starts one model server per model, each on an archive holding only its model", async () => {
        assert.deepStrictEqual(ep.inferenceComponents, { fashion: "fashion", sentiment: "sentiment" });
        assert.strictEqual(new Set(ep.components.map((c) => c.server.pid)).size, 2);
        for (const c of ep.components) {
            const files = c.archive.files;
            assert.ok(files.includes("code/inference.py") && files.includes("models.json"), c.name);
            assert.ok(files.every((f) => !f.startsWith(c.name === "fashion" ? "sentiment/" : "fashion/")), `${c.name}: ${files.join(", ")}`);
            const extracted = path.join(c.workDir, "ml", "model", "models.json");
            assert.deepStrictEqual(JSON.parse(fs.readFileSync(extracted, "utf8")).models.map((m: { name: string }) => m.name), [c.name]);
        }
    });

    it("answers InvokeEndpointCommand({ InferenceComponentName }) for each model with a body that names no model", async () => {
        const f = JSON.parse(Buffer.from((await invoke({ inputs: [BLANK] }, "fashion")).Body!).toString());
        assert.strictEqual(f.model, "fashion");
        assert.strictEqual(f.predictions.length, 1);
        const s = JSON.parse(Buffer.from((await invoke({ inputs: ["I love this, what a wonderful day!"] }, "sentiment")).Body!).toString());
        assert.deepStrictEqual([s.model, s.predictions[0].label], ["sentiment", "Positive"]);
    });

    it("answers a model that disagrees with the component as a ModelError with original status 400", async () => {
        await assert.rejects(invoke({ model: "fashion", inputs: ["hi"] }, "sentiment"), (e: { name: string; OriginalStatusCode?: number; OriginalMessage?: string }) =>
            e.name === "ModelError" && e.OriginalStatusCode === 400 && /model_mismatch/.test(e.OriginalMessage ?? ""));
    });

    it("answers an unknown component and a missing component name as ValidationError, as AWS does", async () => {
        await assert.rejects(invoke({ inputs: ["hi"] }, "no-such-component"), (e: { name: string; message: string }) =>
            e.name === "ValidationError" && /Inference Component no-such-component of account 000000000000 not found/.test(e.message));
        await assert.rejects(invoke({ inputs: ["hi"] }), (e: { name: string; message: string }) =>
            e.name === "ValidationError" && /Inference Component Name header is required/.test(e.message));
    });

    it("passes the smoke test with each model invoked by its component name, and the unknown component refused", async () => {
        const target = { ...localTarget(ep.url, {}), components: ep.inferenceComponents };
        const report = await runSmoke(target, { maxAttempts: 3 });
        assert.deepStrictEqual(report.failures, [], formatReport(report));
        assert.deepStrictEqual(report.models.map((m) => [m.model, m.items]), [["fashion", 100], ["sentiment", 12]]);
        assert.match(report.badRequest, /^ModelError \(HTTP 424, 1 attempt\(s\)\): .*model_mismatch/);
        assert.match(report.badComponent ?? "", /^ValidationError \(HTTP 400, 1 attempt\(s\)\): Inference Component no-such-component/);
        assert.ok(loadSmokeData().every((d) => d.model in ep.inferenceComponents));
    });
});

describe("npm start -- --topology components and npm run smoke -- --local URL --topology components as processes", function () {
    this.timeout(240000);
    let proc: ChildProcess | undefined;
    afterEach(() => { if (proc && proc.exitCode === null) proc.kill("SIGKILL"); });

    it("prints the ready line naming the components, passes the smoke test, and stops on SIGINT", async () => {
        proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "local/start.ts", "--topology", "components"], {
            cwd: ROOT, env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"], detached: false,
        });
        let out = "", err = "";
        proc.stderr!.on("data", (c) => (err += c));
        const exit = new Promise<number | null>((r) => proc!.on("exit", (code) => r(code)));
        const ready = await new Promise<string>((resolve, reject) => {
            proc!.stdout!.on("data", (c) => {
                out += c;
                const line = out.split("\n").find((l) => l.startsWith("ready"));
                if (line) resolve(line);
            });
            exit.then((code) => reject(new Error(`npm start exited with ${code} before ready:\n${err}`)));
        });
        const m = /^ready (http:\/\/127\.0\.0\.1:\d+\/endpoints\/local\/invocations) \(endpoint local, inference components fashion, sentiment, access key local/.exec(ready);
        assert.ok(m, ready);
        const env = { ...process.env };
        delete env.AWS_ACCESS_KEY_ID;
        delete env.AWS_SECRET_ACCESS_KEY;
        const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
            execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/smoke/smoke.ts", "--local", m[1], "--topology", "components"],
                { cwd: ROOT, env, timeout: 180000 }, (e, stdout, stderr) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr }));
        });
        assert.strictEqual(r.code, 0, r.stderr + r.stdout);
        assert.match(r.stdout, /^inference components: fashion -> fashion, sentiment -> sentiment$/m);
        assert.match(r.stdout, /^bad request \(unknown inference component\): ValidationError/m);
        assert.match(r.stdout, /^smoke: OK$/m);
        proc.kill("SIGINT");
        assert.strictEqual(await exit, 0);
    });
});
