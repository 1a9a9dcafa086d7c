/**
 * Stack config -> validated Settings. `parseSettings` is pure and reports every problem at once;
 * `loadSettings` reads `pulumi.Config` and throws one error listing them all. Keys, defaults and ranges:
 * config/schema.ts (Pulumi.yaml's `config:` block is generated from it); readers: parse.ts; cross-key rules: rules.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseEnvironment } from "../sagemaker/containerEnv";
import { resolveImageUri, parseEcrImage, partitionOf } from "../sagemaker/imageUri";
import { checkGpuInstanceType, gpuInstanceInfo } from "../sagemaker/instanceTypes";
import { budgetInput, deploymentTimeBudget } from "../sagemaker/production/deploymentTime";
import { bucketNameProblem, defaultEndpointName, keyPrefixProblem, sageMakerNameProblem, toSageMakerName } from "./names";
import { parseModelCacheSettings } from "./modelCacheConfig";
import { RawConfig, Reader, unknownKeyErrors } from "./parse";
import { parseProductionSettings } from "./productionConfig";
import * as rules from "./rules";
import { ConfigValue, keysOf, LOG_LEVELS, MODEL_DATA_MODES, PROJECT, PulumiType, Schema, SCHEMA } from "./schema";
import { arnLocation, arnRegionProblem } from "./scope";
import { parseTopologySettings, topologyConflicts } from "./topologyConfig";
import type { Settings } from "./settings";

export type { Settings } from "./settings";
export type { RawConfig } from "./parse";
export { LOG_LEVELS, MODEL_DATA_MODES, PROJECT } from "./schema";

const CORE = keysOf("core");
/** Pulumi config type of each key read here (the model cache's, production's and topology's keys have their modules). */
export const CONFIG_TYPES: Readonly<Record<string, PulumiType>> = Object.fromEntries(CORE.map((k) => [k.key, k.type]));
export type ConfigKey = string;
export const CONFIG_KEYS: readonly ConfigKey[] = CORE.map((k) => k.key);
/** Defaults of those keys, from the schema ("not set" is spelled "" for strings and 0 for volumeSizeInGb). */
export const DEFAULTS: Readonly<Record<string, ConfigValue>> = Object.fromEntries(CORE.map((k) => [k.key, k.default]));

export interface ParseContext {
    project: string;
    stack: string;
    region?: string;
    /** Keys declared in Pulumi.yaml by other modules; not reported as unknown. */
    otherKeys?: readonly string[];
    /** The key table to parse with. @default SCHEMA (config/schema.ts); tests pass a changed copy. */
    schema?: Schema;
}
export interface ParseResult { settings?: Settings; errors: string[]; warnings: string[] }

/** Pure: raw config strings (as pulumi.Config gives them; JSON for objects/arrays) -> Settings. */
export function parseSettings(raw: RawConfig, ctx: ParseContext): ParseResult {
    const schema = ctx.schema ?? SCHEMA;
    const r = new Reader(raw, ctx.project, schema);
    const warnings: string[] = [];
    r.errors.push(...unknownKeyErrors(raw, ctx.project, schema, ctx.otherKeys));
    const { region, partition } = readRegion(r, ctx.region);
    const artifacts = readArtifacts(r, region, partition, warnings);
    const executionRoleArn = r.given("executionRoleArn");
    if (executionRoleArn && !r.spec("executionRoleArn").pattern!.test(executionRoleArn)) {
        r.errors.push(`${r.K("executionRoleArn")}: "${executionRoleArn}" is not an IAM role ARN; set it like arn:aws:iam::111122223333:role/<name>, or unset it to create a role.`);
    }
    const image = readImage(r, region, warnings);
    const instance = readInstance(r, artifacts.kmsKeyArn, warnings);
    const names = readNames(r, ctx);
    const container = readContainer(r, instance.gpu, warnings);
    const network = readNetwork(r);
    const { initialInstanceCount, modelDataDownloadTimeoutInSeconds, containerStartupHealthCheckTimeoutInSeconds } = instance;
    // requirements.txt is checked with the model directory (deployChecks.ts), hence false here.
    const prod = parseProductionSettings(raw, { project: ctx.project, stack: ctx.stack, initialInstanceCount, requirementsNonEmpty: false,
        enableNetworkIsolation: network.enableNetworkIsolation, kmsKeyArn: artifacts.kmsKeyArn, region, partition,
        artifactPrefix: artifacts.prefixProblem ? undefined : artifacts.artifactPrefix }, schema);
    r.errors.push(...prod.errors);
    warnings.push(...prod.warnings);
    const budget = deploymentTimeBudget(budgetInput({ project: ctx.project, modelDataDownloadTimeoutInSeconds,
        containerStartupHealthCheckTimeoutInSeconds, initialInstanceCount, production: prod.production }));
    if (budget.error) r.errors.push(budget.error);
    const protectEndpoint = r.bool("protectEndpoint");
    const { topology, errors: topologyErrors } = parseTopologySettings(raw, ctx.project, schema);
    r.errors.push(...topologyErrors, ...topologyConflicts(topology, { project: ctx.project, modelDataMode: artifacts.modelDataMode, initialInstanceCount,
        variantAutoscaling: prod.production?.autoscaling !== undefined }));

    if (r.errors.length > 0 || !region || !image.imageUri || !instance.gpu) return { errors: r.errors, warnings };
    const { prefixProblem: _p, modelDataMode, ...artifactSettings } = artifacts;
    return {
        errors: r.errors, warnings,
        settings: {
            project: ctx.project, stack: ctx.stack, region, partition, ...artifactSettings, modelDataMode: modelDataMode ?? "archive", executionRoleArn,
            imageUri: image.imageUri, imageSource: image.image ? "config" : "dlc",
            frameworkVersion: image.image ? undefined : image.resolvedVersion, pythonVersion: image.image ? undefined : image.pythonVersion,
            ...instance, gpu: instance.gpu, ...names, ...container, ...network, protectEndpoint, production: prod.production!, topology,
        },
    };
}

