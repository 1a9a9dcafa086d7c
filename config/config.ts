/**
 * Stack config -> validated Settings. `parseSettings` is pure and reports every problem at once;
 * `loadSettings` reads `pulumi.Config` and throws one error listing them all.
 * Defaults live here AND in Pulumi.yaml's `config:` block (a test keeps them equal).
 */
import * as pulumi from "@pulumi/pulumi";
import { parseEnvironment } from "../sagemaker/containerEnv";
import { resolveImageUri, parseEcrImage, partitionOf } from "../sagemaker/imageUri";
import { checkGpuInstanceType, closest, gpuInstanceInfo } from "../sagemaker/instanceTypes";
import { bucketNameProblem, defaultEndpointName, keyPrefixProblem, sageMakerNameProblem, toSageMakerName } from "./names";
import { MODEL_CACHE_CONFIG_KEYS, MODEL_CACHE_KEY_NAMES, parseModelCacheSettings } from "./modelCacheConfig";
import { MAX_INSTANCE_COUNT, parseProductionSettings, PRODUCTION_CONFIG_KEYS, PRODUCTION_KEY_NAMES } from "./productionConfig";
import { budgetInput, deploymentTimeBudget } from "../sagemaker/production/deploymentTime";
import { parseTopologySettings, topologyConflicts, TOPOLOGY_CONFIG_KEYS, TOPOLOGY_KEY_NAMES } from "./topologyConfig";
import { arnRegionProblem } from "./scope";
import type { Settings } from "./settings";

export type { Settings } from "./settings";
export const PROJECT = "gpu-multi-model-endpoint";
const K = (key: string) => `${PROJECT}:${key}`;

/** Pulumi config type of each key (Pulumi.yaml declares `environment` untyped: Pulumi has no object type). */
export const CONFIG_TYPES = {
    modelDir: "string", modelDataMode: "string", artifactBucket: "string", artifactPrefix: "string", kmsKeyArn: "string",
    forceDestroyArtifacts: "boolean", executionRoleArn: "string", image: "string", frameworkVersion: "string",
    pythonVersion: "string", instanceType: "string", initialInstanceCount: "integer", volumeSizeInGb: "integer",
    containerStartupHealthCheckTimeoutInSeconds: "integer", modelDataDownloadTimeoutInSeconds: "integer",
    endpointName: "string", variantName: "string", modelServerWorkers: "integer", containerLogLevel: "string",
    environment: "object", vpcSubnetIds: "array", vpcSecurityGroupIds: "array", enableNetworkIsolation: "boolean",
    protectEndpoint: "boolean",
} as const;
export type ConfigKey = keyof typeof CONFIG_TYPES;
export const CONFIG_KEYS = Object.keys(CONFIG_TYPES) as ConfigKey[];

/**
 * Defaults, equal to Pulumi.yaml's. Pulumi requires a default for every declared key a stack may omit,
 * so "not set" is spelled "" (strings) and 0 (volumeSizeInGb).
 */
export const DEFAULTS: { readonly [k in ConfigKey]: string | number | boolean | string[] | Record<string, string> } = {
    modelDir: "model-src", modelDataMode: "archive", artifactBucket: "", artifactPrefix: "models", kmsKeyArn: "",
    forceDestroyArtifacts: false, executionRoleArn: "", image: "", frameworkVersion: "2.5.1",
    pythonVersion: "py311", instanceType: "ml.g4dn.xlarge", initialInstanceCount: 1, volumeSizeInGb: 0,
    containerStartupHealthCheckTimeoutInSeconds: 900, modelDataDownloadTimeoutInSeconds: 600,
    endpointName: "", variantName: "AllTraffic", modelServerWorkers: 1, containerLogLevel: "INFO",
    environment: {}, vpcSubnetIds: [], vpcSecurityGroupIds: [], enableNetworkIsolation: false,
    protectEndpoint: false,
};

/** How the model directory reaches SageMaker: one model.tar.gz, or every file under an S3 prefix. */
export const MODEL_DATA_MODES = ["archive", "uncompressed"] as const;
export const LOG_LEVELS: Readonly<Record<string, number>> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };
export const TIMEOUT_RANGE = [60, 3600] as const;
export const VOLUME_RANGE = [1, 512] as const;
export const WORKERS_RANGE = [1, 64] as const;

