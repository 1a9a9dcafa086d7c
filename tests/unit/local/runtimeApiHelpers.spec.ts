/** Pure helpers of the local endpoint: SigV4 header parsing, AWS error shapes, and npm start's settings. */
import * as assert from "assert";
import { resolveStartOptions } from "../../../local/start";
import { awsError, modelError } from "../../../local/api/awsErrors";
import { parseAmzDate, parseAuthorization, skewError } from "../../../local/api/sigv4";

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
