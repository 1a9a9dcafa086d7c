import { allResources, MOCK_ACCOUNT, oneOfType, optionsOf, recordedCalls, resetRecorded } from "../../support/pulumiMocks";
import * as assert from "assert";
import { rollbackAlarmNames } from "../../../sagemaker/production/updateSafety";
import * as path from "path";
import { bucketPolicy } from "../../../sagemaker/artifactBucket";
import { executionRolePolicy, trustPolicy } from "../../../sagemaker/executionRole";
import { GPU_MODEL_ENDPOINT_TYPE } from "../../../sagemaker/gpuModelEndpoint";
import { makeModelDir, stackSettings } from "../../support/endpointFixture";
import { deploy, EndpointOutputs, sha256File, T } from "../../support/deploy";

/** What each stack file should produce, written out by hand from Pulumi.<stack>.yaml and the defaults. */
const STACKS = {
    dev: { region: "us-east-1", instanceType: "ml.g4dn.xlarge", count: 1, forceDestroy: true, protect: false, prefix: "models", logLevel: "10" },
    prod: { region: "us-west-2", instanceType: "ml.g5.xlarge", count: 2, forceDestroy: false, protect: true, prefix: "prod/models", logLevel: "20" },
};
const BUCKET = "ep-artifacts-0a1b2c3";
/** Inputs owned by the production rollout (tested in its own specs), left out of the comparison. */
const PRODUCTION_FIELDS = ["deploymentConfig", "dataCaptureConfig"];
/** dev: every input exactly (no production field at all); prod: all but the production fields. */
const withoutProductionFields = (stack: string, inputs: Record<string, any>) => stack === "dev" ? inputs :
    Object.fromEntries(Object.entries(inputs).filter(([k]) => !PRODUCTION_FIELDS.includes(k)));