export type RawConfig = Record<string, string | undefined>;
export interface ParseContext {
    project: string;
    stack: string;
    region?: string;
    /** Keys declared in Pulumi.yaml by other modules (e.g. the production rollout's); not reported as unknown. */
    otherKeys?: readonly string[];
}
export interface ParseResult { settings?: Settings; errors: string[]; warnings: string[] }

/** Pure: raw config strings (as pulumi.Config gives them; JSON for objects/arrays) -> Settings. */
export function parseSettings(raw: RawConfig, ctx: ParseContext): ParseResult {
    const errors: string[] = [];
    const warnings: string[] = [];
    for (const key of Object.keys(raw)) {
        if (!(key in CONFIG_TYPES) && !PRODUCTION_KEY_NAMES.has(key) && !MODEL_CACHE_KEY_NAMES.has(key) && !TOPOLOGY_KEY_NAMES.has(key) && !(ctx.otherKeys ?? []).includes(key)) {
            const hint = closest(key, [...CONFIG_KEYS, ...MODEL_CACHE_KEY_NAMES, ...PRODUCTION_KEY_NAMES, ...TOPOLOGY_KEY_NAMES]);
            errors.push(`${K(key)}: unknown config key${hint ? `; did you mean ${K(hint)}?` : ""} ` +
                `Remove it, or use one of the keys declared in Pulumi.yaml.`);
        }
    }
    const given = (key: ConfigKey): string | undefined => {
        const v = raw[key];
        return v === undefined || v.trim() === "" ? undefined : v.trim();
    };
    const str = (key: ConfigKey): string => given(key) ?? String(DEFAULTS[key]);
    const optStr = (key: ConfigKey): string | undefined => given(key);
    const bool = (key: ConfigKey): boolean => {
        const v = given(key);
        if (v === undefined) return DEFAULTS[key] as boolean;
        if (/^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
        errors.push(`${K(key)}: "${v}" is not a boolean; set it to true or false.`);
        return DEFAULTS[key] as boolean;
    };
    const int = (key: ConfigKey, min: number, max: number | undefined, unit: string): number => {
        const v = given(key);
        if (v === undefined) return DEFAULTS[key] as number;
        const n = Number(v);
        const range = max === undefined ? `at least ${min}` : `from ${min} to ${max}`;
        if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
            errors.push(`${K(key)}: "${v}" is not a whole number ${range}; set it to a whole number of ${unit} ${range}.`);
            return DEFAULTS[key] as number;
        }
        return n;
    };
    const list = (key: ConfigKey): string[] => {
        const v = given(key);
        if (v === undefined) return [];
        let parsed: unknown = v;
        if (v.startsWith("[")) {
            try { parsed = JSON.parse(v); } catch { parsed = undefined; }
        } else {
            parsed = v.split(",").map((s) => s.trim()).filter(Boolean);
        }
        if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) {
            errors.push(`${K(key)}: ${JSON.stringify(v)} is not a list of strings; set it as a YAML list ` +
                `(pulumi config set --path '${key}[0]' <id>).`);
            return [];
        }
        return parsed;
    };

    // --- location
    let region = ctx.region?.trim() || undefined;
    if (!region) errors.push("aws:region: not set; run `pulumi config set aws:region <region>` (for example us-east-1).");
    else if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/.test(region)) {
        errors.push(`aws:region: "${region}" is not an AWS region name; set it like us-east-1.`);
        region = undefined;
    }
    const partition = partitionOf(region ?? "");

    // --- artifacts
    const modelDir = str("modelDir");
    const modeText = str("modelDataMode");
    const modelDataMode = MODEL_DATA_MODES.find((m) => m === modeText);
    if (!modelDataMode) {
        errors.push(`${K("modelDataMode")}: "${modeText}" is not a model data mode; set it to ${MODEL_DATA_MODES.join(" or ")} ` +
            `(archive: one model.tar.gz; uncompressed: every file under a content-addressed S3 prefix, for large models).`);
    }
    const artifactBucket = optStr("artifactBucket");
    const bucketProblem = artifactBucket && bucketNameProblem(artifactBucket);
    if (bucketProblem) errors.push(`${K("artifactBucket")}: "${artifactBucket}" ${bucketProblem}; set it to an existing bucket's name, or unset it to create one.`);
    const artifactPrefix = str("artifactPrefix");
    const prefixProblem = keyPrefixProblem(artifactPrefix);
    if (prefixProblem) errors.push(`${K("artifactPrefix")}: "${artifactPrefix}" ${prefixProblem}; set it like "models" or "team/models".`);
    const kmsKeyArn = optStr("kmsKeyArn");
    if (kmsKeyArn) {
        const m = /^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):key\/[A-Za-z0-9-]+$/.exec(kmsKeyArn);
        if (!m) errors.push(`${K("kmsKeyArn")}: "${kmsKeyArn}" is not a KMS key ARN; set it like arn:aws:kms:us-east-1:111122223333:key/<key-id> (aliases cannot be scoped in IAM).`);
        else {
            const where = arnRegionProblem(m[1], m[2], region, partition);
            if (where) errors.push(`${K("kmsKeyArn")}: the key ${where}.`);
        }
    }
    const forceDestroyArtifacts = bool("forceDestroyArtifacts");
    if (artifactBucket && forceDestroyArtifacts) {
        warnings.push(`${K("forceDestroyArtifacts")}: the bucket "${artifactBucket}" is not managed by this stack; only the uploaded archives are deleted with it.`);
    }

    // --- role
    const executionRoleArn = optStr("executionRoleArn");
    if (executionRoleArn && !/^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/.test(executionRoleArn)) {
        errors.push(`${K("executionRoleArn")}: "${executionRoleArn}" is not an IAM role ARN; set it like arn:aws:iam::111122223333:role/<name>, or unset it to create a role.`);
    }

    // --- image
    const image = optStr("image");
    const frameworkVersion = str("frameworkVersion");
    const pythonVersion = str("pythonVersion");
    let imageUri: string | undefined;
    let resolvedVersion: string | undefined;
    if (image) {
        const changed = (["frameworkVersion", "pythonVersion"] as const).filter((k) => given(k) !== undefined && given(k) !== DEFAULTS[k]);
        for (const k of changed) {
            errors.push(`${K("image")} and ${K(k)} are both set; ${K("image")} is used verbatim, so remove ${K(k)} (or remove ${K("image")} to use the PyTorch image for that version).`);
        }
        if (/\s/.test(image) || !image.includes("/")) {
            errors.push(`${K("image")}: "${image}" is not an image URI; set it like <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>.`);
        } else {
            imageUri = image;
            const ecr = parseEcrImage(image);
            if (!ecr) warnings.push(`${K("image")}: "${image}" is not an ECR image URI; SageMaker real-time endpoints pull from Amazon ECR.`);
            else if (region && ecr.region !== region) warnings.push(`${K("image")}: the image is in ${ecr.region} but the endpoint is in ${region}; SageMaker pulls images from the endpoint's region.`);
        }
    } else if (region) {
        const r = resolveImageUri({ region, frameworkVersion, pythonVersion });
        errors.push(...r.errors);
        imageUri = r.uri;
        resolvedVersion = r.frameworkVersion;
    }

    // --- instance
    const instanceType = str("instanceType");
    const typeError = checkGpuInstanceType(instanceType, K("instanceType"));
    if (typeError) errors.push(typeError);
    const gpu = gpuInstanceInfo(instanceType);
    const initialInstanceCount = int("initialInstanceCount", 1, MAX_INSTANCE_COUNT, "instances");
    const volumeSizeInGb = int("volumeSizeInGb", 0, VOLUME_RANGE[1], "GB (0 = not set)") || undefined;
    if (volumeSizeInGb !== undefined && gpu?.instanceStorage) {
        errors.push(`${K("volumeSizeInGb")} and ${K("instanceType")}: ${instanceType} has local NVMe instance storage and SageMaker rejects a volume size for it; remove ${K("volumeSizeInGb")} (or set it to 0).`);
    }
    if (kmsKeyArn && gpu?.instanceStorage) {
        warnings.push(`${K("kmsKeyArn")}: encrypts the model artifacts only; ${instanceType} has local NVMe storage, encrypted in hardware, and SageMaker rejects an endpoint-configuration KMS key for it.`);
    }
    const containerStartupHealthCheckTimeoutInSeconds = int("containerStartupHealthCheckTimeoutInSeconds", TIMEOUT_RANGE[0], TIMEOUT_RANGE[1], "seconds");
    const modelDataDownloadTimeoutInSeconds = int("modelDataDownloadTimeoutInSeconds", TIMEOUT_RANGE[0], TIMEOUT_RANGE[1], "seconds");

    // --- names
    const endpointName = optStr("endpointName") ?? defaultEndpointName(ctx.project, ctx.stack);
    const nameProblem = sageMakerNameProblem(endpointName);
    if (nameProblem) {
        if (given("endpointName")) errors.push(`${K("endpointName")}: "${endpointName}" ${nameProblem}; set a valid SageMaker endpoint name.`);
        else errors.push(`${K("endpointName")}: the default name "${endpointName}" (<project>-<stack>) ${nameProblem}; set ${K("endpointName")}` +
            (toSageMakerName(endpointName) ? ` (for example "${toSageMakerName(endpointName)}").` : "."));
    }
    const variantName = str("variantName");
    const variantProblem = sageMakerNameProblem(variantName);
    if (variantProblem) errors.push(`${K("variantName")}: "${variantName}" ${variantProblem}; set a valid variant name such as AllTraffic.`);

    // --- container
    const modelServerWorkers = int("modelServerWorkers", WORKERS_RANGE[0], WORKERS_RANGE[1], "workers");
    if (gpu && modelServerWorkers > gpu.gpuCount) {
        warnings.push(`${K("modelServerWorkers")}: ${modelServerWorkers} workers on ${gpu.gpuCount} GPU(s): the workers sharing a GPU each load their own copy of the models they serve; keep one per GPU unless the models fit that many times (preview checks the pinned ones).`);
    }
    const levelText = str("containerLogLevel").toUpperCase();
    let containerLogLevel = LOG_LEVELS[levelText] ?? (Object.values(LOG_LEVELS).includes(Number(levelText)) ? Number(levelText) : undefined);
    if (containerLogLevel === undefined) {
        errors.push(`${K("containerLogLevel")}: "${raw.containerLogLevel}" is not a log level; set one of ${Object.keys(LOG_LEVELS).join(", ")} (or 10, 20, 30, 40, 50).`);
        containerLogLevel = LOG_LEVELS.INFO;
    }
    const environment = parseEnvironment(given("environment"), K("environment"), K, errors);
    const { modelCache, errors: cacheErrors } = parseModelCacheSettings(raw, ctx.project);
    errors.push(...cacheErrors);

    // --- network
    const vpcSubnetIds = list("vpcSubnetIds");
    const vpcSecurityGroupIds = list("vpcSecurityGroupIds");
    for (const id of vpcSubnetIds) if (!/^subnet-[0-9a-f]{8,17}$/.test(id)) errors.push(`${K("vpcSubnetIds")}: "${id}" is not a subnet id; use ids like subnet-0123456789abcdef0.`);
    for (const id of vpcSecurityGroupIds) if (!/^sg-[0-9a-f]{8,17}$/.test(id)) errors.push(`${K("vpcSecurityGroupIds")}: "${id}" is not a security group id; use ids like sg-0123456789abcdef0.`);
    if (vpcSubnetIds.length > 16) errors.push(`${K("vpcSubnetIds")}: ${vpcSubnetIds.length} subnets given; SageMaker accepts at most 16.`);
    if (vpcSecurityGroupIds.length > 5) errors.push(`${K("vpcSecurityGroupIds")}: ${vpcSecurityGroupIds.length} security groups given; SageMaker accepts at most 5.`);
    if (vpcSubnetIds.length > 0 && vpcSecurityGroupIds.length === 0) errors.push(`${K("vpcSubnetIds")} is set without ${K("vpcSecurityGroupIds")}; set both (or neither) to run the model in a VPC.`);
    if (vpcSecurityGroupIds.length > 0 && vpcSubnetIds.length === 0) errors.push(`${K("vpcSecurityGroupIds")} is set without ${K("vpcSubnetIds")}; set both (or neither) to run the model in a VPC.`);
    const enableNetworkIsolation = bool("enableNetworkIsolation");
    // The production rollout's keys. requirements.txt is checked with the model directory (deployChecks.ts), hence false here.
    const prod = parseProductionSettings(raw, { project: ctx.project, stack: ctx.stack, initialInstanceCount,
        requirementsNonEmpty: false, enableNetworkIsolation, kmsKeyArn, region, partition, artifactPrefix: prefixProblem ? undefined : artifactPrefix });
    errors.push(...prod.errors);
    warnings.push(...prod.warnings);
    const budget = deploymentTimeBudget(budgetInput({ project: ctx.project, modelDataDownloadTimeoutInSeconds,
        containerStartupHealthCheckTimeoutInSeconds, initialInstanceCount, production: prod.production }));
    if (budget.error) errors.push(budget.error);
    const protectEndpoint = bool("protectEndpoint");
    const { topology, errors: topologyErrors } = parseTopologySettings(raw, ctx.project);
    errors.push(...topologyErrors, ...topologyConflicts(topology, { project: ctx.project, modelDataMode, initialInstanceCount,
        variantAutoscaling: prod.production?.autoscaling !== undefined }));

    if (errors.length > 0 || !region || !imageUri || !gpu) return { errors, warnings };
    return {
        errors, warnings,
        settings: {
            project: ctx.project, stack: ctx.stack, region, partition, modelDir, modelDataMode: modelDataMode ?? "archive", artifactBucket, artifactPrefix, kmsKeyArn,
            forceDestroyArtifacts, executionRoleArn, imageUri, imageSource: image ? "config" : "dlc",
            frameworkVersion: image ? undefined : resolvedVersion, pythonVersion: image ? undefined : pythonVersion,
            instanceType, gpu, initialInstanceCount, volumeSizeInGb, containerStartupHealthCheckTimeoutInSeconds,
            modelDataDownloadTimeoutInSeconds, endpointName, variantName, modelServerWorkers, containerLogLevel,
            environment, modelCache, vpcSubnetIds, vpcSecurityGroupIds, enableNetworkIsolation, protectEndpoint, production: prod.production!, topology,
        },
    };
}

