/**
 * Deterministic model.tar.gz: the model directory's layout at the archive root
 * (`code/inference.py`, `models.json`, model folders), what SageMaker extracts into
 * `/opt/ml/model`. Identical content gives identical bytes: entries sorted bytewise,
 * fixed mtime, uid/gid 0 with no owner names, modes 0644 / 0755, ustar headers
 * (a pax record only for paths ustar cannot hold, with fixed fields), fixed gzip headers.
 * Tar headers are encoded by the npm `tar` package. The tar stream is cut into 4 MiB
 * chunks, each one gzip member compressed on libuv's thread pool (gzipMembers.ts; float
 * weights are stored, text deflated), hashed in order while the thread pool reads ahead and
 * writes behind (packTarGz below), renamed into place only when
 * complete, and reused while nothing changed (archiveCache.ts).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ArchiveEntry, isInsideDir, listArchiveEntries } from "./archiveEntries";
import { cacheKey, lookupCache, racyEntries, removeCacheRecord, writeCacheRecord } from "./archiveCache";
import type { GzipStrategy } from "./gzipMembers";

// The writer (tarStream.ts, gzipMembers.ts with zlib, archiveHash.ts) is loaded only when an archive is packed: an
// unchanged rerun, answered from the cache record, does not load it (tests/integration/packaging/packageCli.spec.ts).
const writer = () => ({ ...(require("./gzipMembers") as typeof import("./gzipMembers")), ...(require("./tarStream") as typeof import("./tarStream")),
    ...(require("./archiveHash") as typeof import("./archiveHash")) });

/** Default zlib level: 1 (fastest); model weights barely compress at any level. */
export const DEFAULT_LEVEL = 1;
/** Default uncompressed bytes per gzip member. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export interface ArchiveProgress {
    /** Uncompressed tar bytes compressed and queued for writing so far. */
    bytesDone: number;
    /** Uncompressed tar bytes in total (headers, data, padding). */
    bytesTotal: number;
    /** Compressed bytes produced so far (on disk or queued for writing and hashing). */
    bytesWritten: number;
    /** Milliseconds since the build started. */
    elapsedMs: number;
}

export interface ArchiveOptions {
    /** zlib level, integer 0 (store) to 9 (smallest, slowest). Changes the bytes. @default 1 */
    level?: number;
    /** Uncompressed bytes per gzip member, 64 KiB to 256 MiB. Changes the bytes. @default 4 MiB */
    chunkBytes?: number;
    /** Deflate strategy per member (see `GzipStrategy`). Changes the bytes. @default "auto" */
    strategy?: GzipStrategy;
    /**
     * Members compressed at once, 1 to 64; does not change the bytes nor the CPU used. @default os.availableParallelism():
     * a deflated member keeps one core busy, so fewer jobs than cores leaves a core idle (docs/packaging.md, benchmark).
     */
    jobs?: number;
    /** Reuse the previous archive when no packed file's stat changed (see archiveCache.ts). @default true */
    cache?: boolean;
    /** Where the cache record is kept. @default `<outFile>.cache.json` */
    cacheFile?: string;
    /** Called after each member is compressed and queued for writing and hashing (about every `chunkBytes` of input). */
    onProgress?: (p: ArchiveProgress) => void;
    /** A checked directory that symbolic links in `dir` may point into (see WalkOptions.linkRoot). @default none */
    linkRoot?: string;
    /**
     * `dir`'s entries from a walk done just before (validateModelDir's `entries`, same `linkRoot`), so it is not
     * walked again. Their stats may predate the build's start: the cache stays right, as every byte is read after it.
     * @default walked here
     */
    entries?: readonly ArchiveEntry[];
}

export interface ArchiveResult {
    /** Lower-case hex SHA-256 of the .tar.gz bytes. */
    sha256: string;
    /** Size of the .tar.gz in bytes. */
    bytes: number;
    /** Posix paths of the regular files, in archive order (directories not listed). */
    files: string[];
    /** Uncompressed tar stream size in bytes. */
    tarBytes: number;
    /** True when the previous archive was reused (nothing packed). */
    cached: boolean;
}

type ResolvedOptions = { level: number; chunkBytes: number; strategy: GzipStrategy; jobs: number };

