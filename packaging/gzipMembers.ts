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
 * How each member is deflated. `auto`: deflate three 16 KiB samples of the chunk (start,
 * middle, end) with zlib's Z_RLE strategy (no string matching, cheap). When that saves
 * less than {@link STORE_BELOW_SAVING} (float32 weights save about 8%, random or already
 * compressed data nothing), the chunk is stored (level 0: about 10x less CPU than
 * deflating it, for about 8% more bytes); when Z_RLE is within 2% of the default strategy
 * at `level` (sparse weights, runs of zeros), the chunk gets Z_RLE (about 3x faster);
 * otherwise (text, JSON, code) the default strategy at `level`. The choice depends only
 * on the chunk's bytes. `default`: always the default strategy at `level`.
 */
export type GzipStrategy = "auto" | "default";

/** Bytes per probe sample. */
export const PROBE_BYTES = 16 * 1024;
const PROBE_SAMPLES = 3;
/** `auto` prefers Z_RLE when its samples are at most this much larger than the default strategy's (2%). */
export const AUTO_TOLERANCE = 1.02;
/** `auto` stores a chunk when Z_RLE saves less than this fraction of its samples (10%). */
export const STORE_BELOW_SAVING = 0.1;

/** zlib parameters for one member. */
export interface DeflateChoice {
    level: number;
    strategy: number;
}

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
 * The zlib level and strategy for one chunk (pure, deterministic; see {@link GzipStrategy}).
 * Chunks under 96 KiB, level 0 and strategy `default` always get `{ level, Z_DEFAULT_STRATEGY }`.
 */
export function chooseDeflate(chunk: Buffer, level: number, strategy: GzipStrategy): DeflateChoice {
    const { Z_DEFAULT_STRATEGY, Z_RLE } = zlib.constants;
    if (strategy !== "auto" || level === 0 || chunk.length < PROBE_BYTES * PROBE_SAMPLES * 2) return { level, strategy: Z_DEFAULT_STRATEGY };
    const samples = Array.from({ length: PROBE_SAMPLES }, (_, i) => {
        const start = Math.floor(((chunk.length - PROBE_BYTES) * i) / (PROBE_SAMPLES - 1));
        return chunk.subarray(start, start + PROBE_BYTES);
    });
    const raw = PROBE_BYTES * PROBE_SAMPLES;
    const rle = samples.reduce((n, s) => n + zlib.deflateRawSync(s, { level, strategy: Z_RLE }).length, 0);
    if (rle > raw * (1 - STORE_BELOW_SAVING)) return { level: 0, strategy: Z_DEFAULT_STRATEGY };
    const normal = samples.reduce((n, s) => n + zlib.deflateRawSync(s, { level }).length, 0);
    return rle <= normal * AUTO_TOLERANCE ? { level, strategy: Z_RLE } : { level, strategy: Z_DEFAULT_STRATEGY };
}

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, GZIP_OS_BYTE]);
/** Largest deflate stored block. */
const STORED_BLOCK = 65535;

/**
 * A gzip member holding `chunk` in deflate stored blocks, built without zlib and without
 * copying the data: header, (5-byte block header, data view) per 65535 bytes, CRC32 + size.
 * Needs `zlib.crc32` (Node >= 20.15).
 */
export function storedMember(chunk: Buffer): Buffer[] {
    const blocks = Math.max(1, Math.ceil(chunk.length / STORED_BLOCK));
    const heads = Buffer.alloc(5 * blocks);
    const parts: Buffer[] = [GZIP_HEADER];
    for (let i = 0; i < blocks; i++) {
        const start = i * STORED_BLOCK;
        const len = Math.min(STORED_BLOCK, chunk.length - start);
        const h = heads.subarray(5 * i, 5 * i + 5);
        h[0] = i === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
        h.writeUInt16LE(len, 1);
        h.writeUInt16LE(~len & 0xffff, 3);
        parts.push(h);
        if (len > 0) parts.push(chunk.subarray(start, start + len));
    }
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(zlib.crc32(chunk) >>> 0, 0);
    trailer.writeUInt32LE(chunk.length >>> 0, 4);
    parts.push(trailer);
    return parts;
}

/**
 * Compresses one chunk into a gzip member with a fixed header (no name, mtime 0, OS 255),
 * returned as pieces to write in order. Stored chunks are built by {@link storedMember}.
 */
export async function gzipMember(chunk: Buffer, level: number, strategy: GzipStrategy = "auto"): Promise<Buffer[]> {
    const choice = chooseDeflate(chunk, level, strategy);
    if (choice.level === 0 && typeof zlib.crc32 === "function") return storedMember(chunk);
    const out = await gzipAsync(chunk, {
        ...choice, memLevel: 9,
        chunkSize: Math.max(64 * 1024, Math.min(chunk.length + 1024, 4 << 20)),
    });
    // zlib already writes no name and mtime 0; pin the OS byte (offset 9) as well.
    out[9] = GZIP_OS_BYTE;
    return [out];
}

/**
 * Reads `source` (any chunking), re-cuts it at fixed offsets of `opts.chunkBytes` (without
 * copying pieces that already are whole chunks), compresses up to `opts.jobs` members at
 * once and hands each member's pieces to `sink` strictly in order. `onChunk` reports
 * uncompressed bytes consumed after each member is sunk. `compress` replaces the member
 * compressor (the benchmark compares a worker_threads one).
 */
export async function writeGzipMembers(
    source: AsyncIterable<Buffer>,
    opts: GzipMemberOptions,
    sink: (parts: Buffer[]) => Promise<void>,
    onChunk?: (uncompressedBytes: number) => void,
    compress: (chunk: Buffer) => Promise<Buffer[]> = (chunk) => gzipMember(chunk, opts.level, opts.strategy),
): Promise<void> {
    const inFlight: Array<{ promise: Promise<Buffer[]>; size: number }> = [];
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
            if (pendingBytes === 0 && piece.length - offset >= opts.chunkBytes) {
                await submit(piece.subarray(offset, offset + opts.chunkBytes));
                offset += opts.chunkBytes;
                continue;
            }
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
