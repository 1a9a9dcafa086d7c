/**
 * Security checks not already in tests/unit/iam/policies.spec.ts (pure policy documents),
 * tests/unit/sagemaker/endpoint.spec.ts (dev inputs) and tests/integration/local/fixtureHandler.spec.ts (unsigned, wrong secret, unknown key,
 * changed body, expired date):
 * - invariants over EVERY resource the component declares under Pulumi mocks, for the dev and prod
 *   stacks and a KMS + VPC variant: each bucket private (public access block, ACLs disabled, no
 *   `acl` anywhere), encrypted and TLS-only by policy; every policy document found in any input has
 *   no wildcard action, no public Allow, `Resource: "*"` only where AWS allows nothing narrower,
 *   S3 reads only under the artifact prefix, writes only under the data-capture prefix (never over
 *   the artifacts); no managed (e.g. *FullAccess) policies;
 * - no credentials or private keys in any file `git ls-files` lists (the documented local default
 *   secret `local-secret` allowed);
 * - the runtime API refuses a signed header changed after signing, a scope for another service and
 *   a date too far in the future.
 */
import { allResources, recordOptions, resetRecorded, settle, unwrap } from "../../support/pulumiMocks";
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { WILDCARD_RESOURCE_ACTIONS } from "../../../sagemaker/executionRole";
import { GpuModelEndpoint } from "../../../sagemaker/gpuModelEndpoint";
import { LocalEndpoint, startLocalEndpoint } from "../../../local/endpoint";
import { makeModelDir, stackSettings } from "../../support/endpointFixture";
import { makeFaultModelDir } from "../../fixtures/faultModel";
import { CREDENTIALS } from "../../fixtures/malformedRequests";

const ROOT = path.resolve(__dirname, "..", "..", "..");

// ---------------------------------------------------------------- secrets scan

/** Values allowed where a secret-looking assignment appears: the documented local default. */
export const ALLOWED_SECRETS = ["local-secret"];

const SECRET_RULES: Array<{ what: string; re: RegExp; group?: number }> = [
    { what: "AWS access key id", re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
    { what: "private key", re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g },
    { what: "aws_secret_access_key assignment", re: /aws_secret_access_key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=_-]{8,})/gi, group: 1 },
    { what: "secretAccessKey value", re: /secretAccessKey["']?\s*:\s*["']([^"'\s]{8,})["']/g, group: 1 },
    { what: "40-character secret assigned to a secret/password/token name", re: /(?:secret|password|token)\w*["']?\s*[:=]\s*["']([A-Za-z0-9/+]{40})["']/gi, group: 1 },
    { what: "GitHub token", re: /\bgh[pousr]_[A-Za-z0-9]{36}\b/g },
];

export interface SecretFinding { file: string; line: number; what: string }

/** Secret-looking strings in `text` (allow-listed values excluded). Pure. */
export function findSecrets(text: string, file: string): SecretFinding[] {
    const found: SecretFinding[] = [];
    for (const rule of SECRET_RULES) {
        for (const m of text.matchAll(rule.re)) {
            if (rule.group !== undefined && ALLOWED_SECRETS.includes(m[rule.group])) continue;
            found.push({ file, line: text.slice(0, m.index).split("\n").length, what: rule.what });
        }
    }
    return found;
}

