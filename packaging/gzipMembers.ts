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
import { promisify } from "util";
import * as zlib from "zlib";

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
    const steps = probeSteps(chunk, level, strategy);
    let step = steps.next();
    while (!step.done) {
        const { samples, opts } = step.value;
        step = steps.next(samples.reduce((n, s) => n + zlib.deflateRawSync(s, opts).length, 0));
    }
    return step.value.choice;
}

type Probe = { choice: DeflateChoice; ratio: number };
const deflateRawAsync = promisify(zlib.deflateRaw) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;

/** {@link chooseDeflate}'s choice made on libuv's thread pool (the same choice), with the probe's compressed share (1 when not probed). */
async function probeDeflate(chunk: Buffer, level: number, strategy: GzipStrategy): Promise<Probe> {
    const steps = probeSteps(chunk, level, strategy);
    let step = steps.next();
    while (!step.done) {
        const { samples, opts } = step.value;
        const sizes = await Promise.all(samples.map((s) => deflateRawAsync(s, { ...opts, chunkSize: 2 * PROBE_BYTES })));
        step = steps.next(sizes.reduce((n, b) => n + b.length, 0));
    }
    return step.value;
}

/**
 * The probe as steps: each yields the samples to deflate with some options and takes their total deflated
 * size; returns the choice (so the synchronous and the thread-pool probe decide alike).
 */
function* probeSteps(chunk: Buffer, level: number, strategy: GzipStrategy): Generator<{ samples: Buffer[]; opts: zlib.ZlibOptions }, Probe, number> {
    const { Z_DEFAULT_STRATEGY, Z_RLE } = zlib.constants;
    if (strategy !== "auto" || level === 0 || chunk.length < PROBE_BYTES * PROBE_SAMPLES * 2) {
        return { choice: { level, strategy: Z_DEFAULT_STRATEGY }, ratio: 1 };
    }
    const samples = Array.from({ length: PROBE_SAMPLES }, (_, i) => {
        const start = Math.floor(((chunk.length - PROBE_BYTES) * i) / (PROBE_SAMPLES - 1));
        return chunk.subarray(start, start + PROBE_BYTES);
    });
    const raw = PROBE_BYTES * PROBE_SAMPLES;
    const rle = yield { samples, opts: { level, strategy: Z_RLE } };
    if (rle > raw * (1 - STORE_BELOW_SAVING)) return { choice: { level: 0, strategy: Z_DEFAULT_STRATEGY }, ratio: 1 };
    const normal = yield { samples, opts: { level } };
    return rle <= normal * AUTO_TOLERANCE ? { choice: { level, strategy: Z_RLE }, ratio: rle / raw } : { choice: { level, strategy: Z_DEFAULT_STRATEGY }, ratio: normal / raw };
}

/**
 * zlib's output buffer size for one member: the whole member when the probe says little (up to 4 MiB), else
 * the probe's estimate with a margin (fewer and smaller allocations, less garbage collection). It only
 * changes how zlib hands out the output, never the bytes (tested); a short estimate costs one more buffer.
 */
export function outputBufferBytes(chunkLength: number, ratio: number): number {
    const whole = Math.max(64 * 1024, Math.min(chunkLength + 1024, 4 << 20));
    return ratio >= 1 ? whole : Math.min(whole, Math.max(64 * 1024, Math.ceil(chunkLength * ratio * 1.25) + 16 * 1024));
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
 * returned as pieces to write in order (zlib's output buffers, not joined). Stored chunks are built by {@link storedMember}.
 */
export async function gzipMember(chunk: Buffer, level: number, strategy: GzipStrategy = "auto"): Promise<Buffer[]> {
    const { choice, ratio } = await probeDeflate(chunk, level, strategy);
    if (choice.level === 0 && typeof zlib.crc32 === "function") return storedMember(chunk);
    const parts = await gzipParts(chunk, { ...choice, memLevel: 9, chunkSize: outputBufferBytes(chunk.length, ratio) });
    // zlib already writes no name and mtime 0; pin the OS byte (offset 9) as well.
    let at = 9;
    for (const part of parts) {
        if (at < part.length) {
            part[at] = GZIP_OS_BYTE;
            break;
        }
        at -= part.length;
    }
    return parts;
}

/**
 * What `zlib.gzip` does (a Gzip stream on libuv's thread pool, the same bytes), but the output buffers are
 * returned as they come instead of copied into one (no concatenation of megabytes per member).
 */
function gzipParts(chunk: Buffer, opts: zlib.ZlibOptions): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
        const parts: Buffer[] = [];
        const gz = zlib.createGzip(opts);
        gz.on("data", (part: Buffer) => parts.push(part));
        gz.on("error", reject);
        gz.on("end", () => resolve(parts));
        gz.end(chunk);
    });
}

/** Hands chunks from a producer to the member writer in order; `end()`/`fail()` finish it. */
export class ChunkChannel {
    private readonly queue: Buffer[] = [];
    private waiter?: { resolve: (c: Buffer | undefined) => void; reject: (e: Error) => void };
    private ended = false;
    private error?: Error;

    push(chunk: Buffer): void {
        const w = this.waiter;
        this.waiter = undefined;
        if (w) w.resolve(chunk);
        else this.queue.push(chunk);
    }

    end(): void { this.finish(); }

    fail(error: Error): void { this.finish(error); }

    /** The next chunk, or undefined after the last one; rejects with the producer's error. */
    take(): Promise<Buffer | undefined> {
        if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
        if (this.error) return Promise.reject(this.error);
        if (this.ended) return Promise.resolve(undefined);
        return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
    }

    private finish(error?: Error): void {
        this.ended = true;
        this.error = error;
        const w = this.waiter;
        this.waiter = undefined;
        if (w && error) w.reject(error);
        else w?.resolve(undefined);
    }
}

/**
 * Takes chunks from `next` (each exactly `opts.chunkBytes` except the last; undefined ends the input),
 * compresses up to `opts.jobs` members at once and hands each member's pieces, with the chunk they were
 * made from (stored members are views of it), to `sink` strictly in order; `sink` owns the chunk from
 * then on. `onChunk` reports uncompressed bytes after each member is sunk.
 */
export async function writeGzipMembers(
    next: () => Promise<Buffer | undefined>,
    opts: GzipMemberOptions,
    sink: (parts: Buffer[], chunk: Buffer) => Promise<void>,
    onChunk?: (uncompressedBytes: number) => void,
): Promise<void> {
    const inFlight: Array<{ promise: Promise<Buffer[]>; chunk: Buffer }> = [];
    const drainOne = async (): Promise<void> => {
        const head = inFlight.shift()!;
        await sink(await head.promise, head.chunk);
        onChunk?.(head.chunk.length);
    };
    try {
        let sawInput = false;
        for (let chunk = await next(); chunk !== undefined; chunk = await next()) {
            if (chunk.length > opts.chunkBytes) throw new Error(`writeGzipMembers: a chunk of ${chunk.length} bytes exceeds chunkBytes ${opts.chunkBytes}`);
            sawInput = true;
            const promise = gzipMember(chunk, opts.level, opts.strategy);
            promise.catch(() => undefined); // awaited in order by drainOne
            inFlight.push({ promise, chunk });
            while (inFlight.length >= Math.max(1, opts.jobs)) await drainOne();
        }
        if (!sawInput) inFlight.push({ promise: gzipMember(Buffer.alloc(0), opts.level, opts.strategy), chunk: Buffer.alloc(0) });
        while (inFlight.length > 0) await drainOne();
    } finally {
        await Promise.allSettled(inFlight.map((f) => f.promise)); // no compression left running on a chunk after a failure
    }
}
