/**
 * GpuModelEndpoint: packs the model directory, uploads it content-addressed (one model.tar.gz, or with
 * modelDataMode "uncompressed" every file under a content-addressed prefix), and declares the
 * SageMaker Model, EndpointConfiguration and real-time Endpoint on a GPU instance.
 *
 * Update semantics: one changed byte gives a new object key, so a new (auto-named) Model and
 * EndpointConfiguration are created BEFORE the old ones are deleted (Pulumi's default
 * create-before-replace; deleteBeforeReplace is never set), and the Endpoint is updated in place
 * (UpdateEndpoint, no downtime). Models, configurations and archives are kept through updates (retainOnDelete):
 * after a rolled-back update the endpoint still runs the old ones. The GenerationLedger (generationLedger.ts)
 * deletes generations older than the last 3 that the endpoint does not serve, and all of them on destroy; its check
 * refuses an unacknowledged endpoint replacement (updateSafety.ts). See docs/updates.md.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { EndpointAlarms } from "./production/alarms";
import { declareArtifactBucket } from "./artifactBucket";
import { EndpointAutoscaling } from "./production/autoscaling";
import { buildDataCaptureConfig } from "./dataCapture";
import { buildDeploymentConfig } from "./production/deploymentConfig";
import { budgetInput, deploymentTimeBudget } from "./production/deploymentTime";
import { GenerationLedger } from "./production/generationLedger";
import { liveInstanceCount, LiveReader } from "./production/liveEndpoint";
import { rollbackAlarmNames } from "./production/updateSafety";
import { buildIsolation } from "./isolation";
import { containerEnvironment } from "./containerEnv";
import { modelCacheEnvironment } from "../config/modelCacheConfig";
import { checkModelDirForDeploy } from "./checks/deployChecks";
import { declareExecutionRole } from "./executionRole";
import { formatProgress, throttleProgress } from "../packaging/archiveProgress";
import { ArchiveProgress, realPathOf } from "../packaging/modelArchive";
import { isInsideDir } from "../packaging/archiveEntries";
import { buildArchiveInto } from "../packaging/archiveInto";
import { artifactKey, childNames } from "../config/names";
import { ModelDataSource, UncompressedModelData } from "./uncompressedModelData";
import { declareComponentModels } from "./components/componentModels";
import { componentName, componentsVariant } from "./components/modelComponent";
import type { Settings } from "../config/settings";

export { buildArchiveInto, BuiltArchive } from "../packaging/archiveInto";

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

/** Tags on every taggable resource. */
export function resourceTags(settings: Settings): Record<string, string> {
    return { project: settings.project, stack: settings.stack, "managed-by": "pulumi" };
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
        // Validate BEFORE anything is registered (the component itself included).
        const s = args.settings;
        const baseDir = args.baseDir ?? process.cwd();
        const plan = checkModelDirForDeploy(s, baseDir);
        const buildDir = path.resolve(baseDir, args.buildDir ?? path.join("build", "model-archive"));
        const real = (p: string) => { try { return realPathOf(p); } catch { return p; } };
        if (isInsideDir(real(plan.dir), real(buildDir))) {
            plan.errors.push(`${buildDir}: the archive build folder is inside the model directory ${plan.dir}, so the archive would pack itself; ` +
                `set gpu-multi-model-endpoint:modelDir to the model folder itself (not the project root).`);
        }
        if (plan.errors.length > 0) {
            throw new pulumi.RunError(`Model directory ${plan.dir} has ${plan.errors.length} problem(s):\n` +
                plan.errors.map((e) => `  - ${e}`).join("\n"));
        }
        super(GPU_MODEL_ENDPOINT_TYPE, name, {}, opts);
        for (const w of plan.warnings) pulumi.log.warn(w, this);
        pulumi.log.info(deploymentTimeBudget(budgetInput(s)).summary, this);

        const n = childNames(name);
        const tags = resourceTags(s);
        const parent = { parent: this };

        // Artifact bucket.
        let bucketName: pulumi.Output<string>;
        if (s.artifactBucket) {
            bucketName = pulumi.output(s.artifactBucket);
        } else {
            const created = declareArtifactBucket(n, {
                partition: s.partition, kmsKeyArn: s.kmsKeyArn, forceDestroy: s.forceDestroyArtifacts, tags,
            }, this);
            // Depend on the guards so nothing is uploaded before the bucket is private and encrypted.
            bucketName = pulumi.all([created.bucket.bucket, created.publicAccessBlock.id, created.encryption.id,
                created.policy.id, created.ownership.id]).apply(([b]) => b);
        }

        // Topology components: one archive, Model and inference component per model (declared after the endpoint).
        const placements = s.topology.components ? plan.placements : undefined;
        const icNames = placements && Object.fromEntries(placements.map((pl) => [pl.model, componentName(s.endpointName, pl.model)]));
        // Router model data: one content-addressed archive, or (modelDataMode uncompressed) every file under a content-addressed prefix.
        let modelData: { modelDataUrl: pulumi.Output<string>; sha256: pulumi.Output<string>;
            container: { modelDataUrl: pulumi.Output<string> } | { modelDataSource: pulumi.Output<ModelDataSource> } } | undefined;
        // Progress only for work that takes a while (every 2 s after the first 2 s).
        const progressOf = (label: string) => {
            const report = throttleProgress((p) => pulumi.log.info(formatProgress(label, p), this), 2000);
            return (p: ArchiveProgress) => { if (p.elapsedMs >= 2000) report(p); };
        };
        if (placements) {
            modelData = undefined;
        } else if (s.modelDataMode === "uncompressed") {
            const progress = progressOf(`${s.modelDir} (sha256 of each file)`);
            const started = Date.now();
            const files = new UncompressedModelData(n.modelFiles, {
                dir: plan.dir, bucket: bucketName, prefix: s.artifactPrefix, hashCacheFile: path.join(buildDir, "uncompressed-hashes.json"),
                kmsKeyArn: s.kmsKeyArn, tags, retainOnDelete: true, // rollback safety: see GenerationLedger
                onProgress: (bytesDone, bytesTotal) => progress({ bytesDone, bytesTotal, bytesWritten: 0, elapsedMs: Date.now() - started }),
            }, parent);
            modelData = { modelDataUrl: files.s3Uri, sha256: files.digest, container: { modelDataSource: files.modelDataSource } };
        } else {
            const progress = progressOf(s.modelDir);
            const archive = pulumi.output(buildArchiveInto(plan.dir, buildDir, progress));
            const object = new aws.s3.BucketObject(n.archive, {
                bucket: bucketName,
                key: archive.apply((a) => artifactKey(s.artifactPrefix, a.sha256)),
                source: archive.apply((a) => new pulumi.asset.FileAsset(path.relative(process.cwd(), a.file) || a.file)),
                contentType: "application/gzip",
                serverSideEncryption: s.kmsKeyArn ? "aws:kms" : "AES256",
                kmsKeyId: s.kmsKeyArn,
                tags,
            }, { ...parent, retainOnDelete: true }); // rollback safety: the GenerationLedger deletes old archives
            const url = pulumi.interpolate`s3://${object.bucket}/${object.key}`;
            modelData = { modelDataUrl: url, sha256: archive.apply((a) => a.sha256), container: { modelDataUrl: url } };
        }

        // Execution role.
        let roleArn: pulumi.Output<string>;
        const modelDeps: pulumi.Resource[] = [];
        if (s.executionRoleArn) {
            roleArn = pulumi.output(s.executionRoleArn);
        } else {
            const identity = aws.getCallerIdentityOutput({}, parent);
            const { role, rolePolicy } = declareExecutionRole(n, {
                policy: {
                    partition: s.partition, region: s.region, prefix: s.artifactPrefix, kmsKeyArn: s.kmsKeyArn,
                    imageUri: s.imageUri, endpointName: s.endpointName, inferenceComponentNames: icNames && Object.values(icNames),
                    vpc: s.vpcSubnetIds.length > 0 ? { subnetIds: s.vpcSubnetIds, securityGroupIds: s.vpcSecurityGroupIds } : undefined,
                    dataCapture: s.production.dataCapture, codeArtifactRepositoryArn: s.production.codeArtifactRepositoryArn,
                    rollbackAlarmNames: s.production.deployment?.autoRollback ? rollbackAlarmNames(s.endpointName) : [],
                },
                bucket: bucketName, accountId: identity.accountId, tags,
            }, this);
            roleArn = role.arn;
            modelDeps.push(rolePolicy);
        }

        // Model, configuration, endpoint. Model and configuration are auto-named (no name inputs).
        const isolation = buildIsolation({ vpcSubnetIds: s.vpcSubnetIds, vpcSecurityGroupIds: s.vpcSecurityGroupIds,
            enableNetworkIsolation: s.enableNetworkIsolation, codeArtifactRepositoryArn: s.production.codeArtifactRepositoryArn });
        // Replaced Models and configurations are kept: after a rollback SageMaker still runs them (the provider reports a
        // rolled-back update as a success). The GenerationLedger deletes old ones and, on destroy, all of them.
        const retainRevisions = { retainOnDelete: true };
        const environment = containerEnvironment({ ...s, programEnvironment: { ...isolation.environment, ...modelCacheEnvironment(s.modelCache) } });
        const model = modelData && new aws.sagemaker.Model(n.model, {
            executionRoleArn: roleArn,
            primaryContainer: { image: s.imageUri, ...modelData.container, environment },
            vpcConfig: isolation.vpcConfig,
            enableNetworkIsolation: isolation.enableNetworkIsolation,
            tags,
        }, { ...parent, ...retainRevisions, dependsOn: modelDeps });

        const config = new aws.sagemaker.EndpointConfiguration(n.endpointConfig, {
            // An inference-component endpoint: a model-less variant, and the role SageMaker uses for its components.
            ...(placements ? { executionRoleArn: roleArn } : {}),
            productionVariants: [placements ? componentsVariant(s, s.topology.components!) : {
                variantName: s.variantName,
                modelName: model!.name,
                instanceType: s.instanceType,
                initialInstanceCount: liveInstanceCount(s, this, { modelDataUrl: modelData!.modelDataUrl, environment }, args.liveReader),
                initialVariantWeight: 1,
                containerStartupHealthCheckTimeoutInSeconds: s.containerStartupHealthCheckTimeoutInSeconds,
                modelDataDownloadTimeoutInSeconds: s.modelDataDownloadTimeoutInSeconds,
                volumeSizeInGb: s.volumeSizeInGb,
            }],
            // SageMaker rejects a KMS key for instance types with local NVMe storage.
            kmsKeyArn: s.kmsKeyArn && !s.gpu.instanceStorage ? s.kmsKeyArn : undefined,
            dataCaptureConfig: buildDataCaptureConfig(s.production.dataCapture, bucketName),
            tags,
        }, { ...parent, ...retainRevisions });

        // Rollback alarms are named from the settings' endpoint name, so they exist before the endpoint lists them.
        const p = s.production;
        const alarms = p.alarms ? new EndpointAlarms(`${name}-alarms`, { endpointName: s.endpointName, variantName: s.variantName,
            alarms: p.alarms, gpusPerInstance: s.gpu.gpuCount, tags }, parent) : undefined;
        const rollbackAlarms = p.deployment?.autoRollback ? rollbackAlarmNames(s.endpointName) : [];
        // The ledger keeps the router's generations (one Model each); the components topology's Models are its components' (below).
        const ledger = model && GenerationLedger.forSettings(`${name}-generations`, s, { model: model.name, config: config.name, artifact: modelData!.modelDataUrl }, parent);
        const endpoint = new aws.sagemaker.Endpoint(n.endpoint, {
            name: s.endpointName,
            endpointConfigName: config.name,
            deploymentConfig: buildDeploymentConfig(p.deployment, rollbackAlarms),
            tags,
        }, { ...parent, protect: s.protectEndpoint, dependsOn: [...(ledger ? [ledger] : []), ...(alarms ? [alarms] : [])] });
        if (p.autoscaling) {
            new EndpointAutoscaling(`${name}-autoscaling`, { endpointName: endpoint.name, variantName: s.variantName,
                autoscaling: p.autoscaling, gpusPerInstance: s.gpu.gpuCount }, parent);
        }

        const componentOutputs = placements && declareComponentModels(name, {
            settings: s, manifest: plan.manifest!, placements, names: icNames!, modelDir: plan.dir, buildDir, bucket: bucketName,
            executionRoleArn: roleArn, modelDependsOn: modelDeps, endpointName: endpoint.name, environment,
            vpcConfig: isolation.vpcConfig, enableNetworkIsolation: isolation.enableNetworkIsolation, tags, progressOf,
        }, this);

        this.endpointName = endpoint.name;
        this.endpointArn = endpoint.arn;
        this.region = pulumi.output(s.region);
        this.modelDataUrl = modelData?.modelDataUrl ?? pulumi.interpolate`s3://${bucketName}/${s.artifactPrefix}/`;
        this.artifactSha256 = modelData?.sha256 ?? componentOutputs!.artifactSha256;
        this.inferenceComponents = componentOutputs?.inferenceComponents;
        this.imageUri = pulumi.output(s.imageUri);
        this.executionRoleArn = roleArn;
        this.variantName = pulumi.output(s.variantName);
        this.endpointConfigName = endpoint.endpointConfigName;
        const outputs = {
            endpointConfigName: this.endpointConfigName,
            endpointName: this.endpointName, endpointArn: this.endpointArn, region: this.region,
            modelDataUrl: this.modelDataUrl, artifactSha256: this.artifactSha256, imageUri: this.imageUri,
            executionRoleArn: this.executionRoleArn, variantName: this.variantName,
            ...(this.inferenceComponents ? { inferenceComponents: this.inferenceComponents } : {}),
        };
        this.registerOutputs(outputs);
    }
}
