/**
 * Uncompressed model data in the deployment program (gpu-multi-model-endpoint:modelDataMode uncompressed):
 * the endpoint's resources and inputs under Pulumi mocks, and the model-directory checks of that mode.
 */
import { allResources, MOCK_ACCOUNT, oneOfType, optionsOf, resetRecorded, resourcesOfType, settle, unwrap } from "../../support/pulumiMocks";
import * as assert from "assert";
import { rollbackAlarmNames } from "../../../sagemaker/production/updateSafety";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { executionRolePolicy } from "../../../sagemaker/executionRole";
import { uncompressedModeProblems, UNCOMPRESSED_FILES_WARNING } from "../../../sagemaker/checks/deployChecks";
import { GPU_MODEL_ENDPOINT_TYPE, GpuModelEndpoint } from "../../../sagemaker/gpuModelEndpoint";
import { UNCOMPRESSED_MODEL_DATA_TYPE, UncompressedModelData } from "../../../sagemaker/uncompressedModelData";
import { makeModelDir, stackSettings } from "../../support/endpointFixture";
import { deploy, EndpointOutputs, T } from "../../support/deploy";

const BUCKET = "ep-artifacts-0a1b2c3";
const P = "gpu-multi-model-endpoint";
const sha = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");

/** The content address written out from the contract: sha256 over the bytewise-sorted `sha256 size path` lines. */
function expectedDigest(dir: string, files: string[]): string {
    const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return sha(sorted.map((f) => { const b = fs.readFileSync(path.join(dir, f)); return `${sha(b)} ${b.length} ${f}\n`; }).join(""));
}
const FILES = ["code/inference.py", "code/requirements.txt", "models.json", "tiny/model.bin"];

/** IAM StringLike: `*` matches any run of characters, `?` one. */
const stringLike = (pattern: string, value: string) =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(value);

describe("the stack files keep the archive mode", () => {
    for (const stack of ["dev", "prod"]) {
        it(`Pulumi.${stack}.yaml uses modelDataMode archive (the default)`, () => {
            assert.strictEqual(stackSettings(stack, "model").modelDataMode, "archive");
        });
    }
});

