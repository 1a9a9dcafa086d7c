/**
 * Safe updates: the `deploymentConfig` input of aws.sagemaker.Endpoint (@pulumi/aws 7) for a
 * blue/green update with ALL_AT_ONCE, CANARY or LINEAR traffic shifting, baking intervals, a
 * termination wait and auto-rollback on CloudWatch alarms. Pure.
 *
 * Ordering the component must keep (see README "Going to production"):
 * - The rollback alarms are named from the endpoint NAME in settings (alarms.ts `alarmNames`),
 *   not from the Endpoint's output, so they are created before the Endpoint, which lists them
 *   here and must `dependsOn` them: SageMaker checks that the alarms exist.
 * - The AWS provider marks `autoRollbackConfiguration` ForceNew: adding, removing or renaming
 *   rollback alarms replaces the endpoint. The alarm names are therefore fixed per endpoint, and
 *   auto-rollback should be chosen when the endpoint is created (the replacement guard in updateSafety.ts
 *   refuses the change unless acknowledged; protectEndpoint stops it too). The rollback alarms are
 *   updateSafety.ts `rollbackAlarmNames`: 5xx errors and p99 latency, not GPU memory.
 */
import type * as aws from "@pulumi/aws";
import type { DeploymentSettings } from "../../config/productionConfig";

/** SageMaker accepts at most 10 rollback alarms. */
export const MAX_ROLLBACK_ALARMS = 10;

/**
 * Pure: the Endpoint `deploymentConfig`, or undefined when `deployment` is undefined (SageMaker
 * then does a blue/green update, all at once, without baking or rollback alarms).
 * @param deployment parsed settings (productionConfig.ts); undefined = not configured.
 * @param rollbackAlarmNames names of existing CloudWatch alarms (alarms.ts), required when
 *   `deployment.autoRollback`; 1 to 10 names.
 */
export function buildDeploymentConfig(
    deployment: DeploymentSettings | undefined,
    rollbackAlarmNames: readonly string[] = [],
): aws.types.input.sagemaker.EndpointDeploymentConfig | undefined {
    if (!deployment) return undefined;
    if (deployment.autoRollback && (rollbackAlarmNames.length === 0 || rollbackAlarmNames.length > MAX_ROLLBACK_ALARMS)) {
        throw new Error(`buildDeploymentConfig: auto-rollback needs 1 to ${MAX_ROLLBACK_ALARMS} alarm names, got ${rollbackAlarmNames.length}; ` +
            `create the alarms (gpu-multi-model-endpoint:alarms true) and pass EndpointAlarms.alarmNames.`);
    }
    const size = (value: number) => ({ type: deployment.stepSizeType, value });
    const trafficRoutingConfiguration: aws.types.input.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfiguration = {
        type: deployment.trafficRouting,
        waitIntervalInSeconds: deployment.waitIntervalSeconds,
        ...(deployment.trafficRouting === "CANARY" ? { canarySize: size(deployment.canarySize) } : {}),
        ...(deployment.trafficRouting === "LINEAR" ? { linearStepSize: size(deployment.linearStepSize) } : {}),
    };
    return {
        blueGreenUpdatePolicy: {
            trafficRoutingConfiguration,
            terminationWaitInSeconds: deployment.terminationWaitSeconds,
            maximumExecutionTimeoutInSeconds: deployment.maximumExecutionTimeoutSeconds,
        },
        ...(deployment.autoRollback
            ? { autoRollbackConfiguration: { alarms: rollbackAlarmNames.map((alarmName) => ({ alarmName })) } }
            : {}),
    };
}
