/**
 * Uncompressed model data: instead of model.tar.gz, every file of the model directory is
 * uploaded as its own S3 object under a content-addressed prefix
 * `<prefix>/<id>/` (id = first 16 hex of the sha256 over the sorted `sha256 size path`
 * lines), and the Model points its `modelDataSource` at it (S3Prefix, CompressionType None).
 * Nothing is compressed locally and SageMaker copies the files without un-tarring.
 *
 * Use: `new UncompressedModelData(name, { dir, bucket, prefix, hashCacheFile }, { parent })`
 * and set the Model's `primaryContainer.modelDataSource` to its `modelDataSource` output
 * (which resolves only after every object is uploaded). The pure pieces
 * (`uncompressedLayout`, `objectKey`, `modelDataSourceFor`) and `prepareUncompressedModelData`
 * are exported for other uses.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as writeFileAtomic from "write-file-atomic";
import { cacheKey, racyEntries } from "../packaging/archiveCache";
import { listArchiveEntries } from "../packaging/archiveEntries";
import { sha256OfFile } from "../packaging/archiveStore";

export const UNCOMPRESSED_MODEL_DATA_TYPE = "gpu-multi-model-endpoint:uncompressedModelData:UncompressedModelData";

export interface ContentAddressedFile {
    /** Posix path relative to the model directory (becomes the path under /opt/ml/model). */
    path: string;
    /** Absolute path on disk (upload source). */
    abs: string;
    /** Bytes. */
    size: number;
    /** Lower-case hex sha256 of the content. */
    sha256: string;
}

export interface UncompressedLayout {
    /** sha256 over the sorted `sha256 size path` lines. */
    digest: string;
    /** First 16 hex of `digest`: the prefix component. */
    id: string;
    files: ContentAddressedFile[];
    totalBytes: number;
}

/** Problems with file names SageMaker rejects under an S3Prefix (segments blank, `.`/`..`, over 255 bytes, NUL). */
export function layoutProblems(files: readonly Pick<ContentAddressedFile, "path">[]): string[] {
    const problems: string[] = [];
    for (const f of files) {
        for (const seg of f.path.split("/")) {
            if (seg.trim() === "" || seg === "." || seg === ".." || seg.includes("\0") || Buffer.byteLength(seg) > 255) {
                problems.push(`${f.path}: SageMaker rejects the name segment ${JSON.stringify(seg)} of uncompressed model data `
                    + "(blank, \".\", \"..\", NUL or over 255 bytes); rename it or use the model.tar.gz mode");
            }
        }
    }
    return problems;
}

/** The content-addressed layout of already hashed files (pure). Throws listing every name problem. */
export function uncompressedLayout(files: readonly ContentAddressedFile[]): UncompressedLayout {
    const problems = layoutProblems(files);
    if (problems.length > 0) throw new Error(problems.join("\n"));
    const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    const h = crypto.createHash("sha256");
    for (const f of sorted) h.update(`${f.sha256} ${f.size} ${f.path}\n`);
    const digest = h.digest("hex");
    return { digest, id: digest.slice(0, 16), files: sorted, totalBytes: sorted.reduce((n, f) => n + f.size, 0) };
}

/** `<prefix>/<id>/` (no leading slash; an empty prefix gives `<id>/`). */
export function layoutPrefix(prefix: string, layout: Pick<UncompressedLayout, "id">): string {
    const p = prefix.replace(/^\/+|\/+$/g, "");
    return p === "" ? `${layout.id}/` : `${p}/${layout.id}/`;
}

/** The S3 key of one file: `<prefix>/<id>/<path>`. */
export function objectKey(prefix: string, layout: Pick<UncompressedLayout, "id">, file: Pick<ContentAddressedFile, "path">): string {
    return `${layoutPrefix(prefix, layout)}${file.path}`;
}

export interface ModelDataSource {
    s3DataSources: { s3Uri: string; s3DataType: "S3Prefix"; compressionType: "None" }[];
}

/** The `primaryContainer.modelDataSource` value for `aws.sagemaker.Model` (s3Uri ends with `/`, as SageMaker requires). */
export function modelDataSourceFor(bucket: string, prefix: string, layout: Pick<UncompressedLayout, "id">): ModelDataSource {
    return { s3DataSources: [{ s3Uri: `s3://${bucket}/${layoutPrefix(prefix, layout)}`, s3DataType: "S3Prefix", compressionType: "None" }] };
}

