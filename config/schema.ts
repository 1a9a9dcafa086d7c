/**
 * The one table of every stack config key: Pulumi type, default, range/enum/pattern, unit, description
 * (and the container variable of the model-cache keys). Pulumi.yaml's `config:` block and the docs table
 * (docs/configuration.md) are generated from it by config/generate.ts; the parsers (config.ts,
 * productionConfig.ts, topologyConfig.ts, modelCacheConfig.ts) read their defaults and ranges from it.
 * A description is written with {range}, {min}, {max}, {enum} and {env} where it names them (and {reservedEnv},
 * {envMaxEntries}, {torchServePrefix} for the container's own variables); `describe` fills them in.
 * DLC versions, Pythons and GPU families come from data/ through sagemaker/factPhrases.ts, never typed in a description.
 * The router's own defaults (cache fraction, retry, wait) come from model-src/code/mme/cache_defaults.json,
 * the file the handler reads too.
 */
import HANDLER_DEFAULTS from "../model-src/code/mme/cache_defaults.json";
import { frameworkVersionRange, gpuFamilyNames, pythonVersionItems } from "../sagemaker/factPhrases";
import { CODEARTIFACT_REPOSITORY_ARN } from "../sagemaker/isolation";

import { SAGEMAKER_NAME_MAX } from "./names";

export { configKey, keyNamer, PROJECT } from "./names";

/** A type as Pulumi's project `config:` block spells it; "object" is declared untyped (Pulumi has no object type). */
export type PulumiType = "string" | "integer" | "boolean" | "array" | "object";
export type ConfigValue = string | number | boolean | string[] | Record<string, never>;
/** Which parser reads the key (and so the wording of its range errors). */
export type KeyGroup = "core" | "modelCache" | "production" | "topology";

export interface KeySpec {
    /** Key without the project prefix. */
    key: string;
    group: KeyGroup;
    type: PulumiType;
    /** Default when the stack does not set the key (Pulumi.yaml's `default:`); "" and 0 mean "not set" where the description says so. */
    default: ConfigValue;
    /** Inclusive bounds of an integer key. */
    range?: readonly [number, number];
    /** What an integer counts, as error messages name it ("seconds"). */
    unit?: string;
    /** Accepted values of a string key. */
    enum?: readonly string[];
    /** Shape of a string key's value (or of each item of an array key). */
    pattern?: RegExp;
    /** The container environment variable the key becomes (model-cache keys). */
    env?: string;
    /** Keys it must not be set together with. */
    conflictsWith?: readonly string[];
    /** One line for Pulumi.yaml and the docs table, with placeholders: what they show is `describe(spec)`. */
    description: string;
}
type Entry = Omit<KeySpec, "group">;
export type Schema = readonly KeySpec[];

/** How the model directory reaches SageMaker: one model.tar.gz, or every file under an S3 prefix. */
export const MODEL_DATA_MODES = ["archive", "uncompressed"] as const;
export const TOPOLOGIES = ["router", "components"] as const;
export const TRAFFIC_ROUTINGS = ["ALL_AT_ONCE", "CANARY", "LINEAR"] as const;
export const STEP_SIZE_TYPES = ["INSTANCE_COUNT", "CAPACITY_PERCENT"] as const;
export const LOG_LEVELS: Readonly<Record<string, number>> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };
/** Most instances of a variant this program accepts (initialInstanceCount, autoscaling bounds, step sizes). */
export const MAX_INSTANCE_COUNT = 10000;
/** Upper bounds of the components topology's whole numbers (SageMaker's own limits are account quotas). */
export const MAX_INSTANCES = 1000;
export const MAX_COPIES = 1000;
/** The router's defaults, read by model-src/code/mme/budget.py from the same file. */
export const HANDLER_CACHE_DEFAULTS: Readonly<{ MODEL_CACHE_FRACTION: number; MODEL_LOAD_RETRY_SECONDS: number; MODEL_CACHE_WAIT_SECONDS: number }> = HANDLER_DEFAULTS;
const FRACTION = HANDLER_DEFAULTS.MODEL_CACHE_FRACTION;
export const KMS_KEY_ARN = /^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
export const SNS_TOPIC_ARN = /^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const DAY = 86400;

const str = (key: string, def: string, description: string, more: Partial<Entry> = {}): Entry => ({ key, type: "string", default: def, description, ...more });
const bool = (key: string, description: string): Entry => ({ key, type: "boolean", default: false, description });
const int = (key: string, def: number, range: readonly [number, number], unit: string, description: string, more: Partial<Entry> = {}): Entry =>
    ({ key, type: "integer", default: def, range, unit, description, ...more });
