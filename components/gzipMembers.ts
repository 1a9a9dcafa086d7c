/**
 * Parallel, deterministic gzip: the input is cut at fixed offsets into chunks of
 * `chunkBytes`; each chunk becomes one complete gzip member, compressed on libuv's
 * thread pool (so several cores work at once), and the members are written in input
 * order. Concatenated gzip members are one valid gzip stream (RFC 1952 section 2.2;
 * `gzip -d`, GNU tar and Python's gzip/tarfile read all members).
 *
 * The output bytes depend only on the input bytes, `level`, `chunkBytes` and zlib's
 * deflate implementation — never on the number of jobs or on timing.
 */
import * as zlib from "zlib";
import { promisify } from "util";

const gzipAsync = promisify(zlib.gzip) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;

/** OS byte written in every member header: 255 = unknown (as Python's gzip writes), so the bytes do not depend on the build platform of zlib. */
export const GZIP_OS_BYTE = 255;

export interface GzipMemberOptions {
    /** zlib level, 0 (store) to 9 (smallest). */
    level: number;
    /** Uncompressed bytes per gzip member. */
    chunkBytes: number;
    /** Members compressed at once (thread-pool tasks in flight). */
    jobs: number;
}

/** Compresses one chunk into a gzip member with a fixed header (no name, mtime 0, OS 255). */
export async function gzipMember(chunk: Buffer, level: number): Promise<Buffer> {
    const out = await gzipAsync(chunk, { level, chunkSize: Math.max(64 * 1024, Math.min(chunk.length + 1024, 4 << 20)) });
    // zlib already writes no name and mtime 0; pin the OS byte (offset 9) as well.
    out[9] = GZIP_OS_BYTE;
    return out;
}

/**
 * Reads `source` (any chunking), re-cuts it at fixed offsets of `opts.chunkBytes`,
 * compresses up to `opts.jobs` members at once and hands each member to `sink`
 * strictly in order. `onChunk` reports uncompressed bytes consumed after each member is sunk.
 */
export async function writeGzipMembers(
    source: AsyncIterable<Buffer>,
    opts: GzipMemberOptions,
    sink: (member: Buffer) => Promise<void>,
    onChunk?: (uncompressedBytes: number) => void,
): Promise<void> {
    const inFlight: Array<{ promise: Promise<Buffer>; size: number }> = [];
    const drainOne = async (): Promise<void> => {
        const head = inFlight.shift()!;
        await sink(await head.promise);
        onChunk?.(head.size);
    };
    const submit = async (chunk: Buffer): Promise<void> => {
        const promise = gzipMember(chunk, opts.level);
        promise.catch(() => undefined); // awaited in order by drainOne
        inFlight.push({ promise, size: chunk.length });
        while (inFlight.length >= Math.max(1, opts.jobs)) await drainOne();
    };
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let sawInput = false;
    for await (const piece of source) {
        sawInput = true;
        let offset = 0;
        while (offset < piece.length) {
            const take = Math.min(piece.length - offset, opts.chunkBytes - pendingBytes);
            pending.push(piece.subarray(offset, offset + take));
            pendingBytes += take;
            offset += take;
            if (pendingBytes === opts.chunkBytes) {
                await submit(Buffer.concat(pending, pendingBytes));
                pending = [];
                pendingBytes = 0;
            }
        }
    }
    if (pendingBytes > 0 || !sawInput) await submit(Buffer.concat(pending, pendingBytes));
    while (inFlight.length > 0) await drainOne();
}