export interface HashOptions {
    /** JSON record of the last hashes; unchanged stats (as for the archive cache) skip hashing. @default no cache */
    cacheFile?: string;
    /** Called after each file with bytes hashed so far and in total. */
    onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/**
 * Hashes every file `buildModelArchive` would pack (same ignore rules, same order).
 * With `cacheFile`, returns the recorded hashes when no entry's stat changed.
 */
export async function hashModelFiles(dir: string, opts: HashOptions = {}): Promise<ContentAddressedFile[]> {
    let fsNowNs: bigint | undefined;
    if (opts.cacheFile) {
        const probe = `${opts.cacheFile}.clock-${process.pid}`;
        fs.mkdirSync(path.dirname(opts.cacheFile), { recursive: true });
        fs.writeFileSync(probe, "");
        fsNowNs = fs.statSync(probe, { bigint: true }).mtimeNs;
        fs.rmSync(probe, { force: true });
    }
    const entries = listArchiveEntries(dir);
    const key = cacheKey(path.resolve(dir), entries, { mode: "uncompressed-sha256" });
    if (opts.cacheFile) {
        try {
            const rec = JSON.parse(fs.readFileSync(opts.cacheFile, "utf8")) as { key: string; files: ContentAddressedFile[] };
            if (rec.key === key) return rec.files;
        } catch {
            // no usable record: hash below
        }
    }
    const files = entries.filter((e) => e.type === "file");
    const total = files.reduce((n, e) => n + e.size, 0);
    let done = 0;
    const out: ContentAddressedFile[] = [];
    for (const e of files) {
        out.push({ path: e.path, abs: e.abs, size: e.size, sha256: await sha256OfFile(e.abs, e.size) });
        done += e.size;
        opts.onProgress?.(done, total);
    }
    if (opts.cacheFile && fsNowNs !== undefined && racyEntries(entries, fsNowNs).length === 0) {
        writeFileAtomic.sync(opts.cacheFile, JSON.stringify({ key, files: out }), { fsync: false }); // a lost cache only means hashing again
    }
    return out;
}

/** Hashes the directory and returns its content-addressed layout. */
export async function prepareUncompressedModelData(dir: string, opts: HashOptions = {}): Promise<UncompressedLayout> {
    return uncompressedLayout(await hashModelFiles(dir, opts));
}

export interface UncompressedModelDataArgs {
    /** The model directory (validated beforehand); every file `buildModelArchive` would pack is uploaded. */
    dir: string;
    /** Name of the (private, encrypted) bucket receiving the objects. */
    bucket: pulumi.Input<string>;
    /** Key prefix without leading or trailing `/`, e.g. `models`; objects go under `<prefix>/<id>/`. */
    prefix: string;
    /** Hash record (see {@link HashOptions.cacheFile}); unchanged files are not re-hashed. @default no cache */
    hashCacheFile?: string;
    /** KMS key for SSE-KMS on every object. @default SSE-S3 (AES256) */
    kmsKeyArn?: string;
    /** Tags on every object. @default none */
    tags?: Record<string, string>;
    /** Keep the objects in S3 when they are deleted from the stack (prod). @default false */
    retainOnDelete?: boolean;
    /** Called after each file is hashed with the bytes hashed so far and in total (not called on a cache hit). @default none */
    onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/**
 * One S3 object per model file under a content-addressed prefix; outputs the Model's
 * `modelDataSource`. The objects are registered synchronously from the directory listing
 * (so `pulumi preview` shows them); their keys resolve once the files are hashed.
 */
export class UncompressedModelData extends pulumi.ComponentResource {
    /** `s3://<bucket>/<prefix>/<id>/` */
    public readonly s3Uri: pulumi.Output<string>;
    /** For `aws.sagemaker.Model` `primaryContainer.modelDataSource`; resolves after every upload. */
    public readonly modelDataSource: pulumi.Output<ModelDataSource>;
    /** The layout id (first 16 hex of the content digest). */
    public readonly layoutId: pulumi.Output<string>;
    /** Hex sha256 over the sorted `sha256 size path` lines of the files (the content address). */
    public readonly digest: pulumi.Output<string>;
    public readonly objects: aws.s3.BucketObject[];

    constructor(name: string, args: UncompressedModelDataArgs, opts?: pulumi.ComponentResourceOptions) {
        const files = listArchiveEntries(args.dir).filter((e) => e.type === "file");
        const problems = layoutProblems(files);
        if (problems.length > 0) throw new Error(problems.join("\n"));
        super(UNCOMPRESSED_MODEL_DATA_TYPE, name, {}, opts);
        const layout = pulumi.output(prepareUncompressedModelData(args.dir, { cacheFile: args.hashCacheFile, onProgress: args.onProgress }).then((l) => {
            const listed = files.map((f) => f.path).join("\n");
            if (l.files.map((f) => f.path).join("\n") !== listed) {
                throw new Error(`${args.dir}: files were added, removed or renamed while packaging; run again when nothing writes to it`);
            }
            return l;
        }));
        this.layoutId = layout.apply((l) => l.id);
        this.digest = layout.apply((l) => l.digest);
        this.objects = files.map((f) => new aws.s3.BucketObject(
            `${name}-file-${crypto.createHash("sha256").update(f.path).digest("hex").slice(0, 12)}`, {
                bucket: args.bucket,
                key: layout.apply((l) => objectKey(args.prefix, l, f)),
                // Relative to the project root (as the archive's): the state holds no machine-specific absolute path.
                source: new pulumi.asset.FileAsset(path.relative(process.cwd(), f.abs) || f.abs),
                contentType: "application/octet-stream",
                serverSideEncryption: args.kmsKeyArn ? "aws:kms" : "AES256",
                kmsKeyId: args.kmsKeyArn,
                tags: args.tags,
            }, { parent: this, retainOnDelete: args.retainOnDelete ?? false }));
        const uploaded = pulumi.all(this.objects.map((o) => o.id));
        this.modelDataSource = pulumi.all([args.bucket, layout, uploaded])
            .apply(([bucket, l]) => modelDataSourceFor(bucket, args.prefix, l));
        this.s3Uri = this.modelDataSource.apply((m) => m.s3DataSources[0].s3Uri);
        this.registerOutputs({ s3Uri: this.s3Uri, modelDataSource: this.modelDataSource, layoutId: this.layoutId, digest: this.digest });
    }
}
