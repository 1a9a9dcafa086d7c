import * as assert from "assert";
import {
    DLC_ACCOUNTS, ecrRepositoryArn, FRAMEWORK_VERSION_ALIASES, GPU_IMAGE_TAGS, parseEcrImage, partitionOf, resolveImageUri,
} from "../../../sagemaker/imageUri";

describe("imageUri: PyTorch inference GPU DLC URIs", () => {
    const cases: Array<[string, string]> = [
        ["us-east-1", "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker"],
        ["af-south-1", "626614931356.dkr.ecr.af-south-1.amazonaws.com/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker"],
        ["ap-east-1", "871362719292.dkr.ecr.ap-east-1.amazonaws.com/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker"],
        ["cn-north-1", "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker"],
    ];
    for (const [region, expected] of cases) {
        it(`resolves the 2.5.1 py311 image in ${region} to ${expected.split("/")[0]}`, () => {
            const r = resolveImageUri({ region, frameworkVersion: "2.5.1", pythonVersion: "py311" });
            assert.deepStrictEqual(r.errors, []);
            assert.strictEqual(r.uri, expected);
        });
    }

    it("uses the amazonaws.com.cn suffix in every China region and amazonaws.com elsewhere", () => {
        for (const region of Object.keys(DLC_ACCOUNTS)) {
            const uri = resolveImageUri({ region, frameworkVersion: "2.5", pythonVersion: "py311" }).uri!;
            assert.strictEqual(uri.includes(".amazonaws.com.cn/"), region.startsWith("cn-"), region);
        }
    });

    it("accepts every alias of the facts file and resolves it to the full version", () => {
        for (const [alias, full] of Object.entries(FRAMEWORK_VERSION_ALIASES)) {
            const py = GPU_IMAGE_TAGS[full] && Object.keys(GPU_IMAGE_TAGS[full])[0];
            if (!py) continue; // 2.0.1 has no tag in the table: tested below as unsupported
            const r = resolveImageUri({ region: "eu-west-1", frameworkVersion: alias, pythonVersion: py });
            assert.strictEqual(r.frameworkVersion, full);
            assert.ok(r.uri!.endsWith(`:${GPU_IMAGE_TAGS[full][py]}`), r.uri);
        }
    });

    it("resolves 2.6 with py312 to the 2.6.0 tag", () => {
        const r = resolveImageUri({ region: "us-west-2", frameworkVersion: "2.6", pythonVersion: "py312" });
        assert.strictEqual(r.uri, "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference:2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker");
    });

    it("rejects an unknown version with a message listing the supported ones", () => {
        const r = resolveImageUri({ region: "us-east-1", frameworkVersion: "1.13", pythonVersion: "py311" });
        assert.strictEqual(r.uri, undefined);
        assert.strictEqual(r.errors.length, 1);
        assert.match(r.errors[0], /^gpu-multi-model-endpoint:frameworkVersion: PyTorch "1\.13" has no known GPU inference image/);
        assert.match(r.errors[0], /2\.5\.1 \(alias 2\.5, py311\)/);
        assert.match(r.errors[0], /2\.6\.0 \(alias 2\.6, py312\)/);
    });

    it("rejects the 2.0 alias, whose 2.0.1 has no SageMaker GPU tag in the table", () => {
        const r = resolveImageUri({ region: "us-east-1", frameworkVersion: "2.0", pythonVersion: "py310" });
        assert.match(r.errors[0], /PyTorch "2\.0" \(2\.0\.1\) has no known GPU inference image/);
    });

    it("rejects a Python the version does not ship, naming the one to set", () => {
        const r = resolveImageUri({ region: "us-east-1", frameworkVersion: "2.6.0", pythonVersion: "py311" });
        assert.deepStrictEqual(r.errors.length, 1);
        assert.match(r.errors[0], /^gpu-multi-model-endpoint:pythonVersion: "py311" is not available for PyTorch 2\.6\.0; set it to py312/);
    });

    it("rejects an unknown region with a message listing the supported regions", () => {
        const r = resolveImageUri({ region: "xx-nowhere-1", frameworkVersion: "2.5.1", pythonVersion: "py311" });
        assert.strictEqual(r.errors.length, 1);
        assert.match(r.errors[0], /^aws:region: "xx-nowhere-1" has no known PyTorch inference image/);
        assert.match(r.errors[0], /af-south-1, ap-east-1/);
        assert.match(r.errors[0], /cn-north-1/);
    });

    it("reports an unknown version and an unknown region together", () => {
        const r = resolveImageUri({ region: "xx-nowhere-1", frameworkVersion: "9.9", pythonVersion: "py311" });
        assert.strictEqual(r.errors.length, 2);
    });

    it("parses ECR image URIs into the repository ARN, with the China partition", () => {
        assert.strictEqual(ecrRepositoryArn(resolveImageUri({ region: "cn-north-1", frameworkVersion: "2.5.1", pythonVersion: "py311" }).uri!),
            "arn:aws-cn:ecr:cn-north-1:727897471807:repository/pytorch-inference");
        assert.strictEqual(ecrRepositoryArn("111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/server@sha256:" + "a".repeat(64)),
            "arn:aws:ecr:eu-west-1:111122223333:repository/team/server");
        assert.strictEqual(parseEcrImage("docker.io/library/python:3.11"), undefined);
        assert.strictEqual(partitionOf("us-gov-west-1"), "aws-us-gov");
    });
});
