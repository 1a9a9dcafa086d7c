/**
 * The local endpoint (local/start.ts + local/api/runtimeApi.ts + local/server/serve.py) with a fixture
 * handler module (local/fixtureModel.ts): SigV4 checks, AWS error shapes as the SDK sees them,
 * the container contract, time limits, model-server death and clean shutdown.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { InvokeEndpointCommand, SageMakerRuntimeClient, SageMakerRuntimeClientConfig } from "@aws-sdk/client-sagemaker-runtime";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { LocalEndpoint, startLocalEndpoint } from "../../local/endpoint";
import { resolveStartOptions } from "../../local/start";
import { awsError, modelError } from "../../local/api/awsErrors";
import { parseAmzDate, parseAuthorization, skewError } from "../../local/api/sigv4";
import { makeFixtureModelDir, processAlive } from "../../local/fixtureModel";

const CREDS = { accessKeyId: "local", secretAccessKey: "local-secret" };
const JSON_TYPE = "application/json";

function client(ep: LocalEndpoint, extra: Partial<SageMakerRuntimeClientConfig> = {}): SageMakerRuntimeClient {
    return new SageMakerRuntimeClient({ region: "eu-west-1", endpoint: ep.endpoint, credentials: CREDS, maxAttempts: 1, ...extra });
}

async function invoke(c: SageMakerRuntimeClient, body: string, more: { ContentType?: string; Accept?: string; EndpointName?: string } = {}) {
    const res = await c.send(new InvokeEndpointCommand({ EndpointName: "local", ContentType: JSON_TYPE, Body: Buffer.from(body), ...more }));
    return { ...res, text: Buffer.from(res.Body ?? new Uint8Array()).toString("utf8") };
}

async function rejection(p: Promise<unknown>): Promise<any> {
    try {
        await p;
    } catch (e) {
        return e;
    }
    throw new assert.AssertionError({ message: "expected the call to fail, it succeeded" });
}

/** A raw HTTP request, optionally SigV4-signed by @smithy/signature-v4, for what the SDK would never send. */
async function raw(ep: LocalEndpoint, o: { path?: string; body?: string; sign?: boolean; tamper?: (r: HttpRequest) => void; method?: string; checksum?: boolean }) {
    const url = new URL(ep.endpoint);
    let req = new HttpRequest({
        method: o.method ?? "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port),
        path: o.path ?? "/endpoints/local/invocations",
        headers: { host: url.host, "content-type": JSON_TYPE }, body: o.body ?? "{}",
    });
    if (o.sign !== false) {
        const signer = new SignatureV4({ credentials: CREDS, region: "eu-west-1", service: "sagemaker", sha256: Hash.bind(null, "sha256"), applyChecksum: o.checksum !== false });
        req = (await signer.sign(req)) as HttpRequest;
    }
    o.tamper?.(req);
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const r = http.request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers: req.headers }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        r.on("error", reject);
        r.end(req.body);
    });
}

