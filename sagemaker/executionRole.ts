/**
 * The SageMaker execution role: pure policy documents plus the resources (used only when
 * `executionRoleArn` is not set). Least privilege: no `*FullAccess` managed policies, no wildcard actions.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ecrRepositoryArn } from "./imageUri";
import { bucketArn, PolicyDocument, policyDocument, PolicyStatement } from "./policy";
import { dataCapturePolicyStatements } from "./dataCapture";
import { codeArtifactPolicyStatements } from "./isolation";
import type { DataCaptureSettings } from "../config/productionConfig";
import { prefixesOverlap, s3PrefixProblem } from "../config/scope";

/**
 * Actions for which AWS supports no resource-level permissions, so their statement must use
 * `Resource: "*"` (AWS's rule, see the IAM Service Authorization Reference):
 * - ecr:GetAuthorizationToken: the registry login token is account-wide;
 * - cloudwatch:PutMetricData: narrowed by a `cloudwatch:namespace` condition instead;
 * - ec2:Describe* (only with a VPC config): SageMaker reads the VPC, subnets and security groups.
 */
export const WILDCARD_RESOURCE_ACTIONS: readonly string[] = [
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces",
    "sts:GetServiceBearerToken", // CodeArtifact login, narrowed by an sts:AWSServiceName condition
];

/** The namespace SageMaker endpoint instances publish their metrics to. */
export const ENDPOINT_METRICS_NAMESPACE = "/aws/sagemaker/Endpoints";

/**
 * Trust policy: only the SageMaker service may assume the role, and only on behalf of resources of
 * `accountId` (`aws:SourceAccount`: the cross-service confused-deputy guard AWS recommends in
 * "Cross-service confused deputy prevention" of the SageMaker developer guide).
 */
export function trustPolicy(accountId: string): PolicyDocument {
    return policyDocument([{
        Sid: "SageMakerAssumeRole", Effect: "Allow",
        Principal: { Service: "sagemaker.amazonaws.com" }, Action: ["sts:AssumeRole"],
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    }]);
}

export interface RolePolicyInput {
    /** ARN partition: aws, aws-cn or aws-us-gov. */
    partition: string;
    /** Region of the endpoint (log group and ENI ARNs). */
    region: string;
    /** The stack's AWS account (for log group ARNs and ENIs). */
    accountId: string;
    /** Artifact bucket name. */
    bucket: string;
    /** Artifact key prefix (no trailing "/"). */
    prefix: string;
    /** KMS key of the artifacts, when set. */
    kmsKeyArn?: string;
    /** Container image; an ECR image gets pull rights on its repository only. */
    imageUri: string;
    /** Endpoint name: the role may write only to this endpoint's log group. */
    endpointName: string;
    /**
     * Topology components: the inference components' names; each gets its own log group
     * `/aws/sagemaker/InferenceComponents/<name>` (SageMaker's layout for component containers; not verified against AWS here).
     */
    inferenceComponentNames?: string[];
    /** VPC config of the model, when set. */
    vpc?: { subnetIds: string[]; securityGroupIds: string[] };
    /** Data capture: s3:PutObject under its prefix of the artifact bucket, kms on its key. */
    dataCapture?: DataCaptureSettings;
    /** CodeArtifact repository for pip: the toolkit's login and reads. */
    codeArtifactRepositoryArn?: string;
    /**
     * Names of the CloudWatch alarms the endpoint's auto-rollback watches (alarms.ts `alarmNames`); SageMaker reads
     * them with the execution role, so the role may `cloudwatch:DescribeAlarms` on exactly these alarms. Empty = none.
     */
    rollbackAlarmNames?: readonly string[];
}

/** `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>` */
export function alarmArn(partition: string, region: string, accountId: string, alarmName: string): string {
    return `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${alarmName}`;
}

/**
 * Throws when the prefixes could widen the role (scope.ts's rule): a wildcard or malformed prefix, or a
 * data-capture prefix overlapping the artifacts (the role could overwrite them). parseSettings reports these first.
 */
export function assertS3Scope(i: Pick<RolePolicyInput, "prefix" | "dataCapture">): void {
    const problems = [["prefix", i.prefix], ["dataCapture.s3Prefix", i.dataCapture?.s3Prefix]]
        .flatMap(([what, p]) => (p === undefined ? [] : [s3PrefixProblem(p as string)].filter(Boolean).map((e) => `${what} "${p}" ${e}`)));
    if (i.dataCapture && !s3PrefixProblem(i.dataCapture.s3Prefix) && prefixesOverlap(i.dataCapture.s3Prefix, i.prefix)) {
        problems.push(`dataCapture.s3Prefix "${i.dataCapture.s3Prefix}" overlaps the artifact prefix "${i.prefix}"`);
    }
    if (problems.length > 0) throw new Error(`executionRolePolicy: ${problems.join("; ")}`);
}

