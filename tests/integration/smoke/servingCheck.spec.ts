/**
 * The smoke test's DescribeEndpoint check: the pure decision, the SDK call with `send` answered by a stand-in
 * client, and `npm run smoke -- --outputs FILE` against a fake DescribeEndpoint HTTP answer (the real
 * @aws-sdk/client-sagemaker pointed at a loopback server through AWS_ENDPOINT_URL_SAGEMAKER; no AWS here).
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { DescribeEndpointCommand } from "@aws-sdk/client-sagemaker";
import { checkServing, EndpointDescription, servingProblem } from "../../../scripts/smoke/servingCheck";

const ROOT = path.resolve(__dirname, "..", "..", "..");

describe("smoke: the endpoint must serve the configuration the stack outputs name", () => {
    it("passes an InService endpoint running the named configuration", () => {
        assert.strictEqual(servingProblem("ep", { EndpointStatus: "InService", EndpointConfigName: "ep-config-new" }, "ep-config-new"), undefined);
    });

    it("fails in one line naming a rollback and what is serving when another configuration runs", () => {
        const p = servingProblem("ep", { EndpointStatus: "InService", EndpointConfigName: "ep-config-old" }, "ep-config-new")!;
        assert.match(p, /^endpoint ep serves endpoint configuration ep-config-old, not ep-config-new named by the stack outputs: SageMaker rolled the last update back/);
        assert.ok(!p.includes("\n"));
    });

    it("fails naming a pending update when the endpoint is still Updating", () => {
        const p = servingProblem("ep", { EndpointStatus: "Updating", EndpointConfigName: "ep-config-old",
            PendingDeploymentSummary: { EndpointConfigName: "ep-config-new", ProductionVariants: [] } as never }, "ep-config-new")!;
        assert.match(p, /^endpoint ep is Updating, not InService: a pending update to ep-config-new \(or its rollback\) is still running; serving ep-config-old\./);
    });

    it("fails for a Failed endpoint with its failure reason", () => {
        assert.match(servingProblem("ep", { EndpointStatus: "Failed", EndpointConfigName: "c", FailureReason: "health check" })!,
            /is Failed, not InService: it is not serving normally; serving c \(failure: health check\)/);
    });

    it("sends DescribeEndpoint for the target's endpoint through the client's send", async () => {
        const sent: unknown[] = [];
        const client = { send: async (c: DescribeEndpointCommand): Promise<EndpointDescription> => {
            sent.push(c.input); return { EndpointStatus: "InService", EndpointConfigName: "other" };
        } };
        const p = await checkServing({ endpointName: "ep", region: "us-east-1", endpointConfigName: "mine" }, client);
        assert.deepStrictEqual(sent, [{ EndpointName: "ep" }]);
        assert.match(p!, /serves endpoint configuration other, not mine/);
        const failing = { send: async (): Promise<EndpointDescription> => { throw Object.assign(new Error("Could not find endpoint"), { name: "ValidationException" }); } };
        assert.strictEqual(await checkServing({ endpointName: "ep", region: "us-east-1" }, failing),
            "DescribeEndpoint ep (us-east-1) failed: ValidationException: Could not find endpoint");
    });
});

describe("npm run smoke -- --outputs FILE against a fake DescribeEndpoint answer (stand-in for AWS)", function () {
    this.timeout(60000);
    let server: http.Server;
    let url = "";
    const targets: string[] = [];
    before(async () => {
        server = http.createServer((req, res) => {
            targets.push(String(req.headers["x-amz-target"]));
            req.resume();
            req.on("end", () => {
                res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify({ EndpointName: "ep", EndpointArn: "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep",
                    EndpointConfigName: "ep-config-old", EndpointStatus: "InService", CreationTime: 1, LastModifiedTime: 2 }));
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(() => server.close());

    it("exits 1 saying a rollback happened and what is serving, before invoking anything", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-serving-"));
        const file = path.join(dir, "outputs.json");
        fs.writeFileSync(file, JSON.stringify({ endpointName: "ep", region: "us-east-1", endpointConfigName: "ep-config-new" }));
        const env: NodeJS.ProcessEnv = { ...process.env, AWS_ENDPOINT_URL_SAGEMAKER: url, AWS_ACCESS_KEY_ID: "fake", AWS_SECRET_ACCESS_KEY: "fake", AWS_MAX_ATTEMPTS: "1" };
        delete env.AWS_PROFILE;
        const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
            execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/smoke/smoke.ts", "--outputs", file], { cwd: ROOT, env },
                (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
        });
        fs.rmSync(dir, { recursive: true });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /^smoke: FAILED: endpoint ep serves endpoint configuration ep-config-old, not ep-config-new named by the stack outputs: SageMaker rolled the last update back/);
        assert.strictEqual(r.stderr.trim().split("\n").length, 1);
        assert.strictEqual(r.stdout, "", "nothing was invoked");
        assert.deepStrictEqual(targets, ["SageMaker.DescribeEndpoint"]);
    });
});
