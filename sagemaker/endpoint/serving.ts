/**
 * The serving side both topologies share: the EndpointConfiguration (auto-named, kept through updates), the
 * rollback alarms, the GenerationLedger (router), the real-time Endpoint (updated in place) and its autoscaling.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EndpointAlarms } from "../production/alarms";
import { EndpointAutoscaling } from "../production/autoscaling";
import { buildDataCaptureConfig } from "../dataCapture";
import { buildDeploymentConfig } from "../production/deploymentConfig";
import { GenerationLedger } from "../production/generationLedger";
import { rollbackAlarmNames } from "../production/updateSafety";
import { RETAIN_REVISIONS, Topology } from "./topology";
import type { EndpointContext } from "./context";

export function declareServing(ctx: EndpointContext, bucket: pulumi.Output<string>, t: Topology): aws.sagemaker.Endpoint {
    const s = ctx.settings;
    const p = s.production;
    const config = new aws.sagemaker.EndpointConfiguration(ctx.names.endpointConfig, {
        ...(t.configExecutionRoleArn ? { executionRoleArn: t.configExecutionRoleArn } : {}),
        productionVariants: [t.variant],
        // SageMaker rejects a KMS key for instance types with local NVMe storage.
        kmsKeyArn: s.kmsKeyArn && !s.gpu.instanceStorage ? s.kmsKeyArn : undefined,
        dataCaptureConfig: buildDataCaptureConfig(p.dataCapture, bucket),
        tags: ctx.tags,
    }, { ...ctx.opts, ...RETAIN_REVISIONS });
    // Rollback alarms are named from the settings' endpoint name, so they exist before the endpoint lists them.
    const alarms = p.alarms ? new EndpointAlarms(`${ctx.name}-alarms`, { endpointName: s.endpointName, variantName: s.variantName,
        alarms: p.alarms, gpusPerInstance: s.gpu.gpuCount, tags: ctx.tags }, ctx.opts) : undefined;
    const rollbackAlarms = p.deployment?.autoRollback ? rollbackAlarmNames(s.endpointName) : [];
    const ledger = t.generation && GenerationLedger.forSettings(`${ctx.name}-generations`, s,
        { model: t.generation.model, config: config.name, artifact: t.generation.artifact }, ctx.opts);
    const endpoint = new aws.sagemaker.Endpoint(ctx.names.endpoint, {
        name: s.endpointName,
        endpointConfigName: config.name,
        deploymentConfig: buildDeploymentConfig(p.deployment, rollbackAlarms),
        tags: ctx.tags,
    }, { ...ctx.opts, protect: s.protectEndpoint, dependsOn: [...(ledger ? [ledger] : []), ...(alarms ? [alarms] : [])] });
    if (p.autoscaling) {
        new EndpointAutoscaling(`${ctx.name}-autoscaling`, { endpointName: endpoint.name, variantName: s.variantName,
            autoscaling: p.autoscaling, gpusPerInstance: s.gpu.gpuCount }, ctx.opts);
    }
    return endpoint;
}