describe("security: no credentials or secrets in the repository", () => {
    // fakes built at run time, so this file itself holds none
    const fakeKeyId = "AKIA" + "Q".repeat(16);
    const fakeSecret = "wJalrXUtnFEMI" + "K7MDENG" + "bPxRfiCYEXAMPLEKEY1234";

    it("finds planted fakes of every kind, with file and line", () => {
        const text = [
            `const id = "${fakeKeyId}";`,
            "-----BEGIN RSA " + "PRIVATE KEY-----",
            `aws_secret_access_key = ${fakeSecret}`,
            `credentials: { accessKeyId: "x", ${"secret" + "AccessKey"}: "${fakeSecret}" }`,
            `const apiToken = "${"A".repeat(40)}";`,
            `token ${"ghp_" + "a".repeat(36)}`,
        ].join("\n");
        assert.deepStrictEqual(findSecrets(text, "f.ts").map((f) => [f.line, f.what]), [
            [1, "AWS access key id"], [2, "private key"], [3, "aws_secret_access_key assignment"], [4, "secretAccessKey value"],
            [5, "40-character secret assigned to a secret/password/token name"], [6, "GitHub token"],
        ]);
    });

    it("allows the documented local default secret and ignores environment variable names", () => {
        const text = 'const c = { accessKeyId: "local", secretAccessKey: "local-secret" };\n' +
            "aws_secret_access_key = local-secret\nif (env.AWS_SECRET_ACCESS_KEY) use(env.AWS_SECRET_ACCESS_KEY);\n";
        assert.deepStrictEqual(findSecrets(text, "f.ts"), []);
    });

    it("finds none in any file git tracks", () => {
        const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
        assert.ok(files.length > 50, `git ls-files listed ${files.length} files`);
        const findings: SecretFinding[] = [];
        let scanned = 0;
        for (const f of files) {
            const abs = path.join(ROOT, f);
            let buf: Buffer;
            try { buf = fs.readFileSync(abs); } catch { continue; } // deleted in the work tree
            if (buf.subarray(0, 8192).includes(0)) continue; // binary (model weights, archives)
            scanned++;
            findings.push(...findSecrets(buf.toString("utf8"), f));
        }
        assert.ok(scanned > 50, `${scanned} text files scanned`);
        assert.deepStrictEqual(findings, []);
    });
});

// ---------------------------------------------------------------- declared resources

type Doc = { Statement: Array<Record<string, any>> };

/** Every IAM/S3 policy document among a resource's inputs (JSON strings or objects, any depth). */
function policyDocuments(value: unknown, where: string, out: Array<{ where: string; doc: Doc }> = []): Array<{ where: string; doc: Doc }> {
    if (typeof value === "string" && value.includes("\"Statement\"")) {
        try { return policyDocuments(JSON.parse(value), where, out); } catch { return out; }
    }
    if (value && typeof value === "object") {
        if (Array.isArray((value as Doc).Statement)) out.push({ where, doc: value as Doc });
        else for (const [k, v] of Object.entries(value)) policyDocuments(v, `${where}.${k}`, out);
    }
    return out;
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as string]);