/** "a, b or c". */
export const orList = (items: readonly string[]): string => (items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`);

/**
 * Placeholders whose values live in sagemaker/containerEnv.ts, which imports the config parsers (so this file cannot
 * import it at load time): read when a description is rendered, once every module has loaded.
 */
function containerEnvFill(): Record<string, string> {
    const env = require("../sagemaker/containerEnv") as typeof import("../sagemaker/containerEnv");
    return { reservedEnv: orList(env.RESERVED_ENV_KEYS), envMaxEntries: String(env.ENV_MAX_ENTRIES), torchServePrefix: env.TORCHSERVE_ENV_PREFIX };
}

/** The description with its placeholders filled in from the entry (so a changed range changes the text too). */
export function describe(spec: Entry): string {
    const [min, max] = spec.range ?? [];
    const fill: Record<string, string | undefined> = {
        range: spec.range && `${min} to ${max}`, min: min?.toString(), max: max?.toString(), enum: spec.enum && orList(spec.enum), env: spec.env,
    };
    let container: Record<string, string> | undefined; // read at the first container placeholder only
    return spec.description.replace(/\{(range|min|max|enum|env|reservedEnv|envMaxEntries|torchServePrefix)\}/g, (whole, name: string) => {
        const value = name in fill ? fill[name] : (container ??= containerEnvFill())[name];
        if (value === undefined) throw new Error(`config/schema.ts ${spec.key}: {${name}} has no value`);
        return value;
    });
}
const group = (g: KeyGroup, entries: Entry[]): KeySpec[] => entries.map((e) => ({ ...e, group: g }));

const CORE_BEFORE_CACHE = group("core", [
    str("modelDir", "model-src", "Model directory (code/inference.py, code/requirements.txt, models.json, model folders), relative to the project root; packed into model.tar.gz, or uploaded file by file with modelDataMode uncompressed."),
    str("modelDataMode", "archive", "How the model directory reaches /opt/ml/model. archive: one content-addressed model.tar.gz (Model modelDataUrl; output modelDataUrl = its s3:// URL, artifactSha256 = the sha256 of its bytes). uncompressed: every file as its own S3 object under <artifactPrefix>/<id>/ and the Model's modelDataSource (S3Prefix, CompressionType None), so nothing is compressed locally and SageMaker copies the files without un-tarring (AWS recommends it for large models); output modelDataUrl = the s3://.../<id>/ prefix, artifactSha256 = the sha256 over the sorted \"sha256 size path\" lines of the files, id = its first 16 hex. One S3 object and Pulumi resource per file; executable bits are not kept. Works with enableNetworkIsolation, VPC, kmsKeyArn and modelDataDownloadTimeoutInSeconds as the archive does.",
        { enum: MODEL_DATA_MODES }),
    str("artifactBucket", "", "Existing S3 bucket for the model data (model.tar.gz or the uncompressed files). Empty = create a private, encrypted, TLS-only bucket."),
    str("artifactPrefix", "models", "S3 key prefix; the archive goes to <prefix>/<sha256 first 16 hex>/model.tar.gz (uncompressed mode - the files under <prefix>/<id>/). No leading or trailing \"/\". The execution role may read (s3:GetObject) and list (s3:ListBucket with an s3:prefix condition) only under it."),
    str("kmsKeyArn", "", "KMS key ARN (same region) for the artifacts' encryption; the role gets kms:Decrypt on it. Empty = SSE-S3. Passed to the endpoint configuration only for instance types without local NVMe storage.",
        { pattern: KMS_KEY_ARN }),
    bool("forceDestroyArtifacts", "true = pulumi destroy deletes the created bucket with its objects; false = bucket and archives are retained on delete."),
    str("executionRoleArn", "", "Existing SageMaker execution role ARN. Empty = create a least-privilege role.",
        { pattern: /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/ }),
    str("image", "", "Container image URI used verbatim. Empty = the PyTorch inference GPU DLC for frameworkVersion/pythonVersion/aws:region. Conflicts with a non-default frameworkVersion or pythonVersion.",
        { conflictsWith: ["frameworkVersion", "pythonVersion"] }),
    str("frameworkVersion", "2.5.1", `PyTorch DLC version, ${frameworkVersionRange()}.`),
    str("pythonVersion", "py311", `Python of the DLC, ${orList(pythonVersionItems())}.`),
    str("instanceType", "ml.g4dn.xlarge", `GPU instance type SageMaker accepts for endpoints (${gpuFamilyNames().join(", ")}).`),
    int("initialInstanceCount", 1, [1, MAX_INSTANCE_COUNT], "instances", "Instances behind the variant, >= {min}."),
    int("volumeSizeInGb", 0, [0, 512], "GB (0 = not set)", `EBS volume per instance in GB, 1 to {max}, only for types without local NVMe storage (${gpuFamilyNames({ withoutStorage: true }).join(", ")}). 0 = not set.`),
    int("containerStartupHealthCheckTimeoutInSeconds", 900, [60, 3600], "seconds", "Seconds the container may take to answer /ping after start (pip install and model loading), {range}."),
    int("modelDataDownloadTimeoutInSeconds", 600, [60, 3600], "seconds", "Seconds SageMaker may take to download the model data (model.tar.gz and its extraction, or the uncompressed files), {range}."),
    str("endpointName", "", `Endpoint name, letters, digits and hyphens, at most ${SAGEMAKER_NAME_MAX} characters. Empty = <project>-<stack>.`),
    str("variantName", "AllTraffic", "Production variant name."),
    int("modelServerWorkers", 1, [1, 64], "workers", "SAGEMAKER_MODEL_SERVER_WORKERS, {range}. Every worker is a process with its own model cache on one GPU (GPUs are handed to workers round-robin); preview checks that the pinned models fit that many times."),
    str("containerLogLevel", "INFO", "SAGEMAKER_CONTAINER_LOG_LEVEL, {enum} (or 10 to 50).", { enum: Object.keys(LOG_LEVELS) }),
    { key: "environment", type: "object", default: {}, description: "Extra container environment, a map of NAME to value; with the program's own variables and the thread and allocator defaults it does not override, at most SageMaker's {envMaxEntries} entries (docs/local-vs-container.md lists the defaults). Must not set the program's own {reservedEnv} (use their config keys), nor any {torchServePrefix}* variable (the toolkit would replace modelServerWorkers with per-model TorchServe worker settings)." },
]);

const MODEL_CACHE = group("modelCache", [
    int("modelCacheBytes", 0, [1, Number.MAX_SAFE_INTEGER], "bytes", `{env}: bytes of models.json memoryBytes each worker keeps loaded (its own cache), >= {min}; 0 = not set. Conflicts with modelCacheFraction. Unset both: ${FRACTION} / the workers sharing a GPU (ceil(modelServerWorkers / GPUs per instance)) of the worker's GPU memory.`,
        { env: "MODEL_CACHE_BYTES", conflictsWith: ["modelCacheFraction"] }),
    str("modelCacheFraction", "", `{env}: each worker's cache as a fraction of its GPU's memory, a number in (0, 1] written as a string ("0.4"); "" = not set (${FRACTION} / the workers sharing a GPU, ceil(modelServerWorkers / GPUs)). Conflicts with modelCacheBytes.`,
        { env: "MODEL_CACHE_FRACTION", conflictsWith: ["modelCacheBytes"] }),
    int("modelLoadRetrySeconds", HANDLER_DEFAULTS.MODEL_LOAD_RETRY_SECONDS, [0, 3600], "seconds", "{env}: after a model fails to load, its requests get a 500 for this many seconds, then the load is retried ({range}).",
        { env: "MODEL_LOAD_RETRY_SECONDS" }),
    // An invocation must be answered within 60 s, so waiting longer is pointless.
    int("modelCacheWaitSeconds", HANDLER_DEFAULTS.MODEL_CACHE_WAIT_SECONDS, [1, 59], "seconds", "{env}: how long a request waits for cache room (models in use) or a running load before a 503 cache_busy ({range}; SageMaker allows 60 s per invocation).",
        { env: "MODEL_CACHE_WAIT_SECONDS" }),
]);

