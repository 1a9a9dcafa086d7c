import * as assert from "assert";
import { unwrap } from "../../support/pulumiMocks";
import { alarmNames, alarmSpecs } from "../../../sagemaker/production/alarms";
import { scalingPolicyConfigurations, variantResourceId } from "../../../sagemaker/production/autoscaling";
import { buildDataCaptureConfig, dataCapturePolicyStatements, dataCaptureS3Uri } from "../../../sagemaker/dataCapture";
import { buildDeploymentConfig } from "../../../sagemaker/production/deploymentConfig";
import { buildIsolation, codeArtifactPolicyStatements, requirementsIsolationProblem, requirementsNeedNetwork } from "../../../sagemaker/isolation";
import { parseProductionSettings, ProductionSettings } from "../../../config/productionConfig";
import { ctx, DEV_RAW, PROD_RAW } from "../../support/productionFixtures";

const ENDPOINT = "gpu-multi-model-endpoint-prod";
function settingsOf(raw: Record<string, string>, initialInstanceCount = 2): ProductionSettings {
    const r = parseProductionSettings(raw, ctx({ initialInstanceCount }));
    assert.deepStrictEqual(r.errors, []);
    return r.production!;
}
const PROD = () => settingsOf(PROD_RAW);
const DEV = () => settingsOf(DEV_RAW, 1);

describe("production builders: deploymentConfig of the Endpoint", () => {
    it("builds blue/green canary with baking, termination wait, timeout and auto-rollback on the alarms", () => {
        const names = Object.values(alarmNames(ENDPOINT));
        assert.deepStrictEqual(buildDeploymentConfig(PROD().deployment, names), {
            blueGreenUpdatePolicy: {
                trafficRoutingConfiguration: { type: "CANARY", waitIntervalInSeconds: 600, canarySize: { type: "INSTANCE_COUNT", value: 1 } },
                terminationWaitInSeconds: 300,
                maximumExecutionTimeoutInSeconds: 7200,
            },
            autoRollbackConfiguration: { alarms: [
                { alarmName: "gpu-multi-model-endpoint-prod-invocation-5xx-errors" },
                { alarmName: "gpu-multi-model-endpoint-prod-model-latency-p99" },
                { alarmName: "gpu-multi-model-endpoint-prod-gpu-memory-utilization" },
            ] },
        });
    });

    it("builds linear steps in percent without rollback alarms when auto-rollback is off", () => {
        const s = settingsOf({ deploymentTrafficRouting: "LINEAR", deploymentStepSizeType: "CAPACITY_PERCENT", deploymentLinearStepSize: "25",
            deploymentWaitIntervalSeconds: "120", deploymentMaximumExecutionTimeoutSeconds: "1800" });
        assert.deepStrictEqual(buildDeploymentConfig(s.deployment), {
            blueGreenUpdatePolicy: {
                trafficRoutingConfiguration: { type: "LINEAR", waitIntervalInSeconds: 120, linearStepSize: { type: "CAPACITY_PERCENT", value: 25 } },
                terminationWaitInSeconds: 0,
                maximumExecutionTimeoutInSeconds: 1800,
            },
        });
    });

    it("leaves deploymentConfig unset for a dev stack", () => {
        assert.strictEqual(DEV().deployment, undefined);
        assert.strictEqual(buildDeploymentConfig(DEV().deployment), undefined);
    });

    it("refuses auto-rollback without alarm names", () => {
        assert.throws(() => buildDeploymentConfig(PROD().deployment, []),
            /^Error: buildDeploymentConfig: auto-rollback needs 1 to 10 alarm names, got 0; create the alarms/);
    });
});