describe("the local runtime API's pure helpers", () => {
    it("parses the SDK's Authorization header into key, scope, signed headers and signature", () => {
        const sig = "a".repeat(64);
        assert.deepStrictEqual(parseAuthorization(`AWS4-HMAC-SHA256 Credential=local/20261125/eu-west-1/sagemaker/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${sig}`), {
            accessKeyId: "local", shortDate: "20261125", region: "eu-west-1", service: "sagemaker",
            signedHeaders: ["content-type", "host", "x-amz-date"], signature: sig,
        });
    });

    it("names the missing parts of an incomplete Authorization header", () => {
        assert.deepStrictEqual(parseAuthorization("AWS4-HMAC-SHA256 Credential=local/20261125/eu-west-1/sagemaker/aws4_request"),
            { error: "Authorization header requires 'SignedHeaders', 'Signature' parameter(s)." });
        assert.deepStrictEqual(parseAuthorization("Basic abc"), { error: "Authorization header must use the AWS4-HMAC-SHA256 algorithm." });
    });

    it("reads X-Amz-Date and refuses malformed ones", () => {
        assert.strictEqual(parseAmzDate("20261125T112233Z")?.toISOString(), "2026-11-25T11:22:33.000Z");
        assert.strictEqual(parseAmzDate("2026-11-25T11:22:33Z"), undefined);
    });

    it("words a date outside the 15-minute skew as AWS does, in both directions", () => {
        const now = Date.UTC(2026, 10, 25, 12, 0, 0);
        assert.strictEqual(skewError(new Date(now - 14 * 60000), now), undefined);
        assert.strictEqual(skewError(new Date(now - 16 * 60000), now),
            "Signature expired: 20261125T114400Z is now earlier than 20261125T114500Z (20261125T120000Z - 15 min.)");
        assert.strictEqual(skewError(new Date(now + 16 * 60000), now),
            "Signature not yet current: 20261125T121600Z is still later than 20261125T121500Z (20261125T120000Z + 15 min.)");
    });

    it("shapes a container error as ModelError with the original status, message and log stream", () => {
        const e = modelError({ status: 400, body: "{\"error\":1}", endpointName: "ep", region: "eu-west-1" });
        const body = JSON.parse(e.body);
        assert.strictEqual(e.status, 424);
        assert.strictEqual(e.headers["x-amzn-errortype"], "ModelError");
        assert.strictEqual(body.OriginalStatusCode, 400);
        assert.strictEqual(body.OriginalMessage, "{\"error\":1}");
        assert.strictEqual(body.LogStreamArn, "arn:aws:logs:eu-west-1:000000000000:log-group:/aws/sagemaker/Endpoints/ep");
        assert.ok(body.message.startsWith("Received client error (400) from primary with message \"{\"error\":1}\"."), body.message);
        assert.deepStrictEqual(JSON.parse(awsError(404, "ValidationError", "x").body), { message: "x" });
    });
});

describe("npm start settings from the environment", () => {
    it("reads PORT, ENDPOINT_NAME, the local credentials and --model-dir", () => {
        const r = resolveStartOptions(["--model-dir", "/tmp/m"], { PORT: "0", ENDPOINT_NAME: "my-ep", LOCAL_AWS_ACCESS_KEY_ID: "k", LOCAL_AWS_SECRET_ACCESS_KEY: "s" });
        assert.deepStrictEqual(r.errors, []);
        assert.deepStrictEqual(r.options, { modelDir: "/tmp/m", port: 0, endpointName: "my-ep", credentials: { accessKeyId: "k", secretAccessKey: "s" } });
    });

    it("reports every bad setting at once, each naming the variable", () => {
        const r = resolveStartOptions(["--nope"], { PORT: "80000", ENDPOINT_NAME: "bad_name", LOCAL_AWS_ACCESS_KEY_ID: "k", SAGEMAKER_MODEL_SERVER_TIMEOUT: "-1" });
        assert.deepStrictEqual(r.errors, [
            "unknown argument --nope; see --help",
            "PORT=80000 must be an integer port number 0..65535 (0 picks a free port)",
            'ENDPOINT_NAME="bad_name" may contain only letters, digits and hyphens, and must start and end with a letter or digit; set a SageMaker endpoint name (1-63 letters, digits and hyphens)',
            "set LOCAL_AWS_ACCESS_KEY_ID and LOCAL_AWS_SECRET_ACCESS_KEY together (or neither for local / local-secret)",
            "SAGEMAKER_MODEL_SERVER_TIMEOUT=-1 must be a number of seconds from 0.001 to 3600 (like 60 or 2.5)",
        ]);
    });
});

