import { allResources, oneOfType, resetRecorded, settle } from "../../support/pulumiMocks";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GpuModelEndpoint } from "../../../sagemaker/gpuModelEndpoint";
import { requireSettings } from "../../../config/config";
import { checkModelDirForDeploy } from "../../../sagemaker/checks/deployChecks";
import { makeModelDir, stackFile, stackSettings } from "../../support/endpointFixture";
import { deploy, sha256File, T } from "../../support/deploy";

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

    it("refuses network isolation with a requirements.txt that downloads packages, naming the file and the ways out", () => {
        const { base, dir } = makeModelDir();
        const req = path.join(dir, "code", "requirements.txt");
        const plan = checkModelDirForDeploy(stackSettings("dev", "model", { enableNetworkIsolation: "true" }), base);
        assert.deepStrictEqual(plan.warnings, []);
        assert.strictEqual(plan.errors.length, 1);
        assert.ok(plan.errors[0].startsWith(`gpu-multi-model-endpoint:enableNetworkIsolation: ${req} lists packages to download, ` +
            "but under network isolation the container has no outbound network and no AWS credentials"), plan.errors[0]);
        assert.match(plan.errors[0], /"--no-index" and "--find-links \/opt\/ml\/model\/code\/wheels"/);
        assert.match(plan.errors[0], /gpu-multi-model-endpoint:codeArtifactRepositoryArn/);
    });

    it("accepts network isolation with an empty or offline (--no-index) requirements.txt", () => {
        for (const requirements of ["", "# nothing\n", "--no-index\n--find-links /opt/ml/model/code/wheels\nscikit-learn==1.2.1\n"]) {
            const { base } = makeModelDir({ requirements, frameworks: ["pytorch"] });
            const plan = checkModelDirForDeploy(stackSettings("dev", "model", { enableNetworkIsolation: "true" }), base);
            assert.deepStrictEqual(plan.errors, [], JSON.stringify(requirements));
        }
    });

    it("throws for network isolation with a downloading requirements.txt and registers nothing", async () => {
        resetRecorded();
        const { base } = makeModelDir();
        assert.throws(() => new GpuModelEndpoint("ep", { settings: stackSettings("dev", "model", { enableNetworkIsolation: "true" }), baseDir: base,
            buildDir: path.join(base, "build") }), (e: Error) => pulumi.RunError.isInstance(e) && /enableNetworkIsolation: .*requirements\.txt lists packages to download/.test(e.message));
        await settle();
        assert.deepStrictEqual(allResources(), []);
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
        ["an invalid manifest", () => { const f = makeModelDir(); fs.writeFileSync(path.join(f.dir, "models.json"), "{\"models\": []}"); return f; }, /models must be a non-empty array of model entries/],
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