const CORE_AFTER_CACHE = group("core", [
    { key: "vpcSubnetIds", type: "array", default: [], range: [1, 16], pattern: /^subnet-[0-9a-f]{8,17}$/, description: "Subnet ids for the model's VPC config ({range}). Requires vpcSecurityGroupIds." },
    { key: "vpcSecurityGroupIds", type: "array", default: [], range: [1, 5], pattern: /^sg-[0-9a-f]{8,17}$/, description: "Security group ids for the model's VPC config ({range}). Requires vpcSubnetIds." },
    bool("enableNetworkIsolation", "Run the model container without network access or AWS credentials. code/requirements.txt then cannot be pip-installed, so preview fails unless it is empty or installs offline (--no-index with vendored wheels)."),
    bool("protectEndpoint", "Protect the endpoint from deletion; pulumi destroy fails until it is unprotected."),
]);

const PRODUCTION = group("production", [
    bool("autoscaling", "Register the variant's DesiredInstanceCount with Application Auto Scaling and attach a target-tracking policy on SageMakerVariantInvocationsPerInstance."),
    int("autoscalingMinInstances", 1, [0, MAX_INSTANCE_COUNT], "instances", "Fewest instances autoscaling may leave (>= 1; must be <= initialInstanceCount)."),
    int("autoscalingMaxInstances", 2, [1, MAX_INSTANCE_COUNT], "instances", "Most instances autoscaling may start (>= initialInstanceCount; your account quota for the instance type applies). Blue/green deployments need quota for twice this many instances."),
    int("autoscalingTargetInvocationsPerInstance", 1000, [1, 1_000_000], "invocations per instance per minute", "Target of SageMakerVariantInvocationsPerInstance, in invocations per instance per MINUTE ({range}); measure the max sustainable rate and use about half."),
    int("autoscalingScaleInCooldownSeconds", 600, [0, DAY], "seconds", "Seconds after a scale-in before the next scale-in ({range})."),
    int("autoscalingScaleOutCooldownSeconds", 300, [0, DAY], "seconds", "Seconds after a scale-out before the next scale-out ({range}); a GPU instance takes minutes to start and load the models."),
    int("autoscalingGpuUtilizationTargetPercent", 0, [0, 100], "percent (0 = off)", "0 = off; 1 to {max} adds a second target-tracking policy on the variant's average GPUUtilization, in percent of all GPUs of an instance."),
    bool("autoscalingScaleToZero", "Allow autoscalingMinInstances 0. SageMaker scales to zero only endpoints that host inference components, which the router topology does not deploy, so true is rejected with an explanation; use topology components with componentsMinInstanceCount 0 and componentMinCopies 0 instead."),
    bool("alarms", "Create CloudWatch alarms on the variant's Invocation5XXErrors, ModelLatency p99 and GPUMemoryUtilization."),
    int("alarmInvocation5xxThreshold", 5, [1, 1_000_000], "failed requests per period", "Alarm when the Sum of Invocation5XXErrors in one period is >= this many requests (>= {min})."),
    int("alarmModelLatencyP99Microseconds", 1_000_000, [1000, 60_000_000], "microseconds (1000000 = 1 s)", "Alarm when the p99 of ModelLatency exceeds this, in MICROSECONDS as CloudWatch reports it (1000000 = 1 s; {range})."),
    int("alarmGpuMemoryUtilizationPercent", 90, [1, 100], "percent", "Alarm when the variant's average GPUMemoryUtilization exceeds this percent of an instance's total GPU memory ({range}; multiplied by the GPUs per instance for the CloudWatch threshold)."),
    int("alarmPeriodSeconds", 60, [60, DAY], "seconds", "Alarm period in seconds: a multiple of {min} (SageMaker publishes these metrics each minute), up to {max}."),
    int("alarmEvaluationPeriods", 2, [1, 10], "periods", "Consecutive breaching periods before an alarm fires ({range})."),
    str("alarmSnsTopicArn", "", "SNS topic ARN notified on ALARM and OK; empty = no notifications.", { pattern: SNS_TOPIC_ARN }),
    str("deploymentTrafficRouting", "ALL_AT_ONCE", "Blue/green traffic shifting on endpoint updates: {enum}. CANARY and LINEAR need at least 2 instances.", { enum: TRAFFIC_ROUTINGS }),
    str("deploymentStepSizeType", "INSTANCE_COUNT", "Unit of deploymentCanarySize and deploymentLinearStepSize: {enum}.", { enum: STEP_SIZE_TYPES }),
    int("deploymentCanarySize", 1, [1, MAX_INSTANCE_COUNT], "instances", "CANARY: capacity of the first step, <= 50% of the variant's instances."),
    int("deploymentLinearStepSize", 1, [1, MAX_INSTANCE_COUNT], "instances", "LINEAR: capacity of each step, 10% to 50% of the variant's instances."),
    int("deploymentWaitIntervalSeconds", 300, [0, 3600], "seconds", "Baking time after each traffic step, in seconds ({range}); auto-rollback alarms are watched during it."),
    int("deploymentTerminationWaitSeconds", 0, [0, 3600], "seconds", "Seconds to keep the old fleet after the shift completes ({range})."),
    int("deploymentMaximumExecutionTimeoutSeconds", 3600, [600, 14400], "seconds", "Upper bound for the whole deployment, in seconds ({range}), larger than all waits together."),
    bool("deploymentAutoRollback", "Roll an update back when one of the alarms fires during it (needs alarms: true). Turning it on or off later replaces the endpoint: set it when the endpoint is created."),
    bool("acknowledgeEndpointReplacement", "Accept the downtime of a change that replaces the endpoint (endpointName or the stack name behind its default, deploymentAutoRollback on or off): the provider deletes it, then creates it. false = preview refuses such a change; see docs/updates.md for the migration without downtime."),
    bool("dataCapture", "Capture requests and responses (JSON as text) to S3 in the artifact bucket, encrypted."),
    int("dataCaptureSamplingPercent", 10, [1, 100], "percent", "Percent of requests captured ({range})."),
    str("dataCaptureS3Prefix", "data-capture", "Key prefix in the artifact bucket for captured data (no leading or trailing slash)."),
    str("dataCaptureKmsKeyArn", "", "KMS key ARN for captured data; empty = kmsKeyArn, or the bucket's default encryption.", { pattern: KMS_KEY_ARN }),
    str("codeArtifactRepositoryArn", "", "CodeArtifact repository ARN (arn:aws:codeartifact:<region>:<account>:repository/<domain>/<repo>) passed as CA_REPOSITORY_ARN: pip installs code/requirements.txt from it. The container must reach CodeArtifact (NAT or VPC endpoints), so it cannot work with enableNetworkIsolation.",
        { pattern: CODEARTIFACT_REPOSITORY_ARN, conflictsWith: ["enableNetworkIsolation"] }),
]);

