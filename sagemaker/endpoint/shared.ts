/**
 * What both topologies share: the artifact bucket (given or created), the execution role (given or created)
 * and the container's isolation and environment.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { declareArtifactBucket } from "../artifactBucket";
import { declareExecutionRole } from "../executionRole";
import { buildIsolation, IsolationInputs } from "../isolation";
import { containerEnvironment } from "../containerEnv";
import { rollbackAlarmNames } from "../production/updateSafety";
import { modelCacheEnvironment } from "../../config/modelCacheConfig";
import type { Settings } from "../../config/settings";
import type { EndpointContext } from "./context";

/** The configured bucket, or a created private, encrypted, TLS-only one (its name resolves once its guards exist). */
export function artifactBucket(ctx: EndpointContext): pulumi.Output<string> {
    const s = ctx.settings;
    if (s.artifactBucket) return pulumi.output(s.artifactBucket);
    const created = declareArtifactBucket(ctx.names, {
        partition: s.partition, kmsKeyArn: s.kmsKeyArn, forceDestroy: s.forceDestroyArtifacts, tags: ctx.tags,
    }, ctx.opts);
    // Depend on the guards so nothing is uploaded before the bucket is private and encrypted.
    return pulumi.all([created.bucket.bucket, created.publicAccessBlock.id, created.encryption.id,
        created.policy.id, created.ownership.id]).apply(([b]) => b);
}

export interface ExecutionRole {
    arn: pulumi.Output<string>;
    /** What a Model must wait for (the created role's policy), so SageMaker can read the model data when it is created. */
    dependsOn: pulumi.Resource[];
}

/** The configured role, or a created least-privilege one. */
export function executionRole(ctx: EndpointContext, bucket: pulumi.Output<string>): ExecutionRole {
    const s = ctx.settings;
    if (s.executionRoleArn) return { arn: pulumi.output(s.executionRoleArn), dependsOn: [] };
    const identity = aws.getCallerIdentityOutput({}, ctx.opts);
    const { role, rolePolicy } = declareExecutionRole(ctx.names, {
        policy: {
            partition: s.partition, region: s.region, prefix: s.artifactPrefix, kmsKeyArn: s.kmsKeyArn,
            imageUri: s.imageUri, endpointName: s.endpointName,
            inferenceComponentNames: ctx.componentNames && Object.values(ctx.componentNames),
            vpc: s.vpcSubnetIds.length > 0 ? { subnetIds: s.vpcSubnetIds, securityGroupIds: s.vpcSecurityGroupIds } : undefined,
            dataCapture: s.production.dataCapture, codeArtifactRepositoryArn: s.production.codeArtifactRepositoryArn,
            rollbackAlarmNames: s.production.deployment?.autoRollback ? rollbackAlarmNames(s.endpointName) : [],
        },
        bucket, accountId: identity.accountId, tags: ctx.tags,
    }, ctx.opts);
    return { arn: role.arn, dependsOn: [rolePolicy] };
}

export interface ContainerSetup {
    isolation: IsolationInputs;
    /** The container environment of every Model. */
    environment: Record<string, string>;
}

/** Pure: network isolation / VPC and the container environment of the stack's Models. */
export function containerSetup(s: Settings): ContainerSetup {
    const isolation = buildIsolation({ vpcSubnetIds: s.vpcSubnetIds, vpcSecurityGroupIds: s.vpcSecurityGroupIds,
        enableNetworkIsolation: s.enableNetworkIsolation, codeArtifactRepositoryArn: s.production.codeArtifactRepositoryArn });
    const environment = containerEnvironment({ ...s, programEnvironment: { ...isolation.environment, ...modelCacheEnvironment(s.modelCache) } });
    return { isolation, environment };
}
