/**
 * Cross-key rules of the stack config, one small pure function each: they get the already-read values
 * and `K` (the full key name) and return the problems (errors or warnings) as one line each, naming the
 * keys and the fix. Single-key checks (type, range, enum, pattern) are config/parse.ts's readers.
 */
import type { GpuInstanceInfo } from "../sagemaker/instanceTypes";
import { prefixesOverlap } from "./scope";

export type KeyName = (key: string) => string;

/** `image` with a frameworkVersion/pythonVersion other than the default. */
export function imageWithVersions(changed: readonly string[], K: KeyName): string[] {
    return changed.map((k) => `${K("image")} and ${K(k)} are both set; ${K("image")} is used verbatim, so remove ${K(k)} ` +
        `(or remove ${K("image")} to use the PyTorch image for that version).`);
}

/** Warning: forceDestroyArtifacts on a bucket the stack does not manage. */
export function forceDestroyExistingBucket(bucket: string | undefined, forceDestroy: boolean, K: KeyName): string[] {
    return bucket && forceDestroy
        ? [`${K("forceDestroyArtifacts")}: the bucket "${bucket}" is not managed by this stack; only the uploaded archives are deleted with it.`] : [];
}

/** volumeSizeInGb on an instance type with NVMe instance storage. */
export function volumeWithInstanceStorage(volume: number | undefined, gpu: GpuInstanceInfo | undefined, instanceType: string, K: KeyName): string[] {
    return volume !== undefined && gpu?.instanceStorage
        ? [`${K("volumeSizeInGb")} and ${K("instanceType")}: ${instanceType} has local NVMe instance storage and SageMaker rejects a volume size for it; ` +
            `remove ${K("volumeSizeInGb")} (or set it to 0).`] : [];
}

/** Warning: kmsKeyArn covers only the artifacts on an instance type with NVMe instance storage. */
export function kmsWithInstanceStorage(kmsKeyArn: string | undefined, gpu: GpuInstanceInfo | undefined, instanceType: string, K: KeyName): string[] {
    return kmsKeyArn && gpu?.instanceStorage
        ? [`${K("kmsKeyArn")}: encrypts the model artifacts only; ${instanceType} has local NVMe storage, encrypted in hardware, ` +
            `and SageMaker rejects an endpoint-configuration KMS key for it.`] : [];
}

/** Warning: more workers than GPUs (each worker loads its own copies). */
export function workersPerGpu(workers: number, gpu: GpuInstanceInfo | undefined, K: KeyName): string[] {
    return gpu && workers > gpu.gpuCount
        ? [`${K("modelServerWorkers")}: ${workers} workers on ${gpu.gpuCount} GPU(s): the workers sharing a GPU each load their own copy of the models ` +
            `they serve; keep one per GPU unless the models fit that many times (preview checks the pinned ones).`] : [];
}

/** vpcSubnetIds and vpcSecurityGroupIds go together. */
export function vpcPairing(subnets: readonly string[], groups: readonly string[], K: KeyName): string[] {
    const one = (a: string, b: string) => `${K(a)} is set without ${K(b)}; set both (or neither) to run the model in a VPC.`;
    if (subnets.length > 0 && groups.length === 0) return [one("vpcSubnetIds", "vpcSecurityGroupIds")];
    if (groups.length > 0 && subnets.length === 0) return [one("vpcSecurityGroupIds", "vpcSubnetIds")];
    return [];
}

/** modelCacheBytes with modelCacheFraction. */
export function bytesAndFraction(bytesSet: boolean, fractionSet: boolean, K: KeyName): string[] {
    return bytesSet && fractionSet
        ? [`${K("modelCacheBytes")} and ${K("modelCacheFraction")} are both set; the router would use the bytes and ignore the fraction, so remove one of them.`] : [];
}

/** componentsMinInstanceCount above componentsMaxInstanceCount. */
export function componentInstancesOrder(min: number, max: number, K: KeyName): string[] {
    return min > max
        ? [`${K("componentsMinInstanceCount")} (${min}) is above ${K("componentsMaxInstanceCount")} (${max}); ` +
            `managed instance scaling needs min <= max, so lower the minimum or raise the maximum.`] : [];
}

/** Components keys set on a router stack (`setKeys`: full names of the keys set to non-defaults). */
export function componentKeysOnRouter(setKeys: readonly string[], K: KeyName): string[] {
    if (setKeys.length === 0) return [];
    const one = setKeys.length === 1;
    return [`${setKeys.join(", ")} ${one ? "applies" : "apply"} only to ${K("topology")} components (the stack uses router); ` +
        `set ${K("topology")} to components, or remove ${one ? "it" : "them"}.`];
}

/** The components topology with settings of other modules it cannot use. */
export function componentsConflicts(c: { minInstances: number; maxInstances: number },
    s: { modelDataMode?: string; initialInstanceCount: number; variantAutoscaling: boolean }, K: KeyName): string[] {
    const errors: string[] = [];
    if (s.modelDataMode === "uncompressed") {
        errors.push(`${K("modelDataMode")} uncompressed and ${K("topology")} components: the components topology uploads one model.tar.gz per model; ` +
            `set ${K("modelDataMode")} to archive (or use the router topology).`);
    }
    if (s.variantAutoscaling) {
        errors.push(`${K("autoscaling")} and ${K("topology")} components: an inference-component endpoint scales instances by managed instance scaling ` +
            `(${K("componentsMinInstanceCount")}, ${K("componentsMaxInstanceCount")}) and each model by its copies; set ${K("autoscaling")} to false.`);
    }
    if (s.initialInstanceCount < Math.max(1, c.minInstances) || s.initialInstanceCount > c.maxInstances) {
        errors.push(`${K("initialInstanceCount")} (${s.initialInstanceCount}) must be from ${Math.max(1, c.minInstances)} to ${K("componentsMaxInstanceCount")} ` +
            `(${c.maxInstances}) with ${K("topology")} components (the instances the endpoint starts with, within managed instance scaling's range).`);
    }
    return errors;
}

