import { allResources, resetRecorded, settle, unwrap } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { makeModelDir } from "../../support/endpointFixture";

const REPO_BUILD = path.join(__dirname, "..", "..", "..", "build", "model-archive");

/** Name, size and mtime of every entry of `dir` (one level), or "absent". */
function snapshot(dir: string): string {
    if (!fs.existsSync(dir)) return "absent";
    return fs.readdirSync(dir).sort().map((n) => {
        const st = fs.statSync(path.join(dir, n));
        return `${n} ${st.size} ${st.mtimeMs}`;
    }).join("\n");
}

describe("config/, packaging/ and sagemaker/: the program's modules", () => {
    it("export the config readers, the endpoint component and its resource and archive functions from their folders", () => {
        const modules: Record<string, string[]> = {
            "../../../config/config": ["parseSettings", "loadSettings"],
            "../../../sagemaker/gpuModelEndpoint": ["GpuModelEndpoint"],
            "../../../sagemaker/imageUri": ["resolveImageUri"],
            "../../../sagemaker/instanceTypes": ["gpuInstanceInfo"],
            "../../../sagemaker/executionRole": ["executionRolePolicy"],
            "../../../sagemaker/artifactBucket": ["bucketPolicy"],
            "../../../packaging/modelArchive": ["buildModelArchive"],
            "../../../packaging/modelDir": ["validateModelDir"],
            "../../../packaging/manifest": ["checkManifest"],
        };
        for (const [file, names] of Object.entries(modules)) {
            // eslint-disable-next-line @typescript-eslint/no-var-requires
            const mod = require(file);
            for (const name of names) assert.strictEqual(typeof mod[name], "function", name);
        }
    });
});

describe("index.ts: the Pulumi program", function () {
    this.timeout(60000);

    it("reads the stack config, builds the endpoint and exports exactly the nine outputs", async () => {
        resetRecorded();
        const { dir } = makeModelDir();
        const saved = pulumi.runtime.allConfig();
        // The program builds under <cwd>/build/model-archive: run it from a temp project folder, never the repo's.
        const repoBuildBefore = snapshot(REPO_BUILD);
        const cwd = process.cwd();
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "gmme-index-"));
        process.chdir(project);
        try {
            pulumi.runtime.setAllConfig({
                "aws:region": "eu-west-1",
                "gpu-multi-model-endpoint:modelDir": dir,
                "gpu-multi-model-endpoint:instanceType": "ml.g5.xlarge",
            });
            // eslint-disable-next-line @typescript-eslint/no-var-requires
            const program = require("../../../index");
            assert.deepStrictEqual(Object.keys(program).sort(), [
                "artifactSha256", "endpointArn", "endpointConfigName", "endpointName", "executionRoleArn", "imageUri", "modelDataUrl", "region", "variantName",
            ]);
            for (const k of Object.keys(program)) assert.ok(pulumi.Output.isInstance(program[k]), k);
            assert.strictEqual(await unwrap(program.region), "eu-west-1");
            assert.strictEqual(await unwrap(program.endpointName), "gpu-multi-model-endpoint-test");
            assert.match(await unwrap<string>(program.imageUri), /^763104351884\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/pytorch-inference:2\.5\.1-gpu-py311/);
            assert.match(await unwrap<string>(program.modelDataUrl), /^s3:\/\/gpu-endpoint-artifacts-0a1b2c3\/models\/[0-9a-f]{16}\/model\.tar\.gz$/);
            await settle();
            assert.ok(allResources().some((r) => r.type === "aws:sagemaker/endpoint:Endpoint" && r.name === "gpu-endpoint-endpoint"));
            const sha16 = (await unwrap<string>(program.artifactSha256)).slice(0, 16);
            assert.ok(fs.existsSync(path.join(project, "build", "model-archive", sha16, "model.tar.gz")), "archive built in the temp project folder");
            assert.strictEqual(snapshot(REPO_BUILD), repoBuildBefore, "the repo's build/model-archive is untouched");
        } finally {
            process.chdir(cwd);
            pulumi.runtime.setAllConfig(saved);
            fs.rmSync(project, { recursive: true, force: true });
        }
    });
});

describe("index.ts with topology components", function () {
    this.timeout(60000);

    it("exports the router's outputs plus inferenceComponents, the map of model name to inference component name", async () => {
        resetRecorded();
        const { dir } = makeModelDir({ frameworks: ["sklearn", "sklearn"] });
        const saved = pulumi.runtime.allConfig();
        const cwd = process.cwd();
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "gmme-index-"));
        process.chdir(project);
        const id = require.resolve("../../../index");
        const cached = require.cache[id];
        delete require.cache[id];
        try {
            pulumi.runtime.setAllConfig({ "aws:region": "eu-west-1", "gpu-multi-model-endpoint:modelDir": dir,
                "gpu-multi-model-endpoint:topology": "components", "gpu-multi-model-endpoint:componentsMinInstanceCount": "0",
                "gpu-multi-model-endpoint:componentCopies": JSON.stringify({ m1: { min: 0 } }) });
            // eslint-disable-next-line @typescript-eslint/no-var-requires
            const program = require("../../../index");
            assert.deepStrictEqual(Object.keys(program).sort(), ["artifactSha256", "endpointArn", "endpointConfigName", "endpointName", "executionRoleArn",
                "imageUri", "inferenceComponents", "modelDataUrl", "region", "variantName"]);
            assert.deepStrictEqual(await unwrap(program.inferenceComponents), { m0: "gpu-multi-model-endpoint-test-m0", m1: "gpu-multi-model-endpoint-test-m1" });
            await settle();
            assert.strictEqual(allResources().filter((r) => r.type === "aws-native:sagemaker:InferenceComponent").length, 2);
            const alarms = allResources().filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
            assert.deepStrictEqual(alarms.map((a) => a.inputs.dimensions), [{ InferenceComponentName: "gpu-multi-model-endpoint-test-m1" }]);
        } finally {
            process.chdir(cwd);
            pulumi.runtime.setAllConfig(saved);
            if (cached) require.cache[id] = cached; else delete require.cache[id];
            fs.rmSync(project, { recursive: true, force: true });
        }
    });
});
