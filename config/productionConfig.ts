/**
 * Stack config -> validated production settings (alarms, autoscaling, deployment, data capture). Pure, no throw: every problem is
 * returned at once, each naming `gpu-multi-model-endpoint:<key>` and the fix. The keys (defaults, ranges, descriptions) are
 * config/schema.ts's group "production"; the cross-key rules are config/rules.ts's.
 */
import { isolationRequirementsError } from "../sagemaker/isolation";
import { trafficSteps } from "../sagemaker/production/deploymentTime";
import { Reader, RawConfig } from "./parse";
import * as rules from "./rules";
import { describedKeys, KeySpec, MAX_INSTANCE_COUNT, Schema, SCHEMA, STEP_SIZE_TYPES, TRAFFIC_ROUTINGS } from "./schema";
import { arnLocation, arnRegionProblem, s3PrefixProblem } from "./scope";

export { KMS_KEY_ARN, MAX_INSTANCE_COUNT, SNS_TOPIC_ARN } from "./schema";
export type TrafficRouting = (typeof TRAFFIC_ROUTINGS)[number];
export type StepSizeType = (typeof STEP_SIZE_TYPES)[number];
/** A production key of the schema (none is an object). */
export type ProductionConfigKey = KeySpec & { type: "boolean" | "integer" | "string" | "array" };
export const PRODUCTION_CONFIG_KEYS = describedKeys("production") as readonly ProductionConfigKey[];
export const PRODUCTION_KEY_NAMES: ReadonlySet<string> = new Set(PRODUCTION_CONFIG_KEYS.map((k) => k.key));

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

/** Pure: the production part of the stack config. */
export function parseProductionSettings(raw: RawConfig, ctx: ProductionParseContext, schema: Schema = SCHEMA): ProductionParseResult {
    const r = new Reader(raw, ctx.project, schema);
    const warnings: string[] = [];
    const production: ProductionSettings = {};
    production.autoscaling = readAutoscaling(r, ctx.initialInstanceCount);
    const alarms = readAlarms(r, ctx, warnings);
    if (alarms.on) production.alarms = alarms.settings;
    production.deployment = readDeployment(r, ctx.initialInstanceCount, production.autoscaling, alarms, warnings);
    if (r.bool("acknowledgeEndpointReplacement")) production.acknowledgeEndpointReplacement = true;
    production.dataCapture = readDataCapture(r, ctx);
    const caArn = arn(r, ctx, "codeArtifactRepositoryArn", "a CodeArtifact repository ARN like arn:aws:codeartifact:us-east-1:111122223333:repository/<domain>/<repository>");
    if (ctx.enableNetworkIsolation && ctx.requirementsNonEmpty) r.errors.push(isolationRequirementsError(ctx.project));
    const ca = rules.codeArtifactUse(caArn, ctx.enableNetworkIsolation === true, ctx.requirementsNonEmpty, r.K);
    r.errors.push(...ca.errors);
    warnings.push(...ca.warnings);
    if (caArn) production.codeArtifactRepositoryArn = caArn;
    for (const part of ["autoscaling", "deployment", "dataCapture"] as const) if (production[part] === undefined) delete production[part];
    return r.errors.length > 0 ? { errors: r.errors, warnings } : { production, errors: r.errors, warnings };
}

/** An ARN key: its pattern (schema) and its partition and region (the stack's). */
function arn(r: Reader, ctx: ProductionParseContext, key: string, example: string): string | undefined {
    const v = r.given(key);
    if (v !== undefined && !r.spec(key).pattern!.test(v)) {
        r.errors.push(`${r.K(key)}: "${v}" is not ${example.split(" like ")[0]}; set it like ${example.split(" like ")[1]}.`);
        return undefined;
    }
    const at = v === undefined ? undefined : arnLocation(v);
    const where = at && ctx.partition ? arnRegionProblem(at.partition, at.region, ctx.region, ctx.partition) : undefined;
    if (where) {
        r.errors.push(`${r.K(key)}: "${v}" ${where}.`);
        return undefined;
    }
    return v;
}

