/**
 * The one rule set for names that reach IAM or S3 (pure): S3 key prefixes the execution role is
 * scoped to, the overlap rule between what the role may read and what it may write, and the region
 * and partition of ARNs the stack uses. config.ts and productionConfig.ts validate with these, and
 * executionRole.ts refuses (throws) a policy input that breaks them, so no config can widen the role.
 */

/** Characters allowed in a prefix segment: S3's "safe" key characters minus `*` (an IAM wildcard). */
export const PREFIX_SEGMENT = /^[A-Za-z0-9!_.'()-]+$/;
/** S3 object keys are at most 1024 bytes; a prefix leaves room for `/<id>/<file path>`. */
export const MAX_PREFIX_LENGTH = 512;

/** Why `prefix` cannot scope the role's S3 statements, or undefined. */
export function s3PrefixProblem(prefix: string): string | undefined {
    if (prefix.length === 0) return "is empty";
    if (prefix.length > MAX_PREFIX_LENGTH) return `is ${prefix.length} characters long (at most ${MAX_PREFIX_LENGTH})`;
    if (/[*?]/.test(prefix)) return "contains an IAM wildcard (* or ?), which would widen the role's S3 permissions beyond the prefix";
    if (prefix.includes("${")) return "contains an IAM policy variable (${...})";
    if (prefix.startsWith("/") || prefix.endsWith("/")) return "must not start or end with \"/\"";
    if (prefix.includes("//")) return "must not contain \"//\"";
    const segments = prefix.split("/");
    if (segments.some((s) => s === "." || s === "..")) return "must not contain \".\" or \"..\" segments";
    if (!segments.every((s) => PREFIX_SEGMENT.test(s))) return "may contain only letters, digits, \"/\" and !_.'()- characters";
    return undefined;
}

/** True when the key spaces `<a>/...` and `<b>/...` share a key (one prefix equals or contains the other). */
export function prefixesOverlap(a: string, b: string): boolean {
    return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

export const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"] as const;

/**
 * Why an ARN in `arnPartition`/`arnRegion` cannot be used by a stack in `region` (partition
 * `partition`), or undefined. Used for every regional ARN in the config (KMS keys, SNS topics, CodeArtifact).
 */
export function arnRegionProblem(arnPartition: string, arnRegion: string, region: string | undefined, partition: string): string | undefined {
    if (!region) return undefined;
    if (arnPartition !== partition) {
        return `is in partition ${arnPartition} but the stack deploys to ${region} (partition ${partition}); use an ARN starting arn:${partition}:`;
    }
    if (arnRegion !== region) return `is in ${arnRegion} but the stack deploys to ${region}; use one in ${region}`;
    return undefined;
}

/** Partition and region of an ARN (`arn:<partition>:<service>:<region>:...`), or undefined. */
export function arnLocation(arn: string): { partition: string; region: string } | undefined {
    const m = /^arn:([a-z-]+):[a-z0-9-]+:([a-z0-9-]*):/.exec(arn);
    return m ? { partition: m[1], region: m[2] } : undefined;
}
