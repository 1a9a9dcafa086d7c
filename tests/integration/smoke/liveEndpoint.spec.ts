/**
 * The preview-time DescribeEndpoint reader with the real @aws-sdk/client-sagemaker client, pointed at a loopback
 * stand-in for SageMaker through AWS_ENDPOINT_URL_SAGEMAKER (no AWS here), and at a closed port (AWS unreachable).
 */
import * as assert from "assert";
import * as http from "http";
import { readLiveEndpoint, sdkLiveReader } from "../../../sagemaker/production/liveEndpoint";

describe("reading the live endpoint at preview with the SDK", function () {
    this.timeout(60000);
    const saved = { ...process.env };
    let server: http.Server;
    let port = 0;
    let answers: Record<string, { status: number; body: unknown }> = {};
    const targets: string[] = [];

    before(async () => {
        server = http.createServer((req, res) => {
            const target = String(req.headers["x-amz-target"]);
            targets.push(target);
            const answer = answers[target] ?? { status: 500, body: {} };
            req.resume();
            req.on("end", () => {
                res.writeHead(answer.status, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify(answer.body));
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as { port: number }).port;
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: "fake", AWS_SECRET_ACCESS_KEY: "fake" });
    });
    after(() => {
        server.close();
        for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
        Object.assign(process.env, saved);
    });

    it("sends DescribeEndpoint, DescribeEndpointConfig and DescribeModel and reads the count and the serving generation", async () => {
        process.env.AWS_ENDPOINT_URL_SAGEMAKER = `http://127.0.0.1:${port}`;
        answers = {
            "SageMaker.DescribeEndpointConfig": { status: 200, body: { EndpointConfigName: "c", EndpointConfigArn: "arn", CreationTime: 1,
                ProductionVariants: [{ VariantName: "AllTraffic", ModelName: "m", InstanceType: "ml.g5.xlarge", InitialInstanceCount: 2,
                    ContainerStartupHealthCheckTimeoutInSeconds: 900, ModelDataDownloadTimeoutInSeconds: 600 }] } },
            "SageMaker.DescribeModel": { status: 200, body: { ModelName: "m", ModelArn: "arn", CreationTime: 1, ExecutionRoleArn: "arn:aws:iam::123456789012:role/r",
                PrimaryContainer: { Image: "img", ModelDataUrl: "s3://b/k/model.tar.gz", Environment: { A: "1" } } } },
        };
        answers["SageMaker.DescribeEndpoint"] = { status: 200, body: { EndpointName: "ep", EndpointArn: "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep", EndpointConfigName: "c",
            EndpointStatus: "InService", CreationTime: 1, LastModifiedTime: 2,
            ProductionVariants: [{ VariantName: "AllTraffic", CurrentInstanceCount: 3, DesiredInstanceCount: 3, CurrentWeight: 1, DesiredWeight: 1 }] } };
        targets.length = 0;
        const r = await readLiveEndpoint(sdkLiveReader("us-east-1"), "ep", "AllTraffic");
        assert.deepStrictEqual(r, { variant: { currentInstanceCount: 3 }, note: "endpoint ep is InService with 3 instance(s) in AllTraffic",
            serving: { image: "img", modelData: "s3://b/k/model.tar.gz", environment: { A: "1" }, instanceType: "ml.g5.xlarge", startupTimeout: 900,
                downloadTimeout: 600, volumeSizeInGb: undefined, initialInstanceCount: 2 } });
        assert.deepStrictEqual(targets, ["SageMaker.DescribeEndpoint", "SageMaker.DescribeEndpointConfig", "SageMaker.DescribeModel"]);
    });

    it("reads SageMaker's 'Could not find endpoint' as a first deployment", async () => {
        process.env.AWS_ENDPOINT_URL_SAGEMAKER = `http://127.0.0.1:${port}`;
        answers = {};
        answers["SageMaker.DescribeEndpoint"] = { status: 400, body: { __type: "com.amazon.coral.validate#ValidationException", message: "Could not find endpoint \"ep\"." } };
        assert.deepStrictEqual(await readLiveEndpoint(sdkLiveReader("us-east-1"), "ep", "AllTraffic"),
            { note: "endpoint ep does not exist yet (DescribeEndpoint)" });
    });

    it("resolves with a note, within the 10 s budget, when AWS cannot be reached", async () => {
        const closed = http.createServer();
        await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
        const dead = (closed.address() as { port: number }).port;
        await new Promise<void>((r) => closed.close(() => r()));
        process.env.AWS_ENDPOINT_URL_SAGEMAKER = `http://127.0.0.1:${dead}`;
        const started = Date.now();
        const r = await readLiveEndpoint(sdkLiveReader("us-east-1"), "ep", "AllTraffic");
        assert.ok(Date.now() - started < 15000);
        assert.strictEqual(r.failed, true);
        assert.match(r.note, /^the live endpoint could not be read \(.*\), e\.g\. no AWS credentials; the preview goes on without it$/);
    });
});