function readAutoscaling(r: Reader, initial: number): AutoscalingSettings | undefined {
    const on = r.bool("autoscaling");
    const minInstances = r.int("autoscalingMinInstances");
    const maxInstances = r.int("autoscalingMaxInstances");
    const targetInvocationsPerInstance = r.int("autoscalingTargetInvocationsPerInstance");
    const scaleInCooldownSeconds = r.int("autoscalingScaleInCooldownSeconds");
    const scaleOutCooldownSeconds = r.int("autoscalingScaleOutCooldownSeconds");
    const gpuTarget = r.int("autoscalingGpuUtilizationTargetPercent");
    const scaleToZero = r.bool("autoscalingScaleToZero");
    if (scaleToZero) {
        r.errors.push(`${r.K("autoscalingScaleToZero")}: SageMaker scales an endpoint to zero instances only when it hosts inference components ` +
            `(ManagedInstanceScaling MinInstanceCount 0); the router topology's model-based production variant cannot go below 1 instance. ` +
            `Remove ${r.K("autoscalingScaleToZero")} and keep ${r.K("autoscalingMinInstances")} >= 1, or set ${r.K("topology")} to components with ` +
            `${r.K("componentsMinInstanceCount")} 0 and ${r.K("componentMinCopies")} 0 (docs/topologies.md).`);
    }
    if (!on) return undefined;
    r.errors.push(...rules.autoscalingBounds({ min: minInstances, max: maxInstances, initial, scaleToZero }, r.K));
    return { minInstances, maxInstances, targetInvocationsPerInstance, scaleInCooldownSeconds, scaleOutCooldownSeconds,
        gpuUtilizationTargetPercent: gpuTarget > 0 ? gpuTarget : undefined };
}

function readAlarms(r: Reader, ctx: ProductionParseContext, warnings: string[]): { on: boolean; settings: AlarmSettings } {
    const on = r.bool("alarms");
    const invocation5xxThreshold = r.int("alarmInvocation5xxThreshold");
    const modelLatencyP99Microseconds = r.int("alarmModelLatencyP99Microseconds");
    const gpuMemoryUtilizationPercent = r.int("alarmGpuMemoryUtilizationPercent");
    const periodSeconds = r.int("alarmPeriodSeconds");
    if (r.given("alarmPeriodSeconds") !== undefined && periodSeconds % 60 !== 0) {
        r.errors.push(`${r.K("alarmPeriodSeconds")}: ${periodSeconds} is not a multiple of 60; SageMaker publishes endpoint metrics once a minute, so set 60, 120, 300, ...`);
    }
    const evaluationPeriods = r.int("alarmEvaluationPeriods");
    const snsTopicArn = arn(r, ctx, "alarmSnsTopicArn", "an SNS topic ARN like arn:aws:sns:us-east-1:111122223333:my-topic");
    r.errors.push(...rules.alarmWindow(periodSeconds, evaluationPeriods, r.K));
    warnings.push(...rules.topicWithoutAlarms(on, snsTopicArn, r.K));
    return { on, settings: { invocation5xxThreshold, modelLatencyP99Microseconds, gpuMemoryUtilizationPercent, periodSeconds, evaluationPeriods, snsTopicArn } };
}

/** "a, b" step-size wording: percent of the capacity or instances. */
const stepUnit = (type: StepSizeType) => (type === "CAPACITY_PERCENT" ? { max: 100, unit: "percent", shown: "%" } : { max: MAX_INSTANCE_COUNT, unit: "instances", shown: " instance(s)" });
const upperUnderscore = (v: string) => v.toUpperCase().replace(/-/g, "_");

