/**
 * The router topology: one Model (the routing handler and every model in one model data) on a variant that
 * names it. The GenerationLedger keeps its generations.
 */
import * as aws from "@pulumi/aws";
import { liveInstanceCount, LiveReader } from "../production/liveEndpoint";
import { RETAIN_REVISIONS, Topology } from "./topology";
import type { EndpointContext } from "./context";
import type { RouterModelData } from "./modelData";
import type { ContainerSetup, ExecutionRole } from "./shared";

export function routerTopology(ctx: EndpointContext, data: RouterModelData, role: ExecutionRole, container: ContainerSetup,
    liveReader?: LiveReader): Topology {
    const s = ctx.settings;
    const environment = container.environment;
    // Auto-named (no name input): a changed model gives a new Model, created before the old one is deleted.
    const model = new aws.sagemaker.Model(ctx.names.model, {
        executionRoleArn: role.arn,
        primaryContainer: { image: s.imageUri, ...data.container, environment },
        vpcConfig: container.isolation.vpcConfig,
        enableNetworkIsolation: container.isolation.enableNetworkIsolation,
        tags: ctx.tags,
    }, { ...ctx.opts, ...RETAIN_REVISIONS, dependsOn: role.dependsOn });
    return {
        variant: {
            variantName: s.variantName,
            modelName: model.name,
            instanceType: s.instanceType,
            initialInstanceCount: liveInstanceCount(s, ctx.opts.parent, { modelDataUrl: data.modelDataUrl, environment }, liveReader),
            initialVariantWeight: 1,
            containerStartupHealthCheckTimeoutInSeconds: s.containerStartupHealthCheckTimeoutInSeconds,
            modelDataDownloadTimeoutInSeconds: s.modelDataDownloadTimeoutInSeconds,
            volumeSizeInGb: s.volumeSizeInGb,
        },
        generation: { model: model.name, artifact: data.modelDataUrl },
        afterEndpoint: () => ({ modelDataUrl: data.modelDataUrl, artifactSha256: data.sha256 }),
    };
}
