import * as assert from "assert";
import { allResources, oneOfType, optionsOf, recordOptions, resetRecorded, resourcesOfType, settle } from "../../support/pulumiMocks";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EndpointAlarms } from "../../../sagemaker/production/alarms";
import { EndpointAutoscaling } from "../../../sagemaker/production/autoscaling";
import { buildDataCaptureConfig } from "../../../sagemaker/dataCapture";
import { buildDeploymentConfig } from "../../../sagemaker/production/deploymentConfig";
import { buildIsolation } from "../../../sagemaker/isolation";
import { parseProductionSettings, ProductionSettings } from "../../../config/productionConfig";
import { ctx, DEV_RAW, PROD_RAW } from "../../support/productionFixtures";

const ENDPOINT = "gpu-multi-model-endpoint-prod";
const VARIANT = "AllTraffic";
const T = {
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    target: "aws:appautoscaling/target:Target",
    policy: "aws:appautoscaling/policy:Policy",
    model: "aws:sagemaker/model:Model",
    config: "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    endpoint: "aws:sagemaker/endpoint:Endpoint",
};

/**
 * The wiring GpuModelEndpoint gets: alarms named from the settings'
 * endpoint name BEFORE the Endpoint, which lists them for auto-rollback and depends on them;
 * autoscaling AFTER it, on its name output; capture and isolation as inputs.
 */
class Wiring extends pulumi.ComponentResource {
    constructor(name: string, production: ProductionSettings, gpusPerInstance: number, opts?: pulumi.ComponentResourceOptions) {
        super("test:production:Wiring", name, {}, opts);
        const parent = { parent: this };
        const isolation = buildIsolation({ vpcSubnetIds: [], vpcSecurityGroupIds: [], enableNetworkIsolation: false,
            codeArtifactRepositoryArn: production.codeArtifactRepositoryArn });
        const model = new aws.sagemaker.Model(`${name}-model`, {
            executionRoleArn: "arn:aws:iam::123456789012:role/r",
            primaryContainer: { image: "img", modelDataUrl: "s3://b/k", environment: { SAGEMAKER_PROGRAM: "inference.py", ...isolation.environment } },
            vpcConfig: isolation.vpcConfig, enableNetworkIsolation: isolation.enableNetworkIsolation,
        }, parent);
        const config = new aws.sagemaker.EndpointConfiguration(`${name}-endpoint-config`, {
            productionVariants: [{ variantName: VARIANT, modelName: model.name, instanceType: "ml.g5.xlarge", initialInstanceCount: 2 }],
            dataCaptureConfig: buildDataCaptureConfig(production.dataCapture, "artifacts-bucket"),
        }, parent);
        const alarms = production.alarms
            ? new EndpointAlarms(`${name}-alarms`, { endpointName: ENDPOINT, variantName: VARIANT, alarms: production.alarms, gpusPerInstance }, parent)
            : undefined;
        const endpoint = new aws.sagemaker.Endpoint(`${name}-endpoint`, {
            name: ENDPOINT, endpointConfigName: config.name,
            deploymentConfig: buildDeploymentConfig(production.deployment, alarms?.alarmNames),
        }, { ...parent, dependsOn: alarms ? [alarms] : [] });
        if (production.autoscaling) {
            new EndpointAutoscaling(`${name}-autoscaling`, { endpointName: endpoint.name, variantName: VARIANT,
                autoscaling: production.autoscaling, gpusPerInstance }, parent);
        }
        this.registerOutputs({});
    }
}

const ALARM_ORDER = ["invocation-5xx-errors", "model-latency-p99", "gpu-memory-utilization"];
/** Alarms in a fixed order (mocks register them asynchronously). */
function alarmsInOrder() {
    const rank = (name: string) => ALARM_ORDER.findIndex((k) => name.endsWith(k));
    return resourcesOfType(T.alarm).sort((a, b) => rank(a.name) - rank(b.name));
}
/** Policies in a fixed order: invocations, then GPU utilization. */
function policiesInOrder() {
    return resourcesOfType(T.policy).sort((a, b) => Number(a.name.endsWith("gpu-utilization")) - Number(b.name.endsWith("gpu-utilization")));
}

function production(raw: Record<string, string>, initialInstanceCount: number): ProductionSettings {
    const r = parseProductionSettings(raw, ctx({ initialInstanceCount }));
    assert.deepStrictEqual(r.errors, []);
    return r.production!;
}

