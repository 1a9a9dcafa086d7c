import { allResources, MOCK_ACCOUNT, oneOfType, optionsOf, recordedCalls, resetRecorded } from "./support/pulumiMocks";
import * as assert from "assert";
import * as path from "path";
import { bucketPolicy } from "../components/artifactBucket";
import { executionRolePolicy, trustPolicy } from "../components/executionRole";
import { GPU_MODEL_ENDPOINT_TYPE } from "../components/gpuModelEndpoint";
import { makeModelDir, stackSettings } from "./support/endpointFixture";
import { deploy, EndpointOutputs, sha256File, T } from "./support/deploy";

/** What each stack file should produce, written out by hand from Pulumi.<stack>.yaml and the defaults. */
const STACKS = {
    dev: { region: "us-east-1", instanceType: "ml.g4dn.xlarge", count: 1, forceDestroy: true, protect: false, prefix: "models", logLevel: "10" },
    prod: { region: "us-west-2", instanceType: "ml.g5.xlarge", count: 2, forceDestroy: false, protect: true, prefix: "prod/models", logLevel: "20" },
};
const BUCKET = "ep-artifacts-0a1b2c3";
/** Inputs owned by the production rollout (issue 6, tested in its own specs), left out of the comparison. */
const PRODUCTION_FIELDS = ["deploymentConfig", "dataCaptureConfig"];
const issue2Inputs = (inputs: Record<string, any>) =>
    Object.fromEntries(Object.entries(inputs).filter(([k]) => !PRODUCTION_FIELDS.includes(k)));
const GUARDS = ["ep-artifacts", "ep-artifacts-public-access", "ep-artifacts-ownership", "ep-artifacts-encryption", "ep-artifacts-tls-only"];