const TOPOLOGY = group("topology", [
    str("topology", "router", "router: every model in one model.tar.gz behind the routing inference.py on one production variant (requests name the model). components: one archive, SageMaker Model and inference component per model on a model-less variant with managed instance scaling (requests name the inference component; see docs/topologies.md).",
        { enum: TOPOLOGIES }),
    int("componentsMinInstanceCount", 1, [0, MAX_INSTANCES], "instances", "components: fewest instances managed instance scaling keeps ({range}; 0 lets the endpoint scale to zero instances when every component is at 0 copies)."),
    int("componentsMaxInstanceCount", 1, [1, MAX_INSTANCES], "instances", "components: most instances managed instance scaling may run ({range}, >= componentsMinInstanceCount and >= initialInstanceCount); the placement check fits every component's minimum copies into them."),
    int("componentMinCopies", 1, [0, MAX_COPIES], "copies", "components: fewest copies of each model ({range}; 0 = scale to zero: adds the scale-out-from-zero step policy and its NoCapacityInvocationFailures alarm). componentCopies overrides it per model."),
    int("componentMaxCopies", 1, [1, MAX_COPIES], "copies", "components: most copies of each model autoscaling may run ({range}, >= its minimum). componentCopies overrides it per model."),
    int("componentInitialCopies", 1, [1, MAX_COPIES], "copies", "components: copies of each model deployed at creation ({range}, between its minimum and maximum). componentCopies overrides it per model."),
    { key: "componentCopies", type: "object", default: {}, description: "components: per-model copy settings, a map of model name to {\"min\": n, \"max\": n, \"initial\": n} (each field optional, defaults from componentMinCopies, componentMaxCopies, componentInitialCopies). Names must be models.json models." },
    int("componentTargetInvocationsPerCopy", 100, [1, 1_000_000], "invocations per copy per minute", "components: target of SageMakerInferenceComponentInvocationsPerCopy (invocations per copy per minute, {range}) for each model's target-tracking policy."),
    int("componentScaleInCooldownSeconds", 300, [0, DAY], "seconds", "components: seconds after a copy scale-in before the next ({range})."),
    int("componentScaleOutCooldownSeconds", 60, [0, DAY], "seconds", "components: seconds after a copy scale-out before the next ({range}); also the cooldown of the scale-out-from-zero step policy."),
]);

/** Every key, in the order Pulumi.yaml and the docs table list them. */
export const SCHEMA: Schema = [...CORE_BEFORE_CACHE, ...MODEL_CACHE, ...CORE_AFTER_CACHE, ...PRODUCTION, ...TOPOLOGY];

/** The keys of one group, in schema order. */
export function keysOf(g: KeyGroup, schema: Schema = SCHEMA): KeySpec[] {
    return schema.filter((k) => k.group === g);
}

/** The keys of one group with their descriptions filled in (the key tables the modules export). */
export function describedKeys(g: KeyGroup, schema: Schema = SCHEMA): KeySpec[] {
    return keysOf(g, schema).map((k) => ({ ...k, description: describe(k) }));
}

/** The entry of `key` (throws for a key the schema lacks: a programming error). */
export function specOf(key: string, schema: Schema = SCHEMA): KeySpec {
    const spec = schema.find((k) => k.key === key);
    if (!spec) throw new Error(`config/schema.ts has no key ${key}`);
    return spec;
}