describe("production builders: alarms", () => {
    it("alarms on 5xx errors, p99 model latency in microseconds and GPU memory of the variant", () => {
        const specs = alarmSpecs({ endpointName: ENDPOINT, variantName: "AllTraffic", alarms: PROD().alarms!, gpusPerInstance: 4 });
        const topic = ["arn:aws:sns:us-east-1:123456789012:ml-alerts"];
        const common = { dimensions: { EndpointName: ENDPOINT, VariantName: "AllTraffic" }, period: 60, evaluationPeriods: 3,
            datapointsToAlarm: 3, treatMissingData: "notBreaching", actionsEnabled: true, alarmActions: topic, okActions: topic, tags: undefined };
        const pick = (i: number) => { const { alarmDescription, ...rest } = specs[i].args; assert.ok(alarmDescription); return rest; };
        assert.deepStrictEqual(specs.map((s) => s.key), ["invocation-5xx-errors", "model-latency-p99", "gpu-memory-utilization"]);
        assert.deepStrictEqual(pick(0), { ...common, name: `${ENDPOINT}-invocation-5xx-errors`, namespace: "AWS/SageMaker",
            metricName: "Invocation5XXErrors", statistic: "Sum", comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 3 });
        assert.deepStrictEqual(pick(1), { ...common, name: `${ENDPOINT}-model-latency-p99`, namespace: "AWS/SageMaker",
            metricName: "ModelLatency", extendedStatistic: "p99", evaluateLowSampleCountPercentiles: "ignore",
            comparisonOperator: "GreaterThanThreshold", threshold: 500000 });
        // 85% of a 4-GPU instance: CloudWatch reports 0-400 %.
        assert.deepStrictEqual(pick(2), { ...common, name: `${ENDPOINT}-gpu-memory-utilization`, namespace: "/aws/sagemaker/Endpoints",
            metricName: "GPUMemoryUtilization", statistic: "Average", comparisonOperator: "GreaterThanThreshold", threshold: 340 });
        assert.match(specs[1].args.alarmDescription as string, /above 500000 microseconds \(0\.5 s\)/);
    });

    it("sends no notifications without a topic", () => {
        const s = settingsOf({ alarms: "true" });
        const spec = alarmSpecs({ endpointName: ENDPOINT, variantName: "AllTraffic", alarms: s.alarms!, gpusPerInstance: 1 })[0];
        assert.deepStrictEqual([spec.args.actionsEnabled, spec.args.alarmActions, spec.args.okActions], [false, [], []]);
    });
});