describe("the local endpoint with a fixture handler", function () {
    this.timeout(30000);
    let ep: LocalEndpoint;
    let dir: string;
    const logs: string[] = [];

    before(async () => {
        dir = makeFixtureModelDir();
        ep = await startLocalEndpoint({ modelDir: dir, port: 0, validate: false, modelServerTimeoutSeconds: 1, log: (l) => logs.push(l) });
    });

    after(async () => {
        await ep?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") process.stderr.write(logs.slice(-30).join("\n") + "\n");
    });

    it("serves a signed SDK request from the extracted archive, with its Content-Type and production variant", async () => {
        const res = await invoke(client(ep), "{\"a\": 1}");
        assert.strictEqual(res.ContentType, JSON_TYPE);
        assert.strictEqual(res.InvokedProductionVariant, "AllTraffic");
        assert.deepStrictEqual(JSON.parse(res.text), { type: "str", content_type: JSON_TYPE, body: "{\"a\": 1}", model: "w-42", accept: JSON_TYPE });
        assert.ok(fs.existsSync(`${ep.workDir}/ml/model/code/inference.py`));
        assert.ok(ep.archive.files.includes("code/inference.py"));
    });

    it("passes other content types to input_fn as bytes and an output_fn tuple's type back", async () => {
        const bytes = await invoke(client(ep), "\u0001", { ContentType: "application/octet-stream" });
        assert.deepStrictEqual([JSON.parse(bytes.text).type, JSON.parse(bytes.text).body], ["bytes", "01"]);
        const plain = await invoke(client(ep), "{}", { Accept: "text/plain" });
        assert.deepStrictEqual([plain.ContentType, plain.text], ["text/plain", "plain text answer"]);
    });

    it("refuses a wrong secret key with 403 InvalidSignatureException", async () => {
        const e = await rejection(invoke(client(ep, { credentials: { accessKeyId: "local", secretAccessKey: "wrong" } }), "{}"));
        assert.strictEqual(e.name, "InvalidSignatureException");
        assert.strictEqual(e.$metadata.httpStatusCode, 403);
        assert.match(e.message, /^The request signature we calculated does not match/);
    });

    it("refuses an unknown access key with 403 UnrecognizedClientException", async () => {
        const e = await rejection(invoke(client(ep, { credentials: { accessKeyId: "AKIAOTHER", secretAccessKey: "local-secret" } }), "{}"));
        assert.deepStrictEqual([e.name, e.$metadata.httpStatusCode], ["UnrecognizedClientException", 403]);
    });

    it("refuses an unsigned request with 403 MissingAuthenticationTokenException", async () => {
        const r = await raw(ep, { sign: false });
        assert.strictEqual(r.status, 403);
        assert.strictEqual(r.headers["x-amzn-errortype"], "MissingAuthenticationTokenException");
        assert.deepStrictEqual(JSON.parse(r.body), { message: "Missing Authentication Token" });
    });

    it("accepts a request signed without x-amz-content-sha256, as botocore and the AWS CLI sign", async () => {
        const r = await raw(ep, { body: "{\"cli\":1}", checksum: false });
        assert.strictEqual(r.status, 200, r.body);
        assert.strictEqual(JSON.parse(r.body).body, "{\"cli\":1}");
    });

    it("refuses a request whose body was changed after signing", async () => {
        const r = await raw(ep, { body: "{\"a\":1}", checksum: false, tamper: (q) => { q.body = "{\"a\":2}"; } });
        assert.deepStrictEqual([r.status, r.headers["x-amzn-errortype"]], [403, "InvalidSignatureException"]);
    });

    it("refuses a body that does not match its signed x-amz-content-sha256 header", async () => {
        const r = await raw(ep, { body: "{\"a\":1}", tamper: (q) => { q.body = "{\"a\":2}"; } });
        assert.deepStrictEqual([r.status, r.headers["x-amzn-errortype"]], [400, "XAmzContentSHA256Mismatch"]);
    });

    it("refuses a signature 20 minutes old as expired, and the SDK's clock-skew correction then succeeds", async () => {
        const skewed = { systemClockOffset: -20 * 60 * 1000 };
        const e = await rejection(invoke(client(ep, skewed), "{}"));
        assert.deepStrictEqual([e.name, e.$metadata.httpStatusCode], ["InvalidSignatureException", 403]);
        assert.match(e.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
        const retried = await invoke(client(ep, { ...skewed, maxAttempts: 2 }), "{}");
        assert.strictEqual(retried.$metadata.attempts, 2);
    });

    it("answers an unknown endpoint name with 404 ValidationError", async () => {
        const e = await rejection(invoke(client(ep), "{}", { EndpointName: "other" }));
        assert.deepStrictEqual([e.name, e.$metadata.httpStatusCode, e.message], ["ValidationError", 404, "Endpoint other of account 000000000000 not found."]);
    });

    it("refuses a body over 6 MB with 413 before it reaches the model server", async () => {
        const before = ep.forwarded();
        const e = await rejection(invoke(client(ep), "x".repeat(6 * 1024 * 1024 + 1)));
        assert.deepStrictEqual([e.name, e.$metadata.httpStatusCode], ["ValidationError", 413]);
        assert.strictEqual(ep.forwarded(), before);
    });

    it("maps a handler's raised 415 to ModelError with the container's status and the toolkit's message + traceback body, not retried", async () => {
        const e = await rejection(invoke(client(ep, { maxAttempts: 3 }), "{}", { ContentType: "application/x-unsupported" }));
        assert.strictEqual(e.name, "ModelError");
        assert.strictEqual(e.$metadata.httpStatusCode, 424);
        assert.strictEqual(e.$metadata.attempts, 1);
        assert.strictEqual(e.OriginalStatusCode, 415);
        // a RAISED toolkit error: the toolkit's "<message>\n<traceback>" body (inference.py answers through the context instead)
        const [first, ...rest] = e.OriginalMessage.split("\n");
        assert.strictEqual(JSON.parse(first).error.code, "unsupported_content_type");
        assert.strictEqual(rest[0], "Traceback (most recent call last):");
        assert.strictEqual(e.LogStreamArn, "arn:aws:logs:eu-west-1:000000000000:log-group:/aws/sagemaker/Endpoints/local");
    });

    it("maps any other handler exception to ModelError with original status 500 and the toolkit's message + traceback body, not retried", async () => {
        const e = await rejection(invoke(client(ep, { maxAttempts: 3 }), "\"boom\""));
        assert.deepStrictEqual([e.name, e.OriginalStatusCode, e.$metadata.attempts], ["ModelError", 500, 1]);
        assert.ok(e.OriginalMessage.startsWith("boom in predict_fn\nTraceback (most recent call last):\n"), e.OriginalMessage);
    });

    it("answers a handler over the time limit as TorchServe does (500 Worker died.), replaces the worker and serves the next request", async () => {
        const started = Date.now();
        const before = ep.workerPids();
        // The handler sleeps 25 s against the 1 s limit: an answer well before the sleep ends proves the limit
        // cut it short, with a bound wide enough for a loaded CI machine.
        const e = await rejection(invoke(client(ep), "{\"sleep\": 25}"));
        assert.deepStrictEqual([e.name, e.OriginalStatusCode], ["ModelError", 500]);
        assert.deepStrictEqual(JSON.parse(e.OriginalMessage), { code: 500, type: "InternalServerException", message: "Worker died." });
        assert.ok(Date.now() - started < 15000, `took ${Date.now() - started} ms`);
        assert.strictEqual((await invoke(client(ep), "{}")).$metadata.httpStatusCode, 200);
        assert.strictEqual(ep.workerPids().length, 1);
        assert.notStrictEqual(ep.workerPids()[0], before[0], "the timed-out worker was replaced");
        assert.ok(!processAlive(before[0]), "the timed-out worker process is gone");
        assert.ok(logs.some((l) => /did not answer within 1 s .*killed and replaced by pid \d+, which reloads the models/.test(l)), logs.join("\n"));
    });

    it("answers other paths with 404 UnknownOperationException", async () => {
        const r = await raw(ep, { path: "/ping", method: "GET", body: "" });
        assert.deepStrictEqual([r.status, r.headers["x-amzn-errortype"]], [404, "UnknownOperationException"]);
    });

    it("still serves after every refused request above", async () => {
        const res = await invoke(client(ep), "{\"still\": true}");
        assert.strictEqual(JSON.parse(res.text).body, "{\"still\": true}");
    });
});

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
