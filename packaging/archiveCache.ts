/**
 * Stat-keyed cache for `buildModelArchive`: when every packed entry still has the same
 * path, size, mtime, ctime, inode, device and mode, the options that shape the bytes are
 * the same, and the previous archive at `outFile` is untouched (same size, mtime, ctime,
 * inode), the recorded result is returned without reading a byte. The record lives in a
 * small JSON file (default `<outFile>.cache.json`); the archive's sha256 stays the source
 * of truth, the record only remembers it.
 *
 * Racy entries (changed in the same file-system clock tick as the build started) are
 * never cached: a later same-size edit in that tick would keep the same stat.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import type * as WriteFileAtomic from "write-file-atomic";
import type { ArchiveEntry } from "./archiveEntries";

/** Bump when the archive layout or encoding changes (invalidates every record). */
export const ARCHIVE_FORMAT = "ustar-sorted-1980+gzip-members-v2";

export interface CachedArchive {
    sha256: string;
    bytes: number;
    files: string[];
    tarBytes: number;
}

export interface CacheRecord {
    format: string;
    /** sha256 of the entries' stat fingerprints and the byte-shaping options. */
    key: string;
    /** Absolute path of the archive the record describes. */
    out: string;
    /** Stat stamp of that archive when the record was written. */
    outStamp: string;
    result: CachedArchive;
}

/** `size:mtimeNs:ctimeNs:ino:dev` of a file. */
export function statStamp(st: fs.BigIntStats): string {
    return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.dev}`;
}

/** The cache key: changes when any entry's path or stat, the directory, an option or zlib's version changes. */
export function cacheKey(dirAbs: string, entries: readonly ArchiveEntry[], shaping: object): string {
    const h = crypto.createHash("sha256");
    h.update(JSON.stringify([ARCHIVE_FORMAT, process.versions.zlib, dirAbs, shaping]));
    for (const e of entries) h.update(`\n${e.path}\0${e.fingerprint}`);
    return h.digest("hex");
}

/** Paths of entries whose mtime or ctime is not strictly before `fsNowNs` (the build's start on the file-system clock). */
export function racyEntries(entries: readonly ArchiveEntry[], fsNowNs: bigint): string[] {
    return entries.filter((e) => e.mtimeNs >= fsNowNs || e.ctimeNs >= fsNowNs).map((e) => e.path);
}

function stampOf(file: string): string | undefined {
    try {
        return statStamp(fs.statSync(file, { bigint: true }));
    } catch {
        return undefined;
    }
}

/** The recorded result when the record matches `key` and `outAbs` is unchanged; undefined otherwise (never throws). */
export function lookupCache(cacheFile: string, key: string, outAbs: string): CachedArchive | undefined {
    let record: CacheRecord;
    try {
        record = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as CacheRecord;
    } catch {
        return undefined;
    }
    if (record.format !== ARCHIVE_FORMAT || record.key !== key || record.out !== outAbs) return undefined;
    if (stampOf(outAbs) !== record.outStamp) return undefined;
    return record.result;
}

/**
 * Writes the record atomically with write-file-atomic (temporary file + rename, the temporary file removed on failure;
 * no fsync: a lost record only means a rebuild). The library loads here, on the first write: a cached run needs none.
 */
export function writeCacheRecord(cacheFile: string, key: string, outAbs: string, result: CachedArchive): void {
    const outStamp = stampOf(outAbs);
    if (outStamp === undefined) return;
    const record: CacheRecord = { format: ARCHIVE_FORMAT, key, out: outAbs, outStamp, result };
    (require("write-file-atomic") as typeof WriteFileAtomic).sync(cacheFile, JSON.stringify(record), { fsync: false });
}

export function removeCacheRecord(cacheFile: string): void {
    fs.rmSync(cacheFile, { force: true });
}
