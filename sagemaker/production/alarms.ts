/**
 * CloudWatch alarms on the endpoint variant: Invocation5XXErrors (Sum), ModelLatency (p99, in
 * microseconds as SageMaker publishes it) and GPUMemoryUtilization (namespace
 * /aws/sagemaker/Endpoints, 0-100 % per GPU, so 0-(100 x GPUs) per instance). Dimensions
 * EndpointName and VariantName. Optional SNS notifications. The same alarms drive the
 * deployment's auto-rollback (deploymentConfig.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AlarmSettings } from "../../config/productionConfig";

/** Fixed alarm names derived from the endpoint name (never from a resource output; see deploymentConfig.ts). */
export function alarmNames(endpointName: string) {
    return {
        invocation5xxErrors: `${endpointName}-invocation-5xx-errors`,
        modelLatencyP99: `${endpointName}-model-latency-p99`,
        gpuMemoryUtilization: `${endpointName}-gpu-memory-utilization`,
    };
}

export interface AlarmSpec {
    /** Child resource suffix: `${name}-${key}`. */
    key: "invocation-5xx-errors" | "model-latency-p99" | "gpu-memory-utilization";
    args: aws.cloudwatch.MetricAlarmArgs;
}

export interface EndpointAlarmsArgs {
    /** Endpoint name from settings (config `endpointName` or `<project>-<stack>`), not the Endpoint output. */
    endpointName: string;
    /** Production variant name (config `variantName`). @default "AllTraffic" in config.ts */
    variantName: string;
    /** Thresholds, period, evaluation periods and SNS topic (productionConfig.ts). */
    alarms: AlarmSettings;
    /** GPUs per instance of the instance type (instanceTypes.ts `gpuCount`), >= 1: scales the GPU memory threshold. */
    gpusPerInstance: number;
    /** Tags for every alarm. @default none */
    tags?: Record<string, string>;
}

/** Pure: the three MetricAlarm inputs. */
export function alarmSpecs(args: EndpointAlarmsArgs): AlarmSpec[] {
    const a = args.alarms;
    const names = alarmNames(args.endpointName);
    const actions = a.snsTopicArn ? [a.snsTopicArn] : [];
    const common = {
        dimensions: { EndpointName: args.endpointName, VariantName: args.variantName },
        period: a.periodSeconds,
        evaluationPeriods: a.evaluationPeriods,
        datapointsToAlarm: a.evaluationPeriods,
        treatMissingData: "notBreaching",
        actionsEnabled: actions.length > 0,
        alarmActions: actions,
        okActions: actions,
        tags: args.tags,
    };
    return [
        { key: "invocation-5xx-errors", args: { ...common,
            name: names.invocation5xxErrors,
            alarmDescription: `${args.endpointName}/${args.variantName}: at least ${a.invocation5xxThreshold} requests failed with a 5xx in ${a.periodSeconds} s (${a.evaluationPeriods} period(s) in a row).`,
            namespace: "AWS/SageMaker", metricName: "Invocation5XXErrors", statistic: "Sum",
            comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: a.invocation5xxThreshold } },
        { key: "model-latency-p99", args: { ...common,
            name: names.modelLatencyP99,
            alarmDescription: `${args.endpointName}/${args.variantName}: p99 ModelLatency above ${a.modelLatencyP99Microseconds} microseconds (${a.modelLatencyP99Microseconds / 1e6} s).`,
            namespace: "AWS/SageMaker", metricName: "ModelLatency", extendedStatistic: "p99",
            evaluateLowSampleCountPercentiles: "ignore",
            comparisonOperator: "GreaterThanThreshold", threshold: a.modelLatencyP99Microseconds } },
        { key: "gpu-memory-utilization", args: { ...common,
            name: names.gpuMemoryUtilization,
            alarmDescription: `${args.endpointName}/${args.variantName}: GPU memory above ${a.gpuMemoryUtilizationPercent}% of the instance's ${args.gpusPerInstance} GPU(s).`,
            namespace: "/aws/sagemaker/Endpoints", metricName: "GPUMemoryUtilization", statistic: "Average",
            comparisonOperator: "GreaterThanThreshold", threshold: a.gpuMemoryUtilizationPercent * args.gpusPerInstance } },
    ];
}

/** The variant's alarms. Children: `${name}-invocation-5xx-errors`, `${name}-model-latency-p99`, `${name}-gpu-memory-utilization`. */
export class EndpointAlarms extends pulumi.ComponentResource {
    /** Alarm names, known at preview: pass them to buildDeploymentConfig for auto-rollback. */
    public readonly alarmNames: string[];
    public readonly alarmArns: pulumi.Output<string>[];
    /** The alarm resources, for `dependsOn` of the Endpoint. */
    public readonly alarms: aws.cloudwatch.MetricAlarm[];

    constructor(name: string, args: EndpointAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        if (!Number.isInteger(args.gpusPerInstance) || args.gpusPerInstance < 1) {
            throw new Error(`EndpointAlarms: gpusPerInstance must be a whole number >= 1, got ${args.gpusPerInstance}.`);
        }
        super("gpu-multi-model-endpoint:alarms:EndpointAlarms", name, {}, opts);
        const specs = alarmSpecs(args);
        this.alarms = specs.map((s) => new aws.cloudwatch.MetricAlarm(`${name}-${s.key}`, s.args, { parent: this }));
        this.alarmNames = specs.map((s) => s.args.name as string);
        this.alarmArns = this.alarms.map((a) => a.arn);
        this.registerOutputs({ alarmNames: this.alarmNames, alarmArns: this.alarmArns });
    }
}