/** Resolved options with defaults applied; throws listing every invalid option. */
export function resolveArchiveOptions(opts: ArchiveOptions = {}): ResolvedOptions {
    const level = opts.level ?? DEFAULT_LEVEL;
    const strategy = opts.strategy ?? "auto";
    const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const jobs = opts.jobs ?? Math.max(1, os.availableParallelism());
    const errors: string[] = [];
    if (!Number.isInteger(level) || level < 0 || level > 9) errors.push(`level must be an integer from 0 to 9 (got ${level})`);
    if (!Number.isInteger(chunkBytes) || chunkBytes < 65536 || chunkBytes > 256 * 1048576) {
        errors.push(`chunkBytes must be an integer from 65536 to 268435456 (got ${chunkBytes})`);
    }
    if (strategy !== "auto" && strategy !== "default") errors.push(`strategy must be "auto" or "default" (got ${JSON.stringify(strategy)})`);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) errors.push(`jobs must be an integer from 1 to 64 (got ${jobs})`);
    if (errors.length > 0) throw new Error(`buildModelArchive: ${errors.join("; ")}`);
    return { level, chunkBytes, strategy, jobs };
}

/** Chunk buffers beyond the `jobs` being compressed: read-ahead and writes in flight (at most 16 MiB of them). */
function spareChunks(chunkBytes: number): number {
    return Math.min(4, Math.max(1, Math.floor((16 * 1048576) / chunkBytes)));
}

function writevAt(fd: number, parts: Buffer[], position: number): Promise<number> {
    return new Promise((resolve, reject) => fs.writev(fd, parts, position, (e, n) => (e ? reject(e) : resolve(n))));
}

/** Writes every byte of `parts` in order at `position` (writev, retrying short writes). */
async function writeAllAt(fd: number, parts: Buffer[], position: number): Promise<void> {
    let rest = parts.filter((p) => p.length > 0);
    while (rest.length > 0) {
        let bytesWritten = await writevAt(fd, rest.slice(0, 1024), position);
        position += bytesWritten;
        while (rest.length > 0 && bytesWritten >= rest[0].length) {
            bytesWritten -= rest[0].length;
            rest.shift();
        }
        if (bytesWritten > 0) rest[0] = rest[0].subarray(bytesWritten);
    }
}

/**
 * The pipeline: a reader fills pooled chunks (tarStream.ts), members are compressed on libuv's thread pool
 * (`jobs` at once), then written to `fd` by the thread pool without waiting and hashed in order once written
 * (on a worker thread for large model files, archiveHash.ts); each chunk goes back to the pool once its member
 * is on disk and hashed. Reads, compression, hashing and writes of different chunks overlap; memory stays at `jobs + spare` chunks.
 */
async function packTarGz(entries: readonly ArchiveEntry[], o: ResolvedOptions, fd: number, tarBytes: number,
    onMember: (uncompressed: number, written: number) => void): Promise<{ sha256: string; bytes: number }> {
    const { ChunkChannel, ChunkPool, produceTarChunks, writeGzipMembers, hashOnWorker, deferredHasher, mainThreadHasher, workerHasher } = writer();
    const pool = new ChunkPool(o.chunkBytes, o.jobs + 1 + spareChunks(o.chunkBytes));
    const channel = new ChunkChannel();
    const reading = produceTarChunks(entries, pool, (c) => channel.push(c)).then(() => channel.end(), (e: Error) => channel.fail(e));
    const mayUseWorker = hashOnWorker(entries.map((e) => e.size), tarBytes, o.chunkBytes);
    const hasher = deferredHasher();
    let members = 0;
    let written = 0;
    let writing: Promise<void> = Promise.resolve();
    let hashing: Promise<unknown> = Promise.resolve();
    let failure: Error | undefined;
    try {
        await writeGzipMembers(() => channel.take(), o, async (parts, chunk) => {
            if (failure) throw failure;
            const bytes = parts.reduce((n, part) => n + part.length, 0);
            const at = written;
            written += bytes;
            writing = writing.then(() => writeAllAt(fd, parts, at)).catch((e: Error) => { failure ??= e; });
            // hashed once written (in order, as writes complete in order), so the hasher may take a deflated member's buffers
            const deflated = !parts.some((part) => part.buffer === chunk.buffer);
            // the worker only when the second member is stored too (weights; measured: a loss for sparse tensors and
            // text); the first holds the small files listed before the weights
            if (++members === 2) hasher.choose(mayUseWorker && !deflated ? workerHasher() : mainThreadHasher());
            hashing = writing.then(() => hasher.update(parts, deflated)).catch((e: Error) => { failure ??= e; }).finally(() => pool.release(chunk));
            onMember(chunk.length, written);
        });
        hasher.choose(mainThreadHasher()); // a one-member archive (no-op once chosen)
        await hashing;
        if (failure) throw failure;
        return { sha256: await hasher.digest(), bytes: written };
    } finally {
        pool.close(); // a reader waiting for a chunk stops
        await reading;
        await hasher.close(); // updates still waiting for a choice fail (and are caught above)
        await hashing;
    }
}