describe("production builders: autoscaling policies", () => {
    it("addresses the variant as endpoint/<name>/variant/<variant>", () => {
        assert.strictEqual(variantResourceId(ENDPOINT, "AllTraffic"), `endpoint/${ENDPOINT}/variant/AllTraffic`);
    });

    it("tracks invocations per instance and, when set, GPU utilization scaled by the GPUs", () => {
        assert.deepStrictEqual(scalingPolicyConfigurations(ENDPOINT, "AllTraffic", PROD().autoscaling!, 1), [
            { key: "invocations", config: { targetValue: 600, scaleInCooldown: 900, scaleOutCooldown: 240,
                predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" } } },
            { key: "gpu-utilization", config: { targetValue: 70, scaleInCooldown: 900, scaleOutCooldown: 240,
                customizedMetricSpecification: { namespace: "/aws/sagemaker/Endpoints", metricName: "GPUUtilization", statistic: "Average",
                    dimensions: [{ name: "EndpointName", value: ENDPOINT }, { name: "VariantName", value: "AllTraffic" }] } } },
        ]);
        assert.strictEqual(scalingPolicyConfigurations(ENDPOINT, "AllTraffic", PROD().autoscaling!, 4)[1].config.targetValue, 280);
        const invocationsOnly = settingsOf({ autoscaling: "true" }, 1).autoscaling!;
        assert.deepStrictEqual(scalingPolicyConfigurations(ENDPOINT, "AllTraffic", invocationsOnly, 1).map((p) => p.key), ["invocations"]);
    });
});

describe("production builders: data capture", () => {
    it("captures input and output as JSON text to the prefix, encrypted with the key", async () => {
        const c = buildDataCaptureConfig(PROD().dataCapture, "artifacts-bucket")!;
        const { destinationS3Uri, ...rest } = c;
        assert.strictEqual(await unwrap(destinationS3Uri), "s3://artifacts-bucket/monitoring/capture");
        assert.deepStrictEqual(rest, {
            enableCapture: true, initialSamplingPercentage: 20,
            kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            captureOptions: [{ captureMode: "Input" }, { captureMode: "Output" }],
            captureContentTypeHeader: { jsonContentTypes: ["application/json"] },
        });
        assert.strictEqual(buildDataCaptureConfig(DEV().dataCapture, "b"), undefined);
        assert.strictEqual(dataCaptureS3Uri("b", "p/q"), "s3://b/p/q");
    });

    it("lets the role write only under the capture prefix", () => {
        assert.deepStrictEqual(dataCapturePolicyStatements(PROD().dataCapture!, "artifacts-bucket", "aws-cn"), [
            { Sid: "DataCaptureWrite", Effect: "Allow", Action: ["s3:PutObject"], Resource: "arn:aws-cn:s3:::artifacts-bucket/monitoring/capture/*" },
            { Sid: "DataCaptureEncrypt", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Encrypt"],
              Resource: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
        ]);
        assert.strictEqual(dataCapturePolicyStatements(settingsOf({ dataCapture: "true" }).dataCapture!, "b").length, 1);
    });
});

describe("production builders: isolation and CodeArtifact", () => {
    it("builds vpcConfig, network isolation and CA_REPOSITORY_ARN", () => {
        const ca = "arn:aws:codeartifact:us-east-1:123456789012:repository/ml/pypi-store";
        assert.deepStrictEqual(buildIsolation({ vpcSubnetIds: ["subnet-0a"], vpcSecurityGroupIds: ["sg-0b"], enableNetworkIsolation: false,
            codeArtifactRepositoryArn: ca }), {
            vpcConfig: { subnets: ["subnet-0a"], securityGroupIds: ["sg-0b"] }, enableNetworkIsolation: false,
            environment: { CA_REPOSITORY_ARN: ca },
        });
        assert.deepStrictEqual(buildIsolation({ vpcSubnetIds: [], vpcSecurityGroupIds: [], enableNetworkIsolation: true }),
            { vpcConfig: undefined, enableNetworkIsolation: true, environment: {} });
    });

    it("knows which requirements files need the network", () => {
        assert.strictEqual(requirementsNeedNetwork(undefined), false);
        assert.strictEqual(requirementsNeedNetwork("# nothing\n\n"), false);
        assert.strictEqual(requirementsNeedNetwork("scikit-learn==1.2.1  # sentiment\n"), true);
        assert.strictEqual(requirementsNeedNetwork("--no-index\n--find-links /opt/ml/model/code/wheels\nscikit-learn==1.2.1\n"), false);
        assert.strictEqual(requirementsNeedNetwork("--find-links /opt/ml/model/code/wheels\nscikit-learn==1.2.1\n"), true);
        assert.strictEqual(requirementsNeedNetwork("-r more.txt\n"), true);
    });

    it("reports the isolation error for the model directory's requirements file by path", () => {
        const e = requirementsIsolationProblem("gpu-multi-model-endpoint", true, "joblib==1.2.0\n", "/m/code/requirements.txt");
        assert.match(e!, /^gpu-multi-model-endpoint:enableNetworkIsolation: \/m\/code\/requirements.txt lists packages to download/);
        assert.strictEqual(requirementsIsolationProblem("gpu-multi-model-endpoint", false, "joblib==1.2.0\n"), undefined);
        assert.strictEqual(requirementsIsolationProblem("gpu-multi-model-endpoint", true, "--no-index\njoblib==1.2.0\n"), undefined);
    });

    it("grants the CodeArtifact login on the one repository and its domain", () => {
        assert.deepStrictEqual(codeArtifactPolicyStatements("arn:aws:codeartifact:eu-west-1:123456789012:repository/ml/pypi-store"), [
            { Sid: "CodeArtifactToken", Effect: "Allow", Action: ["codeartifact:GetAuthorizationToken"],
              Resource: "arn:aws:codeartifact:eu-west-1:123456789012:domain/ml" },
            { Sid: "CodeArtifactRead", Effect: "Allow", Action: ["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
              Resource: "arn:aws:codeartifact:eu-west-1:123456789012:repository/ml/pypi-store" },
            { Sid: "CodeArtifactBearerToken", Effect: "Allow", Action: ["sts:GetServiceBearerToken"], Resource: "*",
              Condition: { StringEquals: { "sts:AWSServiceName": "codeartifact.amazonaws.com" } } },
        ]);
        assert.throws(() => codeArtifactPolicyStatements("arn:aws:s3:::x"), /is not a CodeArtifact repository ARN/);
    });
});
