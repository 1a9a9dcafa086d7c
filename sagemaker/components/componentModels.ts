/**
 * The per-model part of the components topology: one archive (componentArchives.ts) and one ModelComponent
 * per model of models.json, all on the endpoint's model-less variant. Returns the outputs the stack exports.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { buildComponentArchive } from "../../packaging/componentArchives";
import { ModelComponent } from "./modelComponent";
import type * as aws from "@pulumi/aws";
import type { ArchiveProgress } from "../../packaging/modelArchive";
import type { Manifest } from "../../packaging/manifest";
import type { ComponentPlacement } from "../checks/placement";
import type { Settings } from "../../config/settings";

export interface ComponentModelsArgs {
    settings: Settings;
    manifest: Manifest;
    placements: ComponentPlacement[];
    /** Component name of each model (componentName in modelComponent.ts). */
    names: Record<string, string>;
    modelDir: string;
    buildDir: string;
    bucket: pulumi.Output<string>;
    executionRoleArn: pulumi.Output<string>;
    modelDependsOn: pulumi.Resource[];
    endpointName: pulumi.Output<string>;
    environment: Record<string, string>;
    vpcConfig?: aws.types.input.sagemaker.ModelVpcConfig;
    enableNetworkIsolation?: boolean;
    tags: Record<string, string>;
    progressOf: (label: string) => (p: ArchiveProgress) => void;
}

export interface ComponentModelsOutputs {
    /** Model name -> inference component name. */
    inferenceComponents: pulumi.Output<Record<string, string>>;
    /** Model name -> s3:// URL of its archive. */
    modelDataUrls: pulumi.Output<Record<string, string>>;
    /** Hex SHA-256 over the sorted `<sha256> <model>` lines of the archives. */
    artifactSha256: pulumi.Output<string>;
}

/** Pure: the combined digest of the per-model archives. */
export function combinedDigest(shaByModel: Record<string, string>): string {
    const lines = Object.keys(shaByModel).sort().map((m) => `${shaByModel[m]} ${m}\n`).join("");
    return crypto.createHash("sha256").update(lines).digest("hex");
}

export function declareComponentModels(name: string, a: ComponentModelsArgs, opts: { parent: pulumi.Resource }): ComponentModelsOutputs {
    const s = a.settings;
    const c = s.topology.components!;
    const built: ModelComponent[] = a.placements.map((p) => {
        const archive = pulumi.output(buildComponentArchive(a.modelDir, a.manifest, p.model, a.buildDir, a.progressOf(`${s.modelDir} (${p.model})`)));
        return new ModelComponent(`${name}-${p.model}`, {
            placement: p, archive, bucket: a.bucket, artifactPrefix: s.artifactPrefix, kmsKeyArn: s.kmsKeyArn,
            image: s.imageUri, environment: a.environment, vpcConfig: a.vpcConfig, enableNetworkIsolation: a.enableNetworkIsolation,
            executionRoleArn: a.executionRoleArn, endpointName: a.endpointName, name: a.names[p.model], variantName: s.variantName,
            startupHealthCheckTimeoutSeconds: s.containerStartupHealthCheckTimeoutInSeconds,
            modelDataDownloadTimeoutSeconds: s.modelDataDownloadTimeoutInSeconds,
            scaling: c, retainArtifacts: !s.forceDestroyArtifacts, retainRevisions: s.protectEndpoint,
            modelDependsOn: a.modelDependsOn, tags: a.tags,
        }, opts);
    });
    const byModel = <T>(pick: (m: ModelComponent) => pulumi.Output<T>) =>
        pulumi.all(built.map(pick)).apply((values) => Object.fromEntries(a.placements.map((p, i) => [p.model, values[i]])) as Record<string, T>);
    return {
        inferenceComponents: byModel((m) => m.componentName),
        modelDataUrls: byModel((m) => m.modelDataUrl),
        artifactSha256: byModel((m) => m.artifactSha256).apply(combinedDigest),
    };
}