describe("security: every declared resource (Pulumi mocks)", function () {
    this.timeout(60000);

    const variants: Array<[string, string, Record<string, string>]> = [
        ["the dev stack", "dev", {}], ["the prod stack", "prod", {}],
        ["dev with a KMS key and a VPC", "dev", {
            kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/abcd", instanceType: "ml.p3.2xlarge",
            vpcSubnetIds: "[\"subnet-0123456789abcdef0\"]", vpcSecurityGroupIds: "[\"sg-0123456789abcdef0\"]",
        }],
        ["dev, components, one model at min 0", "dev", { topology: "components", componentCopies: '{"m1":{"min":0}}' }],
        ["prod, components", "prod", { topology: "components", autoscaling: "false", componentsMaxInstanceCount: "2" }]];

    for (const [what, stack, overrides] of variants) {
        describe(what, () => {
            let prefix = "";
            before(async () => {
                resetRecorded();
                const { base } = makeModelDir();
                const settings = stackSettings(stack, "model", overrides);
                prefix = settings.artifactPrefix;
                const ep = new GpuModelEndpoint("ep", { settings, baseDir: base, buildDir: path.join(base, "build") }, { transformations: [recordOptions] });
                await unwrap(pulumi.all([ep.endpointName, ep.modelDataUrl, ep.executionRoleArn, ep.artifactSha256]));
                await settle();
            });

            it("keeps every bucket private: all public access blocked, ACLs disabled, no acl input anywhere", () => {
                const buckets = allResources().filter((r) => r.type === "aws:s3/bucket:Bucket");
                assert.ok(buckets.length >= 1);
                for (const b of buckets) {
                    const name = `${b.name}-0a1b2c3`;
                    const pab = allResources().find((r) => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock" && r.inputs.bucket === name);
                    assert.deepStrictEqual([pab?.inputs.blockPublicAcls, pab?.inputs.blockPublicPolicy, pab?.inputs.ignorePublicAcls, pab?.inputs.restrictPublicBuckets], [true, true, true, true], name);
                    const own = allResources().find((r) => r.type === "aws:s3/bucketOwnershipControls:BucketOwnershipControls" && r.inputs.bucket === name);
                    assert.strictEqual(own?.inputs.rule?.objectOwnership, "BucketOwnerEnforced", name);
                }
                for (const r of allResources()) assert.ok(!("acl" in r.inputs) && !("grants" in r.inputs), `${r.type} ${r.name} sets an ACL`);
            });

            it("encrypts every bucket by default and every uploaded object", () => {
                for (const b of allResources().filter((r) => r.type === "aws:s3/bucket:Bucket")) {
                    const sse = allResources().find((r) => r.type.startsWith("aws:s3/bucketServerSideEncryptionConfiguration") && r.inputs.bucket === `${b.name}-0a1b2c3`);
                    const algo = sse?.inputs.rules?.[0]?.applyServerSideEncryptionByDefault?.sseAlgorithm;
                    assert.ok(algo === "AES256" || algo === "aws:kms", `${b.name}: ${algo}`);
                    if (overrides.kmsKeyArn) assert.strictEqual(algo, "aws:kms");
                }
                const objects = allResources().filter((r) => r.type === "aws:s3/bucketObject:BucketObject");
                assert.ok(objects.length >= 1);
                for (const o of objects) assert.ok(["AES256", "aws:kms"].includes(o.inputs.serverSideEncryption), `${o.name}: ${o.inputs.serverSideEncryption}`);
            });

            it("denies every non-TLS request in each bucket's policy and allows nothing there", () => {
                for (const b of allResources().filter((r) => r.type === "aws:s3/bucket:Bucket")) {
                    const arn = `arn:aws:s3:::${b.name}-0a1b2c3`;
                    const pol = allResources().find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy" && r.inputs.bucket === `${b.name}-0a1b2c3`);
                    assert.ok(pol, `${b.name} has no bucket policy`);
                    const doc: Doc = JSON.parse(pol!.inputs.policy);
                    assert.ok(doc.Statement.every((s) => s.Effect === "Deny"), "a bucket policy statement allows something");
                    const tls = doc.Statement.find((s) => s.Condition?.Bool?.["aws:SecureTransport"] === "false");
                    assert.ok(tls && tls.Principal === "*" && list(tls.Action).includes("s3:*"), JSON.stringify(doc));
                    assert.deepStrictEqual(list(tls!.Resource).sort(), [arn, `${arn}/*`]);
                }
            });

            it("has no wildcard action, no public Allow, and Resource \"*\" only for actions AWS cannot scope, in any policy document", () => {
                const docs = allResources().flatMap((r) => policyDocuments(r.inputs, `${r.type} ${r.name}`));
                assert.ok(docs.length >= 2, `found ${docs.length} policy documents`);
                for (const { where, doc } of docs) {
                    for (const s of doc.Statement) {
                        assert.ok(!("NotAction" in s) && !("NotResource" in s) && !("NotPrincipal" in s), `${where}: Not* element`);
                        if (s.Effect !== "Allow") continue;
                        for (const a of list(s.Action)) assert.ok(!a.includes("*"), `${where}: wildcard action ${a}`);
                        assert.ok(s.Principal === undefined || (s.Principal !== "*" && s.Principal?.AWS !== "*"), `${where}: public principal`);
                        if (list(s.Resource).includes("*")) {
                            for (const a of list(s.Action)) assert.ok(WILDCARD_RESOURCE_ACTIONS.includes(a), `${where}: ${a} on Resource "*"`);
                        }
                    }
                }
            });

            it("lets the role read S3 only under the artifact prefix, and write only under the data-capture prefix, never over the artifacts", () => {
                const bucket = allResources().find((r) => r.type === "aws:s3/bucketObject:BucketObject")!.inputs.bucket;
                const capture = allResources().find((r) => r.type === "aws:sagemaker/endpointConfiguration:EndpointConfiguration")?.inputs.dataCaptureConfig;
                const capturePrefix = capture ? String(capture.destinationS3Uri).replace(`s3://${bucket}/`, "") : undefined;
                if (stack === "prod") assert.ok(capture, "Pulumi.prod.yaml turns data capture on");
                if (capture) {
                    assert.ok(String(capture.destinationS3Uri).startsWith(`s3://${bucket}/`), capture.destinationS3Uri);
                    assert.ok(!`${capturePrefix}/`.startsWith(`${prefix}/`) && !`${prefix}/`.startsWith(`${capturePrefix}/`),
                        `the capture prefix ${capturePrefix} overlaps the artifact prefix ${prefix}`);
                }
                const docs = allResources().filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy").flatMap((r) => policyDocuments(r.inputs, r.name));
                const s3 = docs.flatMap(({ doc }) => doc.Statement).filter((s) => s.Effect === "Allow" && list(s.Action).some((a) => a.startsWith("s3:")));
                assert.ok(s3.length >= 1);
                for (const s of s3) {
                    for (const r of list(s.Resource)) {
                        if (r === `arn:aws:s3:::${bucket}`) {
                            assert.deepStrictEqual(list(s.Action), ["s3:ListBucket"]);
                            assert.deepStrictEqual(s.Condition, { StringLike: { "s3:prefix": [`${prefix}/*`] } });
                        } else if (capturePrefix !== undefined && r === `arn:aws:s3:::${bucket}/${capturePrefix}/*`) {
                            assert.deepStrictEqual(list(s.Action), ["s3:PutObject"], "data capture may only write");
                        } else {
                            assert.strictEqual(r, `arn:aws:s3:::${bucket}/${prefix}/*`);
                            assert.deepStrictEqual(list(s.Action), ["s3:GetObject"], "the artifacts are read-only to the role");
                        }
                    }
                }
            });

            it("attaches no managed policy (no *FullAccess) to any role", () => {
                const attachments = allResources().filter((r) => /PolicyAttachment/.test(r.type));
                assert.deepStrictEqual(attachments.map((r) => r.inputs.policyArn), []);
                for (const r of allResources().filter((x) => x.type === "aws:iam/role:Role")) {
                    assert.deepStrictEqual(r.inputs.managedPolicyArns ?? [], [], r.name);
                    const trust: Doc = JSON.parse(r.inputs.assumeRolePolicy);
                    assert.deepStrictEqual(trust.Statement.map((s) => s.Principal), [{ Service: "sagemaker.amazonaws.com" }]);
                }
            });
        });
    }
});

// ---------------------------------------------------------------- runtime API signatures

describe("security: the runtime API refuses requests signed wrongly in ways the SDK never would", function () {
    this.timeout(30000);
    let ep: LocalEndpoint;
    let dir: string;
    before(async () => {
        dir = makeFaultModelDir();
        ep = await startLocalEndpoint({ modelDir: dir, port: 0, log: () => undefined });
    });
    after(async () => {
        await ep?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    async function send(o: { service?: string; date?: Date; tamper?: (h: Record<string, string>) => void }) {
        const url = new URL(ep.endpoint);
        const body = "{}";
        const signer = new SignatureV4({ credentials: CREDENTIALS, region: "us-east-1", service: o.service ?? "sagemaker", sha256: Hash.bind(null, "sha256") });
        const signed = await signer.sign(new HttpRequest({
            method: "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: "/endpoints/local/invocations",
            headers: { host: url.host, "content-type": "application/json", accept: "application/json" }, body,
        }), { signingDate: o.date });
        const headers = { ...signed.headers } as Record<string, string>;
        o.tamper?.(headers);
        return new Promise<{ status: number; type: string; message: string }>((resolve, reject) => {
            const r = http.request({ host: url.hostname, port: url.port, method: "POST", path: signed.path, headers }, (res) => {
                let text = "";
                res.on("data", (c) => (text += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["x-amzn-errortype"] ?? ""), message: JSON.parse(text || "{}").message ?? text }));
            });
            r.on("error", reject);
            r.end(body);
        });
    }

    it("accepts the same request signed properly (the control)", async () => {
        assert.strictEqual((await send({})).status, 200);
    });

    it("refuses a signed Accept header changed after signing", async () => {
        const r = await send({ tamper: (h) => { h.accept = "text/html"; } });
        assert.deepStrictEqual([r.status, r.type], [403, "InvalidSignatureException"]);
    });

    it("refuses a signature scoped to another service", async () => {
        const r = await send({ service: "s3" });
        assert.deepStrictEqual([r.status, r.type, r.message], [403, "InvalidSignatureException", "Credential should be scoped to correct service: 'sagemaker', not 's3'."]);
    });

    it("refuses a request dated 20 minutes in the future", async () => {
        const r = await send({ date: new Date(Date.now() + 20 * 60000) });
        assert.strictEqual(r.status, 403);
        assert.match(r.message, /^Signature not yet current: /);
    });
});