/** Pulumi.prod.yaml's production rollout (inputs tested in tests/unit/production*.spec.ts): name -> type, parent. */
const PROD_CHILDREN: Record<string, { type: string; parent: string }> = {
    "ep-alarms": { type: "gpu-multi-model-endpoint:alarms:EndpointAlarms", parent: "ep" },
    "ep-alarms-invocation-5xx-errors": { type: "aws:cloudwatch/metricAlarm:MetricAlarm", parent: "ep-alarms" },
    "ep-alarms-model-latency-p99": { type: "aws:cloudwatch/metricAlarm:MetricAlarm", parent: "ep-alarms" },
    "ep-alarms-gpu-memory-utilization": { type: "aws:cloudwatch/metricAlarm:MetricAlarm", parent: "ep-alarms" },
    "ep-autoscaling": { type: "gpu-multi-model-endpoint:autoscaling:EndpointAutoscaling", parent: "ep" },
    "ep-autoscaling-target": { type: "aws:appautoscaling/target:Target", parent: "ep-autoscaling" },
    "ep-autoscaling-invocations": { type: "aws:appautoscaling/policy:Policy", parent: "ep-autoscaling" },
    "ep-autoscaling-gpu-utilization": { type: "aws:appautoscaling/policy:Policy", parent: "ep-autoscaling" },
};
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
            assert.deepStrictEqual(allResources().map((r) => `${r.type} ${r.name}`).sort(), [
                `${GPU_MODEL_ENDPOINT_TYPE} ep`, `${T.bucket} ep-artifacts`, `${T.pab} ep-artifacts-public-access`,
                `${T.own} ep-artifacts-ownership`, `${T.sse} ep-artifacts-encryption`, `${T.policy} ep-artifacts-tls-only`,
                `${T.object} ep-model-archive`, `${T.role} ep-execution-role`, `${T.rolePolicy} ep-execution-policy`,
                `${T.model} ep-model`, `${T.config} ep-endpoint-config`, `${T.endpoint} ep-endpoint`, `${T.ledger} ep-generations`,
                ...(stack === "prod" ? Object.entries(PROD_CHILDREN).map(([n, c]) => `${c.type} ${n}`) : []),
            ].sort());
            assert.deepStrictEqual(oneOfType(GPU_MODEL_ENDPOINT_TYPE).inputs, {});
            assert.deepStrictEqual(recordedCalls(), ["aws:index/getCallerIdentity:getCallerIdentity"]);
        });

        it("makes every resource a child of the component (the production rollout's of their own components) and never deletes before replacing", () => {
            for (const r of allResources().filter((x) => x.name !== "ep")) {
                assert.strictEqual(optionsOf(r.name)?.parent, PROD_CHILDREN[r.name]?.parent ?? "ep", r.name);
                assert.notStrictEqual(optionsOf(r.name)?.deleteBeforeReplace, true, r.name);
            }
        });

        it(`${e.forceDestroy ? "deletes" : "retains"} the bucket on destroy, keeps archives through updates and ${e.protect ? "protects" : "does not protect"} the endpoint`, () => {
            for (const n of GUARDS) assert.strictEqual(optionsOf(n)?.retainOnDelete, !e.forceDestroy, n);
            assert.strictEqual(optionsOf("ep-model-archive")?.retainOnDelete, true, "the generation ledger deletes old archives");
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
                assumeRolePolicy: JSON.stringify(trustPolicy(MOCK_ACCOUNT)),
                description: "SageMaker execution role of a gpu-multi-model-endpoint stack (least privilege).", tags,
            });
            // Pulumi.prod.yaml turns data capture on: the role may also PutObject under its prefix (DataCaptureWrite).
            const dataCapture = stackSettings(stack, "model").production.dataCapture;
            assert.strictEqual(dataCapture !== undefined, stack === "prod");
            const expected = executionRolePolicy({ partition: "aws", region: e.region, accountId: MOCK_ACCOUNT, bucket: BUCKET,
                prefix: e.prefix, imageUri: image, endpointName, dataCapture,
                rollbackAlarmNames: stack === "prod" ? rollbackAlarmNames(endpointName) : [] });
            const { role, policy } = oneOfType(T.rolePolicy).inputs;
            assert.strictEqual(role, "ep-execution-role-7d8e9f0");
            assert.strictEqual(policy, JSON.stringify(expected));
            const capture = expected.Statement.filter((x) => x.Sid === "DataCaptureWrite");
            assert.deepStrictEqual(capture, stack === "prod"
                ? [{ Sid: "DataCaptureWrite", Effect: "Allow", Action: ["s3:PutObject"], Resource: `arn:aws:s3:::${BUCKET}/data-capture/*` }] : []);
        });

        it("declares the auto-named Model with the image, the archive URL and the container environment", () => {
            assert.deepStrictEqual(oneOfType(T.model).inputs, {
                executionRoleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/ep-execution-role-7d8e9f0`,
                primaryContainer: { image, modelDataUrl: out.modelDataUrl, environment: {
                    SAGEMAKER_CONTAINER_LOG_LEVEL: e.logLevel, SAGEMAKER_MODEL_SERVER_WORKERS: "1", SAGEMAKER_PROGRAM: "inference.py",
                    SAGEMAKER_REGION: e.region, SAGEMAKER_SUBMIT_DIRECTORY: "/opt/ml/model/code", TF_FORCE_GPU_ALLOW_GROWTH: "true",
                    MALLOC_MMAP_THRESHOLD_: "33554432", MALLOC_TRIM_THRESHOLD_: "67108864", MKL_NUM_THREADS: "1", OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1",
                } },
                enableNetworkIsolation: false, tags,
            });
            assert.deepStrictEqual(optionsOf("ep-model")?.dependsOn, ["ep-execution-policy"]);
            assert.strictEqual(out.modelDataUrl, `s3://${BUCKET}/${oneOfType(T.object).inputs.key}`);
        });

        it(`declares the auto-named configuration with ${e.count} x ${e.instanceType} and the endpoint named ${endpointName}`, () => {
            assert.deepStrictEqual(withoutProductionFields(stack, oneOfType(T.config).inputs), {
                productionVariants: [{
                    variantName: "AllTraffic", modelName: "ep-model-a1b2c3d", instanceType: e.instanceType, initialInstanceCount: e.count,
                    initialVariantWeight: 1, containerStartupHealthCheckTimeoutInSeconds: 900, modelDataDownloadTimeoutInSeconds: 600,
                }],
                tags,
            });
            assert.deepStrictEqual(withoutProductionFields(stack, oneOfType(T.endpoint).inputs), { name: endpointName, endpointConfigName: "ep-endpoint-config-a1b2c3d", tags });
        });

        it("exports the nine outputs", () => {
            assert.deepStrictEqual(out, { endpointConfigName: "ep-endpoint-config-a1b2c3d",
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
        assert.deepStrictEqual(allResources().map((r) => r.type).sort(), [GPU_MODEL_ENDPOINT_TYPE, T.object, T.model, T.config, T.endpoint, T.ledger].sort());
        assert.strictEqual(oneOfType(T.object).inputs.bucket, "shared-artifacts");
        assert.strictEqual(oneOfType(T.model).inputs.executionRoleArn, role);
        assert.deepStrictEqual(optionsOf("ep-model")?.dependsOn, []);
        assert.strictEqual(out.executionRoleArn, role);
        assert.deepStrictEqual(recordedCalls(), []);
    });

    it("passes KMS, VPC, isolation, volume, model cache and environment settings to the resources", async () => {
        const { base } = makeModelDir({ requirements: "", frameworks: ["pytorch"] });
        const key = "arn:aws:kms:us-east-1:111122223333:key/abcd";
        await deploy(stackSettings("dev", "model", {
            kmsKeyArn: key, instanceType: "ml.p3.2xlarge", volumeSizeInGb: "80", enableNetworkIsolation: "true",
            vpcSubnetIds: '["subnet-0123456789abcdef0"]', vpcSecurityGroupIds: '["sg-0123456789abcdef0"]', environment: '{"MY_FLAG":"1"}', modelCacheFraction: "0.6", modelCacheWaitSeconds: "20",
        }), base);
        assert.deepStrictEqual(oneOfType(T.sse).inputs.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key }, bucketKeyEnabled: true }]);
        assert.deepStrictEqual([oneOfType(T.object).inputs.serverSideEncryption, oneOfType(T.object).inputs.kmsKeyId], ["aws:kms", key]);
        const model = oneOfType(T.model).inputs;
        assert.deepStrictEqual(model.vpcConfig, { subnets: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] });
        assert.strictEqual(model.enableNetworkIsolation, true);
        const env = model.primaryContainer.environment;
        assert.deepStrictEqual([env.MY_FLAG, env.MODEL_CACHE_FRACTION, env.MODEL_CACHE_WAIT_SECONDS, env.MODEL_CACHE_BYTES, env.MODEL_LOAD_RETRY_SECONDS],
            ["1", "0.6", "20", undefined, undefined]);
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
