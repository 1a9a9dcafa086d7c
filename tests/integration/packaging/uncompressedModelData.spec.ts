import { optionsOf, recordOptions, resetRecorded, resourcesOfType, settle, unwrap } from "../../support/pulumiMocks";
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type * as aws from "@pulumi/aws";
import {
    ModelDataSource, hashModelFiles, layoutPrefix, modelDataSourceFor, objectKey, prepareUncompressedModelData, UNCOMPRESSED_MODEL_DATA_TYPE,
    UncompressedModelData, uncompressedLayout,
} from "../../../sagemaker/uncompressedModelData";
import { cleanupTempDirs, makeModelDir, tempDir, validModelFiles } from "../../support/archiveFixtures";

const OBJECT = "aws:s3/bucketObject:BucketObject";
const sha = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function declare(dir: string, args: { kmsKeyArn?: string; retainOnDelete?: boolean } = {}) {
    const layout = await prepareUncompressedModelData(dir);
    const c = new UncompressedModelData("weights", { dir, bucket: "my-bucket", prefix: "models", tags: { stack: "dev" }, ...args },
        { transformations: [recordOptions] });
    assert.equal(await unwrap(c.layoutId), layout.id);
    const source = await unwrap(c.modelDataSource);
    const s3Uri = await unwrap(c.s3Uri);
    await settle();
    return { layout, source, s3Uri };
}

