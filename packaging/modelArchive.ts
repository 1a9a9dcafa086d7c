/**
 * Deterministic model.tar.gz: the model directory's layout at the archive root
 * (`code/inference.py`, `models.json`, model folders), what SageMaker extracts into
 * `/opt/ml/model`. Identical content gives identical bytes: entries sorted bytewise,
 * fixed mtime, uid/gid 0 with no owner names, modes 0644 / 0755, ustar headers
 * (a pax record only for paths ustar cannot hold, with fixed fields), fixed gzip headers.
 * Tar headers are encoded by the npm `tar` package. The tar stream is cut into 4 MiB
 * chunks, each one gzip member compressed on libuv's thread pool (gzipMembers.ts; float
 * weights are stored, text deflated), hashed while written, renamed into place only when
 * complete, and reused while nothing changed (archiveCache.ts).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Header, Pax } from "tar";
import { ArchiveEntry, isInsideDir, listArchiveEntries } from "./archiveEntries";
import { cacheKey, lookupCache, racyEntries, removeCacheRecord, writeCacheRecord } from "./archiveCache";
import { GzipStrategy, writeGzipMembers } from "./gzipMembers";

/** mtime stored for every entry: 1980-01-01T00:00:00Z (also valid for zip tools). */
export const ARCHIVE_MTIME = new Date(Date.UTC(1980, 0, 1));
/** Default zlib level: 1 (fastest); model weights barely compress at any level. */
export const DEFAULT_LEVEL = 1;
/** Default uncompressed bytes per gzip member. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
/** Bytes read from a file at a time (at most; never past the current chunk). */
const READ_BYTES = 4 * 1024 * 1024;

