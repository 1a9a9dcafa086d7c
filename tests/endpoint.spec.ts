import {
    allResources, MOCK_ACCOUNT, oneOfType, optionsOf, recordedCalls, recordOptions, resetRecorded, resourcesOfType, settle, unwrap,
} from "./support/pulumiMocks";
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GpuModelEndpoint, GPU_MODEL_ENDPOINT_TYPE } from "../components/gpuModelEndpoint";
import type { Settings } from "../components/settings";
import { requireSettings } from "../components/config";
import { checkModelDirForDeploy } from "../components/deployChecks";
import { makeModelDir, stackFile, stackSettings } from "./support/endpointFixture";

const T = {
    bucket: "aws:s3/bucket:Bucket", pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    own: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy", object: "aws:s3/bucketObject:BucketObject",
    role: "aws:iam/role:Role", rolePolicy: "aws:iam/rolePolicy:RolePolicy", model: "aws:sagemaker/model:Model",
    config: "aws:sagemaker/endpointConfiguration:EndpointConfiguration", endpoint: "aws:sagemaker/endpoint:Endpoint",
};

async function deploy(settings: Settings, base: string, name = "ep") {
    const ep = new GpuModelEndpoint(name, { settings, baseDir: base, buildDir: path.join(base, "build") }, { transformations: [recordOptions] });
    const out = await unwrap(pulumi.all({
        endpointName: ep.endpointName, endpointArn: ep.endpointArn, region: ep.region, modelDataUrl: ep.modelDataUrl,
        artifactSha256: ep.artifactSha256, imageUri: ep.imageUri, executionRoleArn: ep.executionRoleArn, variantName: ep.variantName,
    }));
    await settle();
    return out;
}

const sha256File = (f: string) => crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex");