/** The real path of `p` (symlinks resolved) even when `p` does not exist yet: its nearest existing ancestor resolved. */
export function realPathOf(p: string): string {
    const rest: string[] = [];
    let cur = path.resolve(p);
    for (;;) {
        try {
            return path.join(fs.realpathSync(cur), ...rest.reverse());
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code !== "ENOENT" || path.dirname(cur) === cur) throw e;
            rest.push(path.basename(cur));
            cur = path.dirname(cur);
        }
    }
}

/**
 * Where the archive really goes: `outFile` with symlinks resolved, which must be a regular file (or not exist
 * yet) outside the model directory. Throws naming the problem, before anything is written.
 */
export function resolveOutFile(dir: string, outFile: string): string {
    let st: fs.Stats | undefined;
    try { st = fs.lstatSync(outFile); } catch { st = undefined; }
    if (st?.isSymbolicLink()) {
        try { st = fs.statSync(outFile); } catch {
            throw new Error(`${outFile}: a symbolic link to nothing; choose another output file for the archive`);
        }
    }
    if (st && !st.isFile()) {
        const kind = st.isDirectory() ? "a directory" : st.isCharacterDevice() ? "a character device" : st.isBlockDevice() ? "a block device"
            : st.isFIFO() ? "a FIFO" : st.isSocket() ? "a socket" : "not a regular file";
        throw new Error(`${outFile}: is ${kind}, which the archive would replace; choose a regular file path for the archive (--out)`);
    }
    let outReal: string;
    try { outReal = realPathOf(outFile); } catch (e) {
        throw new Error(`${outFile}: cannot resolve the output path (${(e as Error).message}); choose another output file`);
    }
    let dirReal = path.resolve(dir);
    try { dirReal = fs.realpathSync(dir); } catch { /* a missing dir is reported by the walk */ }
    if (isInsideDir(dirReal, outReal)) {
        throw new Error(`${outFile}: the archive must be written outside the model directory ${dir} (it resolves to ${outReal}, ` +
            `inside ${dirReal}), or it would pack itself; choose another --out path`);
    }
    return outReal;
}

/**
 * Packs `dir` into a deterministic gzip tar at `outFile` (written to a temporary file in
 * the same directory, then renamed, so `outFile` is never half-written). With the cache
 * on, returns the previous result (`cached: true`) when nothing packed changed.
 * @throws when `dir` is missing, contains unsupported entries, `outFile` lies inside `dir`,
 *   or an option is out of range.
 */
export async function buildModelArchive(dir: string, outFile: string, opts: ArchiveOptions = {}): Promise<ArchiveResult> {
    const o = resolveArchiveOptions(opts);
    const dirAbs = path.resolve(dir);
    const outAbs = resolveOutFile(dir, outFile);
    const useCache = opts.cache ?? true;
    const cacheFile = path.resolve(opts.cacheFile ?? `${outAbs}.cache.json`);
    await fs.promises.mkdir(path.dirname(outAbs), { recursive: true });
    const tmp = `${outAbs}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    const fh = await fs.promises.open(tmp, "wx", 0o644);
    let committed = false;
    try {
        // The temporary file's mtime is "now" on the file-system clock, read before any byte of an entry (and before
        // its stat unless `opts.entries` were walked earlier: an edit after that stat changes it, so the next run rebuilds,
        // or comes before the bytes are read, so it is packed).
        const fsNowNs = (await fh.stat({ bigint: true })).mtimeNs;
        const entries = opts.entries ?? listArchiveEntries(dir, [], opts.linkRoot);
        const key = cacheKey(dirAbs, entries, { level: o.level, chunkBytes: o.chunkBytes, strategy: o.strategy });
        const hit = useCache ? lookupCache(cacheFile, key, outAbs) : undefined;
        if (hit) return { ...hit, cached: true };
        const bytesTotal = writer().tarSize(entries);
        const started = Date.now();
        let bytesDone = 0;
        const packed = await packTarGz(entries, o, fh.fd, bytesTotal, (n, bytesWritten) => {
            bytesDone += n;
            opts.onProgress?.({ bytesDone, bytesTotal, bytesWritten, elapsedMs: Date.now() - started });
        });
        await fh.close();
        if (useCache) removeCacheRecord(cacheFile);
        await fs.promises.rename(tmp, outAbs);
        committed = true;
        const result = {
            sha256: packed.sha256,
            bytes: packed.bytes,
            files: entries.filter((e) => e.type === "file").map((e) => e.path),
            tarBytes: bytesTotal,
        };
        if (useCache && racyEntries(entries, fsNowNs).length === 0) writeCacheRecord(cacheFile, key, outAbs, result);
        return { ...result, cached: false };
    } finally {
        if (!committed) {
            await fh.close().catch(() => undefined);
            await fs.promises.rm(tmp, { force: true });
        }
    }
}
