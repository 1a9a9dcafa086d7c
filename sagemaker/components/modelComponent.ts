/**
 * The components topology: one SageMaker inference component per model on a model-less production variant.
 * `componentsVariant` is the variant (managed instance scaling, least-outstanding-requests routing);
 * `ModelComponent` is one model's archive object, SageMaker Model, inference component (@pulumi/aws-native,
 * @pulumi/aws has none) and copy autoscaling.
 *
 * Update semantics: a model whose files change gets a new archive key, hence a new (auto-named) Model, and its
 * inference component is updated to that Model (UpdateInferenceComponent replaces its copies); the other models'
 * resources and the endpoint get identical inputs, so they stay.
 */
import * as aws from "@pulumi/aws";
import * as awsNative from "@pulumi/aws-native";
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ComponentScaling } from "./componentScaling";
import { SAGEMAKER_NAME_MAX } from "../../config/names";
import { archiveObject } from "../endpoint/modelData";
import type { BuiltArchive } from "../../packaging/archiveInto";
import type { ComponentPlacement } from "../checks/placement";
import type { ComponentsSettings } from "../../config/topologyConfig";

export const MODEL_COMPONENT_TYPE = "gpu-multi-model-endpoint:components:ModelComponent";
export const ROUTING_STRATEGY = "LEAST_OUTSTANDING_REQUESTS";

/**
 * Pure: the inference component name of `model` on `endpointName`: `<endpoint>-<model>` with `_` as `-`
 * (SageMaker names allow neither `_` nor more than 63 characters; a longer one keeps the model part and an
 * 8-hex hash of the full name).
 */
export function componentName(endpointName: string, model: string): string {
    const modelPart = model.replace(/_/g, "-");
    const full = `${endpointName}-${modelPart}`;
    if (full.length <= SAGEMAKER_NAME_MAX) return full;
    const hash = crypto.createHash("sha256").update(full).digest("hex").slice(0, 8);
    const room = SAGEMAKER_NAME_MAX - modelPart.length - hash.length - 2;
    const head = endpointName.slice(0, Math.max(0, room)).replace(/-+$/, "");
    return (head ? `${head}-${hash}-${modelPart}` : `${hash}-${modelPart}`).slice(0, SAGEMAKER_NAME_MAX);
}

/** Pure: the model-less production variant of an inference-component endpoint. */
export function componentsVariant(s: { variantName: string; instanceType: string; initialInstanceCount: number; volumeSizeInGb?: number },
    c: Pick<ComponentsSettings, "minInstances" | "maxInstances">): aws.types.input.sagemaker.EndpointConfigurationProductionVariant {
    return {
        variantName: s.variantName,
        instanceType: s.instanceType,
        initialInstanceCount: s.initialInstanceCount,
        volumeSizeInGb: s.volumeSizeInGb,
        managedInstanceScaling: { status: "ENABLED", minInstanceCount: c.minInstances, maxInstanceCount: c.maxInstances },
        routingConfigs: [{ routingStrategy: ROUTING_STRATEGY }],
    };
}

/** Pure: the inference component's compute reservation (numbers from placement.ts). */
export function computeRequirements(p: ComponentPlacement): awsNative.types.input.sagemaker.InferenceComponentComputeResourceRequirementsArgs {
    return {
        minMemoryRequiredInMb: p.minMemoryMb,
        ...(p.accelerators > 0 ? { numberOfAcceleratorDevicesRequired: p.accelerators } : {}),
        ...(p.cpuCores !== undefined ? { numberOfCpuCoresRequired: p.cpuCores } : {}),
    };
}

export interface ModelComponentArgs {
    placement: ComponentPlacement;
    /** The model's archive (componentArchives.ts). */
    archive: pulumi.Output<BuiltArchive>;
    bucket: pulumi.Input<string>;
    artifactPrefix: string;
    kmsKeyArn?: string;
    /** The Model's container (image, environment) and network settings, shared by every model. */
    image: string;
    environment: Record<string, string>;
    vpcConfig?: aws.types.input.sagemaker.ModelVpcConfig;
    enableNetworkIsolation?: boolean;
    executionRoleArn: pulumi.Input<string>;
    /** The Endpoint resource's name output (the component is created after the endpoint). */
    endpointName: pulumi.Input<string>;
    /** The component's name (componentName). */
    name: string;
    variantName: string;
    startupHealthCheckTimeoutSeconds: number;
    modelDataDownloadTimeoutSeconds: number;
    scaling: Pick<ComponentsSettings, "targetInvocationsPerCopy" | "scaleInCooldownSeconds" | "scaleOutCooldownSeconds">;
    retainArtifacts: boolean;
    retainRevisions: boolean;
    modelDependsOn: pulumi.Resource[];
    tags: Record<string, string>;
}

/** Children: `${name}-archive`, `${name}-model`, `${name}-component`, `${name}-scaling` (ComponentScaling). */
export class ModelComponent extends pulumi.ComponentResource {
    public readonly componentName: pulumi.Output<string>;
    public readonly modelDataUrl: pulumi.Output<string>;
    public readonly artifactSha256: pulumi.Output<string>;

    constructor(name: string, args: ModelComponentArgs, opts?: pulumi.ComponentResourceOptions) {
        super(MODEL_COMPONENT_TYPE, name, {}, opts);
        const parent = { parent: this };
        const a = args.archive;
        const url = archiveObject(`${name}-archive`, { archive: a, bucket: args.bucket, artifactPrefix: args.artifactPrefix,
            kmsKeyArn: args.kmsKeyArn, tags: args.tags }, { ...parent, retainOnDelete: args.retainArtifacts });
        const model = new aws.sagemaker.Model(`${name}-model`, {
            executionRoleArn: args.executionRoleArn,
            primaryContainer: { image: args.image, modelDataUrl: url, environment: args.environment },
            vpcConfig: args.vpcConfig,
            enableNetworkIsolation: args.enableNetworkIsolation,
            tags: args.tags,
        }, { ...parent, retainOnDelete: args.retainRevisions, dependsOn: args.modelDependsOn });
        const p = args.placement;
        const component = new awsNative.sagemaker.InferenceComponent(`${name}-component`, {
            inferenceComponentName: args.name,
            endpointName: args.endpointName,
            variantName: args.variantName,
            specification: {
                modelName: model.name,
                computeResourceRequirements: computeRequirements(p),
                startupParameters: {
                    containerStartupHealthCheckTimeoutInSeconds: args.startupHealthCheckTimeoutSeconds,
                    modelDataDownloadTimeoutInSeconds: args.modelDataDownloadTimeoutSeconds,
                },
            },
            runtimeConfig: { copyCount: p.copies.initial },
            tags: Object.entries(args.tags).map(([key, value]) => ({ key, value })),
        }, { ...parent, ignoreChanges: ["runtimeConfig.copyCount"] });
        const componentNameOut = component.inferenceComponentName.apply((n) => n ?? args.name);
        new ComponentScaling(`${name}-scaling`, {
            componentName: componentNameOut, copies: p.copies, tags: args.tags, targetInvocationsPerCopy: args.scaling.targetInvocationsPerCopy,
            scaleInCooldownSeconds: args.scaling.scaleInCooldownSeconds, scaleOutCooldownSeconds: args.scaling.scaleOutCooldownSeconds,
        }, parent);
        this.componentName = componentNameOut;
        this.modelDataUrl = url;
        this.artifactSha256 = a.apply((x) => x.sha256);
        this.registerOutputs({ componentName: this.componentName, modelDataUrl: this.modelDataUrl, artifactSha256: this.artifactSha256 });
    }
}
