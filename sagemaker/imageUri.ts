/**
 * PyTorch inference GPU Deep Learning Container image URIs, read from data/dlc-images.json (sources:
 * aws/sagemaker-python-sdk `image_uri_config/pytorch.json`, aws/deep-learning-containers `available_images.md`).
 */
import { readFacts } from "./facts";

const DLC = readFacts("dlc-images");

/** Short versions accepted for `frameworkVersion`. */
export const FRAMEWORK_VERSION_ALIASES: Readonly<Record<string, string>> = DLC.versionAliases;

/** Full SageMaker GPU tags per framework version and Python version. */
export const GPU_IMAGE_TAGS: Readonly<Record<string, Readonly<Record<string, string>>>> = DLC.gpuTags;

/** DLC registry account per region. */
export const DLC_ACCOUNTS: Readonly<Record<string, string>> = DLC.registries;

export const DLC_REPOSITORY = DLC.repository;

/** `amazonaws.com.cn` in the China regions, `amazonaws.com` elsewhere. */
export function dnsSuffix(region: string): string {
    return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** The ARN partition of a region: aws-cn, aws-us-gov or aws. */
export function partitionOf(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

export interface ImageUriRequest {
    region: string;
    /** Full version (2.5.1) or alias (2.5). */
    frameworkVersion: string;
    /** py310 | py311 | py312, as the tag table allows for the version. */
    pythonVersion: string;
}

export interface ImageUriResult {
    uri?: string;
    /** The full version after alias resolution. */
    frameworkVersion?: string;
    errors: string[];
}

const K = "gpu-multi-model-endpoint";

/** Supported versions with their Python, e.g. `2.5.1 (alias 2.5, py311)`. */
export function supportedVersionsText(): string {
    return Object.entries(GPU_IMAGE_TAGS).map(([v, pys]) => {
        const alias = Object.entries(FRAMEWORK_VERSION_ALIASES).find(([, full]) => full === v)?.[0];
        return `${v} (${[alias && `alias ${alias}`, ...Object.keys(pys)].filter(Boolean).join(", ")})`;
    }).join(", ");
}

/** Resolves the image URI; every unknown version / python / region is reported at once. */
export function resolveImageUri(req: ImageUriRequest): ImageUriResult {
    const errors: string[] = [];
    const full = FRAMEWORK_VERSION_ALIASES[req.frameworkVersion] ?? req.frameworkVersion;
    const pys = GPU_IMAGE_TAGS[full];
    let tag: string | undefined;
    if (!pys) {
        errors.push(`${K}:frameworkVersion: PyTorch "${req.frameworkVersion}"` +
            (full !== req.frameworkVersion ? ` (${full})` : "") +
            ` has no known GPU inference image; set it to one of ${supportedVersionsText()}, or set ${K}:image to an image URI.`);
    } else if (!pys[req.pythonVersion]) {
        errors.push(`${K}:pythonVersion: "${req.pythonVersion}" is not available for PyTorch ${full}; ` +
            `set it to ${Object.keys(pys).join(" or ")} (supported: ${supportedVersionsText()}).`);
    } else {
        tag = pys[req.pythonVersion];
    }
    const account = DLC_ACCOUNTS[req.region];
    if (!account) {
        errors.push(`aws:region: "${req.region}" has no known PyTorch inference image; run ` +
            `\`pulumi config set aws:region <region>\` with one of ${Object.keys(DLC_ACCOUNTS).sort().join(", ")}, or set ${K}:image.`);
    }
    if (errors.length > 0 || !tag || !account) return { errors, frameworkVersion: pys ? full : undefined };
    return {
        uri: `${account}.dkr.ecr.${req.region}.${dnsSuffix(req.region)}/${DLC_REPOSITORY}:${tag}`,
        frameworkVersion: full,
        errors,
    };
}

/** The parts of an ECR image URI, or undefined for images outside ECR. */
export interface EcrImage { account: string; region: string; repository: string; partition: string }

export function parseEcrImage(uri: string): EcrImage | undefined {
    const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._\/-]*)(?::[\w.-]+|@sha256:[0-9a-f]{64})$/.exec(uri);
    if (!m) return undefined;
    return { account: m[1], region: m[2], repository: m[3], partition: partitionOf(m[2]) };
}

/** `arn:<partition>:ecr:<region>:<account>:repository/<name>` of an ECR image, or undefined. */
export function ecrRepositoryArn(uri: string): string | undefined {
    const p = parseEcrImage(uri);
    return p && `arn:${p.partition}:ecr:${p.region}:${p.account}:repository/${p.repository}`;
}
