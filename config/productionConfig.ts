/**
 * Stack config -> validated production settings (alarms, autoscaling, deployment, data capture). Pure, no throw: every problem is
 * returned at once, each naming `gpu-multi-model-endpoint:<key>` and the fix. Defaults are the
 * ones in PRODUCTION_CONFIG_KEYS (productionConfigKeys.ts), which Pulumi.yaml declares too.
 */
import { PRODUCTION_CONFIG_KEYS, ProductionConfigKey } from "./productionConfigKeys";
import { CODEARTIFACT_REPOSITORY_ARN, isolationRequirementsError } from "../sagemaker/isolation";
import { trafficSteps } from "../sagemaker/production/deploymentTime";
import { arnLocation, arnRegionProblem, prefixesOverlap, s3PrefixProblem } from "./scope";

export { PRODUCTION_CONFIG_KEYS } from "./productionConfigKeys";
export type TrafficRouting = "ALL_AT_ONCE" | "CANARY" | "LINEAR";
export type StepSizeType = "INSTANCE_COUNT" | "CAPACITY_PERCENT";

export interface AutoscalingSettings {
    minInstances: number; maxInstances: number; targetInvocationsPerInstance: number;
    scaleInCooldownSeconds: number; scaleOutCooldownSeconds: number;
    /** Percent of all GPUs of an instance; undefined = no GPU policy. */
    gpuUtilizationTargetPercent?: number;
}
export interface AlarmSettings {
    invocation5xxThreshold: number; modelLatencyP99Microseconds: number; gpuMemoryUtilizationPercent: number;
    periodSeconds: number; evaluationPeriods: number; snsTopicArn?: string;
}
export interface DeploymentSettings {
    trafficRouting: TrafficRouting; stepSizeType: StepSizeType; canarySize: number; linearStepSize: number;
    waitIntervalSeconds: number; terminationWaitSeconds: number; maximumExecutionTimeoutSeconds: number; autoRollback: boolean;
}
export interface DataCaptureSettings { samplingPercent: number; s3Prefix: string; kmsKeyArn?: string }
/** Each part is undefined when off, so a dev stack declares no production resource at all. */
export interface ProductionSettings {
    autoscaling?: AutoscalingSettings;
    alarms?: AlarmSettings;
    /** undefined = no deploymentConfig (SageMaker's default: blue/green, all at once, no alarms). */
    deployment?: DeploymentSettings;
    dataCapture?: DataCaptureSettings;
    /** CA_REPOSITORY_ARN for the container; undefined = not set. */
    codeArtifactRepositoryArn?: string;
    /** `acknowledgeEndpointReplacement`: true lets an update replace the endpoint (updateSafety.ts); undefined = refused. */
    acknowledgeEndpointReplacement?: true;
}
export interface ProductionParseContext {
    project: string; stack: string;
    /** From config.ts (`initialInstanceCount`), already validated >= 1. */
    initialInstanceCount: number;
    /**
     * Whether code/requirements.txt needs the network to install (`requirementsNeedNetwork` in isolation.ts).
     * Pass false when the model-directory check reports `isolationRequirementsError` itself (deployChecks.ts).
     */
    requirementsNonEmpty: boolean;
    /** config.ts `enableNetworkIsolation`. @default false */
    enableNetworkIsolation?: boolean;
    /** config.ts `kmsKeyArn`, the fallback key for captured data. */
    kmsKeyArn?: string;
    /** The stack's region and partition: ARNs in another one are errors. @default undefined (not checked) */
    region?: string;
    partition?: string;
    /** config.ts `artifactPrefix` (valid), which the capture prefix must not overlap. @default undefined (not checked) */
    artifactPrefix?: string;
}
export interface ProductionParseResult { production?: ProductionSettings; errors: string[]; warnings: string[] }

export const PRODUCTION_KEY_NAMES: ReadonlySet<string> = new Set(PRODUCTION_CONFIG_KEYS.map((k) => k.key));
const SPEC: ReadonlyMap<string, ProductionConfigKey> = new Map(PRODUCTION_CONFIG_KEYS.map((k) => [k.key, k]));
const TRAFFIC_ROUTINGS: readonly TrafficRouting[] = ["ALL_AT_ONCE", "CANARY", "LINEAR"];
const STEP_SIZE_TYPES: readonly StepSizeType[] = ["INSTANCE_COUNT", "CAPACITY_PERCENT"];
export const SNS_TOPIC_ARN = /^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
export const KMS_KEY_ARN = /^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** Most instances of a variant this program accepts (initialInstanceCount, autoscaling bounds, step sizes). */
export const MAX_INSTANCE_COUNT = 10000;

