/**
 * The artifact bucket (used only when `artifactBucket` is not set): private, encrypted, TLS-only,
 * bucket-owner-enforced. Pure policy document plus the resources.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketArn, PolicyDocument, policyDocument } from "./policy";

/** Bucket policy: deny every request that is not over TLS 1.2 or newer. Deny statements only. */
export function bucketPolicy(partition: string, bucket: string): PolicyDocument {
    const arn = bucketArn(partition, bucket);
    const resources = [arn, `${arn}/*`];
    return policyDocument([
        {
            Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: ["s3:*"], Resource: resources,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
            Sid: "DenyOutdatedTls", Effect: "Deny", Principal: "*", Action: ["s3:*"], Resource: resources,
            Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
        },
    ]);
}

/** The default-encryption rule: SSE-KMS with a bucket key when a key is given, else SSE-S3. */
export function encryptionRule(kmsKeyArn?: string) {
    return kmsKeyArn
        ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn }, bucketKeyEnabled: true }
        : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } };
}

export interface ArtifactBucketArgs {
    /** ARN partition of the stack's region (aws, aws-cn, aws-us-gov), for the bucket policy's ARNs. No default. */
    partition: string;
    /** KMS key ARN in the stack's region for default encryption (SSE-KMS + bucket key). @default undefined (SSE-S3) */
    kmsKeyArn?: string;
    /**
     * Delete the bucket with its objects on destroy; when false the bucket and its guard resources are
     * retained on delete (a retained bucket keeps its public access block and TLS policy). No default.
     */
    forceDestroy: boolean;
    /** Tags for the bucket. */
    tags: Record<string, string>;
}

export interface ArtifactBucketNames {
    bucket: string; publicAccessBlock: string; ownership: string; encryption: string; bucketPolicy: string;
}

/** Declares the bucket and its guard resources with `parentOpts` (`{ parent }`). */
export function declareArtifactBucket(names: ArtifactBucketNames, args: ArtifactBucketArgs, parentOpts: { parent: pulumi.Resource }) {
    // Retain everything in stacks that keep their artifacts: a retained bucket must keep its guards.
    const opts: pulumi.CustomResourceOptions = { ...parentOpts, retainOnDelete: !args.forceDestroy };
    const bucket = new aws.s3.Bucket(names.bucket, { forceDestroy: args.forceDestroy, tags: args.tags }, opts);
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(names.publicAccessBlock, {
        bucket: bucket.id,
        blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    }, opts);
    const ownership = new aws.s3.BucketOwnershipControls(names.ownership, {
        bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" },
    }, opts);
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(names.encryption, {
        bucket: bucket.id, rules: [encryptionRule(args.kmsKeyArn)],
    }, opts);
    const policy = new aws.s3.BucketPolicy(names.bucketPolicy, {
        bucket: bucket.id,
        policy: bucket.bucket.apply((b) => JSON.stringify(bucketPolicy(args.partition, b))),
    }, { ...opts, dependsOn: [publicAccessBlock] });
    return { bucket, publicAccessBlock, ownership, encryption, policy };
}