for (const [stack, e] of Object.entries(STACKS)) {
    describe(`GpuModelEndpoint with Pulumi.${stack}.yaml (Pulumi mocks)`, function () {
        this.timeout(60000);
        let out: EndpointOutputs;
        let base: string;
        const tags = { project: "gpu-multi-model-endpoint", stack, "managed-by": "pulumi" };
        const image = `763104351884.dkr.ecr.${e.region}.amazonaws.com/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker`;
        const endpointName = `gpu-multi-model-endpoint-${stack}`;

        before(async () => {
            resetRecorded();
            base = makeModelDir().base;
            out = await deploy(stackSettings(stack, "model"), base);
        });

        it("declares the component, the bucket with its four guards, the archive, role, policy, model, configuration and endpoint", () => {
            // Exactly these in dev; prod may add the production-rollout resources of issue 6 (tested there).
            const ours = new Set<string>([GPU_MODEL_ENDPOINT_TYPE, ...Object.values(T)]);
            const declared = allResources().filter((r) => stack === "dev" || ours.has(r.type));
            assert.deepStrictEqual(declared.map((r) => `${r.type} ${r.name}`).sort(), [
                `${GPU_MODEL_ENDPOINT_TYPE} ep`, `${T.bucket} ep-artifacts`, `${T.pab} ep-artifacts-public-access`,
                `${T.own} ep-artifacts-ownership`, `${T.sse} ep-artifacts-encryption`, `${T.policy} ep-artifacts-tls-only`,
                `${T.object} ep-model-archive`, `${T.role} ep-execution-role`, `${T.rolePolicy} ep-execution-policy`,
                `${T.model} ep-model`, `${T.config} ep-endpoint-config`, `${T.endpoint} ep-endpoint`,
            ].sort());
            assert.deepStrictEqual(oneOfType(GPU_MODEL_ENDPOINT_TYPE).inputs, {});
            assert.ok(recordedCalls().includes("aws:index/getCallerIdentity:getCallerIdentity"));
            if (stack === "dev") assert.deepStrictEqual(recordedCalls(), ["aws:index/getCallerIdentity:getCallerIdentity"]);
        });

        it("makes every resource a child of the component and never deletes before replacing", () => {
            const ours = new Set<string>(Object.values(T));
            for (const r of allResources().filter((x) => x.custom)) {
                // issue 6's resources sit in their own child components (parent ep-alarms, ...).
                if (ours.has(r.type)) assert.strictEqual(optionsOf(r.name)?.parent, "ep", r.name);
                else assert.match(optionsOf(r.name)?.parent ?? "", /^ep(-|$)/, r.name);
                assert.notStrictEqual(optionsOf(r.name)?.deleteBeforeReplace, true, r.name);
            }
        });

        it(`${e.forceDestroy ? "deletes" : "retains"} the artifacts on destroy and ${e.protect ? "protects" : "does not protect"} the endpoint`, () => {
            for (const n of [...GUARDS, "ep-model-archive"]) assert.strictEqual(optionsOf(n)?.retainOnDelete, !e.forceDestroy, n);
            assert.strictEqual(optionsOf("ep-endpoint")?.protect, e.protect);
            assert.deepStrictEqual(oneOfType(T.bucket).inputs, { forceDestroy: e.forceDestroy, tags });
        });

        it("guards the bucket: public access blocked, owner enforced, encrypted, TLS-only", () => {
            assert.deepStrictEqual(oneOfType(T.pab).inputs, { bucket: BUCKET, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
            assert.deepStrictEqual(oneOfType(T.own).inputs, { bucket: BUCKET, rule: { objectOwnership: "BucketOwnerEnforced" } });
            assert.deepStrictEqual(oneOfType(T.sse).inputs, { bucket: BUCKET, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
            assert.deepStrictEqual(oneOfType(T.policy).inputs, { bucket: BUCKET, policy: JSON.stringify(bucketPolicy("aws", BUCKET)) });
            assert.deepStrictEqual(optionsOf("ep-artifacts-tls-only")?.dependsOn, ["ep-artifacts-public-access"]);
        });

        it("uploads the archive it built under the content-addressed key", async () => {
            const obj = oneOfType(T.object).inputs;
            const file = path.join(base, "build", out.artifactSha256.slice(0, 16), "model.tar.gz");
            assert.strictEqual(sha256File(file), out.artifactSha256);
            assert.strictEqual(path.resolve(await obj.source.path), file);
            const { source, ...rest } = obj;
            assert.ok(source);
            assert.deepStrictEqual(rest, {
                bucket: BUCKET, key: `${e.prefix}/${out.artifactSha256.slice(0, 16)}/model.tar.gz`, contentType: "application/gzip",
                serverSideEncryption: "AES256", tags,
            });
        });

        it("creates the least-privilege execution role", () => {
            assert.deepStrictEqual(oneOfType(T.role).inputs, {
                assumeRolePolicy: JSON.stringify(trustPolicy()),
                description: "SageMaker execution role of a gpu-multi-model-endpoint stack (least privilege).", tags,
            });
            const expected = executionRolePolicy({ partition: "aws", region: e.region, accountId: MOCK_ACCOUNT, bucket: BUCKET,
                prefix: e.prefix, imageUri: image, endpointName });
            const { role, policy } = oneOfType(T.rolePolicy).inputs;
            assert.strictEqual(role, "ep-execution-role-7d8e9f0");
            if (stack === "dev") assert.strictEqual(policy, JSON.stringify(expected));
            else {
                // prod may add issue 6's statements (data capture); the issue-2 statements stay exactly these.
                const sids = new Set(expected.Statement.map((x) => x.Sid));
                const actual = JSON.parse(policy);
                assert.deepStrictEqual({ ...actual, Statement: actual.Statement.filter((x: { Sid: string }) => sids.has(x.Sid)) }, expected);
            }
        });

        it("declares the auto-named Model with the image, the archive URL and the container environment", () => {
            assert.deepStrictEqual(oneOfType(T.model).inputs, {
                executionRoleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/ep-execution-role-7d8e9f0`,
                primaryContainer: { image, modelDataUrl: out.modelDataUrl, environment: {
                    SAGEMAKER_CONTAINER_LOG_LEVEL: e.logLevel, SAGEMAKER_MODEL_SERVER_WORKERS: "1", SAGEMAKER_PROGRAM: "inference.py",
                    SAGEMAKER_REGION: e.region, SAGEMAKER_SUBMIT_DIRECTORY: "/opt/ml/model/code", TF_FORCE_GPU_ALLOW_GROWTH: "true",
                } },
                enableNetworkIsolation: false, tags,
            });
            assert.deepStrictEqual(optionsOf("ep-model")?.dependsOn, ["ep-execution-policy"]);
            assert.strictEqual(out.modelDataUrl, `s3://${BUCKET}/${oneOfType(T.object).inputs.key}`);
        });

        it(`declares the auto-named configuration with ${e.count} x ${e.instanceType} and the endpoint named ${endpointName}`, () => {
            assert.deepStrictEqual(issue2Inputs(oneOfType(T.config).inputs), {
                productionVariants: [{
                    variantName: "AllTraffic", modelName: "ep-model-a1b2c3d", instanceType: e.instanceType, initialInstanceCount: e.count,
                    initialVariantWeight: 1, containerStartupHealthCheckTimeoutInSeconds: 900, modelDataDownloadTimeoutInSeconds: 600,
                }],
                tags,
            });
            assert.deepStrictEqual(issue2Inputs(oneOfType(T.endpoint).inputs), { name: endpointName, endpointConfigName: "ep-endpoint-config-a1b2c3d", tags });
        });

        it("exports the eight outputs", () => {
            assert.deepStrictEqual(out, {
                endpointName, endpointArn: `arn:aws:sagemaker:us-east-1:${MOCK_ACCOUNT}:endpoint/${endpointName}`,
                region: e.region, modelDataUrl: out.modelDataUrl, artifactSha256: out.artifactSha256, imageUri: image,
                executionRoleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/ep-execution-role-7d8e9f0`, variantName: "AllTraffic",
            });
            assert.match(out.artifactSha256, /^[0-9a-f]{64}$/);
        });
    });
}

describe("GpuModelEndpoint with settings beyond the stack files (Pulumi mocks)", function () {
    this.timeout(60000);
    beforeEach(() => resetRecorded());

    it("uses a configured bucket and role without creating them or calling getCallerIdentity", async () => {
        const { base } = makeModelDir();
        const role = "arn:aws:iam::111122223333:role/existing";
        const out = await deploy(stackSettings("dev", "model", { artifactBucket: "shared-artifacts", executionRoleArn: role }), base);
        assert.deepStrictEqual(allResources().map((r) => r.type).sort(), [GPU_MODEL_ENDPOINT_TYPE, T.object, T.model, T.config, T.endpoint].sort());
        assert.strictEqual(oneOfType(T.object).inputs.bucket, "shared-artifacts");
        assert.strictEqual(oneOfType(T.model).inputs.executionRoleArn, role);
        assert.deepStrictEqual(optionsOf("ep-model")?.dependsOn, []);
        assert.strictEqual(out.executionRoleArn, role);
        assert.deepStrictEqual(recordedCalls(), []);
    });

    it("passes KMS, VPC, isolation, volume and environment settings to the resources", async () => {
        const { base } = makeModelDir({ requirements: "", frameworks: ["pytorch"] });
        const key = "arn:aws:kms:us-east-1:111122223333:key/abcd";
        await deploy(stackSettings("dev", "model", {
            kmsKeyArn: key, instanceType: "ml.p3.2xlarge", volumeSizeInGb: "80", enableNetworkIsolation: "true",
            vpcSubnetIds: '["subnet-0123456789abcdef0"]', vpcSecurityGroupIds: '["sg-0123456789abcdef0"]', environment: '{"MODEL_CACHE_FRACTION":"0.6"}',
        }), base);
        assert.deepStrictEqual(oneOfType(T.sse).inputs.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key }, bucketKeyEnabled: true }]);
        assert.deepStrictEqual([oneOfType(T.object).inputs.serverSideEncryption, oneOfType(T.object).inputs.kmsKeyId], ["aws:kms", key]);
        const model = oneOfType(T.model).inputs;
        assert.deepStrictEqual(model.vpcConfig, { subnets: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] });
        assert.strictEqual(model.enableNetworkIsolation, true);
        assert.strictEqual(model.primaryContainer.environment.MODEL_CACHE_FRACTION, "0.6");
        const cfg = oneOfType(T.config).inputs;
        assert.strictEqual(cfg.kmsKeyArn, key, "ml.p3 has no instance storage, so the key encrypts the endpoint volume");
        assert.strictEqual(cfg.productionVariants[0].volumeSizeInGb, 80);
        const policy = JSON.parse(oneOfType(T.rolePolicy).inputs.policy);
        assert.ok(policy.Statement.some((s: any) => s.Sid === "DecryptModelArtifacts" && s.Resource === key));
        assert.ok(policy.Statement.some((s: any) => s.Sid === "ManageModelEnis"));
    });

    it("does not pass the KMS key to the configuration of an instance type with local NVMe storage", async () => {
        const { base } = makeModelDir();
        await deploy(stackSettings("prod", "model", { kmsKeyArn: "arn:aws:kms:us-west-2:111122223333:key/abcd" }), base);
        assert.strictEqual(oneOfType(T.config).inputs.kmsKeyArn, undefined);
        assert.strictEqual(oneOfType(T.object).inputs.kmsKeyId, "arn:aws:kms:us-west-2:111122223333:key/abcd");
    });

    it("uses the China partition and registry in cn-north-1", async () => {
        const { base } = makeModelDir();
        const out = await deploy(stackSettings("dev", "model", {}, "cn-north-1"), base);
        assert.strictEqual(out.imageUri, "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker");
        assert.ok(JSON.parse(oneOfType(T.policy).inputs.policy).Statement[0].Resource[0].startsWith("arn:aws-cn:s3:::"));
        assert.ok(oneOfType(T.rolePolicy).inputs.policy.includes("arn:aws-cn:ecr:cn-north-1:727897471807:repository/pytorch-inference"));
    });
});
