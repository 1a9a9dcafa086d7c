/**
 * The stack config keys of the production rollout: autoscaling, alarms, blue/green
 * deployment with auto-rollback, data capture and the CodeArtifact repository for network-restricted
 * containers. Every key is off or
 * minimal by default, so a stack that sets none of them (dev) declares none of the resources.
 *
 * This table is the single list the `Pulumi.yaml` config block and the README table are made
 * from; `parseProductionSettings` (productionConfig.ts) uses the same defaults, and
 * tests/unit/productionConfig.spec.ts checks that setting a key to its default here changes nothing.
 */

/** A config type as Pulumi's project `config:` block spells it. */
export type ProductionConfigType = "boolean" | "integer" | "string" | "array";

export interface ProductionConfigKey {
    /** Key without the project prefix; the full key is `gpu-multi-model-endpoint:<key>`. */
    key: string;
    type: ProductionConfigType;
    /** Default when the stack does not set the key (also the `default:` in Pulumi.yaml). */
    default: boolean | number | string | string[];
    /** One line for Pulumi.yaml and the README table: unit, range, conflicts. */
    description: string;
}

export const PRODUCTION_CONFIG_KEYS: readonly ProductionConfigKey[] = [
    // Autoscaling
    { key: "autoscaling", type: "boolean", default: false,
      description: "Register the variant's DesiredInstanceCount with Application Auto Scaling and attach a target-tracking policy on SageMakerVariantInvocationsPerInstance." },
    { key: "autoscalingMinInstances", type: "integer", default: 1,
      description: "Fewest instances autoscaling may leave (>= 1; must be <= initialInstanceCount)." },
    { key: "autoscalingMaxInstances", type: "integer", default: 2,
      description: "Most instances autoscaling may start (>= initialInstanceCount; your account quota for the instance type applies). Blue/green deployments need quota for twice this many instances." },
    { key: "autoscalingTargetInvocationsPerInstance", type: "integer", default: 1000,
      description: "Target of SageMakerVariantInvocationsPerInstance, in invocations per instance per MINUTE (1 to 1000000); measure the max sustainable rate and use about half." },
    { key: "autoscalingScaleInCooldownSeconds", type: "integer", default: 600,
      description: "Seconds after a scale-in before the next scale-in (0 to 86400)." },
    { key: "autoscalingScaleOutCooldownSeconds", type: "integer", default: 300,
      description: "Seconds after a scale-out before the next scale-out (0 to 86400); a GPU instance takes minutes to start and load the models." },
    { key: "autoscalingGpuUtilizationTargetPercent", type: "integer", default: 0,
      description: "0 = off; 1 to 100 adds a second target-tracking policy on the variant's average GPUUtilization, in percent of all GPUs of an instance." },
    { key: "autoscalingScaleToZero", type: "boolean", default: false,
      description: "Allow autoscalingMinInstances 0. SageMaker scales to zero only endpoints that host inference components, which the router topology does not deploy, so true is rejected with an explanation; use topology components with componentsMinInstanceCount 0 and componentMinCopies 0 instead." },
    // Alarms
    { key: "alarms", type: "boolean", default: false,
      description: "Create CloudWatch alarms on the variant's Invocation5XXErrors, ModelLatency p99 and GPUMemoryUtilization." },
    { key: "alarmInvocation5xxThreshold", type: "integer", default: 5,
      description: "Alarm when the Sum of Invocation5XXErrors in one period is >= this many requests (>= 1)." },
    { key: "alarmModelLatencyP99Microseconds", type: "integer", default: 1000000,
      description: "Alarm when the p99 of ModelLatency exceeds this, in MICROSECONDS as CloudWatch reports it (1000000 = 1 s; 1000 to 60000000)." },
    { key: "alarmGpuMemoryUtilizationPercent", type: "integer", default: 90,
      description: "Alarm when the variant's average GPUMemoryUtilization exceeds this percent of an instance's total GPU memory (1 to 100; multiplied by the GPUs per instance for the CloudWatch threshold)." },
    { key: "alarmPeriodSeconds", type: "integer", default: 60,
      description: "Alarm period in seconds: a multiple of 60 (SageMaker publishes these metrics each minute), up to 86400." },
    { key: "alarmEvaluationPeriods", type: "integer", default: 2,
      description: "Consecutive breaching periods before an alarm fires (1 to 10)." },
    { key: "alarmSnsTopicArn", type: "string", default: "",
      description: "SNS topic ARN notified on ALARM and OK; empty = no notifications." },
    // Deployment (blue/green)
    { key: "deploymentTrafficRouting", type: "string", default: "ALL_AT_ONCE",
      description: "Blue/green traffic shifting on endpoint updates: ALL_AT_ONCE, CANARY or LINEAR. CANARY and LINEAR need at least 2 instances." },
    { key: "deploymentStepSizeType", type: "string", default: "INSTANCE_COUNT",
      description: "Unit of deploymentCanarySize and deploymentLinearStepSize: INSTANCE_COUNT or CAPACITY_PERCENT." },
    { key: "deploymentCanarySize", type: "integer", default: 1,
      description: "CANARY: capacity of the first step, <= 50% of the variant's instances." },
    { key: "deploymentLinearStepSize", type: "integer", default: 1,
      description: "LINEAR: capacity of each step, 10% to 50% of the variant's instances." },
    { key: "deploymentWaitIntervalSeconds", type: "integer", default: 300,
      description: "Baking time after each traffic step, in seconds (0 to 3600); auto-rollback alarms are watched during it." },
    { key: "deploymentTerminationWaitSeconds", type: "integer", default: 0,
      description: "Seconds to keep the old fleet after the shift completes (0 to 3600)." },
    { key: "deploymentMaximumExecutionTimeoutSeconds", type: "integer", default: 3600,
      description: "Upper bound for the whole deployment, in seconds (600 to 14400), larger than all waits together." },
    { key: "deploymentAutoRollback", type: "boolean", default: false,
      description: "Roll an update back when one of the alarms fires during it (needs alarms: true). Turning it on or off later replaces the endpoint: set it when the endpoint is created." },
    { key: "acknowledgeEndpointReplacement", type: "boolean", default: false,
      description: "Accept the downtime of a change that replaces the endpoint (endpointName or the stack name behind its default, deploymentAutoRollback on or off): the provider deletes it, then creates it. false = preview refuses such a change; see docs/updates.md for the migration without downtime." },
    // Data capture
    { key: "dataCapture", type: "boolean", default: false,
      description: "Capture requests and responses (JSON as text) to S3 in the artifact bucket, encrypted." },
    { key: "dataCaptureSamplingPercent", type: "integer", default: 10,
      description: "Percent of requests captured (1 to 100)." },
    { key: "dataCaptureS3Prefix", type: "string", default: "data-capture",
      description: "Key prefix in the artifact bucket for captured data (no leading or trailing slash)." },
    { key: "dataCaptureKmsKeyArn", type: "string", default: "",
      description: "KMS key ARN for captured data; empty = kmsKeyArn, or the bucket's default encryption." },
    // Isolation (vpcSubnetIds, vpcSecurityGroupIds, enableNetworkIsolation and kmsKeyArn are config.ts keys)
    { key: "codeArtifactRepositoryArn", type: "string", default: "",
      description: "CodeArtifact repository ARN (arn:aws:codeartifact:<region>:<account>:repository/<domain>/<repo>) passed as CA_REPOSITORY_ARN: pip installs code/requirements.txt from it. The container must reach CodeArtifact (NAT or VPC endpoints), so it cannot work with enableNetworkIsolation." },
];