/** The role's inline policy. Every statement is scoped; see WILDCARD_RESOURCE_ACTIONS for the exceptions. */
export function executionRolePolicy(i: RolePolicyInput): PolicyDocument {
    assertS3Scope(i);
    const s3 = bucketArn(i.partition, i.bucket);
    const logGroup = `arn:${i.partition}:logs:${i.region}:${i.accountId}:log-group:/aws/sagemaker/Endpoints/${i.endpointName}`;
    // Both model data modes live under `<prefix>/`: model.tar.gz (S3Object: GetObject only) and the uncompressed files
    // (S3Prefix `<prefix>/<id>/`: SageMaker enumerates the prefix, which S3 allows only with s3:ListBucket; the
    // s3:prefix condition limits listing to keys under `<prefix>/`).
    const statements: PolicyStatement[] = [
        { Sid: "ReadModelArtifacts", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${s3}/${i.prefix}/*` },
        {
            Sid: "ListModelArtifacts", Effect: "Allow", Action: ["s3:ListBucket"], Resource: s3,
            Condition: { StringLike: { "s3:prefix": [`${i.prefix}/*`] } },
        },
    ];
    if (i.kmsKeyArn) {
        statements.push({ Sid: "DecryptModelArtifacts", Effect: "Allow", Action: ["kms:Decrypt"], Resource: i.kmsKeyArn });
    }
    const repo = ecrRepositoryArn(i.imageUri);
    if (repo) {
        statements.push(
            {
                Sid: "PullImage", Effect: "Allow",
                Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: repo,
            },
            { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
        );
    }
    statements.push(
        {
            Sid: "WriteEndpointLogs", Effect: "Allow",
            Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            Resource: [logGroup, ...(i.inferenceComponentNames ?? []).map((n) =>
                `arn:${i.partition}:logs:${i.region}:${i.accountId}:log-group:/aws/sagemaker/InferenceComponents/${n}`)]
                .flatMap((g) => [g, `${g}:log-stream:*`]),
        },
        {
            Sid: "PublishEndpointMetrics", Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*",
            Condition: { StringEquals: { "cloudwatch:namespace": ENDPOINT_METRICS_NAMESPACE } },
        },
    );
    if (i.vpc && i.vpc.subnetIds.length > 0) {
        const ec2 = `arn:${i.partition}:ec2:${i.region}:${i.accountId}`;
        statements.push(
            {
                Sid: "DescribeVpc", Effect: "Allow",
                Action: ["ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"],
                Resource: "*",
            },
            {
                Sid: "ManageModelEnis", Effect: "Allow",
                Action: ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                    "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
                Resource: [
                    `${ec2}:network-interface/*`,
                    ...i.vpc.subnetIds.map((id) => `${ec2}:subnet/${id}`),
                    ...i.vpc.securityGroupIds.map((id) => `${ec2}:security-group/${id}`),
                ],
            },
        );
    }
    if (i.rollbackAlarmNames && i.rollbackAlarmNames.length > 0) {
        statements.push({
            Sid: "DescribeRollbackAlarms", Effect: "Allow", Action: ["cloudwatch:DescribeAlarms"],
            Resource: i.rollbackAlarmNames.map((n) => alarmArn(i.partition, i.region, i.accountId, n)),
        });
    }
    if (i.dataCapture) statements.push(...dataCapturePolicyStatements(i.dataCapture, i.bucket, i.partition));
    if (i.codeArtifactRepositoryArn) statements.push(...codeArtifactPolicyStatements(i.codeArtifactRepositoryArn));
    return policyDocument(statements);
}

export interface ExecutionRoleArgs {
    /** Policy inputs except bucket and accountId, which may be outputs. */
    policy: Omit<RolePolicyInput, "bucket" | "accountId">;
    /** Artifact bucket name. */
    bucket: pulumi.Input<string>;
    /** The stack's AWS account id. */
    accountId: pulumi.Input<string>;
    /** Tags for the role. */
    tags: Record<string, string>;
}

/** Declares the role and its inline policy with `opts` (`{ parent }`). */
export function declareExecutionRole(names: { role: string; rolePolicy: string }, args: ExecutionRoleArgs, opts: { parent: pulumi.Resource }) {
    const role = new aws.iam.Role(names.role, {
        assumeRolePolicy: pulumi.output(args.accountId).apply((accountId) => JSON.stringify(trustPolicy(accountId))),
        description: "SageMaker execution role of a gpu-multi-model-endpoint stack (least privilege).",
        tags: args.tags,
    }, opts);
    const rolePolicy = new aws.iam.RolePolicy(names.rolePolicy, {
        role: role.id,
        policy: pulumi.all([args.bucket, args.accountId]).apply(([bucket, accountId]) =>
            JSON.stringify(executionRolePolicy({ ...args.policy, bucket, accountId }))),
    }, opts);
    return { role, rolePolicy };
}