/** Pure: the production part of the stack config. */
export function parseProductionSettings(raw: Record<string, string | undefined>, ctx: ProductionParseContext): ProductionParseResult {
    const errors: string[] = [];
    const warnings: string[] = [];
    const K = (key: string) => `${ctx.project}:${key}`;
    const given = (key: string): string | undefined => {
        const v = raw[key];
        return v === undefined || v.trim() === "" ? undefined : v.trim();
    };
    const def = (key: string) => SPEC.get(key)!.default;
    const bool = (key: string): boolean => {
        const v = given(key);
        if (v === undefined) return def(key) as boolean;
        if (/^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
        errors.push(`${K(key)}: "${v}" is not a boolean; set it to true or false.`);
        return def(key) as boolean;
    };
    const int = (key: string, min: number, max: number, unit: string): number => {
        const v = given(key);
        if (v === undefined) return def(key) as number;
        const n = Number(v);
        if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
            errors.push(`${K(key)}: "${v}" is not a whole number from ${min} to ${max}; set it to a whole number of ${unit} from ${min} to ${max}.`);
            return def(key) as number;
        }
        return n;
    };
    const choice = <T extends string>(key: string, options: readonly T[]): T => {
        const v = given(key);
        if (v === undefined) return def(key) as T;
        const upper = v.toUpperCase().replace(/-/g, "_") as T;
        if (options.includes(upper)) return upper;
        errors.push(`${K(key)}: "${v}" is not one of ${options.join(", ")}; set one of them.`);
        return def(key) as T;
    };
    const arn = (key: string, pattern: RegExp, example: string): string | undefined => {
        const v = given(key);
        if (v !== undefined && !pattern.test(v)) {
            errors.push(`${K(key)}: "${v}" is not ${example.split(" like ")[0]}; set it like ${example.split(" like ")[1]}.`);
            return undefined;
        }
        const at = v === undefined ? undefined : arnLocation(v);
        const where = at && ctx.partition ? arnRegionProblem(at.partition, at.region, ctx.region, ctx.partition) : undefined;
        if (where) {
            errors.push(`${K(key)}: "${v}" ${where}.`);
            return undefined;
        }
        return v;
    };
    const initial = ctx.initialInstanceCount;
    const production: ProductionSettings = {};

    // --- autoscaling
    const autoscalingOn = bool("autoscaling");
    const minInstances = int("autoscalingMinInstances", 0, MAX_INSTANCE_COUNT, "instances");
    const maxInstances = int("autoscalingMaxInstances", 1, MAX_INSTANCE_COUNT, "instances");
    const targetInvocationsPerInstance = int("autoscalingTargetInvocationsPerInstance", 1, 1_000_000, "invocations per instance per minute");
    const scaleInCooldownSeconds = int("autoscalingScaleInCooldownSeconds", 0, 86400, "seconds");
    const scaleOutCooldownSeconds = int("autoscalingScaleOutCooldownSeconds", 0, 86400, "seconds");
    const gpuTarget = int("autoscalingGpuUtilizationTargetPercent", 0, 100, "percent (0 = off)");
    const scaleToZero = bool("autoscalingScaleToZero");
    if (scaleToZero) {
        errors.push(`${K("autoscalingScaleToZero")}: SageMaker scales an endpoint to zero instances only when it hosts inference components ` +
            `(ManagedInstanceScaling MinInstanceCount 0); the router topology's model-based production variant cannot go below 1 instance. ` +
            `Remove ${K("autoscalingScaleToZero")} and keep ${K("autoscalingMinInstances")} >= 1, or set ${K("topology")} to components with ` +
            `${K("componentsMinInstanceCount")} 0 and ${K("componentMinCopies")} 0 (docs/topologies.md).`);
    }
    if (autoscalingOn) {
        if (minInstances === 0 && !scaleToZero) {
            errors.push(`${K("autoscalingMinInstances")}: 0 would let autoscaling remove every instance, and the endpoint then answers no request; ` +
                `set it to 1 or more (scale to zero must be chosen explicitly with ${K("autoscalingScaleToZero")}, and is not available for this endpoint type).`);
        }
        if (minInstances > initial) {
            errors.push(`${K("autoscalingMinInstances")}: ${minInstances} is more than ${K("initialInstanceCount")} ${initial}; set min <= initialInstanceCount <= max.`);
        }
        if (initial > maxInstances) {
            errors.push(`${K("autoscalingMaxInstances")}: ${maxInstances} is less than ${K("initialInstanceCount")} ${initial}; set min <= initialInstanceCount <= max.`);
        }
        production.autoscaling = {
            minInstances, maxInstances, targetInvocationsPerInstance, scaleInCooldownSeconds, scaleOutCooldownSeconds,
            gpuUtilizationTargetPercent: gpuTarget > 0 ? gpuTarget : undefined,
        };
    }

    // --- alarms
    const alarmsOn = bool("alarms");
    const invocation5xxThreshold = int("alarmInvocation5xxThreshold", 1, 1_000_000, "failed requests per period");
    const modelLatencyP99Microseconds = int("alarmModelLatencyP99Microseconds", 1000, 60_000_000, "microseconds (1000000 = 1 s)");
    const gpuMemoryUtilizationPercent = int("alarmGpuMemoryUtilizationPercent", 1, 100, "percent");
    const periodSeconds = int("alarmPeriodSeconds", 60, 86400, "seconds");
    if (given("alarmPeriodSeconds") !== undefined && periodSeconds % 60 !== 0) {
        errors.push(`${K("alarmPeriodSeconds")}: ${periodSeconds} is not a multiple of 60; SageMaker publishes endpoint metrics once a minute, so set 60, 120, 300, ...`);
    }
    const evaluationPeriods = int("alarmEvaluationPeriods", 1, 10, "periods");
    const snsTopicArn = arn("alarmSnsTopicArn", SNS_TOPIC_ARN, "an SNS topic ARN like arn:aws:sns:us-east-1:111122223333:my-topic");
    if (periodSeconds * evaluationPeriods > 86400) {
        errors.push(`${K("alarmPeriodSeconds")} x ${K("alarmEvaluationPeriods")} is ${periodSeconds * evaluationPeriods} s; CloudWatch evaluates at most one day, so lower one of them.`);
    }
    if (alarmsOn) {
        production.alarms = { invocation5xxThreshold, modelLatencyP99Microseconds, gpuMemoryUtilizationPercent, periodSeconds, evaluationPeriods, snsTopicArn };
    } else if (snsTopicArn) {
        warnings.push(`${K("alarmSnsTopicArn")} is set but ${K("alarms")} is false; no alarm notifies it. Set ${K("alarms")} true or remove the topic.`);
    }

    // --- deployment
    const trafficRouting = choice("deploymentTrafficRouting", TRAFFIC_ROUTINGS);
    const stepSizeType = choice("deploymentStepSizeType", STEP_SIZE_TYPES);
    const sizeMax = stepSizeType === "CAPACITY_PERCENT" ? 100 : MAX_INSTANCE_COUNT;
    const canarySize = int("deploymentCanarySize", 1, sizeMax, stepSizeType === "CAPACITY_PERCENT" ? "percent" : "instances");
    const linearStepSize = int("deploymentLinearStepSize", 1, sizeMax, stepSizeType === "CAPACITY_PERCENT" ? "percent" : "instances");
    const waitIntervalSeconds = int("deploymentWaitIntervalSeconds", 0, 3600, "seconds");
    const terminationWaitSeconds = int("deploymentTerminationWaitSeconds", 0, 3600, "seconds");
    const maximumExecutionTimeoutSeconds = int("deploymentMaximumExecutionTimeoutSeconds", 600, 14400, "seconds");
    const autoRollback = bool("deploymentAutoRollback");
    const fewest = production.autoscaling ? Math.min(initial, production.autoscaling.minInstances) : initial;
    const most = production.autoscaling ? Math.max(initial, production.autoscaling.maxInstances) : initial;
    const counts = `${K("initialInstanceCount")} ${initial}` + (production.autoscaling ? `, ${K("autoscalingMinInstances")} ${production.autoscaling.minInstances}` : "");
    const tooFew = trafficRouting !== "ALL_AT_ONCE" && fewest < 2;
    const steps = tooFew ? 1 : trafficSteps({ trafficRouting, stepSizeType, linearStepSize }, most);
    if (tooFew) {
        errors.push(`${K("deploymentTrafficRouting")}: ${trafficRouting} shifts traffic in steps of at most 50% of the instances, which needs at least 2 instances ` +
            `(${counts}); raise the instance count(s) to 2, or use ALL_AT_ONCE.`);
    } else if (trafficRouting === "CANARY") {
        const ok = stepSizeType === "CAPACITY_PERCENT" ? canarySize <= 50 : canarySize * 2 <= fewest;
        if (!ok) errors.push(`${K("deploymentCanarySize")}: ${canarySize}${stepSizeType === "CAPACITY_PERCENT" ? "%" : " instance(s)"} is more than 50% of the ` +
            `variant's instances (${counts}); SageMaker requires the canary to be at most half of them, so lower it.`);
    } else if (trafficRouting === "LINEAR") {
        const [low, high] = stepSizeType === "CAPACITY_PERCENT" ? [linearStepSize >= 10, linearStepSize <= 50]
            : [linearStepSize * 10 >= most, linearStepSize * 2 <= fewest];
        if (!low || !high) errors.push(`${K("deploymentLinearStepSize")}: ${linearStepSize}${stepSizeType === "CAPACITY_PERCENT" ? "%" : " instance(s)"} is not between ` +
            `10% and 50% of the variant's instances (${counts}${production.autoscaling ? `, up to ${most}` : ""}); SageMaker requires each step in that range.`);
    }
    const waits = steps * waitIntervalSeconds + terminationWaitSeconds;
    if (maximumExecutionTimeoutSeconds <= waits) {
        errors.push(`${K("deploymentMaximumExecutionTimeoutSeconds")}: ${maximumExecutionTimeoutSeconds} s does not cover the ${steps} wait interval(s) of ${waitIntervalSeconds} s ` +
            `plus the termination wait of ${terminationWaitSeconds} s (${waits} s) and the time to start the new GPU fleet; raise it to at least ${Math.min(14400, waits + 900)}.`);
    }
    if (autoRollback && !alarmsOn) {
        errors.push(`${K("deploymentAutoRollback")}: rolls back when an alarm fires, but ${K("alarms")} is false; set ${K("alarms")} true (or turn auto-rollback off).`);
    }
    if (autoRollback && alarmsOn && waitIntervalSeconds < periodSeconds * evaluationPeriods) {
        warnings.push(`${K("deploymentWaitIntervalSeconds")}: ${waitIntervalSeconds} s is shorter than the ${periodSeconds * evaluationPeriods} s an alarm needs to fire ` +
            `(${K("alarmPeriodSeconds")} x ${K("alarmEvaluationPeriods")}); a bad version can pass a step before its alarm fires. Raise the wait interval.`);
    }
    if (trafficRouting !== "ALL_AT_ONCE" || autoRollback || terminationWaitSeconds > 0) {
        production.deployment = { trafficRouting, stepSizeType, canarySize, linearStepSize, waitIntervalSeconds, terminationWaitSeconds, maximumExecutionTimeoutSeconds, autoRollback };
    }

    if (bool("acknowledgeEndpointReplacement")) production.acknowledgeEndpointReplacement = true;

    // --- data capture
    const captureOn = bool("dataCapture");
    const samplingPercent = int("dataCaptureSamplingPercent", 1, 100, "percent");
    const s3Prefix = given("dataCaptureS3Prefix") ?? (def("dataCaptureS3Prefix") as string);
    const prefixProblem = s3PrefixProblem(s3Prefix);
    if (prefixProblem) {
        errors.push(`${K("dataCaptureS3Prefix")}: "${s3Prefix}" ${prefixProblem}; set it like "data-capture" or "monitoring/capture".`);
    } else if (captureOn && ctx.artifactPrefix !== undefined && prefixesOverlap(s3Prefix, ctx.artifactPrefix)) {
        errors.push(`${K("dataCaptureS3Prefix")}: "${s3Prefix}" overlaps ${K("artifactPrefix")} "${ctx.artifactPrefix}", so the role could overwrite ` +
            `the model artifacts with captured data; set a prefix apart from it, like "data-capture".`);
    }
    const captureKey = arn("dataCaptureKmsKeyArn", KMS_KEY_ARN, "a KMS key ARN like arn:aws:kms:us-east-1:111122223333:key/<key-id>");
    if (captureOn) production.dataCapture = { samplingPercent, s3Prefix, kmsKeyArn: captureKey ?? ctx.kmsKeyArn };

    // --- isolation: pip and code/requirements.txt
    const caArn = arn("codeArtifactRepositoryArn", CODEARTIFACT_REPOSITORY_ARN,
        "a CodeArtifact repository ARN like arn:aws:codeartifact:us-east-1:111122223333:repository/<domain>/<repository>");
    if (ctx.enableNetworkIsolation && ctx.requirementsNonEmpty) errors.push(isolationRequirementsError(ctx.project));
    if (ctx.enableNetworkIsolation && caArn) {
        errors.push(`${K("codeArtifactRepositoryArn")}: with CA_REPOSITORY_ARN set, the serving toolkit asks CodeArtifact for a token before pip runs, ` +
            `which fails in an isolated container (no network, no credentials) and stops the model server. Remove ${K("codeArtifactRepositoryArn")}, ` +
            `or set ${K("enableNetworkIsolation")} false.`);
    } else if (caArn && !ctx.requirementsNonEmpty) {
        warnings.push(`${K("codeArtifactRepositoryArn")}: code/requirements.txt downloads nothing, so the repository is not needed; ` +
            `the container still fetches a CodeArtifact token at start. Remove it unless you add requirements.`);
    }
    if (caArn) production.codeArtifactRepositoryArn = caArn;

    return errors.length > 0 ? { errors, warnings } : { production, errors, warnings };
}
