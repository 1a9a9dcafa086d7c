/** Naming rules: config keys, SageMaker names, S3 bucket names and keys, child resource names. Pure. */
import { s3PrefixProblem } from "./scope";

export const PROJECT = "gpu-multi-model-endpoint";
/** The full name of a config key: `gpu-multi-model-endpoint:<key>` (or another project's). */
export function configKey(key: string, project: string = PROJECT): string {
    return `${project}:${key}`;
}
/** `configKey` bound to a project: the `K` of every message that names config keys. */
export const keyNamer = (project: string = PROJECT) => (key: string): string => configKey(key, project);

/** SageMaker's name pattern for endpoints, variants, models and configurations. */
export const SAGEMAKER_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const SAGEMAKER_NAME_MAX = 63;

/** Why `name` is not a valid SageMaker name, or undefined when it is. */
export function sageMakerNameProblem(name: string): string | undefined {
    if (name.length === 0) return "is empty";
    if (name.length > SAGEMAKER_NAME_MAX) return `is ${name.length} characters long (at most ${SAGEMAKER_NAME_MAX})`;
    if (!SAGEMAKER_NAME_PATTERN.test(name)) {
        return "may contain only letters, digits and hyphens, and must start and end with a letter or digit";
    }
    return undefined;
}

/** The endpoint name used when `endpointName` is not set: `<project>-<stack>`. */
export function defaultEndpointName(project: string, stack: string): string {
    return `${project}-${stack}`;
}

/** A valid SageMaker name derived from `name` (for suggestions), or undefined when nothing is left. */
export function toSageMakerName(name: string): string | undefined {
    const cleaned = name.replace(/[^a-zA-Z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, SAGEMAKER_NAME_MAX).replace(/-+$/, "");
    return cleaned.length > 0 ? cleaned : undefined;
}

/** Bucket name prefixes and suffixes S3 reserves ("Bucket naming rules", general purpose buckets). */
export const RESERVED_BUCKET_PREFIXES: readonly string[] = ["xn--", "sthree-", "amzn-s3-demo-"];
export const RESERVED_BUCKET_SUFFIXES: readonly string[] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** Why `name` is not a valid general-purpose S3 bucket name, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
    if (name.length < 3 || name.length > 63) return `is ${name.length} characters long (3 to 63)`;
    if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
        return "may contain only lowercase letters, digits, dots and hyphens, and must start and end with a letter or digit";
    }
    if (name.includes("..")) return "must not contain two adjacent dots";
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "must not look like an IP address";
    const reserved = RESERVED_BUCKET_PREFIXES.find((p) => name.startsWith(p)) ?? RESERVED_BUCKET_SUFFIXES.find((x) => name.endsWith(x));
    if (reserved) return `uses "${reserved}", which S3 reserves (access point aliases, directory and table buckets, IDN)`;
    return undefined;
}

/** Why `prefix` is not a usable S3 key prefix for the artifacts, or undefined (the rule of scope.ts). */
export function keyPrefixProblem(prefix: string): string | undefined {
    return s3PrefixProblem(prefix);
}

/** The content-addressed object key: `<prefix>/<sha256 first 16 hex>/model.tar.gz`. */
export function artifactKey(prefix: string, sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`artifactKey: "${sha256}" is not a sha256 hex digest`);
    return `${prefix}/${sha256.slice(0, 16)}/model.tar.gz`;
}

/** `s3://bucket/key`. */
export function s3Url(bucket: string, key: string): string {
    return `s3://${bucket}/${key}`;
}

/** Child resource names of the component. */
export function childNames(name: string) {
    return {
        bucket: `${name}-artifacts`,
        publicAccessBlock: `${name}-artifacts-public-access`,
        ownership: `${name}-artifacts-ownership`,
        encryption: `${name}-artifacts-encryption`,
        bucketPolicy: `${name}-artifacts-tls-only`,
        archive: `${name}-model-archive`,
        modelFiles: `${name}-model-files`,
        role: `${name}-execution-role`,
        rolePolicy: `${name}-execution-policy`,
        model: `${name}-model`,
        endpointConfig: `${name}-endpoint-config`,
        endpoint: `${name}-endpoint`,
    };
}