/** Autoscaling on: min >= 1 (unless scale to zero), min <= initialInstanceCount <= max. */
export function autoscalingBounds(a: { min: number; max: number; initial: number; scaleToZero: boolean }, K: KeyName): string[] {
    const errors: string[] = [];
    if (a.min === 0 && !a.scaleToZero) {
        errors.push(`${K("autoscalingMinInstances")}: 0 would let autoscaling remove every instance, and the endpoint then answers no request; ` +
            `set it to 1 or more (scale to zero must be chosen explicitly with ${K("autoscalingScaleToZero")}, and is not available for this endpoint type).`);
    }
    if (a.min > a.initial) {
        errors.push(`${K("autoscalingMinInstances")}: ${a.min} is more than ${K("initialInstanceCount")} ${a.initial}; set min <= initialInstanceCount <= max.`);
    }
    if (a.initial > a.max) {
        errors.push(`${K("autoscalingMaxInstances")}: ${a.max} is less than ${K("initialInstanceCount")} ${a.initial}; set min <= initialInstanceCount <= max.`);
    }
    return errors;
}

/** CloudWatch evaluates at most one day: period x evaluation periods. */
export function alarmWindow(periodSeconds: number, evaluationPeriods: number, K: KeyName): string[] {
    const window = periodSeconds * evaluationPeriods;
    return window > 86400
        ? [`${K("alarmPeriodSeconds")} x ${K("alarmEvaluationPeriods")} is ${window} s; CloudWatch evaluates at most one day, so lower one of them.`] : [];
}

/** Warning: an SNS topic without alarms. */
export function topicWithoutAlarms(alarmsOn: boolean, topic: string | undefined, K: KeyName): string[] {
    return !alarmsOn && topic
        ? [`${K("alarmSnsTopicArn")} is set but ${K("alarms")} is false; no alarm notifies it. Set ${K("alarms")} true or remove the topic.`] : [];
}

/** Auto-rollback needs alarms. */
export function rollbackWithoutAlarms(autoRollback: boolean, alarmsOn: boolean, K: KeyName): string[] {
    return autoRollback && !alarmsOn
        ? [`${K("deploymentAutoRollback")}: rolls back when an alarm fires, but ${K("alarms")} is false; set ${K("alarms")} true (or turn auto-rollback off).`] : [];
}

/** Warning: a bake time shorter than an alarm needs to fire. */
export function waitShorterThanAlarm(on: boolean, waitIntervalSeconds: number, alarmSeconds: number, K: KeyName): string[] {
    return on && waitIntervalSeconds < alarmSeconds
        ? [`${K("deploymentWaitIntervalSeconds")}: ${waitIntervalSeconds} s is shorter than the ${alarmSeconds} s an alarm needs to fire ` +
            `(${K("alarmPeriodSeconds")} x ${K("alarmEvaluationPeriods")}); a bad version can pass a step before its alarm fires. Raise the wait interval.`] : [];
}

/** The deployment's upper bound must cover every wait and the start of the new fleet. */
export function executionCoversWaits(d: { maximumExecutionTimeoutSeconds: number; steps: number; waitIntervalSeconds: number; terminationWaitSeconds: number }, K: KeyName): string[] {
    const waits = d.steps * d.waitIntervalSeconds + d.terminationWaitSeconds;
    return d.maximumExecutionTimeoutSeconds <= waits
        ? [`${K("deploymentMaximumExecutionTimeoutSeconds")}: ${d.maximumExecutionTimeoutSeconds} s does not cover the ${d.steps} wait interval(s) of ${d.waitIntervalSeconds} s ` +
            `plus the termination wait of ${d.terminationWaitSeconds} s (${waits} s) and the time to start the new GPU fleet; raise it to at least ${Math.min(14400, waits + 900)}.`] : [];
}

/** Captured data must not land under the model artifacts' prefix (the role could overwrite them). */
export function captureOverlapsArtifacts(on: boolean, s3Prefix: string, artifactPrefix: string | undefined, K: KeyName): string[] {
    return on && artifactPrefix !== undefined && prefixesOverlap(s3Prefix, artifactPrefix)
        ? [`${K("dataCaptureS3Prefix")}: "${s3Prefix}" overlaps ${K("artifactPrefix")} "${artifactPrefix}", so the role could overwrite ` +
            `the model artifacts with captured data; set a prefix apart from it, like "data-capture".`] : [];
}

/** codeArtifactRepositoryArn with network isolation (error) or with nothing to install (warning). */
export function codeArtifactUse(caArn: string | undefined, isolated: boolean, requirementsNonEmpty: boolean, K: KeyName): { errors: string[]; warnings: string[] } {
    if (caArn && isolated) {
        return { errors: [`${K("codeArtifactRepositoryArn")}: with CA_REPOSITORY_ARN set, the serving toolkit asks CodeArtifact for a token before pip runs, ` +
            `which fails in an isolated container (no network, no credentials) and stops the model server. Remove ${K("codeArtifactRepositoryArn")}, ` +
            `or set ${K("enableNetworkIsolation")} false.`], warnings: [] };
    }
    if (caArn && !requirementsNonEmpty) {
        return { errors: [], warnings: [`${K("codeArtifactRepositoryArn")}: code/requirements.txt downloads nothing, so the repository is not needed; ` +
            `the container still fetches a CodeArtifact token at start. Remove it unless you add requirements.`] };
    }
    return { errors: [], warnings: [] };
}