describe("GpuModelEndpoint with the dev and prod stack files (Pulumi mocks)", function () {
    this.timeout(60000);
    beforeEach(() => resetRecorded());

    it("declares the dev graph: private bucket, archive, role, model, configuration and endpoint, all children of the component", async () => {
        const { base } = makeModelDir();
        const settings = stackSettings("dev", "model");
        await deploy(settings, base);
        assert.deepStrictEqual(allResources().map((r) => r.type).sort(), [
            GPU_MODEL_ENDPOINT_TYPE, ...Object.values(T)].sort());
        for (const r of allResources().filter((x) => x.type !== GPU_MODEL_ENDPOINT_TYPE)) {
            assert.strictEqual(optionsOf(r.name)?.parent, "ep", `${r.name} is not a child of the component`);
            assert.notStrictEqual(optionsOf(r.name)?.deleteBeforeReplace, true, `${r.name} must replace create-before-delete`);
        }
        assert.deepStrictEqual(recordedCalls(), ["aws:index/getCallerIdentity:getCallerIdentity"]);
    });

    it("gives every dev resource the expected inputs and outputs", async () => {
        const { base, dir } = makeModelDir();
        const out = await deploy(stackSettings("dev", "model"), base);
        const tags = { project: "gpu-multi-model-endpoint", stack: "dev", "managed-by": "pulumi" };
        const image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker";
        const bucket = "ep-artifacts-0a1b2c3";
        const archive = path.join(base, "build", out.artifactSha256.slice(0, 16), "model.tar.gz");
        assert.strictEqual(sha256File(archive), out.artifactSha256);

        assert.deepStrictEqual(oneOfType(T.bucket).inputs, { forceDestroy: true, tags });
        assert.deepStrictEqual(oneOfType(T.pab).inputs, { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        assert.deepStrictEqual(oneOfType(T.own).inputs, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
        assert.deepStrictEqual(oneOfType(T.sse).inputs, { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
        const bp = JSON.parse(oneOfType(T.policy).inputs.policy);
        assert.deepStrictEqual(bp.Statement[0].Resource, [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]);
        assert.deepStrictEqual(optionsOf("ep-artifacts-tls-only")?.dependsOn, ["ep-artifacts-public-access"]);

        const obj = oneOfType(T.object).inputs;
        assert.strictEqual(obj.bucket, bucket);
        assert.strictEqual(obj.key, `models/${out.artifactSha256.slice(0, 16)}/model.tar.gz`);
        assert.strictEqual(path.resolve(await obj.source.path), archive);
        assert.deepStrictEqual([obj.contentType, obj.serverSideEncryption, obj.kmsKeyId], ["application/gzip", "AES256", undefined]);
        assert.strictEqual(out.modelDataUrl, `s3://${bucket}/${obj.key}`);

        const role = oneOfType(T.role).inputs;
        assert.deepStrictEqual(JSON.parse(role.assumeRolePolicy).Statement[0].Principal, { Service: "sagemaker.amazonaws.com" });
        const rp = JSON.parse(oneOfType(T.rolePolicy).inputs.policy);
        assert.strictEqual(rp.Statement[0].Resource, `arn:aws:s3:::${bucket}/models/*`);
        assert.ok(JSON.stringify(rp).includes(`:${MOCK_ACCOUNT}:log-group:/aws/sagemaker/Endpoints/gpu-multi-model-endpoint-dev`));

        const model = oneOfType(T.model).inputs;
        assert.strictEqual(model.name, undefined, "the Model must be auto-named");
        assert.strictEqual(model.executionRoleArn, out.executionRoleArn);
        assert.deepStrictEqual(model.primaryContainer, { image, modelDataUrl: out.modelDataUrl, environment: {
            SAGEMAKER_CONTAINER_LOG_LEVEL: "10", SAGEMAKER_MODEL_SERVER_WORKERS: "1", SAGEMAKER_PROGRAM: "inference.py",
            SAGEMAKER_REGION: "us-east-1", SAGEMAKER_SUBMIT_DIRECTORY: "/opt/ml/model/code", TF_FORCE_GPU_ALLOW_GROWTH: "true",
        } });
        assert.deepStrictEqual([model.enableNetworkIsolation, model.vpcConfig, model.tags], [false, undefined, tags]);
        assert.deepStrictEqual(optionsOf("ep-model")?.dependsOn, ["ep-execution-policy"]);

        const cfg = oneOfType(T.config).inputs;
        assert.strictEqual(cfg.name, undefined, "the EndpointConfiguration must be auto-named");
        assert.deepStrictEqual(cfg.productionVariants, [{
            variantName: "AllTraffic", modelName: "ep-model-a1b2c3d", instanceType: "ml.g4dn.xlarge", initialInstanceCount: 1,
            initialVariantWeight: 1, containerStartupHealthCheckTimeoutInSeconds: 900, modelDataDownloadTimeoutInSeconds: 600,
        }]);
        assert.strictEqual(cfg.kmsKeyArn, undefined);

        assert.deepStrictEqual(oneOfType(T.endpoint).inputs, { name: "gpu-multi-model-endpoint-dev", endpointConfigName: "ep-endpoint-config-a1b2c3d", tags });
        assert.deepStrictEqual(out, {
            endpointName: "gpu-multi-model-endpoint-dev", endpointArn: `arn:aws:sagemaker:us-east-1:${MOCK_ACCOUNT}:endpoint/gpu-multi-model-endpoint-dev`,
            region: "us-east-1", modelDataUrl: out.modelDataUrl, artifactSha256: out.artifactSha256, imageUri: image,
            executionRoleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/ep-execution-role-7d8e9f0`, variantName: "AllTraffic",
        });
        assert.ok(fs.existsSync(dir));
    });

    it("deletes dev artifacts with the stack and leaves the dev endpoint unprotected", async () => {
        const { base } = makeModelDir();
        await deploy(stackSettings("dev", "model"), base);
        for (const n of ["ep-artifacts", "ep-artifacts-public-access", "ep-artifacts-ownership", "ep-artifacts-encryption", "ep-artifacts-tls-only", "ep-model-archive"]) {
            assert.strictEqual(optionsOf(n)?.retainOnDelete, false, n);
        }
        assert.ok(!optionsOf("ep-endpoint")?.protect);
    });

    it("declares prod with two ml.g5.xlarge, the us-west-2 image, retained artifacts and a protected endpoint", async () => {
        const { base } = makeModelDir();
        const out = await deploy(stackSettings("prod", "model"), base);
        assert.deepStrictEqual(allResources().map((r) => r.type).sort(), [GPU_MODEL_ENDPOINT_TYPE, ...Object.values(T)].sort());
        assert.deepStrictEqual(oneOfType(T.bucket).inputs.forceDestroy, false);
        for (const n of ["ep-artifacts", "ep-artifacts-public-access", "ep-artifacts-ownership", "ep-artifacts-encryption", "ep-artifacts-tls-only", "ep-model-archive"]) {
            assert.strictEqual(optionsOf(n)?.retainOnDelete, true, n);
        }
        assert.strictEqual(optionsOf("ep-endpoint")?.protect, true);
        const v = oneOfType(T.config).inputs.productionVariants[0];
        assert.deepStrictEqual([v.instanceType, v.initialInstanceCount], ["ml.g5.xlarge", 2]);
        assert.strictEqual(oneOfType(T.object).inputs.key, `prod/models/${out.artifactSha256.slice(0, 16)}/model.tar.gz`);
        assert.strictEqual(out.imageUri, "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker");
        assert.strictEqual(oneOfType(T.model).inputs.primaryContainer.environment.SAGEMAKER_REGION, "us-west-2");
        assert.strictEqual(out.endpointName, "gpu-multi-model-endpoint-prod");
        assert.match(JSON.parse(oneOfType(T.rolePolicy).inputs.policy).Statement[0].Resource, /\/prod\/models\/\*$/);
    });

    it("uses a configured bucket and role without creating them or calling getCallerIdentity", async () => {
        const { base } = makeModelDir();
        const role = "arn:aws:iam::111122223333:role/existing";
        const out = await deploy(stackSettings("dev", "model", { artifactBucket: "shared-artifacts", executionRoleArn: role }), base);
        assert.deepStrictEqual(allResources().map((r) => r.type).sort(), [GPU_MODEL_ENDPOINT_TYPE, T.object, T.model, T.config, T.endpoint].sort());
        assert.strictEqual(oneOfType(T.object).inputs.bucket, "shared-artifacts");
        assert.strictEqual(oneOfType(T.model).inputs.executionRoleArn, role);
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
        assert.deepStrictEqual(oneOfType(T.sse).inputs.rules[0].applyServerSideEncryptionByDefault, { sseAlgorithm: "aws:kms", kmsMasterKeyId: key });
        assert.deepStrictEqual([oneOfType(T.object).inputs.serverSideEncryption, oneOfType(T.object).inputs.kmsKeyId], ["aws:kms", key]);
        const model = oneOfType(T.model).inputs;
        assert.deepStrictEqual(model.vpcConfig, { subnets: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] });
        assert.strictEqual(model.enableNetworkIsolation, true);
        assert.strictEqual(model.primaryContainer.environment.MODEL_CACHE_FRACTION, "0.6");
        const cfg = oneOfType(T.config).inputs;
        assert.strictEqual(cfg.kmsKeyArn, key, "ml.p3 has no instance storage, so the key encrypts the endpoint volume");
        assert.strictEqual(cfg.productionVariants[0].volumeSizeInGb, 80);
        assert.ok(JSON.parse(oneOfType(T.rolePolicy).inputs.policy).Statement.some((s: any) => s.Sid === "DecryptModelArtifacts" && s.Resource === key));
    });
});

describe("GpuModelEndpoint content addressing", function () {
    this.timeout(60000);
    beforeEach(() => resetRecorded());

    async function keyAndUrl(modelBytes: Buffer) {
        resetRecorded();
        const { base } = makeModelDir({ modelBytes });
        const out = await deploy(stackSettings("dev", "model"), base);
        return { key: oneOfType(T.object).inputs.key, url: oneOfType(T.model).inputs.primaryContainer.modelDataUrl, sha: out.artifactSha256 };
    }

    it("keeps the key and the Model's modelDataUrl for the same content, in another folder", async () => {
        const a = await keyAndUrl(Buffer.from("weights v1"));
        const b = await keyAndUrl(Buffer.from("weights v1"));
        assert.deepStrictEqual(a, b);
    });

    it("rebuilds in the same build folder: unchanged content keeps the key, a change adds a new archive and keeps the old one intact", async () => {
        const { base, dir } = makeModelDir({ modelBytes: Buffer.from("weights v1") });
        const first = await deploy(stackSettings("dev", "model"), base);
        resetRecorded();
        const again = await deploy(stackSettings("dev", "model"), base);
        assert.strictEqual(again.modelDataUrl, first.modelDataUrl);
        fs.writeFileSync(path.join(dir, "tiny", "model.bin"), "weights v2");
        resetRecorded();
        const changed = await deploy(stackSettings("dev", "model"), base);
        assert.notStrictEqual(changed.modelDataUrl, first.modelDataUrl);
        for (const out of [first, changed]) {
            assert.strictEqual(sha256File(path.join(base, "build", out.artifactSha256.slice(0, 16), "model.tar.gz")), out.artifactSha256);
        }
    });

    it("changes the key and the Model's modelDataUrl when one byte changes", async () => {
        const a = await keyAndUrl(Buffer.from("weights v1"));
        const b = await keyAndUrl(Buffer.from("weights v2"));
        assert.notStrictEqual(a.sha, b.sha);
        assert.notStrictEqual(a.key, b.key);
        assert.notStrictEqual(a.url, b.url);
        assert.ok(b.url.endsWith(b.key));
    });
});

describe("deploy-time checks of the model directory", () => {
    it("has no warnings for a valid directory with sklearn pinned", () => {
        const { base } = makeModelDir();
        const plan = checkModelDirForDeploy(stackSettings("dev", "model"), base);
        assert.deepStrictEqual([plan.errors, plan.warnings], [[], []]);
        assert.strictEqual(plan.dir, path.join(base, "model"));
    });

    it("warns when a manifest framework is neither in the image nor in requirements.txt", () => {
        const { base, dir } = makeModelDir({ requirements: "joblib==1.2.0\n", frameworks: ["pytorch", "sklearn", "tensorflow"] });
        const req = path.join(dir, "code", "requirements.txt");
        assert.deepStrictEqual(checkModelDirForDeploy(stackSettings("dev", "model"), base).warnings, [
            `${req}: the manifest uses framework "sklearn", which the image does not provide; add "scikit-learn==<version the model was saved with>" to ${req}.`,
            `${req}: the manifest uses framework "tensorflow", which the image does not provide; add "tensorflow==<version the model was saved with>" to ${req}.`,
        ]);
    });

    it("warns that network isolation prevents installing a non-empty requirements.txt", () => {
        const { base } = makeModelDir();
        const w = checkModelDirForDeploy(stackSettings("dev", "model", { enableNetworkIsolation: "true" }), base).warnings;
        assert.strictEqual(w.length, 1);
        assert.match(w[0], /^gpu-multi-model-endpoint:enableNetworkIsolation: the container cannot pip-install .*requirements\.txt without network access/);
    });
});

describe("GpuModelEndpoint validation happens before any resource is registered", function () {
    this.timeout(60000);
    beforeEach(() => resetRecorded());

    const invalidDirs: Array<[string, () => { base: string; dir: string }, RegExp]> = [
        ["a missing model directory", () => { const f = makeModelDir(); fs.rmSync(f.dir, { recursive: true }); return f; }, /model directory does not exist/],
        ["a missing code/inference.py", () => makeModelDir({ inference: null }), /inference\.py: missing/],
        ["an inference.py without the four handlers", () => makeModelDir({ inference: "def model_fn(d):\n    pass\n" }), /does not define input_fn, predict_fn, output_fn at top level/],
        ["a manifest naming a missing model file", () => { const f = makeModelDir(); fs.rmSync(path.join(f.dir, "tiny", "model.bin")); return f; }, /names path "tiny\/model\.bin" but no such file exists/],
        ["an invalid manifest", () => { const f = makeModelDir(); fs.writeFileSync(path.join(f.dir, "models.json"), "{\"models\": []}"); return f; }, /models must list at least one model/],
    ];
    for (const [what, make, message] of invalidDirs) {
        it(`throws for ${what} and registers nothing`, async () => {
            const { base } = make();
            assert.throws(() => new GpuModelEndpoint("ep", { settings: stackSettings("dev", "model"), baseDir: base, buildDir: path.join(base, "build") }),
                (e: Error) => pulumi.RunError.isInstance(e) && message.test(e.message) && /^Model directory .* has \d+ problem\(s\):/.test(e.message));
            await settle();
            assert.deepStrictEqual(allResources(), []);
        });
    }

    it("refuses a model directory that contains the build folder, registering nothing", async () => {
        const { base } = makeModelDir();
        assert.throws(() => new GpuModelEndpoint("ep", { settings: stackSettings("dev", "model"), baseDir: base, buildDir: path.join(base, "model", "build") }),
            /the archive build folder is inside the model directory .*; set gpu-multi-model-endpoint:modelDir to the model folder itself/);
        await settle();
        assert.deepStrictEqual(allResources(), []);
    });

    const invalidConfigs: Array<Record<string, string>> = [
        { instanceType: "ml.m5.xlarge" }, { instanceType: "ml.g4dn.xlarg" }, { initialInstanceCount: "0" }, { frameworkVersion: "1.0" },
        { image: "111122223333.dkr.ecr.us-east-1.amazonaws.com/x:1", pythonVersion: "py312" }, { vpcSubnetIds: '["subnet-0123456789abcdef0"]' },
        { environment: '{"SAGEMAKER_REGION":"x"}' }, { endpointName: "-bad" }, { containerStartupHealthCheckTimeoutInSeconds: "59" },
        { volumeSizeInGb: "10" }, { kmsKeyArn: "nope" }, { artifactPrefix: "/x" },
    ];
    for (const raw of invalidConfigs) {
        it(`stops on config ${JSON.stringify(raw)} before registering anything, as index.ts's loadSettings does`, async () => {
            const { base } = makeModelDir();
            const { raw: dev, region } = stackFile("dev");
            assert.throws(() => {
                const { settings } = requireSettings({ ...dev, modelDir: "model", ...raw }, { project: "gpu-multi-model-endpoint", stack: "dev", region });
                new GpuModelEndpoint("ep", { settings, baseDir: base });
            }, (e: Error) => pulumi.RunError.isInstance(e) && e.message.includes(`gpu-multi-model-endpoint:${Object.keys(raw)[0]}`));
            await settle();
            assert.deepStrictEqual(allResources(), []);
        });
    }
});
