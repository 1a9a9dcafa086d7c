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
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { EndpointAlarms } from "./alarms";
import { declareArtifactBucket } from "./artifactBucket";
import { EndpointAutoscaling } from "./autoscaling";
import { buildDataCaptureConfig } from "./dataCapture";
import { buildDeploymentConfig } from "./deploymentConfig";
import { budgetInput, deploymentTimeBudget } from "./deploymentTime";
import { GenerationLedger } from "./generationLedger";
import { liveInstanceCount, LiveReader } from "./liveEndpoint";
import { rollbackAlarmNames } from "./updateSafety";
import { buildIsolation } from "./isolation";
import { containerEnvironment } from "./containerEnv";
import { modelCacheEnvironment } from "./modelCacheConfig";
import { checkModelDirForDeploy } from "./deployChecks";
import { declareExecutionRole } from "./executionRole";
import { formatProgress, throttleProgress } from "./archiveProgress";
import { ArchiveProgress, buildModelArchive, realPathOf } from "./modelArchive";
import { isInsideDir } from "./archiveEntries";
import { KEEP_ARCHIVE_COPIES, pruneArchiveCopies, sha256OfFile } from "./archiveStore";
import { artifactKey, childNames } from "./names";
import { ModelDataSource, UncompressedModelData } from "./uncompressedModelData";
import type { Settings } from "./settings";

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

/** The built archive as the component uses it. */
export interface BuiltArchive { sha256: string; bytes: number; file: string }

/**
 * Builds `<buildDir>/model.tar.gz` (a stable path, so the archive cache can reuse it when nothing
 * changed), then copies it to the content-addressed `<buildDir>/<sha16>/model.tar.gz` that is uploaded.
 * The copy is hashed before it is renamed into place: another build (a concurrent preview) may rewrite
 * the shared stable file meanwhile, and wrong bytes must never sit under a content address.
 * Older `<sha16>/` folders beyond the newest {@link KEEP_ARCHIVE_COPIES} are removed.
 */
export async function buildArchiveInto(modelDir: string, buildDir: string, onProgress?: (p: ArchiveProgress) => void): Promise<BuiltArchive> {
    const latest = path.join(buildDir, "model.tar.gz");
    const result = await buildModelArchive(modelDir, latest, { onProgress });
    const sha16 = result.sha256.slice(0, 16);
    const file = path.join(buildDir, sha16, "model.tar.gz");
    if (!fs.existsSync(file)) {
        await fs.promises.mkdir(path.dirname(file), { recursive: true });
        const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
        // A copy (a reflink where the file system can), never a hard link: `latest` may be rewritten later.
        await fs.promises.copyFile(latest, tmp, fs.constants.COPYFILE_FICLONE);
        const copied = await sha256OfFile(tmp);
        if (copied !== result.sha256) {
            await fs.promises.rm(tmp, { force: true });
            throw new Error(`${latest}: changed between building and copying it to ${file} (built sha256 ${result.sha256}, ` +
                `copied ${copied}); another build changed it; rerun (one pulumi preview/up at a time per project folder).`);
        }
        await fs.promises.rename(tmp, file);
    } else {
        const now = new Date();
        await fs.promises.utimes(path.dirname(file), now, now); // reused: now the newest copy
    }
    await pruneArchiveCopies(buildDir, sha16);
    return { sha256: result.sha256, bytes: result.bytes, file };
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
    /** Archive mode: `s3://<bucket>/<prefix>/<sha16>/model.tar.gz`; uncompressed mode: the prefix `s3://<bucket>/<prefix>/<id>/`. */
    public readonly modelDataUrl: pulumi.Output<string>;
    /** Archive mode: hex SHA-256 of model.tar.gz; uncompressed mode: hex SHA-256 over the sorted `sha256 size path` lines of the files. */
    public readonly artifactSha256: pulumi.Output<string>;
    public readonly imageUri: pulumi.Output<string>;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly variantName: pulumi.Output<string>;
    /** Name of the EndpointConfiguration this deployment puts on the endpoint (the smoke test checks it is served). */
    public readonly endpointConfigName: pulumi.Output<string>;

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

        // Model data: one content-addressed archive, or (modelDataMode uncompressed) every file under a content-addressed prefix.
        let modelData: { modelDataUrl: pulumi.Output<string>; sha256: pulumi.Output<string>;
            container: { modelDataUrl: pulumi.Output<string> } | { modelDataSource: pulumi.Output<ModelDataSource> } };
        // Progress only for work that takes a while (every 2 s after the first 2 s).
        const progressOf = (label: string) => {
            const report = throttleProgress((p) => pulumi.log.info(formatProgress(label, p), this), 2000);
            return (p: ArchiveProgress) => { if (p.elapsedMs >= 2000) report(p); };
        };
        if (s.modelDataMode === "uncompressed") {
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
                    imageUri: s.imageUri, endpointName: s.endpointName,
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
        const model = new aws.sagemaker.Model(n.model, {
            executionRoleArn: roleArn,
            primaryContainer: { image: s.imageUri, ...modelData.container, environment },
            vpcConfig: isolation.vpcConfig,
            enableNetworkIsolation: isolation.enableNetworkIsolation,
            tags,
        }, { ...parent, ...retainRevisions, dependsOn: modelDeps });

        const config = new aws.sagemaker.EndpointConfiguration(n.endpointConfig, {
            productionVariants: [{
                variantName: s.variantName,
                modelName: model.name,
                instanceType: s.instanceType,
                initialInstanceCount: liveInstanceCount(s, this, { modelDataUrl: modelData.modelDataUrl, environment }, args.liveReader),
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
        const ledger = GenerationLedger.forSettings(`${name}-generations`, s, { model: model.name, config: config.name, artifact: modelData.modelDataUrl }, parent);
        const endpoint = new aws.sagemaker.Endpoint(n.endpoint, {
            name: s.endpointName,
            endpointConfigName: config.name,
            deploymentConfig: buildDeploymentConfig(p.deployment, rollbackAlarms),
            tags,
        }, { ...parent, protect: s.protectEndpoint, dependsOn: [ledger, ...(alarms ? [alarms] : [])] });
        if (p.autoscaling) {
            new EndpointAutoscaling(`${name}-autoscaling`, { endpointName: endpoint.name, variantName: s.variantName,
                autoscaling: p.autoscaling, gpusPerInstance: s.gpu.gpuCount }, parent);
        }

        this.endpointName = endpoint.name;
        this.endpointArn = endpoint.arn;
        this.region = pulumi.output(s.region);
        this.modelDataUrl = modelData.modelDataUrl;
        this.artifactSha256 = modelData.sha256;
        this.imageUri = pulumi.output(s.imageUri);
        this.executionRoleArn = roleArn;
        this.variantName = pulumi.output(s.variantName);
        this.endpointConfigName = endpoint.endpointConfigName;
        const outputs = {
            endpointConfigName: this.endpointConfigName,
            endpointName: this.endpointName, endpointArn: this.endpointArn, region: this.region,
            modelDataUrl: this.modelDataUrl, artifactSha256: this.artifactSha256, imageUri: this.imageUri,
            executionRoleArn: this.executionRoleArn, variantName: this.variantName,
        };
        this.registerOutputs(outputs);
    }
}
