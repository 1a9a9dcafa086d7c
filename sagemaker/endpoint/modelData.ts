/**
 * The router topology's model data, one factory per mode: `archiveModelData` (one content-addressed
 * model.tar.gz) and `uncompressedModelData` (every file under a content-addressed prefix). Both are kept on
 * delete (rollback safety: the GenerationLedger deletes old generations).
 */
import * as aws from "@pulumi/aws";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { buildArchiveInto, BuiltArchive } from "../../packaging/archiveInto";
import { artifactKey } from "../../config/names";
import { ModelDataSource, UncompressedModelData } from "../uncompressedModelData";
import type { EndpointContext } from "./context";

export interface RouterModelData {
    /** The archive's s3:// URL, or the uncompressed files' s3:// prefix. */
    modelDataUrl: pulumi.Output<string>;
    /** Hex SHA-256 of the archive, or over the sorted `sha256 size path` lines of the files. */
    sha256: pulumi.Output<string>;
    /** The Model's primary-container inputs that locate the data. */
    container: { modelDataUrl: pulumi.Output<string> } | { modelDataSource: pulumi.Output<ModelDataSource> };
}

export interface ArchiveObjectArgs {
    archive: pulumi.Output<BuiltArchive>;
    bucket: pulumi.Input<string>;
    artifactPrefix: string;
    kmsKeyArn?: string;
    tags: Record<string, string>;
}

/** A built model.tar.gz as an encrypted object under `<prefix>/<sha16>/model.tar.gz`; returns its s3:// URL. */
export function archiveObject(name: string, a: ArchiveObjectArgs, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const object = new aws.s3.BucketObject(name, {
        bucket: a.bucket,
        key: a.archive.apply((x) => artifactKey(a.artifactPrefix, x.sha256)),
        source: a.archive.apply((x) => new pulumi.asset.FileAsset(path.relative(process.cwd(), x.file) || x.file)),
        contentType: "application/gzip",
        serverSideEncryption: a.kmsKeyArn ? "aws:kms" : "AES256",
        kmsKeyId: a.kmsKeyArn,
        tags: a.tags,
    }, opts);
    return pulumi.interpolate`s3://${object.bucket}/${object.key}`;
}

/** Archive mode: builds model.tar.gz and uploads it (archiveObject). */
export function archiveModelData(ctx: EndpointContext, bucket: pulumi.Output<string>): RouterModelData {
    const s = ctx.settings;
    const archive = pulumi.output(buildArchiveInto(ctx.plan.dir, ctx.buildDir, ctx.progressOf(s.modelDir)));
    const url = archiveObject(ctx.names.archive, { archive, bucket, artifactPrefix: s.artifactPrefix, kmsKeyArn: s.kmsKeyArn, tags: ctx.tags },
        { ...ctx.opts, retainOnDelete: true });
    return { modelDataUrl: url, sha256: archive.apply((a) => a.sha256), container: { modelDataUrl: url } };
}

/** modelDataMode uncompressed: every file as its own object under `<prefix>/<id>/` (the Model's modelDataSource). */
export function uncompressedModelData(ctx: EndpointContext, bucket: pulumi.Output<string>): RouterModelData {
    const s = ctx.settings;
    const progress = ctx.progressOf(`${s.modelDir} (sha256 of each file)`);
    const started = Date.now();
    const files = new UncompressedModelData(ctx.names.modelFiles, {
        dir: ctx.plan.dir, bucket, prefix: s.artifactPrefix, hashCacheFile: path.join(ctx.buildDir, "uncompressed-hashes.json"),
        kmsKeyArn: s.kmsKeyArn, tags: ctx.tags, retainOnDelete: true,
        onProgress: (bytesDone, bytesTotal) => progress({ bytesDone, bytesTotal, bytesWritten: 0, elapsedMs: Date.now() - started }),
    }, ctx.opts);
    return { modelDataUrl: files.s3Uri, sha256: files.digest, container: { modelDataSource: files.modelDataSource } };
}

/** The router's model data for the stack's modelDataMode. */
export function routerModelData(ctx: EndpointContext, bucket: pulumi.Output<string>): RouterModelData {
    return ctx.settings.modelDataMode === "uncompressed" ? uncompressedModelData(ctx, bucket) : archiveModelData(ctx, bucket);
}