function readRegion(r: Reader, given: string | undefined): { region?: string; partition: string } {
    let region = given?.trim() || undefined;
    if (!region) r.errors.push("aws:region: not set; run `pulumi config set aws:region <region>` (for example us-east-1).");
    else if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/.test(region)) {
        r.errors.push(`aws:region: "${region}" is not an AWS region name; set it like us-east-1.`);
        region = undefined;
    }
    return { region, partition: partitionOf(region ?? "") };
}

function readArtifacts(r: Reader, region: string | undefined, partition: string, warnings: string[]) {
    const modelDir = r.str("modelDir");
    const modelDataMode = r.choice<(typeof MODEL_DATA_MODES)[number]>("modelDataMode", { message: (v) => `"${v}" is not a model data mode; set it to ` +
        `${MODEL_DATA_MODES.join(" or ")} (archive: one model.tar.gz; uncompressed: every file under a content-addressed S3 prefix, for large models).` });
    const artifactBucket = r.given("artifactBucket");
    const bucketProblem = artifactBucket && bucketNameProblem(artifactBucket);
    if (bucketProblem) r.errors.push(`${r.K("artifactBucket")}: "${artifactBucket}" ${bucketProblem}; set it to an existing bucket's name, or unset it to create one.`);
    const artifactPrefix = r.str("artifactPrefix");
    const prefixProblem = keyPrefixProblem(artifactPrefix);
    if (prefixProblem) r.errors.push(`${r.K("artifactPrefix")}: "${artifactPrefix}" ${prefixProblem}; set it like "models" or "team/models".`);
    const kmsKeyArn = r.given("kmsKeyArn");
    if (kmsKeyArn && !r.spec("kmsKeyArn").pattern!.test(kmsKeyArn)) {
        r.errors.push(`${r.K("kmsKeyArn")}: "${kmsKeyArn}" is not a KMS key ARN; set it like arn:aws:kms:us-east-1:111122223333:key/<key-id> (aliases cannot be scoped in IAM).`);
    } else if (kmsKeyArn) {
        const at = arnLocation(kmsKeyArn)!;
        const where = arnRegionProblem(at.partition, at.region, region, partition);
        if (where) r.errors.push(`${r.K("kmsKeyArn")}: the key ${where}.`);
    }
    const forceDestroyArtifacts = r.bool("forceDestroyArtifacts");
    warnings.push(...rules.forceDestroyExistingBucket(artifactBucket, forceDestroyArtifacts, r.K));
    return { modelDir, modelDataMode, artifactBucket, artifactPrefix, prefixProblem, kmsKeyArn, forceDestroyArtifacts };
}

function readImage(r: Reader, region: string | undefined, warnings: string[]) {
    const image = r.given("image");
    const frameworkVersion = r.str("frameworkVersion");
    const pythonVersion = r.str("pythonVersion");
    let imageUri: string | undefined;
    let resolvedVersion: string | undefined;
    if (image) {
        r.errors.push(...rules.imageWithVersions(r.spec("image").conflictsWith!.filter((k) => r.changed(k)), r.K));
        if (/\s/.test(image) || !image.includes("/")) {
            r.errors.push(`${r.K("image")}: "${image}" is not an image URI; set it like <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>.`);
        } else {
            imageUri = image;
            const ecr = parseEcrImage(image);
            if (!ecr) warnings.push(`${r.K("image")}: "${image}" is not an ECR image URI; SageMaker real-time endpoints pull from Amazon ECR.`);
            else if (region && ecr.region !== region) warnings.push(`${r.K("image")}: the image is in ${ecr.region} but the endpoint is in ${region}; SageMaker pulls images from the endpoint's region.`);
        }
    } else if (region) {
        const resolved = resolveImageUri({ region, frameworkVersion, pythonVersion });
        r.errors.push(...resolved.errors);
        imageUri = resolved.uri;
        resolvedVersion = resolved.frameworkVersion;
    }
    return { image, imageUri, resolvedVersion, pythonVersion };
}

