/** Stack-like raw config for the production specs: everything on (prod) and nothing set (dev). */
import type { ProductionParseContext } from "../../config/productionConfig";

export const PROJECT = "gpu-multi-model-endpoint";

/** What a prod stack sets: two instances scaling to four, canary with auto-rollback, capture. */
export const PROD_RAW: Record<string, string> = {
    autoscaling: "true",
    autoscalingMinInstances: "2",
    autoscalingMaxInstances: "4",
    autoscalingTargetInvocationsPerInstance: "600",
    autoscalingScaleInCooldownSeconds: "900",
    autoscalingScaleOutCooldownSeconds: "240",
    autoscalingGpuUtilizationTargetPercent: "70",
    alarms: "true",
    alarmInvocation5xxThreshold: "3",
    alarmModelLatencyP99Microseconds: "500000",
    alarmGpuMemoryUtilizationPercent: "85",
    alarmPeriodSeconds: "60",
    alarmEvaluationPeriods: "3",
    alarmSnsTopicArn: "arn:aws:sns:us-east-1:123456789012:ml-alerts",
    deploymentTrafficRouting: "CANARY",
    deploymentStepSizeType: "INSTANCE_COUNT",
    deploymentCanarySize: "1",
    deploymentWaitIntervalSeconds: "600",
    deploymentTerminationWaitSeconds: "300",
    deploymentMaximumExecutionTimeoutSeconds: "7200",
    deploymentAutoRollback: "true",
    dataCapture: "true",
    dataCaptureSamplingPercent: "20",
    dataCaptureS3Prefix: "monitoring/capture",
    dataCaptureKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
};

/** A dev stack sets none of the production keys. */
export const DEV_RAW: Record<string, string> = {};

export function ctx(overrides: Partial<ProductionParseContext> = {}): ProductionParseContext {
    return { project: PROJECT, stack: "prod", initialInstanceCount: 2, requirementsNonEmpty: false, ...overrides };
}
