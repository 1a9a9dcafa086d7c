/**
 * Autoscaling of the endpoint variant: an Application Auto Scaling target on
 * `endpoint/<name>/variant/<variant>` (sagemaker:variant:DesiredInstanceCount) with a
 * target-tracking policy on the predefined SageMakerVariantInvocationsPerInstance (invocations per
 * instance per minute), and optionally a second one on the variant's average GPUUtilization.
 * Application Auto Scaling uses its service-linked role for SageMaker (created on first use).
 *
 * Caveats (README "Going to production"): SageMaker refuses an update that changes the instance
 * type of a variant registered for autoscaling (turn autoscaling off, update, turn it on again),
 * and the provider never sends RetainAllVariantProperties, so the component puts the live instance count into a new
 * configuration (liveEndpoint.ts, docs/updates.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AutoscalingSettings } from "../../config/productionConfig";

export const SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount";
export const SERVICE_NAMESPACE = "sagemaker";

/** Pure: the Application Auto Scaling resource id of a production variant. */
export function variantResourceId(endpointName: string, variantName: string): string {
    return `endpoint/${endpointName}/variant/${variantName}`;
}

type TargetTracking = aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfiguration;

/** Pure: the target-tracking configurations, invocations first, then GPU utilization when set. */
export function scalingPolicyConfigurations(
    endpointName: string, variantName: string, autoscaling: AutoscalingSettings, gpusPerInstance: number,
): { key: "invocations" | "gpu-utilization"; config: TargetTracking }[] {
    const cooldowns = { scaleInCooldown: autoscaling.scaleInCooldownSeconds, scaleOutCooldown: autoscaling.scaleOutCooldownSeconds };
    const policies: { key: "invocations" | "gpu-utilization"; config: TargetTracking }[] = [{
        key: "invocations",
        config: {
            targetValue: autoscaling.targetInvocationsPerInstance,
            predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
            ...cooldowns,
        },
    }];
    if (autoscaling.gpuUtilizationTargetPercent !== undefined) {
        policies.push({
            key: "gpu-utilization",
            config: {
                // GPUUtilization is 0-100 per GPU, summed over the instance's GPUs.
                targetValue: autoscaling.gpuUtilizationTargetPercent * gpusPerInstance,
                customizedMetricSpecification: {
                    namespace: "/aws/sagemaker/Endpoints",
                    metricName: "GPUUtilization",
                    dimensions: [{ name: "EndpointName", value: endpointName }, { name: "VariantName", value: variantName }],
                    statistic: "Average",
                },
                ...cooldowns,
            },
        });
    }
    return policies;
}

export interface EndpointAutoscalingArgs {
    /**
     * The Endpoint resource's `name` output (not the settings string), so the target is registered
     * after the endpoint exists and removed before it is deleted.
     */
    endpointName: pulumi.Input<string>;
    /** Production variant name (config `variantName`). */
    variantName: string;
    /** min >= 1, min <= initialInstanceCount <= max, target, cooldowns, optional GPU target (productionConfig.ts). */
    autoscaling: AutoscalingSettings;
    /** GPUs per instance (instanceTypes.ts `gpuCount`), >= 1: scales the GPU utilization target. */
    gpusPerInstance: number;
}

/** Scalable target plus policies. Children: `${name}-target`, `${name}-invocations`, `${name}-gpu-utilization`. */
export class EndpointAutoscaling extends pulumi.ComponentResource {
    public readonly resourceId: pulumi.Output<string>;
    public readonly policyArns: pulumi.Output<string>[];

    constructor(name: string, args: EndpointAutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
        const a = args.autoscaling;
        if (a.minInstances < 1 || a.minInstances > a.maxInstances) {
            throw new Error(`EndpointAutoscaling: need 1 <= minInstances <= maxInstances, got ${a.minInstances} and ${a.maxInstances}.`);
        }
        super("gpu-multi-model-endpoint:autoscaling:EndpointAutoscaling", name, {}, opts);
        const resourceId = pulumi.output(args.endpointName).apply((e) => variantResourceId(e, args.variantName));
        const target = new aws.appautoscaling.Target(`${name}-target`, {
            serviceNamespace: SERVICE_NAMESPACE,
            scalableDimension: SCALABLE_DIMENSION,
            resourceId,
            minCapacity: a.minInstances,
            maxCapacity: a.maxInstances,
        }, { parent: this });
        this.policyArns = [];
        const keys = scalingPolicyConfigurations(args.variantName, args.variantName, a, args.gpusPerInstance).map((p) => p.key);
        for (const key of keys) {
            // The GPU policy's metric dimensions need the endpoint name itself, hence the apply.
            const policyConfig = pulumi.output(args.endpointName).apply((e) =>
                scalingPolicyConfigurations(e, args.variantName, a, args.gpusPerInstance).find((p) => p.key === key)!.config);
            const policy = new aws.appautoscaling.Policy(`${name}-${key}`, {
                policyType: "TargetTrackingScaling",
                serviceNamespace: target.serviceNamespace,
                scalableDimension: target.scalableDimension,
                resourceId: target.resourceId,
                targetTrackingScalingPolicyConfiguration: policyConfig,
            }, { parent: this });
            this.policyArns.push(policy.arn);
        }
        this.resourceId = target.resourceId;
        this.registerOutputs({ resourceId: this.resourceId, policyArns: this.policyArns });
    }
}