describe("uncompressed model data (S3Prefix, CompressionType None)", function () {
    beforeEach(() => resetRecorded());
    after(cleanupTempDirs);

    it("hashes the files the archive would pack, in archive order, leaving out ignored files", async () => {
        const files = { ...validModelFiles(), "code/__pycache__/x.pyc": "x" };
        const hashed = await hashModelFiles(makeModelDir(files));
        assert.deepEqual(hashed.map((f) => f.path), ["code/inference.py", "code/requirements.txt", "fashion/model.pt", "models.json", "sentiment/model.joblib"]);
        const expected = validModelFiles();
        for (const f of hashed) assert.equal(f.sha256, sha(expected[f.path]), f.path);
    });

    it("gives a content-addressed id over the sorted sha256, size and path lines", () => {
        const files = [{ path: "b", abs: "/x/b", size: 1, sha256: "bb" }, { path: "a", abs: "/x/a", size: 2, sha256: "aa" }];
        const layout = uncompressedLayout(files);
        assert.equal(layout.digest, sha("aa 2 a\nbb 1 b\n"));
        assert.equal(layout.id, layout.digest.slice(0, 16));
        assert.deepEqual([layout.files.map((f) => f.path), layout.totalBytes], [["a", "b"], 3]);
        assert.equal(layoutPrefix("/models/", layout), `models/${layout.id}/`);
        assert.equal(layoutPrefix("", layout), `${layout.id}/`);
        assert.equal(objectKey("models", layout, { path: "code/inference.py" }), `models/${layout.id}/code/inference.py`);
        assert.deepEqual(modelDataSourceFor("bkt", "models", layout),
            { s3DataSources: [{ s3Uri: `s3://bkt/models/${layout.id}/`, s3DataType: "S3Prefix", compressionType: "None" }] });
    });

    it("rejects names SageMaker cannot place under /opt/ml/model, naming each", () => {
        const long = "x".repeat(256);
        assert.throws(() => uncompressedLayout([{ path: `w/${long}`, abs: "", size: 0, sha256: "" }, { path: "a/ /b", abs: "", size: 0, sha256: "" }]), {
            message: `w/${long}: SageMaker rejects the name segment "${long}" of uncompressed model data (blank, ".", "..", NUL or over 255 bytes); rename it or use the model.tar.gz mode\n`
                + `a/ /b: SageMaker rejects the name segment " " of uncompressed model data (blank, ".", "..", NUL or over 255 bytes); rename it or use the model.tar.gz mode`,
        });
    });

    it("declares one encrypted object per file under <prefix>/<id>/, children of the component, and a S3Prefix data source", async () => {
        const dir = makeModelDir();
        const { layout, source, s3Uri } = await declare(dir);
        const objects = resourcesOfType(OBJECT);
        assert.equal(objects.length, 5);
        assert.deepEqual(objects.map((o) => o.inputs.key).sort(), layout.files.map((f) => `models/${layout.id}/${f.path}`).sort());
        for (const o of objects) {
            assert.equal(o.inputs.bucket, "my-bucket");
            assert.equal(o.inputs.serverSideEncryption, "AES256");
            assert.deepEqual(o.inputs.tags, { stack: "dev" });
            assert.equal(optionsOf(o.name)?.parent, "weights");
            assert.equal(optionsOf(o.name)?.retainOnDelete, false);
        }
        assert.equal(resourcesOfType(UNCOMPRESSED_MODEL_DATA_TYPE).length, 1);
        assert.equal(s3Uri, `s3://my-bucket/models/${layout.id}/`);
        assert.deepEqual(source, { s3DataSources: [{ s3Uri, s3DataType: "S3Prefix", compressionType: "None" }] });
        // Type check (tsc): the output fits aws.sagemaker.Model's primaryContainer.modelDataSource.
        const fits: aws.types.input.sagemaker.ModelPrimaryContainerModelDataSource = source as ModelDataSource;
        assert.ok(fits);
    });

    it("uses SSE-KMS with the given key and retains objects when asked", async () => {
        const kms = "arn:aws:kms:us-east-1:123456789012:key/abc";
        await declare(makeModelDir(), { kmsKeyArn: kms, retainOnDelete: true });
        for (const o of resourcesOfType(OBJECT)) {
            assert.deepEqual([o.inputs.serverSideEncryption, o.inputs.kmsKeyId, optionsOf(o.name)?.retainOnDelete], ["aws:kms", kms, true]);
        }
    });

    it("refuses, before registering anything, a file name SageMaker would reject", () => {
        const dir = makeModelDir({ ...validModelFiles(), "assets/ ": "blank name" });
        assert.throws(() => new UncompressedModelData("bad", { dir, bucket: "b", prefix: "models" }), {
            message: 'assets/ : SageMaker rejects the name segment " " of uncompressed model data (blank, ".", "..", NUL or over 255 bytes); rename it or use the model.tar.gz mode',
        });
        assert.equal(resourcesOfType(OBJECT).length + resourcesOfType(UNCOMPRESSED_MODEL_DATA_TYPE).length, 0);
    });

    it("keeps every key for the same content and moves every key when one byte changes", async () => {
        const dir = makeModelDir();
        const first = await declare(dir);
        const keys1 = resourcesOfType(OBJECT).map((o) => o.inputs.key).sort();
        resetRecorded();
        const same = await declare(makeModelDir());
        assert.deepEqual(resourcesOfType(OBJECT).map((o) => o.inputs.key).sort(), keys1);
        assert.equal(same.s3Uri, first.s3Uri);
        resetRecorded();
        const model = path.join(dir, "fashion/model.pt");
        const bytes = fs.readFileSync(model);
        bytes[0] ^= 1;
        fs.writeFileSync(model, bytes);
        const changed = await declare(dir);
        assert.notEqual(changed.s3Uri, first.s3Uri);
        assert.equal(resourcesOfType(OBJECT).filter((o) => keys1.includes(o.inputs.key)).length, 0);
    });

    it("reuses recorded hashes when no stat changed and re-hashes after an edit", async () => {
        const dir = makeModelDir();
        await sleep(30);
        const cacheFile = path.join(tempDir("hash-cache-"), "hashes.json");
        const first = await hashModelFiles(dir, { cacheFile });
        assert.ok(fs.existsSync(cacheFile));
        let calls = 0;
        const again = await hashModelFiles(dir, { cacheFile, onProgress: () => { calls += 1; } });
        assert.deepEqual([again, calls], [first, 0]);
        fs.writeFileSync(path.join(dir, "models.json"), "{}");
        const edited = await hashModelFiles(dir, { cacheFile });
        assert.equal(edited.find((f) => f.path === "models.json")!.sha256, sha("{}"));
    });

    it("matches what GNU tar extracts from the archive, file for file", async () => {
        const dir = makeModelDir();
        const { buildModelArchive } = await import("../../../packaging/modelArchive");
        const out = path.join(tempDir("cmp-"), "model.tar.gz");
        await buildModelArchive(dir, out);
        const dest = tempDir("cmp-x-");
        execFileSync("tar", ["-xzf", out, "-C", dest]);
        for (const f of await hashModelFiles(dir)) assert.equal(sha(fs.readFileSync(path.join(dest, f.path))), f.sha256, f.path);
    });
});
