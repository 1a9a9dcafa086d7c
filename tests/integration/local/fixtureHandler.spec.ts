/**
 * The local endpoint (local/start.ts + local/api/runtimeApi.ts + local/server/serve.py) with a fixture
 * handler module (local/fixtureModel.ts): SigV4 checks, AWS error shapes as the SDK sees them,
 * the container contract and time limits.
 */
import * as assert from "assert";
import * as fs from "fs";
import { LocalEndpoint, startLocalEndpoint } from "../../../local/endpoint";
import { makeFixtureModelDir, processAlive } from "../../../local/fixtureModel";
import { client, invoke, JSON_TYPE, raw, rejection } from "../../support/localClient";

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

