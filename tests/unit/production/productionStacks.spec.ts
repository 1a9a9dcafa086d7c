import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { oneOfType, optionsOf, recordOptions, resetRecorded, resourcesOfType, settle, unwrap } from "../../support/pulumiMocks";
import { GpuModelEndpoint } from "../../../sagemaker/gpuModelEndpoint";
import { parseProductionSettings } from "../../../config/productionConfig";
import { makeModelDir, stackFile, stackSettings } from "../../support/endpointFixture";

const T = {
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm", target: "aws:appautoscaling/target:Target", policy: "aws:appautoscaling/policy:Policy",
    model: "aws:sagemaker/model:Model", config: "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    endpoint: "aws:sagemaker/endpoint:Endpoint", rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};

function productionOf(stack: string) {
    const { raw } = stackFile(stack);
    return parseProductionSettings(raw, {
        project: "gpu-multi-model-endpoint", stack, initialInstanceCount: Number(raw.initialInstanceCount ?? 1), requirementsNonEmpty: false,
    });
}

async function deploy(stack: string) {
    const { base } = makeModelDir();
    const ep = new GpuModelEndpoint("ep", { settings: stackSettings(stack, "model"), baseDir: base, buildDir: path.join(base, "build") },
        { transformations: [recordOptions] });
    await unwrap(pulumi.all([ep.endpointName, ep.artifactSha256]));
    await settle();
}

describe("production rollout of the stack files", function () {
    this.timeout(60000);
    beforeEach(() => resetRecorded());

    it("turns on autoscaling, alarms, canary with auto-rollback and data capture in Pulumi.prod.yaml", () => {
        const r = productionOf("prod");
        assert.deepStrictEqual(r.errors, []);
        const p = r.production!;
        assert.deepStrictEqual([p.autoscaling?.minInstances, p.autoscaling?.maxInstances], [2, 4]);
        assert.ok(p.alarms, "alarms");
        assert.deepStrictEqual([p.deployment?.trafficRouting, p.deployment?.autoRollback], ["CANARY", true]);
        assert.strictEqual(p.dataCapture?.samplingPercent, 20);
    });

    it("turns none of them on in Pulumi.dev.yaml", () => {
        assert.deepStrictEqual(productionOf("dev"), { production: {}, errors: [], warnings: [] });
    });

    it("declares the prod stack's alarms before the endpoint, which rolls back on the 5xx and latency ones (not GPU memory), and autoscaling after it", async () => {
        await deploy("prod");
        const alarmNames = resourcesOfType(T.alarm).map((a) => a.inputs.name as string).sort();
        assert.deepStrictEqual(alarmNames, ["gpu-multi-model-endpoint-prod-gpu-memory-utilization",
            "gpu-multi-model-endpoint-prod-invocation-5xx-errors", "gpu-multi-model-endpoint-prod-model-latency-p99"]);
        const endpoint = oneOfType(T.endpoint).inputs;
        assert.deepStrictEqual(endpoint.deploymentConfig.autoRollbackConfiguration.alarms.map((a: { alarmName: string }) => a.alarmName).sort(),
            alarmNames.filter((n) => !n.endsWith("gpu-memory-utilization")));
        assert.strictEqual(endpoint.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type, "CANARY");
        assert.deepStrictEqual(optionsOf("ep-endpoint")!.dependsOn, ["ep-generations", "ep-alarms"]);
        assert.strictEqual(oneOfType(T.target).inputs.resourceId, "endpoint/gpu-multi-model-endpoint-prod/variant/AllTraffic");
        assert.strictEqual(resourcesOfType(T.policy).length, 2);
        const capture = oneOfType(T.config).inputs.dataCaptureConfig;
        assert.match(capture.destinationS3Uri, /^s3:\/\/.+\/data-capture$/);
        const statements = JSON.parse(oneOfType(T.rolePolicy).inputs.policy).Statement;
        assert.ok(statements.some((s: { Sid: string; Resource: string }) => s.Sid === "DataCaptureWrite" && s.Resource.endsWith("/data-capture/*")));
        for (const n of ["ep-model", "ep-endpoint-config"]) assert.strictEqual(optionsOf(n)?.retainOnDelete, true, n);
    });

    it("declares none of them for the dev stack", async () => {
        await deploy("dev");
        for (const type of [T.alarm, T.target, T.policy]) assert.deepStrictEqual(resourcesOfType(type), [], type);
        assert.strictEqual(oneOfType(T.endpoint).inputs.deploymentConfig, undefined);
        assert.strictEqual(oneOfType(T.config).inputs.dataCaptureConfig, undefined);
        for (const n of ["ep-model", "ep-endpoint-config"]) assert.strictEqual(optionsOf(n)?.retainOnDelete, true, n);
    });
});
