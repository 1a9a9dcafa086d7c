/**
 * GpuModelEndpoint: packs the model directory, uploads it content-addressed (one model.tar.gz, or with
 * modelDataMode "uncompressed" every file under a content-addressed prefix), and declares the
 * SageMaker Model, EndpointConfiguration and real-time Endpoint on a GPU instance. The constructor wires small
 * factories (endpoint/): the checks, the shared bucket and role, the router's model data (archive | uncompressed)
 * and Model, or the components topology's variant and components, and the serving side both share.
 *
 * Update semantics: one changed byte gives a new object key, so a new (auto-named) Model and
 * EndpointConfiguration are created BEFORE the old ones are deleted (Pulumi's default
 * create-before-replace; deleteBeforeReplace is never set), and the Endpoint is updated in place
 * (UpdateEndpoint, no downtime). Models, configurations and archives are kept through updates (retainOnDelete):
 * after a rolled-back update the endpoint still runs the old ones. The GenerationLedger (generationLedger.ts)
 * deletes generations older than the last 3 that the endpoint does not serve, and all of them on destroy; its check
 * refuses an unacknowledged endpoint replacement (updateSafety.ts). See docs/updates.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { budgetInput, deploymentTimeBudget } from "./production/deploymentTime";
import { checkEndpointArgs, endpointContext } from "./endpoint/context";
import { routerModelData } from "./endpoint/modelData";
import { artifactBucket, containerSetup, executionRole } from "./endpoint/shared";
import { routerTopology } from "./endpoint/router";
import { declareServing } from "./endpoint/serving";
import { componentsTopology } from "./components/componentsTopology";
import type { LiveReader } from "./production/liveEndpoint";
import type { Settings } from "../config/settings";

export { buildArchiveInto, BuiltArchive } from "../packaging/archiveInto";
export { resourceTags } from "./endpoint/context";

export const GPU_MODEL_ENDPOINT_TYPE = "gpu-multi-model-endpoint:endpoint:GpuModelEndpoint";

export interface GpuModelEndpointArgs {
    /**
     * Validated stack settings from `parseSettings` / `loadSettings` (see Settings for every field's
     * unit, range, default and conflicts).
     */
    settings: Settings;
    /** Folder `settings.modelDir` is resolved against (absolute path). @default process.cwd() (the project root under `pulumi up`) */
    baseDir?: string;
    /**
     * Folder the archive is built in (it must persist until the upload finished). The archive lands in
     * `<buildDir>/<sha256 first 16 hex>/model.tar.gz`; with modelDataMode uncompressed it holds only the hash record
     * `<buildDir>/uncompressed-hashes.json`. Must be outside the model directory.
     * @default "<baseDir>/build/model-archive" (gitignored)
     */
    buildDir?: string;
    /**
     * Reads the live endpoint at preview (liveEndpoint.ts), only with autoscaling, to keep the live instance count.
     * @default the @aws-sdk/client-sagemaker client in settings.region; none under Pulumi mocks
     */
    liveReader?: LiveReader;
}

export class GpuModelEndpoint extends pulumi.ComponentResource {
    /** Name of the SageMaker endpoint (for InvokeEndpoint). */
    public readonly endpointName: pulumi.Output<string>;
    public readonly endpointArn: pulumi.Output<string>;
    public readonly region: pulumi.Output<string>;
    /**
     * Archive mode: `s3://<bucket>/<prefix>/<sha16>/model.tar.gz`; uncompressed mode: the prefix `s3://<bucket>/<prefix>/<id>/`;
     * topology components: the prefix `s3://<bucket>/<prefix>/` of the per-model archives.
     */
    public readonly modelDataUrl: pulumi.Output<string>;
    /**
     * Archive mode: hex SHA-256 of model.tar.gz; uncompressed mode: hex SHA-256 over the sorted `sha256 size path` lines of the files;
     * topology components: hex SHA-256 over the sorted `<archive sha256> <model>` lines.
     */
    public readonly artifactSha256: pulumi.Output<string>;
    public readonly imageUri: pulumi.Output<string>;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly variantName: pulumi.Output<string>;
    /** Name of the EndpointConfiguration this deployment puts on the endpoint (the smoke test checks it is served). */
    public readonly endpointConfigName: pulumi.Output<string>;
    /** Topology components only: model name -> inference component name (InvokeEndpoint's InferenceComponentName). */
    public readonly inferenceComponents?: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: GpuModelEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
        const checked = checkEndpointArgs(args); // validated BEFORE anything is registered (the component itself included)
        super(GPU_MODEL_ENDPOINT_TYPE, name, {}, opts);
        const ctx = endpointContext(name, checked, this);
        const s = ctx.settings;
        for (const w of ctx.plan.warnings) pulumi.log.warn(w, this);
        pulumi.log.info(deploymentTimeBudget(budgetInput(s)).summary, this);

        const bucket = artifactBucket(ctx);
        const modelData = s.topology.components ? undefined : routerModelData(ctx, bucket);
        const role = executionRole(ctx, bucket);
        const container = containerSetup(s);
        const topology = modelData ? routerTopology(ctx, modelData, role, container, args.liveReader)
            : componentsTopology(ctx, bucket, role, container);
        const endpoint = declareServing(ctx, bucket, topology);
        const data = topology.afterEndpoint(endpoint.name);

        this.endpointName = endpoint.name;
        this.endpointArn = endpoint.arn;
        this.region = pulumi.output(s.region);
        this.modelDataUrl = data.modelDataUrl;
        this.artifactSha256 = data.artifactSha256;
        this.inferenceComponents = data.inferenceComponents;
        this.imageUri = pulumi.output(s.imageUri);
        this.executionRoleArn = role.arn;
        this.variantName = pulumi.output(s.variantName);
        this.endpointConfigName = endpoint.endpointConfigName;
        this.registerOutputs({
            endpointConfigName: this.endpointConfigName,
            endpointName: this.endpointName, endpointArn: this.endpointArn, region: this.region,
            modelDataUrl: this.modelDataUrl, artifactSha256: this.artifactSha256, imageUri: this.imageUri,
            executionRoleArn: this.executionRoleArn, variantName: this.variantName,
            ...(this.inferenceComponents ? { inferenceComponents: this.inferenceComponents } : {}),
        });
    }
}
