/**
 * The components topology: a model-less variant (managed instance scaling) whose configuration names the
 * execution role, and, once the endpoint exists, one archive, Model and inference component per model.
 */
import * as pulumi from "@pulumi/pulumi";
import { componentsVariant } from "./modelComponent";
import { declareComponentModels } from "./componentModels";
import type { EndpointContext } from "../endpoint/context";
import type { ContainerSetup, ExecutionRole } from "../endpoint/shared";
import type { Topology } from "../endpoint/topology";

export function componentsTopology(ctx: EndpointContext, bucket: pulumi.Output<string>, role: ExecutionRole,
    container: ContainerSetup): Topology {
    const s = ctx.settings;
    return {
        variant: componentsVariant(s, s.topology.components!),
        configExecutionRoleArn: role.arn,
        afterEndpoint: (endpointName) => {
            const out = declareComponentModels(ctx.name, {
                settings: s, manifest: ctx.plan.manifest!, placements: ctx.plan.placements!, names: ctx.componentNames!,
                modelDir: ctx.plan.dir, buildDir: ctx.buildDir, bucket, executionRoleArn: role.arn, modelDependsOn: role.dependsOn,
                endpointName, environment: container.environment, vpcConfig: container.isolation.vpcConfig,
                enableNetworkIsolation: container.isolation.enableNetworkIsolation, tags: ctx.tags, progressOf: ctx.progressOf,
            }, ctx.opts);
            return { modelDataUrl: pulumi.interpolate`s3://${bucket}/${s.artifactPrefix}/`, artifactSha256: out.artifactSha256,
                inferenceComponents: out.inferenceComponents };
        },
    };
}