export interface ArchiveProgress {
    /** Uncompressed tar bytes compressed and written so far. */
    bytesDone: number;
    /** Uncompressed tar bytes in total (headers, data, padding). */
    bytesTotal: number;
    /** Compressed bytes written so far. */
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
    /** Members compressed at once, 1 to 64; does not change the bytes. @default os.availableParallelism() */
    jobs?: number;
    /** Reuse the previous archive when no packed file's stat changed (see archiveCache.ts). @default true */
    cache?: boolean;
    /** Where the cache record is kept. @default `<outFile>.cache.json` */
    cacheFile?: string;
    /** Called after each member is written (about every `chunkBytes` of input). */
    onProgress?: (p: ArchiveProgress) => void;
    /** A checked directory that symbolic links in `dir` may point into (see WalkOptions.linkRoot). @default none */
    linkRoot?: string;
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

/** The header block(s) of one entry: a pax record only when ustar cannot hold the path. */
export function entryHeader(entry: Pick<ArchiveEntry, "path" | "type" | "size" | "mode">): Buffer {
    const fields = {
        path: entry.path, mode: entry.mode, uid: 0, gid: 0, size: entry.size, mtime: ARCHIVE_MTIME,
        type: entry.type === "dir" ? "Directory" as const : "File" as const,
        uname: "", gname: "", devmaj: 0, devmin: 0,
    };
    const header = new Header(fields);
    header.encode();
    const block = header.block!;
    if (!header.needPax) return block;
    const pax = new Pax({ path: entry.path, mtime: ARCHIVE_MTIME, uid: 0, gid: 0, size: entry.size }).encode();
    return Buffer.concat([pax, block]);
}

/** Size of the uncompressed tar stream for these entries. */
export function tarSize(entries: readonly ArchiveEntry[]): number {
    let total = 1024;
    for (const e of entries) total += entryHeader(e).length + Math.ceil(e.size / 512) * 512;
    return total;
}

/**
 * The uncompressed tar stream (headers, file data of exactly the listed size, padding, two
 * zero blocks) in buffers of exactly `chunkBytes` (the last one shorter). File data is read
 * straight into the chunk buffers: no per-read buffers, no concatenation.
 */
export async function* tarChunks(entries: readonly ArchiveEntry[], chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<Buffer> {
    let buf = Buffer.allocUnsafe(chunkBytes);
    let pos = 0;
    const full: Buffer[] = [];
    const advance = (n: number): void => {
        pos += n;
        if (pos === chunkBytes) {
            full.push(buf);
            buf = Buffer.allocUnsafe(chunkBytes);
            pos = 0;
        }
    };
    const put = (data: Buffer): void => {
        for (let off = 0; off < data.length;) {
            const n = Math.min(data.length - off, chunkBytes - pos);
            data.copy(buf, pos, off, off + n);
            off += n;
            advance(n);
        }
    };
    const zeros = (count: number): void => {
        while (count > 0) {
            const n = Math.min(count, chunkBytes - pos);
            buf.fill(0, pos, pos + n);
            count -= n;
            advance(n);
        }
    };
    for (const entry of entries) {
        put(entryHeader(entry));
        yield* full.splice(0);
        if (entry.type !== "file" || entry.size === 0) continue;
        const fh = await fs.promises.open(entry.abs, "r");
        try {
            for (let done = 0; done < entry.size;) {
                const want = Math.min(entry.size - done, chunkBytes - pos, READ_BYTES);
                const { bytesRead } = await fh.read(buf, pos, want, done);
                if (bytesRead === 0) {
                    throw new Error(`${entry.abs}: file shrank while packaging (expected ${entry.size} bytes); retry when nothing writes to the model directory`);
                }
                done += bytesRead;
                advance(bytesRead);
                yield* full.splice(0);
            }
            const st = await fh.stat();
            if (st.size !== entry.size) {
                throw new Error(`${entry.abs}: file changed size while packaging (${entry.size} -> ${st.size} bytes); retry when nothing writes to the model directory`);
            }
        } finally {
            await fh.close();
        }
        zeros((512 - (entry.size % 512)) % 512);
        yield* full.splice(0);
    }
    zeros(1024);
    yield* full.splice(0);
    if (pos > 0) yield buf.subarray(0, pos);
}

/** Writes every byte of `parts` in order (writev, retrying short writes). */
async function writeAll(fh: fs.promises.FileHandle, parts: Buffer[]): Promise<void> {
    let rest = parts.filter((p) => p.length > 0);
    while (rest.length > 0) {
        let { bytesWritten } = await fh.writev(rest.slice(0, 1024));
        while (rest.length > 0 && bytesWritten >= rest[0].length) {
            bytesWritten -= rest[0].length;
            rest.shift();
        }
        if (bytesWritten > 0) rest[0] = rest[0].subarray(bytesWritten);
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
        // The temporary file's mtime is "now" on the file-system clock, read before any entry's stat.
        const fsNowNs = (await fh.stat({ bigint: true })).mtimeNs;
        const entries = listArchiveEntries(dir, [], opts.linkRoot);
        const key = cacheKey(dirAbs, entries, { level: o.level, chunkBytes: o.chunkBytes, strategy: o.strategy });
        const hit = useCache ? lookupCache(cacheFile, key, outAbs) : undefined;
        if (hit) return { ...hit, cached: true };
        const bytesTotal = tarSize(entries);
        const started = Date.now();
        const hash = crypto.createHash("sha256");
        let bytesWritten = 0;
        let bytesDone = 0;
        await writeGzipMembers(tarChunks(entries, o.chunkBytes), o, async (parts) => {
            for (const part of parts) hash.update(part);
            await writeAll(fh, parts);
            for (const part of parts) bytesWritten += part.length;
        }, (n) => {
            bytesDone += n;
            opts.onProgress?.({ bytesDone, bytesTotal, bytesWritten, elapsedMs: Date.now() - started });
        });
        await fh.close();
        if (useCache) removeCacheRecord(cacheFile);
        await fs.promises.rename(tmp, outAbs);
        committed = true;
        const result = {
            sha256: hash.digest("hex"),
            bytes: bytesWritten,
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
