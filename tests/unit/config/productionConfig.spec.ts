import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { parseProductionSettings, PRODUCTION_CONFIG_KEYS, PRODUCTION_KEY_NAMES } from "../../../config/productionConfig";
import { ctx, DEV_RAW, PROD_RAW, PROJECT } from "../../support/productionFixtures";

const K = (key: string) => `${PROJECT}:${key}`;
const parse = (raw: Record<string, string>, over = {}) => parseProductionSettings(raw, ctx(over));
/** The single error of a raw config that differs from a valid one in the given keys. */
function onlyError(raw: Record<string, string>, over = {}): string {
    const r = parse(raw, over);
    assert.strictEqual(r.errors.length, 1, `expected one error, got:\n${r.errors.join("\n")}`);
    assert.strictEqual(r.production, undefined, "no settings when there is an error");
    return r.errors[0];
}

describe("production config: parsing the stack's production keys", () => {
    it("turns nothing on for a dev stack that sets no production key", () => {
        const r = parse(DEV_RAW, { initialInstanceCount: 1 });
        assert.deepStrictEqual(r, { production: {}, errors: [], warnings: [] });
    });

    it("reads every production setting of a prod stack", () => {
        const r = parse(PROD_RAW);
        assert.deepStrictEqual(r.errors, []);
        assert.deepStrictEqual(r.production, {
            autoscaling: { minInstances: 2, maxInstances: 4, targetInvocationsPerInstance: 600, scaleInCooldownSeconds: 900,
                scaleOutCooldownSeconds: 240, gpuUtilizationTargetPercent: 70 },
            alarms: { invocation5xxThreshold: 3, modelLatencyP99Microseconds: 500000, gpuMemoryUtilizationPercent: 85,
                periodSeconds: 60, evaluationPeriods: 3, snsTopicArn: "arn:aws:sns:us-east-1:123456789012:ml-alerts" },
            deployment: { trafficRouting: "CANARY", stepSizeType: "INSTANCE_COUNT", canarySize: 1, linearStepSize: 1,
                waitIntervalSeconds: 600, terminationWaitSeconds: 300, maximumExecutionTimeoutSeconds: 7200, autoRollback: true },
            dataCapture: { samplingPercent: 20, s3Prefix: "monitoring/capture",
                kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
        });
        // No reset warning: preview keeps the live instance count (updateSafety.spec.ts) and warns itself when it cannot read it.
        assert.deepStrictEqual(r.warnings, []);
    });

    it("has one table row per key, each with a type-matching default and a description", () => {
        assert.strictEqual(PRODUCTION_KEY_NAMES.size, PRODUCTION_CONFIG_KEYS.length, "keys are unique");
        for (const k of PRODUCTION_CONFIG_KEYS) {
            const expected = { boolean: "boolean", integer: "number", string: "string", array: "object" }[k.type];
            assert.strictEqual(typeof k.default, expected, k.key);
            assert.ok(k.description.length > 20, k.key);
            assert.match(k.key, /^[a-z][A-Za-z0-9]*$/, k.key);
        }
    });

    it("gives the same settings whether a key is unset or set to its default in the table", () => {
        const stringOf = (v: unknown) => (Array.isArray(v) ? JSON.stringify(v) : String(v));
        const bases: [string, Record<string, string>][] = [
            ["nothing on", {}],
            ["all on", { autoscaling: "true", alarms: "true", dataCapture: "true", deploymentAutoRollback: "true" }],
            ["canary", { alarms: "true", deploymentAutoRollback: "true", deploymentTrafficRouting: "CANARY" }],
            ["linear", { deploymentTrafficRouting: "LINEAR" }],
        ];
        for (const [label, base] of bases) {
            const reference = parse(base);
            assert.deepStrictEqual(reference.errors, [], label);
            for (const k of PRODUCTION_CONFIG_KEYS) {
                if (k.key in base) continue;
                const withDefault = parse({ ...base, [k.key]: stringOf(k.default) });
                assert.deepStrictEqual(withDefault, reference, `${label}: ${k.key} = ${stringOf(k.default)}`);
            }
        }
    });

    it("keeps Pulumi.yaml's declared defaults equal to the table's", () => {
        const file = path.join(__dirname, "..", "..", "..", "Pulumi.yaml");
        const config = (YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, any> }).config ?? {};
        for (const k of PRODUCTION_CONFIG_KEYS) {
            const declared = config[K(k.key)] ?? config[k.key];
            assert.ok(declared, `Pulumi.yaml does not declare ${k.key}`);
            assert.strictEqual(declared.type, k.type, `${k.key}: type`);
            assert.deepStrictEqual(declared.default, k.default, `${k.key}: default`);
        }
    });
});

