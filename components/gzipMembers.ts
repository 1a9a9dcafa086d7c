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

/**
 * How each member is deflated. `auto`: deflate samples of the chunk both ways; when zlib's
 * Z_RLE strategy (no string matching; about 3x faster on float weights) is at most
 * {@link RLE_TOLERANCE} larger than the default strategy at `level`, deflate the chunk
 * with Z_RLE, else with the default strategy. The choice depends only on the chunk's bytes.
 * `default`: always the default strategy.
 */
export type GzipStrategy = "auto" | "default";

/** Bytes per probe sample; samples are taken at the start, middle and end of a chunk. */
export const PROBE_BYTES = 16 * 1024;
const PROBE_SAMPLES = 3;
/** `auto` picks Z_RLE when its samples are at most this much larger (2%). */
export const RLE_TOLERANCE = 1.02;

export interface GzipMemberOptions {
    /** zlib level, 0 (store) to 9 (smallest). */
    level: number;
    strategy: GzipStrategy;
    /** Uncompressed bytes per gzip member. */
    chunkBytes: number;
    /** Members compressed at once (thread-pool tasks in flight). */
    jobs: number;
}

/**
 * The zlib strategy for one chunk (pure, deterministic): Z_RLE when `strategy` is `auto`,
 * `level` > 0, the chunk is at least 96 KiB and Z_RLE deflates its three 16 KiB samples
 * to at most 2% more than the default strategy; else Z_DEFAULT_STRATEGY.
 */
export function chooseZlibStrategy(chunk: Buffer, level: number, strategy: GzipStrategy): number {
    const { Z_DEFAULT_STRATEGY, Z_RLE } = zlib.constants;
    if (strategy !== "auto" || level === 0 || chunk.length < PROBE_BYTES * PROBE_SAMPLES * 2) return Z_DEFAULT_STRATEGY;
    let normal = 0;
    let rle = 0;
    for (let i = 0; i < PROBE_SAMPLES; i++) {
        const start = Math.floor(((chunk.length - PROBE_BYTES) * i) / (PROBE_SAMPLES - 1));
        const sample = chunk.subarray(start, start + PROBE_BYTES);
        normal += zlib.deflateRawSync(sample, { level }).length;
        rle += zlib.deflateRawSync(sample, { level, strategy: Z_RLE }).length;
    }
    return rle <= normal * RLE_TOLERANCE ? Z_RLE : Z_DEFAULT_STRATEGY;
}

/** Compresses one chunk into a gzip member with a fixed header (no name, mtime 0, OS 255). */
export async function gzipMember(chunk: Buffer, level: number, strategy: GzipStrategy = "auto"): Promise<Buffer> {
    const out = await gzipAsync(chunk, {
        level, memLevel: 9, strategy: chooseZlibStrategy(chunk, level, strategy),
        chunkSize: Math.max(64 * 1024, Math.min(chunk.length + 1024, 4 << 20)),
    });
    // zlib already writes no name and mtime 0; pin the OS byte (offset 9) as well.
    out[9] = GZIP_OS_BYTE;
    return out;
}

/**
 * Reads `source` (any chunking), re-cuts it at fixed offsets of `opts.chunkBytes`,
 * compresses up to `opts.jobs` members at once and hands each member to `sink`
 * strictly in order. `onChunk` reports uncompressed bytes consumed after each member is sunk.
 * `compress` replaces the member compressor (the benchmark compares a worker_threads one).
 */
export async function writeGzipMembers(
    source: AsyncIterable<Buffer>,
    opts: GzipMemberOptions,
    sink: (member: Buffer) => Promise<void>,
    onChunk?: (uncompressedBytes: number) => void,
    compress: (chunk: Buffer) => Promise<Buffer> = (chunk) => gzipMember(chunk, opts.level, opts.strategy),
): Promise<void> {
    const inFlight: Array<{ promise: Promise<Buffer>; size: number }> = [];
    const drainOne = async (): Promise<void> => {
        const head = inFlight.shift()!;
        await sink(await head.promise);
        onChunk?.(head.size);
    };
    const submit = async (chunk: Buffer): Promise<void> => {
        const promise = compress(chunk);
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