function readInstance(r: Reader, kmsKeyArn: string | undefined, warnings: string[]) {
    const instanceType = r.str("instanceType");
    const typeError = checkGpuInstanceType(instanceType, r.K("instanceType"));
    if (typeError) r.errors.push(typeError);
    const gpu = gpuInstanceInfo(instanceType);
    const initialInstanceCount = r.int("initialInstanceCount");
    const volumeSizeInGb = r.int("volumeSizeInGb") || undefined;
    r.errors.push(...rules.volumeWithInstanceStorage(volumeSizeInGb, gpu, instanceType, r.K));
    warnings.push(...rules.kmsWithInstanceStorage(kmsKeyArn, gpu, instanceType, r.K));
    const containerStartupHealthCheckTimeoutInSeconds = r.int("containerStartupHealthCheckTimeoutInSeconds");
    const modelDataDownloadTimeoutInSeconds = r.int("modelDataDownloadTimeoutInSeconds");
    return { instanceType, gpu, initialInstanceCount, volumeSizeInGb, containerStartupHealthCheckTimeoutInSeconds, modelDataDownloadTimeoutInSeconds };
}

function readNames(r: Reader, ctx: ParseContext) {
    const endpointName = r.given("endpointName") ?? defaultEndpointName(ctx.project, ctx.stack);
    const nameProblem = sageMakerNameProblem(endpointName);
    if (nameProblem && r.given("endpointName")) r.errors.push(`${r.K("endpointName")}: "${endpointName}" ${nameProblem}; set a valid SageMaker endpoint name.`);
    else if (nameProblem) {
        const suggestion = toSageMakerName(endpointName);
        r.errors.push(`${r.K("endpointName")}: the default name "${endpointName}" (<project>-<stack>) ${nameProblem}; set ${r.K("endpointName")}` +
            (suggestion ? ` (for example "${suggestion}").` : "."));
    }
    const variantName = r.str("variantName");
    const variantProblem = sageMakerNameProblem(variantName);
    if (variantProblem) r.errors.push(`${r.K("variantName")}: "${variantName}" ${variantProblem}; set a valid variant name such as AllTraffic.`);
    return { endpointName, variantName };
}

function readContainer(r: Reader, gpu: ReturnType<typeof gpuInstanceInfo>, warnings: string[]) {
    const modelServerWorkers = r.int("modelServerWorkers");
    warnings.push(...rules.workersPerGpu(modelServerWorkers, gpu, r.K));
    const levelText = r.str("containerLogLevel").toUpperCase();
    let containerLogLevel = LOG_LEVELS[levelText] ?? (Object.values(LOG_LEVELS).includes(Number(levelText)) ? Number(levelText) : undefined);
    if (containerLogLevel === undefined) {
        r.errors.push(`${r.K("containerLogLevel")}: "${r.raw.containerLogLevel}" is not a log level; set one of ${Object.keys(LOG_LEVELS).join(", ")} (or 10, 20, 30, 40, 50).`);
        containerLogLevel = LOG_LEVELS.INFO;
    }
    const environment = parseEnvironment(r.given("environment"), r.K("environment"), r.K, r.errors);
    const { modelCache, errors } = parseModelCacheSettings(r.raw, r.project, r.schema);
    r.errors.push(...errors);
    return { modelServerWorkers, containerLogLevel, environment, modelCache };
}

/** The VPC lists: both read first, then every id's shape, then the counts (the order the problems are listed in). */
function readNetwork(r: Reader) {
    const lists = [
        { key: "vpcSubnetIds", what: "subnet", example: "subnet-0123456789abcdef0", ids: r.list("vpcSubnetIds") },
        { key: "vpcSecurityGroupIds", what: "security group", example: "sg-0123456789abcdef0", ids: r.list("vpcSecurityGroupIds") },
    ];
    for (const { key, what, example, ids } of lists) {
        for (const id of ids) if (!r.spec(key).pattern!.test(id)) r.errors.push(`${r.K(key)}: "${id}" is not a ${what} id; use ids like ${example}.`);
    }
    for (const { key, what, ids } of lists) {
        const most = r.spec(key).range![1];
        if (ids.length > most) r.errors.push(`${r.K(key)}: ${ids.length} ${what}s given; SageMaker accepts at most ${most}.`);
    }
    const [vpcSubnetIds, vpcSecurityGroupIds] = lists.map((l) => l.ids);
    r.errors.push(...rules.vpcPairing(vpcSubnetIds, vpcSecurityGroupIds, r.K));
    return { vpcSubnetIds, vpcSecurityGroupIds, enableNetworkIsolation: r.bool("enableNetworkIsolation") };
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
    const raw: RawConfig = Object.fromEntries(SCHEMA.map((k) => [k.key, cfg.get(k.key)]));
    const region = new pulumi.Config("aws").get("region");
    const { settings, warnings } = requireSettings(raw, { project: pulumi.getProject(), stack: pulumi.getStack(), region });
    for (const w of warnings) pulumi.log.warn(w);
    return settings;
}
