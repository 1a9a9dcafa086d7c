import "../../support/pulumiMocks";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
    CONFIG_KEYS, CONFIG_TYPES, DEFAULTS, loadSettings, parseSettings, rawConfigFromStackFile, RawConfig, requireSettings,
} from "../../../config/config";
import { ROOT } from "../../support/endpointFixture";

const P = "gpu-multi-model-endpoint";
const ctx = (region: string | undefined = "us-east-1", stack = "dev") => ({ project: P, stack, region });
const ctxNoRegion = () => ({ project: P, stack: "dev", region: undefined });
const run = (raw: RawConfig, region?: string | null) => parseSettings(raw, region === null ? ctxNoRegion() : ctx(region ?? "us-east-1"));

/** Exactly one error, returned. */
function oneError(raw: RawConfig, region?: string | null): string {
    const r = run(raw, region);
    assert.strictEqual(r.errors.length, 1, `expected one error, got:\n${r.errors.join("\n")}`);
    assert.strictEqual(r.settings, undefined);
    return r.errors[0];
}

describe("config: Pulumi.yaml declares every key with the code's defaults", () => {
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));

    it("names the project gpu-multi-model-endpoint with the nodejs runtime and TypeScript", () => {
        assert.strictEqual(doc.name, P);
        assert.deepStrictEqual(doc.runtime, { name: "nodejs", options: { typescript: true } });
    });

    it("declares every key of the code with a default equal to the code's default", () => {
        for (const key of CONFIG_KEYS) {
            assert.ok(doc.config[key], `Pulumi.yaml lacks ${key}`);
            assert.deepStrictEqual(doc.config[key].default, DEFAULTS[key], key);
        }
    });

    it("declares each key's type as the code does (environment untyped: Pulumi has no object type)", () => {
        for (const key of CONFIG_KEYS) {
            const declared = doc.config[key].type;
            if (CONFIG_TYPES[key] === "object") assert.strictEqual(declared, undefined, key);
            else assert.strictEqual(declared, CONFIG_TYPES[key], key);
            if (declared === "array") assert.deepStrictEqual(doc.config[key].items, { type: "string" }, key);
            assert.ok(typeof doc.config[key].description === "string" && doc.config[key].description.length > 20, key);
        }
    });

    /** Pulumi's ValidateConfigValue (sdk/go/common/workspace/project.go), for the types used here. */
    const pulumiAccepts = (type: string | undefined, items: { type: string } | undefined, v: unknown): boolean => {
        if (type === undefined) return true; // untyped keys are not validated
        if (type === "string") return typeof v === "string";
        if (type === "integer") return Number.isInteger(v) || (typeof v === "string" && /^-?\d+$/.test(v));
        if (type === "boolean") return typeof v === "boolean" || v === "true" || v === "false";
        return type === "array" && Array.isArray(v) && !!items && v.every((x) => pulumiAccepts(items.type, undefined, x));
    };

    it("follows Pulumi's project-config rules: simple types, items for arrays, defaults of the declared type", () => {
        for (const [key, decl] of Object.entries<any>(doc.config)) {
            assert.ok(decl.type === undefined || ["string", "integer", "boolean", "array"].includes(decl.type), key);
            if (decl.type === "array") assert.ok(decl.items, `${key}: an array needs items`);
            assert.ok(!("value" in decl), `${key}: a project key takes a default, not a value`);
            assert.ok("default" in decl && decl.default !== null, `${key}: without a default Pulumi requires every stack to set it`);
            assert.ok(pulumiAccepts(decl.type, decl.items, decl.default), `${key}: default ${JSON.stringify(decl.default)} is not a ${decl.type}`);
        }
    });

    for (const stack of ["dev", "prod"]) {
        it(`has Pulumi.${stack}.yaml set only declared keys, with values of the declared types`, () => {
            const cfg = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")).config;
            for (const [full, value] of Object.entries(cfg)) {
                if (!full.startsWith(`${P}:`)) continue;
                const decl = doc.config[full.slice(P.length + 1)];
                assert.ok(decl, `${full} is not declared in Pulumi.yaml`);
                assert.ok(pulumiAccepts(decl.type, decl.items, value), `${full}: ${JSON.stringify(value)} is not a ${decl.type}`);
            }
        });
    }

    it("parses the Pulumi.yaml defaults themselves (every key, the model cache's and the production rollout's included) into the same settings as an empty config", () => {
        const raw: RawConfig = {};
        for (const key of Object.keys(doc.config)) {
            const d = doc.config[key].default;
            raw[key] = typeof d === "object" ? JSON.stringify(d) : String(d);
        }
        assert.deepStrictEqual(run(raw).settings, run({}).settings);
    });
});