for (const [stack, e] of Object.entries({ dev: { prefix: "models", retain: false }, prod: { prefix: "prod/models", retain: true } })) {
    describe(`GpuModelEndpoint with modelDataMode uncompressed on Pulumi.${stack}.yaml (Pulumi mocks)`, function () {
        this.timeout(60000);
        let out: EndpointOutputs;
        let base: string;
        let dir: string;
        let digest: string;
        const tags = { project: P, stack, "managed-by": "pulumi" };

        before(async () => {
            resetRecorded();
            ({ base, dir } = makeModelDir());
            digest = expectedDigest(dir, FILES);
            out = await deploy(stackSettings(stack, "model", { modelDataMode: "uncompressed" }), base);
        });

        it("declares one object per model file under the model-files component instead of the archive, and builds no archive", () => {
            const names = allResources().map((r) => `${r.type} ${r.name}`);
            assert.ok(!names.some((n) => n.endsWith(" ep-model-archive")), names.join("\n"));
            assert.strictEqual(oneOfType(UNCOMPRESSED_MODEL_DATA_TYPE).name, "ep-model-files");
            assert.strictEqual(optionsOf("ep-model-files")?.parent, "ep");
            const objects = resourcesOfType(T.object);
            assert.strictEqual(objects.length, FILES.length);
            for (const o of objects) assert.strictEqual(optionsOf(o.name)?.parent, "ep-model-files", o.name);
            for (const t of [GPU_MODEL_ENDPOINT_TYPE, T.bucket, T.role, T.rolePolicy, T.model, T.config, T.endpoint]) assert.strictEqual(resourcesOfType(t).length, 1, t);
            assert.ok(!fs.existsSync(path.join(base, "build", "model.tar.gz")), "no archive is built in uncompressed mode");
            assert.ok(fs.existsSync(path.join(base, "build", "uncompressed-hashes.json")), "the hashes are recorded for the next run");
        });

        it(`uploads each file, encrypted, under ${e.prefix}/<id>/ with id = the first 16 hex of the content digest, kept by updates (retainOnDelete; the generation ledger deletes old ones)`, async () => {
            const id = digest.slice(0, 16);
            const objects = resourcesOfType(T.object);
            assert.deepStrictEqual(objects.map((o) => o.inputs.key).sort(), FILES.map((f) => `${e.prefix}/${id}/${f}`));
            for (const o of objects) {
                const source: string = await o.inputs.source.path;
                assert.ok(!path.isAbsolute(source), `${source}: relative to the project root, as the archive's`);
                const file = path.relative(dir, path.resolve(source)).split(path.sep).join("/");
                assert.strictEqual(o.inputs.key, `${e.prefix}/${id}/${file}`, "each key holds its own file");
                assert.deepStrictEqual([o.inputs.bucket, o.inputs.serverSideEncryption, o.inputs.contentType, o.inputs.tags],
                    [BUCKET, "AES256", "application/octet-stream", tags]);
                assert.strictEqual(optionsOf(o.name)?.retainOnDelete, true, o.name);
            }
        });

        it("points the Model's modelDataSource at the prefix (S3Prefix, CompressionType None, ending with /) and sets no modelDataUrl", () => {
            const container = oneOfType(T.model).inputs.primaryContainer;
            const s3Uri = `s3://${BUCKET}/${e.prefix}/${digest.slice(0, 16)}/`;
            assert.deepStrictEqual(container.modelDataSource, { s3DataSources: [{ s3Uri, s3DataType: "S3Prefix", compressionType: "None" }] });
            assert.strictEqual(container.modelDataUrl, undefined);
            assert.strictEqual(container.environment.SAGEMAKER_SUBMIT_DIRECTORY, "/opt/ml/model/code");
            assert.deepStrictEqual(optionsOf("ep-model")?.dependsOn, ["ep-execution-policy"]);
        });

        it("lets the role read and list the prefix only: GetObject on <artifactPrefix>/*, ListBucket with an s3:prefix condition", () => {
            const policy = JSON.parse(oneOfType(T.rolePolicy).inputs.policy);
            const image = `763104351884.dkr.ecr.${stackSettings(stack, "model").region}.amazonaws.com/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker`;
            assert.deepStrictEqual(policy, executionRolePolicy({ partition: "aws", region: stackSettings(stack, "model").region, accountId: MOCK_ACCOUNT,
                bucket: BUCKET, prefix: e.prefix, imageUri: image, endpointName: `${P}-${stack}`, dataCapture: stackSettings(stack, "model").production.dataCapture,
                rollbackAlarmNames: stack === "prod" ? rollbackAlarmNames(`${P}-${stack}`) : [] }));
            const s3 = policy.Statement.filter((s: any) => s.Action.some((a: string) => a.startsWith("s3:")) && s.Sid !== "DataCaptureWrite");
            assert.deepStrictEqual(s3, [
                { Sid: "ReadModelArtifacts", Effect: "Allow", Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${BUCKET}/${e.prefix}/*` },
                { Sid: "ListModelArtifacts", Effect: "Allow", Action: ["s3:ListBucket"], Resource: `arn:aws:s3:::${BUCKET}`,
                    Condition: { StringLike: { "s3:prefix": [`${e.prefix}/*`] } } },
            ]);
            // What SageMaker does with the S3Prefix: list `<prefix>/<id>/`, then get every key under it.
            const [read, list] = s3 as [any, any];
            const listed = `${e.prefix}/${digest.slice(0, 16)}/`;
            assert.ok(stringLike(list.Condition.StringLike["s3:prefix"][0], listed));
            for (const o of resourcesOfType(T.object)) assert.ok(stringLike(read.Resource, `arn:aws:s3:::${BUCKET}/${o.inputs.key}`), o.inputs.key);
            assert.ok(!stringLike(read.Resource, `arn:aws:s3:::${BUCKET}/other/${digest.slice(0, 16)}/models.json`));
            assert.ok(!stringLike(list.Condition.StringLike["s3:prefix"][0], "other/"));
        });

        it("keeps the download timeout on the configuration (it bounds the copy of the files too)", () => {
            assert.strictEqual(oneOfType(T.config).inputs.productionVariants[0].modelDataDownloadTimeoutInSeconds, 600);
        });

        it("exports modelDataUrl = the prefix URI and artifactSha256 = the digest over the file list", () => {
            assert.strictEqual(out.modelDataUrl, `s3://${BUCKET}/${e.prefix}/${digest.slice(0, 16)}/`);
            assert.strictEqual(out.artifactSha256, digest);
            assert.match(out.artifactSha256, /^[0-9a-f]{64}$/);
        });
    });
}

describe("GpuModelEndpoint uncompressed mode with other settings (Pulumi mocks)", function () {
    this.timeout(60000);
    beforeEach(() => resetRecorded());

    it("encrypts every file with the KMS key and works with network isolation and a VPC", async () => {
        const { base } = makeModelDir({ requirements: "", frameworks: ["pytorch"] });
        const key = "arn:aws:kms:us-east-1:111122223333:key/abcd";
        await deploy(stackSettings("dev", "model", { modelDataMode: "uncompressed", kmsKeyArn: key, enableNetworkIsolation: "true",
            vpcSubnetIds: '["subnet-0123456789abcdef0"]', vpcSecurityGroupIds: '["sg-0123456789abcdef0"]' }), base);
        for (const o of resourcesOfType(T.object)) assert.deepStrictEqual([o.inputs.serverSideEncryption, o.inputs.kmsKeyId], ["aws:kms", key], o.name);
        const model = oneOfType(T.model).inputs;
        assert.strictEqual(model.enableNetworkIsolation, true);
        assert.strictEqual(model.primaryContainer.modelDataSource.s3DataSources[0].compressionType, "None");
        const policy = JSON.parse(oneOfType(T.rolePolicy).inputs.policy);
        assert.ok(policy.Statement.some((s: any) => s.Sid === "DecryptModelArtifacts" && s.Resource === key));
    });

    it("uses a configured bucket for the files", async () => {
        const { base } = makeModelDir();
        const out = await deploy(stackSettings("dev", "model", { modelDataMode: "uncompressed", artifactBucket: "shared-artifacts" }), base);
        for (const o of resourcesOfType(T.object)) assert.strictEqual(o.inputs.bucket, "shared-artifacts");
        assert.match(out.modelDataUrl, /^s3:\/\/shared-artifacts\/models\/[0-9a-f]{16}\/$/);
    });

    it("moves the Model to a new prefix when one byte of a model file changes", async () => {
        const { base, dir } = makeModelDir();
        const first = await deploy(stackSettings("dev", "model", { modelDataMode: "uncompressed" }), base);
        resetRecorded();
        fs.writeFileSync(path.join(dir, "tiny", "model.bin"), "tiny model v2\n");
        const second = await deploy(stackSettings("dev", "model", { modelDataMode: "uncompressed" }), base);
        assert.notStrictEqual(second.artifactSha256, first.artifactSha256);
        assert.strictEqual(second.artifactSha256, expectedDigest(dir, FILES));
        assert.strictEqual(oneOfType(T.model).inputs.primaryContainer.modelDataSource.s3DataSources[0].s3Uri, second.modelDataUrl);
    });

    it("refuses a file name SageMaker rejects under an S3Prefix with every other problem at once, before registering anything", async () => {
        const { base, dir } = makeModelDir();
        fs.writeFileSync(path.join(dir, "tiny", " "), "blank name");
        const settings = stackSettings("dev", "model", { modelDataMode: "uncompressed", enableNetworkIsolation: "true" });
        assert.throws(() => new GpuModelEndpoint("ep", { settings, baseDir: base, buildDir: path.join(base, "build") }), (err: Error) => {
            assert.ok(pulumi.RunError.isInstance(err), String(err));
            const lines = err.message.split("\n");
            assert.strictEqual(lines[0], `Model directory ${dir} has 2 problem(s):`);
            assert.strictEqual(lines[1], `  - ${dir}/tiny/ : SageMaker rejects the name segment " " of uncompressed model data ` +
                `(blank, ".", "..", NUL or over 255 bytes); rename it or set ${P}:modelDataMode to archive.`);
            assert.ok(lines[2].startsWith(`  - ${P}:enableNetworkIsolation: `), lines[2]);
            return true;
        });
        await settle();
        assert.deepStrictEqual(allResources(), []);
    });

    it("accepts the same blank-named file in archive mode (the tar entry keeps it)", async () => {
        const { base, dir } = makeModelDir();
        fs.writeFileSync(path.join(dir, "tiny", " "), "blank name");
        await deploy(stackSettings("dev", "model"), base);
        assert.strictEqual(resourcesOfType(T.object).length, 1);
    });
});

describe("UncompressedModelData progress (Pulumi mocks)", () => {
    beforeEach(() => resetRecorded());

    it("reports the bytes hashed after each file, ending at the total, and nothing when the hash record is reused", async () => {
        const { base, dir } = makeModelDir();
        const total = FILES.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
        const hashCacheFile = path.join(base, "build", "hashes.json");
        await new Promise((r) => setTimeout(r, 30)); // past the file system's clock tick, so the record is kept
        const run = async () => {
            const seen: Array<[number, number]> = [];
            const c = new UncompressedModelData("files", { dir, bucket: "b", prefix: "models", hashCacheFile, onProgress: (d, t) => seen.push([d, t]) });
            await unwrap(c.digest);
            await settle();
            return seen;
        };
        const first = await run();
        assert.strictEqual(first.length, FILES.length);
        assert.deepStrictEqual(first[first.length - 1], [total, total]);
        assert.ok(first.every(([d], i) => i === 0 || d >= first[i - 1][0]), "monotonic");
        assert.deepStrictEqual(await run(), []);
    });
});

describe("uncompressedModeProblems (pure)", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `shards/part-${i}.bin`);

    it(`warns above ${UNCOMPRESSED_FILES_WARNING} files (one S3 object and Pulumi resource each), not at ${UNCOMPRESSED_FILES_WARNING}`, () => {
        assert.deepStrictEqual(uncompressedModeProblems(P, "/m", many(UNCOMPRESSED_FILES_WARNING)), { errors: [], warnings: [] });
        assert.deepStrictEqual(uncompressedModeProblems(P, "/m", many(UNCOMPRESSED_FILES_WARNING + 1)), { errors: [], warnings: [
            `${P}:modelDataMode: /m has ${UNCOMPRESSED_FILES_WARNING + 1} files; uncompressed mode declares one S3 object (one Pulumi resource) per file, ` +
            `which makes preview and state large. Merge small files (e.g. shard weights into fewer, larger files) or set ${P}:modelDataMode to archive.`,
        ] });
    });

    it("names every rejected segment: blank, dot, dot-dot and over 255 bytes", () => {
        const long = "x".repeat(256);
        const r = uncompressedModeProblems(P, "/m", ["a/./b", "a/../b", `w/${long}`, "ok/file.bin"]);
        assert.deepStrictEqual(r.errors.map((x) => x.split(":")[0]), ["/m/a/./b", "/m/a/../b", `/m/w/${long}`]);
        for (const x of r.errors) assert.ok(x.endsWith(`rename it or set ${P}:modelDataMode to archive.`), x);
    });
});
