/**
 * PyTorch inference GPU Deep Learning Container image URIs: pure tables (sources:
 * aws/sagemaker-python-sdk `image_uri_config/pytorch.json`, aws/deep-learning-containers `available_images.md`).
 */

/** Short versions accepted for `frameworkVersion`. */
export const FRAMEWORK_VERSION_ALIASES: Readonly<Record<string, string>> = {
    "2.0": "2.0.1", "2.1": "2.1.0", "2.2": "2.2.0", "2.3": "2.3.0", "2.4": "2.4.0", "2.5": "2.5.1", "2.6": "2.6.0",
};

/** Full SageMaker GPU tags per framework version and Python version. */
export const GPU_IMAGE_TAGS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    "2.1.0": { py310: "2.1.0-gpu-py310-cu118-ubuntu20.04-sagemaker" },
    "2.2.0": { py310: "2.2.0-gpu-py310-cu118-ubuntu20.04-sagemaker" },
    "2.3.0": { py311: "2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker" },
    "2.4.0": { py311: "2.4.0-gpu-py311-cu124-ubuntu22.04-sagemaker" },
    "2.5.1": { py311: "2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker" },
    "2.6.0": { py312: "2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker" },
};

const SHARED_ACCOUNT = "763104351884";
const SHARED_REGIONS = [
    "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ca-central-1",
    "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
];

/** DLC registry account per region. */
export const DLC_ACCOUNTS: Readonly<Record<string, string>> = {
    ...Object.fromEntries(SHARED_REGIONS.map((r) => [r, SHARED_ACCOUNT])),
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-east-2": "975050140332",
    "ap-northeast-3": "364406365360",
    "ap-south-2": "772153158452",
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ap-southeast-5": "550225433462",
    "ap-southeast-6": "633930458069",
    "ap-southeast-7": "590183813437",
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-central-2": "380420809688",
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "mx-central-1": "637423239942",
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
};

export const DLC_REPOSITORY = "pytorch-inference";

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