describe("production resources under Pulumi mocks", () => {
    beforeEach(() => resetRecorded());

    it("declares the alarms, autoscaling, rollback, capture and CodeArtifact inputs of a prod stack", async () => {
        const ca = "arn:aws:codeartifact:us-west-2:123456789012:repository/ml/pypi-store";
        new Wiring("prod", production({ ...PROD_RAW, codeArtifactRepositoryArn: ca }, 2), 1, { transformations: [recordOptions] });
        await settle();

        const alarms = alarmsInOrder();
        assert.deepStrictEqual(alarms.map((a) => a.name), ["prod-alarms-invocation-5xx-errors", "prod-alarms-model-latency-p99", "prod-alarms-gpu-memory-utilization"]);
        for (const a of alarms) {
            assert.deepStrictEqual(a.inputs.dimensions, { EndpointName: ENDPOINT, VariantName: VARIANT });
            assert.deepStrictEqual(a.inputs.alarmActions, ["arn:aws:sns:us-east-1:123456789012:ml-alerts"]);
            assert.strictEqual(optionsOf(a.name)!.parent, "prod-alarms");
        }
        assert.deepStrictEqual(alarms.map((a) => [a.inputs.namespace, a.inputs.metricName, a.inputs.statistic ?? a.inputs.extendedStatistic, a.inputs.threshold]), [
            ["AWS/SageMaker", "Invocation5XXErrors", "Sum", 3],
            ["AWS/SageMaker", "ModelLatency", "p99", 500000],
            ["/aws/sagemaker/Endpoints", "GPUMemoryUtilization", "Average", 85],
        ]);

        const endpoint = oneOfType(T.endpoint);
        assert.deepStrictEqual(endpoint.inputs.deploymentConfig.autoRollbackConfiguration.alarms.map((a: { alarmName: string }) => a.alarmName),
            alarms.map((a) => a.inputs.name), "the rollback alarms are the alarms declared");
        assert.strictEqual(endpoint.inputs.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type, "CANARY");
        assert.deepStrictEqual(optionsOf("prod-endpoint")!.dependsOn, ["prod-alarms"], "the endpoint waits for its rollback alarms");

        const target = oneOfType(T.target);
        assert.deepStrictEqual(target.inputs, { serviceNamespace: "sagemaker", scalableDimension: "sagemaker:variant:DesiredInstanceCount",
            resourceId: `endpoint/${ENDPOINT}/variant/${VARIANT}`, minCapacity: 2, maxCapacity: 4 });
        const policies = policiesInOrder();
        assert.deepStrictEqual(policies.map((p) => [p.name, p.inputs.policyType, p.inputs.resourceId, p.inputs.targetTrackingScalingPolicyConfiguration.targetValue]), [
            ["prod-autoscaling-invocations", "TargetTrackingScaling", `endpoint/${ENDPOINT}/variant/${VARIANT}`, 600],
            ["prod-autoscaling-gpu-utilization", "TargetTrackingScaling", `endpoint/${ENDPOINT}/variant/${VARIANT}`, 70],
        ]);
        assert.deepStrictEqual(policies[1].inputs.targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.dimensions,
            [{ name: "EndpointName", value: ENDPOINT }, { name: "VariantName", value: VARIANT }]);

        const capture = oneOfType(T.config).inputs.dataCaptureConfig;
        assert.deepStrictEqual([capture.enableCapture, capture.initialSamplingPercentage, capture.destinationS3Uri],
            [true, 20, "s3://artifacts-bucket/monitoring/capture"]);
        assert.strictEqual(oneOfType(T.model).inputs.primaryContainer.environment.CA_REPOSITORY_ARN, ca);
    });

    it("declares none of them for a dev stack", async () => {
        new Wiring("dev", production(DEV_RAW, 1), 1, { transformations: [recordOptions] });
        await settle();
        for (const type of [T.alarm, T.target, T.policy]) assert.deepStrictEqual(resourcesOfType(type), [], type);
        assert.strictEqual(oneOfType(T.endpoint).inputs.deploymentConfig, undefined);
        assert.strictEqual(oneOfType(T.config).inputs.dataCaptureConfig, undefined);
        assert.deepStrictEqual(oneOfType(T.model).inputs.primaryContainer.environment, { SAGEMAKER_PROGRAM: "inference.py" });
        assert.deepStrictEqual(optionsOf("dev-endpoint")!.dependsOn, []);
    });

    it("scales the GPU thresholds by the instance's GPUs", async () => {
        new Wiring("multi", production(PROD_RAW, 2), 4);
        await settle();
        assert.strictEqual(alarmsInOrder()[2].inputs.threshold, 340);
        assert.strictEqual(policiesInOrder()[1].inputs.targetTrackingScalingPolicyConfiguration.targetValue, 280);
    });

    it("refuses impossible component arguments before registering anything", () => {
        const p = production(PROD_RAW, 2);
        assert.throws(() => new EndpointAlarms("bad", { endpointName: ENDPOINT, variantName: VARIANT, alarms: p.alarms!, gpusPerInstance: 0 }),
            /^Error: EndpointAlarms: gpusPerInstance must be a whole number >= 1, got 0\.$/);
        assert.throws(() => new EndpointAutoscaling("bad", { endpointName: ENDPOINT, variantName: VARIANT,
            autoscaling: { ...p.autoscaling!, minInstances: 5 }, gpusPerInstance: 1 }),
        /^Error: EndpointAutoscaling: need 1 <= minInstances <= maxInstances, got 5 and 4\.$/);
        assert.deepStrictEqual(allResources(), []);
    });
});