/** Pure: the raw config and aws:region of a parsed Pulumi.<stack>.yaml document. */
export function rawConfigFromStackFile(doc: unknown, project = PROJECT): { raw: RawConfig; region?: string } {
    const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
    const raw: RawConfig = {};
    let region: string | undefined;
    for (const [fullKey, value] of Object.entries(config)) {
        const text = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
        if (fullKey === "aws:region") region = text;
        else if (fullKey.startsWith(`${project}:`)) raw[fullKey.slice(project.length + 1)] = text;
    }
    return { raw, region };
}

/** Pure part of loadSettings: settings, or a RunError listing every problem. */
export function requireSettings(raw: RawConfig, ctx: ParseContext): { settings: Settings; warnings: string[] } {
    const r = parseSettings(raw, ctx);
    if (r.errors.length > 0 || !r.settings) {
        throw new pulumi.RunError(`Stack "${ctx.stack}" has ${r.errors.length} config problem(s):\n` +
            r.errors.map((e) => `  - ${e}`).join("\n"));
    }
    return { settings: r.settings, warnings: r.warnings };
}

/** Reads the stack config through pulumi.Config, logs warnings, throws one error listing all problems. */
export function loadSettings(): Settings {
    const cfg = new pulumi.Config(PROJECT);
    const keys = [...CONFIG_KEYS, ...MODEL_CACHE_CONFIG_KEYS.map((k) => k.key), ...PRODUCTION_CONFIG_KEYS.map((k) => k.key),
        ...TOPOLOGY_CONFIG_KEYS.map((k) => k.key)];
    const raw: RawConfig = Object.fromEntries(keys.map((k) => [k, cfg.get(k)]));
    const region = new pulumi.Config("aws").get("region");
    const { settings, warnings } = requireSettings(raw, { project: pulumi.getProject(), stack: pulumi.getStack(), region });
    for (const w of warnings) pulumi.log.warn(w);
    return settings;
}
