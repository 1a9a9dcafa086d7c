/**
 * Copy-count autoscaling of one inference component (SageMaker's inference-component autoscaling and
 * scale-to-zero guides): an Application Auto Scaling target on `inference-component/<name>`
 * (sagemaker:inference-component:DesiredCopyCount) with a target-tracking policy on the predefined
 * SageMakerInferenceComponentInvocationsPerCopy; when the minimum is 0 copies, also the step-scaling policy
 * (+1 copy) that a CloudWatch alarm on the component's NoCapacityInvocationFailures triggers, because
 * target tracking has no metric to act on while no copy runs. Pure builders plus one Pulumi component.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_NAMESPACE } from "../production/autoscaling";
import type { CopyCounts } from "../../config/topologyConfig";

export const COMPONENT_SCALABLE_DIMENSION = "sagemaker:inference-component:DesiredCopyCount";
export const COMPONENT_METRIC = "SageMakerInferenceComponentInvocationsPerCopy";
export const NO_CAPACITY_METRIC = "NoCapacityInvocationFailures";
/** Period of the scale-out-from-zero alarm: SageMaker publishes the metric each minute. */
export const NO_CAPACITY_PERIOD_SECONDS = 60;

/** Pure: the Application Auto Scaling resource id of an inference component. */
export function componentResourceId(componentName: string): string {
    return `inference-component/${componentName}`;
}

type TargetTracking = aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfiguration;
type StepScaling = aws.types.input.appautoscaling.PolicyStepScalingPolicyConfiguration;

/** Pure: the target-tracking configuration on invocations per copy (per minute). */
export function copyTargetTracking(target: number, scaleInCooldown: number, scaleOutCooldown: number): TargetTracking {
    return { targetValue: target, predefinedMetricSpecification: { predefinedMetricType: COMPONENT_METRIC }, scaleInCooldown, scaleOutCooldown };
}

/** Pure: the scale-out-from-zero step policy: one more copy whenever its alarm fires. */
export function scaleOutFromZeroStep(cooldown: number): StepScaling {
    return { adjustmentType: "ChangeInCapacity", metricAggregationType: "Maximum", cooldown, stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }] };
}

export interface ComponentScalingArgs {
    /** The InferenceComponent's name output, so the target is registered after the component exists. */
    componentName: pulumi.Input<string>;
    copies: CopyCounts;
    targetInvocationsPerCopy: number;
    scaleInCooldownSeconds: number;
    scaleOutCooldownSeconds: number;
    tags: Record<string, string>;
}

/** Children: `${name}-target`, `${name}-invocations`, and with min 0 copies `${name}-from-zero` + `${name}-no-capacity`. */
export class ComponentScaling extends pulumi.ComponentResource {
    public readonly resourceId: pulumi.Output<string>;

    constructor(name: string, args: ComponentScalingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gpu-multi-model-endpoint:components:ComponentScaling", name, {}, opts);
        const parent = { parent: this };
        const target = new aws.appautoscaling.Target(`${name}-target`, {
            serviceNamespace: SERVICE_NAMESPACE,
            scalableDimension: COMPONENT_SCALABLE_DIMENSION,
            resourceId: pulumi.output(args.componentName).apply(componentResourceId),
            minCapacity: args.copies.min,
            maxCapacity: args.copies.max,
        }, parent);
        const on = { serviceNamespace: target.serviceNamespace, scalableDimension: target.scalableDimension, resourceId: target.resourceId };
        new aws.appautoscaling.Policy(`${name}-invocations`, {
            policyType: "TargetTrackingScaling", ...on,
            targetTrackingScalingPolicyConfiguration: copyTargetTracking(args.targetInvocationsPerCopy, args.scaleInCooldownSeconds, args.scaleOutCooldownSeconds),
        }, parent);
        if (args.copies.min === 0) {
            const step = new aws.appautoscaling.Policy(`${name}-from-zero`, {
                policyType: "StepScaling", ...on, stepScalingPolicyConfiguration: scaleOutFromZeroStep(args.scaleOutCooldownSeconds),
            }, parent);
            new aws.cloudwatch.MetricAlarm(`${name}-no-capacity`, {
                alarmDescription: pulumi.interpolate`Scale ${args.componentName} out from zero copies: a request found no copy to serve it.`,
                namespace: "AWS/SageMaker",
                metricName: NO_CAPACITY_METRIC,
                dimensions: { InferenceComponentName: args.componentName },
                statistic: "Maximum",
                period: NO_CAPACITY_PERIOD_SECONDS,
                evaluationPeriods: 1,
                datapointsToAlarm: 1,
                threshold: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                treatMissingData: "missing",
                alarmActions: [step.arn],
                tags: args.tags,
            }, parent);
        }
        this.resourceId = target.resourceId;
        this.registerOutputs({ resourceId: this.resourceId });
    }
}
