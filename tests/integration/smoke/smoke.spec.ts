/**
 * scripts/smoke/smoke.ts: target resolution, data, statistics, and the whole path for real:
 * `npm run smoke -- --local URL` against the local endpoint serving model-src's trained models
 * (real signed SDK requests through the runtime API and the model server).
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    batches, formatReport, loadSmokeData, localTarget, parseSmokeArgs, percentile, resolveTarget, runSmoke, SmokeReport, targetFromOutputs,
} from "../../../scripts/smoke/smoke";
import { LocalEndpoint, startLocalEndpoint } from "../../../local/endpoint";
import { processAlive } from "../../../local/fixtureModel";

const ROOT = path.resolve(__dirname, "..", "..", "..");

describe("smoke test arguments and targets", () => {
    it("reads --local, --max-attempts and --batch-size", () => {
        const r = parseSmokeArgs(["--local", "http://127.0.0.1:8080/endpoints/local/invocations", "--max-attempts", "2", "--batch-size", "50"]);
        assert.deepStrictEqual(r, { options: { localUrl: "http://127.0.0.1:8080/endpoints/local/invocations", maxAttempts: 2, batchSize: 50 }, errors: [], help: false });
    });

    it("reports every bad argument at once", () => {
        const r = parseSmokeArgs(["--stack", "dev", "--outputs", "o.json", "--max-attempts", "0", "--batch-size", "x", "--what", "--local"]);
        assert.deepStrictEqual(r.errors, [
            "--max-attempts 0 must be an integer from 1 to 10",
            "--batch-size x must be an integer from 1 to 256",
            "unknown argument --what; see --help",
            "--local needs a value; see --help",
            "choose one target, not --stack and --outputs",
        ]);
    });

    it("takes the endpoint name from a local invoke URL and uses the local default credentials", () => {
        assert.deepStrictEqual(localTarget("http://127.0.0.1:9000/endpoints/my-ep/invocations", {}), {
            endpointName: "my-ep", region: "us-east-1", endpoint: "http://127.0.0.1:9000",
            credentials: { accessKeyId: "local", secretAccessKey: "local-secret" }, source: "local endpoint http://127.0.0.1:9000",
        });
    });

    it("leaves credentials to the default chain when AWS env credentials are set for a local target", () => {
        const t = localTarget("http://127.0.0.1:9000", { AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", ENDPOINT_NAME: "x", AWS_REGION: "eu-west-1" });
        assert.deepStrictEqual([t.endpointName, t.region, t.credentials], ["x", "eu-west-1", undefined]);
    });

    it("refuses a local URL with another path, naming the expected form", () => {
        assert.throws(() => localTarget("http://127.0.0.1:9000/foo", {}),
            { message: "--local http://127.0.0.1:9000/foo: expected http://HOST:PORT/endpoints/NAME/invocations or http://HOST:PORT" });
    });

    it("reads endpointName and region from stack outputs, naming what is missing", () => {
        assert.deepStrictEqual(targetFromOutputs({ endpointName: "ep-1", region: "eu-west-1", other: 1 }, "f.json", {}),
            { endpointName: "ep-1", region: "eu-west-1", source: "f.json" });
        assert.throws(() => targetFromOutputs({ region: 3 }, "f.json", {}),
            { message: "f.json: no string output endpointName; no string output region (and AWS_REGION is not set)" });
    });

    it("resolves --outputs FILE, --stack NAME through pulumi, and ENDPOINT_NAME with AWS_REGION", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "smoke-")), "outputs.json");
        fs.writeFileSync(file, JSON.stringify({ endpointName: "from-file", region: "ap-south-1" }));
        assert.strictEqual((await resolveTarget({ outputsFile: file, batchSize: 20 }, {})).endpointName, "from-file");
        let asked = "";
        const pulumi = async (stack: string) => { asked = stack; return JSON.stringify({ endpointName: "from-stack", region: "us-west-2" }); };
        const t = await resolveTarget({ stack: "prod", batchSize: 20 }, {}, pulumi);
        assert.deepStrictEqual([asked, t.endpointName, t.region, t.source], ["prod", "from-stack", "us-west-2", "pulumi stack output --json --stack prod"]);
        const e = await resolveTarget({ batchSize: 20 }, { ENDPOINT_NAME: "env-ep", AWS_REGION: "eu-north-1" });
        assert.deepStrictEqual([e.endpointName, e.region, e.credentials, e.endpoint], ["env-ep", "eu-north-1", undefined, undefined]);
        await assert.rejects(resolveTarget({ batchSize: 20 }, {}), /^Error: no target: use --local URL, --stack NAME or --outputs FILE/);
        fs.rmSync(path.dirname(file), { recursive: true });
    });

    it("says when the pulumi CLI is missing", async () => {
        const env = { ...process.env, PATH: "/nonexistent" };
        const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
            execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/smoke/smoke.ts", "--stack", "dev"], { cwd: ROOT, env }, (err, _o, stderr) =>
                resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr }));
        });
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /pulumi stack output --json --stack dev: the pulumi CLI is not on PATH \(install it, or use --outputs FILE\)/);
    });
});

describe("smoke test data and statistics", () => {
    it("loads 100 labelled 28x28 Fashion-MNIST images, ten of each class, and the sentiment texts", () => {
        const [fashion, sentiment] = loadSmokeData();
        assert.strictEqual(fashion.model, "fashion");
        assert.strictEqual(fashion.cases.length, 100);
        const image = fashion.cases[0].input as number[][];
        assert.deepStrictEqual([image.length, image[0].length], [28, 28]);
        assert.ok(image.flat().every((v) => Number.isInteger(v) && v >= 0 && v <= 255));
        const perClass = new Map<string, number>();
        for (const c of fashion.cases) perClass.set(c.label, (perClass.get(c.label) ?? 0) + 1);
        assert.deepStrictEqual([...perClass.values()], Array(10).fill(10));
        assert.strictEqual(sentiment.model, "sentiment");
        assert.deepStrictEqual(new Set(sentiment.cases.map((c) => c.label)), new Set(["Neutral", "Negative", "Positive"]));
    });

    it("takes nearest-rank percentiles", () => {
        assert.strictEqual(percentile([5, 1, 4, 2, 3], 50), 3);
        assert.strictEqual(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), 10);
        assert.ok(Number.isNaN(percentile([], 50)));
    });

    it("sends a one-item batch first, then batches of the given size", () => {
        assert.deepStrictEqual(batches([1, 2, 3, 4, 5, 6], 2), [[1], [2, 3], [4, 5], [6]]);
        assert.deepStrictEqual(batches([], 2), []);
    });

    it("prints one row per model with requests, accuracy and latencies", () => {
        const report: SmokeReport = {
            target: { endpointName: "ep", region: "r", source: "s" }, badRequest: "ModelError", failures: [],
            models: [{ model: "fashion", requests: 6, items: 100, correct: 91, accuracy: 0.91, p50Ms: 12.34, p95Ms: 20 }],
        };
        assert.strictEqual(formatReport(report).split("\n")[2], "fashion         6    100     91.0%    12.3    20.0");
    });
});

describe("npm run smoke against the local endpoint serving model-src", function () {
    this.timeout(180000);
    let ep: LocalEndpoint;
    const logs: string[] = [];

    before(async () => {
        ep = await startLocalEndpoint({ port: 0, log: (l) => logs.push(l) });
    });

    after(async () => {
        if (!ep) return;
        await ep.stop();
        assert.ok(!processAlive(ep.modelServerPid), "the model server must be gone after stop()");
        assert.ok(!processAlive(-ep.modelServerPid), "its process group must be empty after stop()");
        assert.ok(!fs.existsSync(ep.workDir));
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") process.stderr.write(logs.slice(-40).join("\n") + "\n");
    });

    it("answers every request with the real models, a bad request as an unretried 4xx ModelError, above the accuracy floors", async () => {
        const report = await runSmoke(localTarget(ep.url, {}), { maxAttempts: 3 });
        assert.deepStrictEqual(report.failures, []);
        assert.deepStrictEqual(report.models.map((m) => [m.model, m.items]), [["fashion", 100], ["sentiment", 12]]);
        assert.ok(report.models[0].accuracy >= 0.8, formatReport(report));
        assert.match(report.badRequest, /^ModelError \(HTTP 424, 1 attempt\(s\)\): /);
    });

    it("exits 0 and prints the table when run as `npm run smoke -- --local URL`", async () => {
        const env = { ...process.env };
        delete env.AWS_ACCESS_KEY_ID;
        delete env.AWS_SECRET_ACCESS_KEY;
        const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
            execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/smoke/smoke.ts", "--local", ep.url], { cwd: ROOT, env, timeout: 120000 }, (err, stdout, stderr) =>
                resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
        });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /^model\s+requests\s+items\s+accuracy\s+p50 ms\s+p95 ms$/m);
        assert.match(r.stdout, /^fashion\s+6\s+100\s+\d+\.\d%/m);
        assert.match(r.stdout, /^smoke: OK$/m);
    });

    it("exits 1 naming the reason when the credentials are wrong", async () => {
        const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_AWS_SECRET_ACCESS_KEY: "wrong" };
        delete env.AWS_ACCESS_KEY_ID;
        delete env.AWS_SECRET_ACCESS_KEY;
        const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
            execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/smoke/smoke.ts", "--local", ep.url, "--max-attempts", "1"], { cwd: ROOT, env, timeout: 120000 }, (err, _o, stderr) =>
                resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }));
        });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /fashion: a 1-item request failed: InvalidSignatureException \(HTTP 403, 1 attempt\(s\)\)/);
    });
});