describe("production config: every validation error names the key and the fix", () => {
    it("rejects values of the wrong type or out of range", () => {
        assert.strictEqual(onlyError({ autoscaling: "yes" }), `${K("autoscaling")}: "yes" is not a boolean; set it to true or false.`);
        assert.strictEqual(onlyError({ alarmEvaluationPeriods: "11" }),
            `${K("alarmEvaluationPeriods")}: "11" is not a whole number from 1 to 10; set it to a whole number of periods from 1 to 10.`);
        assert.strictEqual(onlyError({ dataCaptureSamplingPercent: "12.5" }),
            `${K("dataCaptureSamplingPercent")}: "12.5" is not a whole number from 1 to 100; set it to a whole number of percent from 1 to 100.`);
        assert.strictEqual(onlyError({ autoscalingGpuUtilizationTargetPercent: "101" }),
            `${K("autoscalingGpuUtilizationTargetPercent")}: "101" is not a whole number from 0 to 100; set it to a whole number of percent (0 = off) from 0 to 100.`);
        assert.strictEqual(onlyError({ deploymentWaitIntervalSeconds: "3601" }),
            `${K("deploymentWaitIntervalSeconds")}: "3601" is not a whole number from 0 to 3600; set it to a whole number of seconds from 0 to 3600.`);
        assert.strictEqual(onlyError({ deploymentTrafficRouting: "BLUE_GREEN" }),
            `${K("deploymentTrafficRouting")}: "BLUE_GREEN" is not one of ALL_AT_ONCE, CANARY, LINEAR; set one of them.`);
    });

    it("rejects malformed ARNs with an example of the right form", () => {
        assert.strictEqual(onlyError({ alarms: "true", alarmSnsTopicArn: "ml-alerts" }),
            `${K("alarmSnsTopicArn")}: "ml-alerts" is not an SNS topic ARN; set it like arn:aws:sns:us-east-1:111122223333:my-topic.`);
        assert.strictEqual(onlyError({ dataCaptureKmsKeyArn: "alias/capture" }),
            `${K("dataCaptureKmsKeyArn")}: "alias/capture" is not a KMS key ARN; set it like arn:aws:kms:us-east-1:111122223333:key/<key-id>.`);
        assert.match(onlyError({ codeArtifactRepositoryArn: "arn:aws:codeartifact:us-east-1:123456789012:domain/pypi" }),
            /codeArtifactRepositoryArn: ".*" is not a CodeArtifact repository ARN; set it like arn:aws:codeartifact:us-east-1:111122223333:repository\/<domain>\/<repository>\.$/);
    });

    it("refuses scale to zero, which SageMaker offers only for inference components", () => {
        const e = onlyError({ autoscaling: "true", autoscalingMinInstances: "0", autoscalingScaleToZero: "true" }, { initialInstanceCount: 1 });
        assert.match(e, /^gpu-multi-model-endpoint:autoscalingScaleToZero: SageMaker scales an endpoint to zero instances only when it hosts inference components/);
        assert.match(e, /keep gpu-multi-model-endpoint:autoscalingMinInstances >= 1/);
    });

    it("requires autoscalingMinInstances >= 1 unless scale to zero is chosen explicitly", () => {
        assert.match(onlyError({ autoscaling: "true", autoscalingMinInstances: "0" }, { initialInstanceCount: 1 }),
            /^gpu-multi-model-endpoint:autoscalingMinInstances: 0 would let autoscaling remove every instance.*set it to 1 or more \(scale to zero must be chosen explicitly with gpu-multi-model-endpoint:autoscalingScaleToZero/);
    });

    it("requires min <= initialInstanceCount <= max", () => {
        assert.strictEqual(onlyError({ autoscaling: "true", autoscalingMinInstances: "3", autoscalingMaxInstances: "4" }),
            `${K("autoscalingMinInstances")}: 3 is more than ${K("initialInstanceCount")} 2; set min <= initialInstanceCount <= max.`);
        assert.strictEqual(onlyError({ autoscaling: "true", autoscalingMaxInstances: "1" }, { initialInstanceCount: 2 }),
            `${K("autoscalingMaxInstances")}: 1 is less than ${K("initialInstanceCount")} 2; set min <= initialInstanceCount <= max.`);
    });

    it("requires alarm periods CloudWatch can evaluate for per-minute metrics", () => {
        assert.strictEqual(onlyError({ alarms: "true", alarmPeriodSeconds: "90" }),
            `${K("alarmPeriodSeconds")}: 90 is not a multiple of 60; SageMaker publishes endpoint metrics once a minute, so set 60, 120, 300, ...`);
        assert.strictEqual(onlyError({ alarms: "true", alarmPeriodSeconds: "86400", alarmEvaluationPeriods: "2" }),
            `${K("alarmPeriodSeconds")} x ${K("alarmEvaluationPeriods")} is 172800 s; CloudWatch evaluates at most one day, so lower one of them.`);
    });

    it("requires at least two instances for canary or linear traffic shifting", () => {
        assert.strictEqual(onlyError({ deploymentTrafficRouting: "CANARY" }, { initialInstanceCount: 1 }),
            `${K("deploymentTrafficRouting")}: CANARY shifts traffic in steps of at most 50% of the instances, which needs at least 2 instances ` +
            `(${K("initialInstanceCount")} 1); raise the instance count(s) to 2, or use ALL_AT_ONCE.`);
        assert.match(onlyError({ deploymentTrafficRouting: "LINEAR", autoscaling: "true", autoscalingMinInstances: "1", autoscalingMaxInstances: "4" }),
            /LINEAR shifts traffic .* \(gpu-multi-model-endpoint:initialInstanceCount 2, gpu-multi-model-endpoint:autoscalingMinInstances 1\)/);
    });

    it("limits the canary to half of the instances", () => {
        assert.strictEqual(onlyError({ deploymentTrafficRouting: "CANARY", deploymentCanarySize: "2" }, { initialInstanceCount: 3 }),
            `${K("deploymentCanarySize")}: 2 instance(s) is more than 50% of the variant's instances (${K("initialInstanceCount")} 3); ` +
            `SageMaker requires the canary to be at most half of them, so lower it.`);
        assert.match(onlyError({ deploymentTrafficRouting: "canary", deploymentStepSizeType: "CAPACITY_PERCENT", deploymentCanarySize: "60" }),
            /deploymentCanarySize: 60% is more than 50%/);
    });

    it("keeps linear steps between 10% and 50% of the instances", () => {
        assert.match(onlyError({ deploymentTrafficRouting: "LINEAR", deploymentStepSizeType: "CAPACITY_PERCENT", deploymentLinearStepSize: "5",
            deploymentMaximumExecutionTimeoutSeconds: "14400" }),
            /^gpu-multi-model-endpoint:deploymentLinearStepSize: 5% is not between 10% and 50% of the variant's instances/);
        assert.match(onlyError({ deploymentTrafficRouting: "LINEAR", deploymentLinearStepSize: "1", autoscaling: "true", autoscalingMinInstances: "2", autoscalingMaxInstances: "12",
            deploymentMaximumExecutionTimeoutSeconds: "14400" }),
            /deploymentLinearStepSize: 1 instance\(s\) is not between 10% and 50% .*up to 12\); SageMaker requires each step in that range\.$/);
    });

    it("requires a maximum execution time longer than all waits", () => {
        assert.strictEqual(onlyError({ deploymentTrafficRouting: "LINEAR", deploymentStepSizeType: "CAPACITY_PERCENT", deploymentLinearStepSize: "25",
            deploymentWaitIntervalSeconds: "600", deploymentTerminationWaitSeconds: "600", deploymentMaximumExecutionTimeoutSeconds: "3000" }),
            `${K("deploymentMaximumExecutionTimeoutSeconds")}: 3000 s does not cover the 4 wait interval(s) of 600 s plus the termination wait of ` +
            `600 s (3000 s) and the time to start the new GPU fleet; raise it to at least 3900.`);
    });

    it("requires alarms for auto-rollback", () => {
        assert.strictEqual(onlyError({ deploymentAutoRollback: "true" }),
            `${K("deploymentAutoRollback")}: rolls back when an alarm fires, but ${K("alarms")} is false; set ${K("alarms")} true (or turn auto-rollback off).`);
    });

    it("rejects a capture prefix with slashes at either end", () => {
        assert.strictEqual(onlyError({ dataCapture: "true", dataCaptureS3Prefix: "/capture/" }),
            `${K("dataCaptureS3Prefix")}: "/capture/" must not start or end with "/"; set it like "data-capture" or "monitoring/capture".`);
    });

    it("fails network isolation with downloadable requirements and says pip cannot reach the internet", () => {
        const e = onlyError({}, { enableNetworkIsolation: true, requirementsNonEmpty: true });
        assert.match(e, /^gpu-multi-model-endpoint:enableNetworkIsolation: code\/requirements.txt lists packages to download, but under network isolation the container has no outbound network and no AWS credentials, so pip can reach neither PyPI nor CodeArtifact/);
        assert.match(e, /"--no-index" and "--find-links \/opt\/ml\/model\/code\/wheels"/);
    });

    it("fails CodeArtifact under network isolation, where the toolkit cannot fetch its token", () => {
        const ca = "arn:aws:codeartifact:us-east-1:123456789012:repository/ml/pypi-store";
        const r = parse({ codeArtifactRepositoryArn: ca }, { enableNetworkIsolation: true, requirementsNonEmpty: true });
        assert.strictEqual(r.errors.length, 2);
        assert.match(r.errors[1], /^gpu-multi-model-endpoint:codeArtifactRepositoryArn: with CA_REPOSITORY_ARN set, the serving toolkit asks CodeArtifact for a token before pip runs/);
        assert.match(onlyError({ codeArtifactRepositoryArn: ca }, { enableNetworkIsolation: true, requirementsNonEmpty: false }),
            /Remove gpu-multi-model-endpoint:codeArtifactRepositoryArn, or set gpu-multi-model-endpoint:enableNetworkIsolation false\.$/);
    });

    it("reports every problem at once", () => {
        const r = parse({ autoscaling: "maybe", alarms: "true", alarmPeriodSeconds: "90", deploymentTrafficRouting: "CANARY",
            deploymentAutoRollback: "true", dataCapture: "true", dataCaptureS3Prefix: "a//b" },
        { initialInstanceCount: 1, enableNetworkIsolation: true, requirementsNonEmpty: true });
        assert.strictEqual(r.production, undefined);
        const keys = r.errors.map((e) => /^gpu-multi-model-endpoint:(\w+)/.exec(e)![1]);
        assert.deepStrictEqual(keys, ["autoscaling", "alarmPeriodSeconds", "deploymentTrafficRouting",
            "dataCaptureS3Prefix", "enableNetworkIsolation"]);
    });
});

describe("production config: warnings", () => {
    it("accepts CodeArtifact without isolation and passes it on", () => {
        const ca = "arn:aws:codeartifact:eu-west-1:123456789012:repository/ml/pypi-store";
        const r = parse({ codeArtifactRepositoryArn: ca }, { requirementsNonEmpty: true });
        assert.deepStrictEqual(r, { production: { codeArtifactRepositoryArn: ca }, errors: [], warnings: [] });
        assert.match(parse({ codeArtifactRepositoryArn: ca }).warnings[0], /code\/requirements.txt downloads nothing, so the repository is not needed/);
    });

    it("warns when an alarm cannot fire within one baking interval", () => {
        const r = parse({ ...PROD_RAW, deploymentWaitIntervalSeconds: "120" });
        assert.deepStrictEqual(r.errors, []);
        assert.ok(r.warnings.includes(`${K("deploymentWaitIntervalSeconds")}: 120 s is shorter than the 180 s an alarm needs to fire ` +
            `(${K("alarmPeriodSeconds")} x ${K("alarmEvaluationPeriods")}); a bad version can pass a step before its alarm fires. Raise the wait interval.`), r.warnings.join("\n"));
    });

    it("warns that an SNS topic without alarms notifies nobody", () => {
        assert.deepStrictEqual(parse({ alarmSnsTopicArn: "arn:aws:sns:us-east-1:123456789012:t" }).warnings,
            [`${K("alarmSnsTopicArn")} is set but ${K("alarms")} is false; no alarm notifies it. Set ${K("alarms")} true or remove the topic.`]);
    });

    it("falls back to the stack's kmsKeyArn for captured data", () => {
        const key = "arn:aws:kms:us-east-1:123456789012:key/abc";
        assert.strictEqual(parse({ dataCapture: "true" }, { kmsKeyArn: key }).production!.dataCapture!.kmsKeyArn, key);
    });
});