describe("config: parseSettings defaults and values", () => {
    it("gives the documented defaults for an empty config", () => {
        const r = run({});
        assert.deepStrictEqual(r.errors, []);
        const s = r.settings!;
        assert.strictEqual(s.modelDir, "model-src");
        assert.strictEqual(s.modelDataMode, "archive");
        assert.strictEqual(s.instanceType, "ml.g4dn.xlarge");
        assert.strictEqual(s.frameworkVersion, "2.5.1");
        assert.strictEqual(s.pythonVersion, "py311");
        assert.strictEqual(s.imageUri, "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker");
        assert.strictEqual(s.imageSource, "dlc");
        assert.strictEqual(s.endpointName, "gpu-multi-model-endpoint-dev");
        assert.strictEqual(s.variantName, "AllTraffic");
        assert.strictEqual(s.modelServerWorkers, 1);
        assert.strictEqual(s.containerLogLevel, 20);
        assert.strictEqual(s.forceDestroyArtifacts, false);
        assert.strictEqual(s.protectEndpoint, false);
        assert.strictEqual(s.volumeSizeInGb, undefined);
        assert.strictEqual(s.artifactBucket, undefined);
        assert.strictEqual(s.kmsKeyArn, undefined);
        assert.strictEqual(s.executionRoleArn, undefined);
        assert.deepStrictEqual(s.environment, {});
        assert.deepStrictEqual(s.modelCache, {});
        assert.deepStrictEqual([s.vpcSubnetIds, s.vpcSecurityGroupIds], [[], []]);
        assert.strictEqual(s.gpu.gpuCount, 1);
        assert.deepStrictEqual(r.warnings, []);
    });

    it("accepts Pulumi structured config (JSON strings) for environment and the VPC lists", () => {
        const s = run({
            environment: JSON.stringify({ MY_FRACTION: 0.5, FEATURE: true, NAME: "x" }),
            vpcSubnetIds: JSON.stringify(["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]),
            vpcSecurityGroupIds: "sg-0123456789abcdef0",
        }).settings!;
        assert.deepStrictEqual(s.environment, { MY_FRACTION: "0.5", FEATURE: "true", NAME: "x" });
        assert.deepStrictEqual(s.vpcSubnetIds, ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]);
        assert.deepStrictEqual(s.vpcSecurityGroupIds, ["sg-0123456789abcdef0"]);
    });

    it("resolves framework aliases and log level names and numbers", () => {
        const s = run({ frameworkVersion: "2.6", pythonVersion: "py312", containerLogLevel: "warning" }).settings!;
        assert.strictEqual(s.frameworkVersion, "2.6.0");
        assert.strictEqual(s.containerLogLevel, 30);
        assert.strictEqual(run({ containerLogLevel: "10" }).settings!.containerLogLevel, 10);
    });

    it("uses image verbatim and then reports no framework version", () => {
        const image = "111122223333.dkr.ecr.us-east-1.amazonaws.com/custom:1";
        const r = run({ image, frameworkVersion: "2.5.1" });
        assert.strictEqual(r.settings!.imageUri, image);
        assert.strictEqual(r.settings!.imageSource, "config");
        assert.strictEqual(r.settings!.frameworkVersion, undefined);
    });

    it("parses modelDataMode uncompressed, alone and with network isolation, a VPC, a KMS key and a download timeout", () => {
        assert.strictEqual(run({ modelDataMode: "uncompressed" }).settings!.modelDataMode, "uncompressed");
        const r = run({ modelDataMode: " uncompressed ", enableNetworkIsolation: "true", vpcSubnetIds: '["subnet-0123456789abcdef0"]',
            vpcSecurityGroupIds: '["sg-0123456789abcdef0"]', kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/abcd", modelDataDownloadTimeoutInSeconds: "1800" });
        assert.deepStrictEqual(r.errors, []);
        assert.deepStrictEqual([r.settings!.modelDataMode, r.settings!.modelDataDownloadTimeoutInSeconds], ["uncompressed", 1800]);
    });

    it("uses the China partition in cn-north-1", () => {
        assert.strictEqual(run({}, "cn-north-1").settings!.partition, "aws-cn");
    });

    it("accepts a volume size on ml.p3 (no instance storage) and a key in the stack's region", () => {
        const s = run({ instanceType: "ml.p3.2xlarge", volumeSizeInGb: "100",
            kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }).settings!;
        assert.strictEqual(s.volumeSizeInGb, 100);
        assert.ok(s.kmsKeyArn);
    });
});

describe("config: every validation error, by its message", () => {
    const cases: Array<[string, RawConfig, RegExp, (string | null)?]> = [
        ["an unknown key, with a suggestion", { instancetype: "ml.g5.xlarge" }, /^gpu-multi-model-endpoint:instancetype: unknown config key; did you mean gpu-multi-model-endpoint:instanceType\?/],
        ["a missing aws:region", {}, /^aws:region: not set; run `pulumi config set aws:region <region>`/, null],
        ["a malformed aws:region", {}, /^aws:region: "US East" is not an AWS region name/, "US East"],
        ["an invalid bucket name", { artifactBucket: "My_Bucket" }, /^gpu-multi-model-endpoint:artifactBucket: "My_Bucket" may contain only lowercase/],
        ["an invalid prefix", { artifactPrefix: "/models/" }, /^gpu-multi-model-endpoint:artifactPrefix: "\/models\/" must not start or end with "\/"/],
        ["a KMS value that is not a key ARN", { kmsKeyArn: "alias/mine" }, /^gpu-multi-model-endpoint:kmsKeyArn: "alias\/mine" is not a KMS key ARN/],
        ["a KMS key in another region", { kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/abcd" }, /^gpu-multi-model-endpoint:kmsKeyArn: the key is in eu-west-1 but the stack deploys to us-east-1/],
        ["a malformed role ARN", { executionRoleArn: "my-role" }, /^gpu-multi-model-endpoint:executionRoleArn: "my-role" is not an IAM role ARN/],
        ["image with an explicit frameworkVersion", { image: "111122223333.dkr.ecr.us-east-1.amazonaws.com/x:1", frameworkVersion: "2.6" },
            /^gpu-multi-model-endpoint:image and gpu-multi-model-endpoint:frameworkVersion are both set/],
        ["image with an explicit pythonVersion", { image: "111122223333.dkr.ecr.us-east-1.amazonaws.com/x:1", pythonVersion: "py312" },
            /^gpu-multi-model-endpoint:image and gpu-multi-model-endpoint:pythonVersion are both set/],
        ["an image that is not a URI", { image: "pytorch latest" }, /^gpu-multi-model-endpoint:image: "pytorch latest" is not an image URI/],
        ["an unknown framework version", { frameworkVersion: "1.13" }, /^gpu-multi-model-endpoint:frameworkVersion: PyTorch "1\.13" has no known GPU inference image/],
        ["a Python the version lacks", { frameworkVersion: "2.6" }, /^gpu-multi-model-endpoint:pythonVersion: "py311" is not available for PyTorch 2\.6\.0; set it to py312/],
        ["a region without a DLC", {}, /^aws:region: "xx-nowhere-1" has no known PyTorch inference image/, "xx-nowhere-1"],
        ["a CPU instance type", { instanceType: "ml.m5.xlarge" }, /^gpu-multi-model-endpoint:instanceType: "ml\.m5\.xlarge" has no GPU/],
        ["an instance type typo", { instanceType: "ml.g5.xlargee" }, /^gpu-multi-model-endpoint:instanceType: "ml\.g5\.xlargee" is not an instance type SageMaker accepts.*did you mean "ml\.g5\.xlarge"\?/],
        ["zero instances", { initialInstanceCount: "0" }, /^gpu-multi-model-endpoint:initialInstanceCount: "0" is not a whole number from 1 to 10000/],
        ["a fractional instance count", { initialInstanceCount: "1.5" }, /^gpu-multi-model-endpoint:initialInstanceCount: "1\.5" is not a whole number/],
        ["a volume size out of range", { instanceType: "ml.p3.2xlarge", volumeSizeInGb: "600" }, /^gpu-multi-model-endpoint:volumeSizeInGb: "600" is not a whole number from 0 to 512/],
        ["a volume size on an instance-storage type", { volumeSizeInGb: "50" }, /^gpu-multi-model-endpoint:volumeSizeInGb and gpu-multi-model-endpoint:instanceType: ml\.g4dn\.xlarge has local NVMe instance storage/],
        ["a health-check timeout below 60 s", { containerStartupHealthCheckTimeoutInSeconds: "30" }, /^gpu-multi-model-endpoint:containerStartupHealthCheckTimeoutInSeconds: "30" is not a whole number from 60 to 3600; set it to a whole number of seconds/],
        ["a download timeout above 3600 s", { modelDataDownloadTimeoutInSeconds: "4000" }, /^gpu-multi-model-endpoint:modelDataDownloadTimeoutInSeconds: "4000" is not a whole number from 60 to 3600/],
        ["an invalid endpoint name", { endpointName: "my_endpoint" }, /^gpu-multi-model-endpoint:endpointName: "my_endpoint" may contain only letters, digits and hyphens/],
        ["a too long endpoint name", { endpointName: "e".repeat(64) }, /^gpu-multi-model-endpoint:endpointName: "e{64}" is 64 characters long \(at most 63\)/],
        ["an invalid variant name", { variantName: "all traffic" }, /^gpu-multi-model-endpoint:variantName: "all traffic" may contain only/],
        ["zero workers", { modelServerWorkers: "0" }, /^gpu-multi-model-endpoint:modelServerWorkers: "0" is not a whole number from 1 to 64/],
        ["an unknown log level", { containerLogLevel: "LOUD" }, /^gpu-multi-model-endpoint:containerLogLevel: "LOUD" is not a log level; set one of DEBUG, INFO, WARNING, ERROR, CRITICAL/],
        ["environment that is not a map", { environment: "[1,2]" }, /^gpu-multi-model-endpoint:environment: "\[1,2\]" is not a map/],
        ["environment overriding SAGEMAKER_MODEL_SERVER_WORKERS", { environment: '{"SAGEMAKER_MODEL_SERVER_WORKERS":"4"}' },
            /^gpu-multi-model-endpoint:environment: "SAGEMAKER_MODEL_SERVER_WORKERS" is set by the program and cannot be overridden; remove it and set gpu-multi-model-endpoint:modelServerWorkers instead\./],
        ["environment overriding SAGEMAKER_PROGRAM", { environment: '{"SAGEMAKER_PROGRAM":"x.py"}' }, /^gpu-multi-model-endpoint:environment: "SAGEMAKER_PROGRAM" is set by the program/],
        ["environment overriding TF_FORCE_GPU_ALLOW_GROWTH", { environment: '{"TF_FORCE_GPU_ALLOW_GROWTH":"false"}' }, /"TF_FORCE_GPU_ALLOW_GROWTH" is set by the program/],
        ["an invalid environment name", { environment: '{"1BAD":"x"}' }, /^gpu-multi-model-endpoint:environment: "1BAD" is not an environment variable name/],
        ["a nested environment value", { environment: '{"A":{"b":1}}' }, /^gpu-multi-model-endpoint:environment: the value of "A" is not a string, number or boolean/],
        ["an environment value over 1024 characters", { environment: JSON.stringify({ A: "x".repeat(1025) }) }, /the value of "A" is 1025 characters long; SageMaker accepts at most 1024/],
        ["too many environment entries", { environment: JSON.stringify(Object.fromEntries(Array.from({ length: 95 }, (_, i) => [`V${i}`, "1"]))) },
            /^gpu-multi-model-endpoint:environment: 95 entries plus the up to 11 the program sets \(SAGEMAKER_PROGRAM, .*, CA_REPOSITORY_ARN, MODEL_CACHE_BYTES, MODEL_CACHE_FRACTION, MODEL_LOAD_RETRY_SECONDS, MODEL_CACHE_WAIT_SECONDS\) may exceed SageMaker's 100/],
        ["environment overriding MODEL_CACHE_FRACTION", { environment: '{"MODEL_CACHE_FRACTION":"0.6"}' },
            /^gpu-multi-model-endpoint:environment: "MODEL_CACHE_FRACTION" is set by the program and cannot be overridden; remove it and set gpu-multi-model-endpoint:modelCacheFraction instead\./],
        ["environment overriding CA_REPOSITORY_ARN", { environment: '{"CA_REPOSITORY_ARN":"arn:aws:codeartifact:us-east-1:111122223333:repository/d/r"}' },
            /^gpu-multi-model-endpoint:environment: "CA_REPOSITORY_ARN" is set by the program and cannot be overridden; remove it and set gpu-multi-model-endpoint:codeArtifactRepositoryArn instead\./],
        ["a malformed subnet id", { vpcSubnetIds: '["net-1"]', vpcSecurityGroupIds: '["sg-0123456789abcdef0"]' }, /^gpu-multi-model-endpoint:vpcSubnetIds: "net-1" is not a subnet id/],
        ["a malformed security group id", { vpcSubnetIds: '["subnet-0123456789abcdef0"]', vpcSecurityGroupIds: '["group"]' }, /^gpu-multi-model-endpoint:vpcSecurityGroupIds: "group" is not a security group id/],
        ["subnets without security groups", { vpcSubnetIds: '["subnet-0123456789abcdef0"]' }, /^gpu-multi-model-endpoint:vpcSubnetIds is set without gpu-multi-model-endpoint:vpcSecurityGroupIds; set both/],
        ["security groups without subnets", { vpcSecurityGroupIds: '["sg-0123456789abcdef0"]' }, /^gpu-multi-model-endpoint:vpcSecurityGroupIds is set without gpu-multi-model-endpoint:vpcSubnetIds/],
        ["more than 16 subnets", { vpcSubnetIds: JSON.stringify(Array.from({ length: 17 }, (_, i) => `subnet-${String(i).padStart(8, "0")}`)), vpcSecurityGroupIds: '["sg-0123456789abcdef0"]' },
            /^gpu-multi-model-endpoint:vpcSubnetIds: 17 subnets given; SageMaker accepts at most 16/],
        ["more than 5 security groups", { vpcSubnetIds: '["subnet-0123456789abcdef0"]', vpcSecurityGroupIds: JSON.stringify(Array.from({ length: 6 }, (_, i) => `sg-${String(i).padStart(8, "0")}`)) },
            /^gpu-multi-model-endpoint:vpcSecurityGroupIds: 6 security groups given; SageMaker accepts at most 5/],
        ["a VPC list that is not a list of strings", { vpcSubnetIds: "[1, 2]" }, /^gpu-multi-model-endpoint:vpcSubnetIds: "\[1, 2\]" is not a list of strings/],
        ["an unknown model data mode", { modelDataMode: "zip" },
            /^gpu-multi-model-endpoint:modelDataMode: "zip" is not a model data mode; set it to archive or uncompressed \(archive: one model\.tar\.gz; uncompressed: every file under a content-addressed S3 prefix, for large models\)\.$/],
        ["a model data mode in the wrong case", { modelDataMode: "Uncompressed" }, /^gpu-multi-model-endpoint:modelDataMode: "Uncompressed" is not a model data mode/],
        ["a boolean that is not true/false", { protectEndpoint: "yes" }, /^gpu-multi-model-endpoint:protectEndpoint: "yes" is not a boolean; set it to true or false\./],
    ];
    for (const [what, raw, message, region] of cases) {
        it(`reports ${what}`, () => assert.match(oneError(raw, region), message));
    }

    it("reports the default endpoint name when <project>-<stack> is invalid, with a suggestion", () => {
        const r = parseSettings({}, { project: P, stack: "my_stack", region: "us-east-1" });
        assert.deepStrictEqual(r.errors, [
            `${P}:endpointName: the default name "${P}-my_stack" (<project>-<stack>) may contain only letters, digits and hyphens, ` +
            `and must start and end with a letter or digit; set ${P}:endpointName (for example "${P}-my-stack").`,
        ]);
    });

    it("reports every problem at once", () => {
        const r = run({ instanceType: "ml.m5.xlarge", initialInstanceCount: "0", endpointName: "bad_name", protectEndpoint: "maybe", frameworkVersion: "1.0",
            modelDataMode: "tar" });
        assert.strictEqual(r.errors.length, 6, r.errors.join("\n"));
        assert.strictEqual(r.settings, undefined);
    });

    it("does not report keys declared by other modules as unknown", () => {
        const r = parseSettings({ autoscalingMaxInstances: "4" }, { ...ctx(), otherKeys: ["autoscalingMaxInstances"] });
        assert.deepStrictEqual(r.errors, []);
    });
});

describe("config: warnings", () => {
    const warn = (raw: RawConfig) => { const r = run(raw); assert.deepStrictEqual(r.errors, []); return r.warnings; };
    it("warns that forceDestroyArtifacts does not delete a bucket the stack does not manage", () =>
        assert.match(warn({ artifactBucket: "shared-bucket", forceDestroyArtifacts: "true" }).join(), /the bucket "shared-bucket" is not managed by this stack/));
    it("warns about one copy of the models per worker sharing a GPU, not for one worker per GPU", () => {
        assert.match(warn({ modelServerWorkers: "2" }).join(), /^gpu-multi-model-endpoint:modelServerWorkers: 2 workers on 1 GPU\(s\): the workers sharing a GPU each load their own copy of the models they serve; keep one per GPU/);
        assert.deepStrictEqual(warn({ modelServerWorkers: "4", instanceType: "ml.g5.12xlarge" }), []);
    });
    it("warns that the KMS key is not passed to the endpoint configuration on instance-storage types", () =>
        assert.match(warn({ kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/abcd" }).join(), /encrypts the model artifacts only; ml\.g4dn\.xlarge has local NVMe storage/));
    it("warns about a non-ECR image and an image in another region", () => {
        assert.match(warn({ image: "docker.io/library/server:1" }).join(), /is not an ECR image URI/);
        assert.match(warn({ image: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/x:1" }).join(), /the image is in eu-west-1 but the endpoint is in us-east-1/);
    });
});

describe("config: stack files and the pulumi.Config loader", () => {
    it("reads a stack file's project keys and aws:region, stringifying structured values", () => {
        const { raw, region } = rawConfigFromStackFile({ config: {
            "aws:region": "eu-west-1", "gpu-multi-model-endpoint:initialInstanceCount": 2,
            "gpu-multi-model-endpoint:environment": { A: "1" }, "other:key": "x",
        } });
        assert.strictEqual(region, "eu-west-1");
        assert.deepStrictEqual(raw, { initialInstanceCount: "2", environment: '{"A":"1"}' });
    });

    it("throws one RunError listing every problem from requireSettings", () => {
        assert.throws(() => requireSettings({ instanceType: "ml.m5.xlarge", modelServerWorkers: "0" }, ctx()), (e: Error) => {
            assert.ok(pulumi.RunError.isInstance(e));
            assert.match(e.message, /^Stack "dev" has 2 config problem\(s\):\n  - gpu-multi-model-endpoint:instanceType/);
            assert.match(e.message, /\n  - gpu-multi-model-endpoint:modelServerWorkers/);
            return true;
        });
    });

    it("loads settings through pulumi.Config and aws:region", () => {
        const saved = pulumi.runtime.allConfig();
        try {
            pulumi.runtime.setAllConfig({ "aws:region": "eu-west-1", [`${P}:instanceType`]: "ml.g5.2xlarge", [`${P}:vpcSubnetIds`]: '["subnet-0123456789abcdef0"]',
                [`${P}:vpcSecurityGroupIds`]: '["sg-0123456789abcdef0"]' });
            const s = loadSettings();
            assert.strictEqual(s.region, "eu-west-1");
            assert.strictEqual(s.instanceType, "ml.g5.2xlarge");
            assert.deepStrictEqual(s.vpcSubnetIds, ["subnet-0123456789abcdef0"]);
            pulumi.runtime.setAllConfig({ [`${P}:instanceType`]: "ml.t2.medium" });
            assert.throws(() => loadSettings(), /aws:region: not set[\s\S]*ml\.t2\.medium" has no GPU/);
        } finally {
            pulumi.runtime.setAllConfig(saved);
        }
    });
});