function readDeployment(r: Reader, initial: number, autoscaling: AutoscalingSettings | undefined,
    alarms: { on: boolean; settings: AlarmSettings }, warnings: string[]): DeploymentSettings | undefined {
    const trafficRouting = r.choice<TrafficRouting>("deploymentTrafficRouting", { normalize: upperUnderscore }) ?? r.def<TrafficRouting>("deploymentTrafficRouting");
    const stepSizeType = r.choice<StepSizeType>("deploymentStepSizeType", { normalize: upperUnderscore }) ?? r.def<StepSizeType>("deploymentStepSizeType");
    const { max, unit } = stepUnit(stepSizeType);
    const canarySize = r.int("deploymentCanarySize", { max, unit });
    const linearStepSize = r.int("deploymentLinearStepSize", { max, unit });
    const waitIntervalSeconds = r.int("deploymentWaitIntervalSeconds");
    const terminationWaitSeconds = r.int("deploymentTerminationWaitSeconds");
    const maximumExecutionTimeoutSeconds = r.int("deploymentMaximumExecutionTimeoutSeconds");
    const autoRollback = r.bool("deploymentAutoRollback");
    const d: DeploymentSettings = { trafficRouting, stepSizeType, canarySize, linearStepSize, waitIntervalSeconds, terminationWaitSeconds, maximumExecutionTimeoutSeconds, autoRollback };
    const fleet = { initial, fewest: autoscaling ? Math.min(initial, autoscaling.minInstances) : initial, most: autoscaling ? Math.max(initial, autoscaling.maxInstances) : initial, autoscaling };
    const tooFew = trafficRouting !== "ALL_AT_ONCE" && fleet.fewest < 2;
    r.errors.push(...stepProblems(d, fleet, tooFew, r.K));
    const steps = tooFew ? 1 : trafficSteps(d, fleet.most);
    r.errors.push(...rules.executionCoversWaits({ ...d, steps }, r.K));
    r.errors.push(...rules.rollbackWithoutAlarms(autoRollback, alarms.on, r.K));
    warnings.push(...rules.waitShorterThanAlarm(autoRollback && alarms.on, waitIntervalSeconds, alarms.settings.periodSeconds * alarms.settings.evaluationPeriods, r.K));
    return trafficRouting !== "ALL_AT_ONCE" || autoRollback || terminationWaitSeconds > 0 ? d : undefined;
}

/** CANARY and LINEAR: at least 2 instances, a canary of at most 50 %, linear steps of 10 % to 50 % of the fleet. */
function stepProblems(d: DeploymentSettings, f: { initial: number; fewest: number; most: number; autoscaling?: AutoscalingSettings }, tooFew: boolean, K: (key: string) => string): string[] {
    const counts = `${K("initialInstanceCount")} ${f.initial}` + (f.autoscaling ? `, ${K("autoscalingMinInstances")} ${f.autoscaling.minInstances}` : "");
    const percent = d.stepSizeType === "CAPACITY_PERCENT";
    const shown = stepUnit(d.stepSizeType).shown;
    if (tooFew) {
        return [`${K("deploymentTrafficRouting")}: ${d.trafficRouting} shifts traffic in steps of at most 50% of the instances, which needs at least 2 instances ` +
            `(${counts}); raise the instance count(s) to 2, or use ALL_AT_ONCE.`];
    }
    if (d.trafficRouting === "CANARY" && !(percent ? d.canarySize <= 50 : d.canarySize * 2 <= f.fewest)) {
        return [`${K("deploymentCanarySize")}: ${d.canarySize}${shown} is more than 50% of the ` +
            `variant's instances (${counts}); SageMaker requires the canary to be at most half of them, so lower it.`];
    }
    if (d.trafficRouting === "LINEAR") {
        const [low, high] = percent ? [d.linearStepSize >= 10, d.linearStepSize <= 50] : [d.linearStepSize * 10 >= f.most, d.linearStepSize * 2 <= f.fewest];
        if (!low || !high) return [`${K("deploymentLinearStepSize")}: ${d.linearStepSize}${shown} is not between ` +
            `10% and 50% of the variant's instances (${counts}${f.autoscaling ? `, up to ${f.most}` : ""}); SageMaker requires each step in that range.`];
    }
    return [];
}

function readDataCapture(r: Reader, ctx: ProductionParseContext): DataCaptureSettings | undefined {
    const on = r.bool("dataCapture");
    const samplingPercent = r.int("dataCaptureSamplingPercent");
    const s3Prefix = r.str("dataCaptureS3Prefix");
    const prefixProblem = s3PrefixProblem(s3Prefix);
    if (prefixProblem) r.errors.push(`${r.K("dataCaptureS3Prefix")}: "${s3Prefix}" ${prefixProblem}; set it like "data-capture" or "monitoring/capture".`);
    else r.errors.push(...rules.captureOverlapsArtifacts(on, s3Prefix, ctx.artifactPrefix, r.K));
    const captureKey = arn(r, ctx, "dataCaptureKmsKeyArn", "a KMS key ARN like arn:aws:kms:us-east-1:111122223333:key/<key-id>");
    return on ? { samplingPercent, s3Prefix, kmsKeyArn: captureKey ?? ctx.kmsKeyArn } : undefined;
}
