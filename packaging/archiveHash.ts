/**
 * The archive's sha256, over every member's pieces in order. A large archive is hashed on a worker thread
 * (inline source, Node's crypto only; nothing of the project loads there): sha256 runs at about 1.3 GB/s on
 * one core and is the longest sequential step of packing a large model, so the main thread stays free to read,
 * compute CRCs and hand out compression. Pieces reach the worker without a copy: views of shared chunk
 * buffers (ChunkPool's SharedArrayBuffers: the stored members' data) as they are, a deflated member's output
 * buffers moved (transferred); only the small pieces of stored members (block headers) are copied. `update` takes the pieces once they are
 * written and resolves once they are hashed: only then may their chunk be reused.
 */
import * as crypto from "crypto";
import { Worker } from "worker_threads";

export interface ArchiveHasher {
    /**
     * Hashes `parts` after everything given before; resolves once they are hashed (their memory may then be reused).
     * `move`: the pieces own their buffers (zlib's output), which the worker may take: unusable afterwards.
     */
    update(parts: readonly Buffer[], move?: boolean): Promise<void>;
    /** Lower-case hex sha256 of everything given; ends the hasher. */
    digest(): Promise<string>;
    /** Stops the worker, if any (after a failure); safe to call more than once. */
    close(): Promise<void>;
}

/** Archives from this many tar bytes on may be hashed on a worker thread (its start costs some 30 ms of one core). */
export const HASH_WORKER_FROM = 32 * 1048576;
/** A file counts as large from this many chunks on. */
const LARGE_FILE_CHUNKS = 4;

/**
 * Whether a worker thread may hash: from {@link HASH_WORKER_FROM} tar bytes on, when files of at least 4 chunks
 * each hold half the bytes or more; the pipeline then uses it when the second member is stored as well (model
 * weights: stored members, an archive about as large as its input, so hashing is a long sequential step).
 * Measured on 2 cores, the worker's start and the extra thread cost more than they save for directories of
 * small files and for deflated data (sparse tensors, text: a smaller archive), which hash on the main thread.
 */
export function hashOnWorker(fileSizes: readonly number[], tarBytes: number, chunkBytes: number): boolean {
    const large = fileSizes.reduce((n, size) => n + (size >= LARGE_FILE_CHUNKS * chunkBytes ? size : 0), 0);
    return tarBytes >= HASH_WORKER_FROM && 2 * large >= tarBytes;
}

const WORKER_SOURCE = `
const { parentPort } = require("worker_threads");
const hash = require("crypto").createHash("sha256");
parentPort.on("message", (parts) => {
    if (parts === null) return parentPort.postMessage(hash.digest("hex"));
    for (const part of parts) hash.update(part);
    parentPort.postMessage(true);
});`;

/** Hashing on the calling thread (small archives). */
export function mainThreadHasher(): ArchiveHasher {
    const hash = crypto.createHash("sha256");
    return {
        update: async (parts) => { for (const part of parts) hash.update(part); },
        digest: async () => hash.digest("hex"),
        close: async () => undefined,
    };
}

/**
 * `parts` as views the worker can read, in order: views of a SharedArrayBuffer as they are; with `move`, the
 * other pieces' buffers moved (transferred: unusable here afterwards), else those pieces copied into one new
 * buffer, which is moved.
 */
export function shareable(parts: readonly Buffer[], move: boolean): { views: Uint8Array[]; transfer: ArrayBuffer[] } {
    const shared = (p: Buffer) => p.buffer instanceof SharedArrayBuffer;
    const copy = new Uint8Array(move ? 0 : parts.reduce((n, p) => n + (shared(p) ? 0 : p.length), 0));
    const transfer = new Set<ArrayBuffer>(copy.length > 0 ? [copy.buffer] : []);
    let at = 0;
    const views = parts.map((p) => {
        if (shared(p)) return p;
        if (move) {
            transfer.add(p.buffer as ArrayBuffer);
            return p;
        }
        copy.set(p, at);
        at += p.length;
        return copy.subarray(at - p.length, at);
    });
    return { views, transfer: [...transfer] };
}

/** Hashing on a worker thread, in the order `update` is called. */
export function workerHasher(): ArchiveHasher {
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], stdout: false, stderr: false });
    const waiting: Array<{ resolve: (answer: unknown) => void; reject: (e: Error) => void }> = [];
    let failure: Error | undefined;
    const fail = (e: Error) => {
        failure ??= e;
        for (const w of waiting.splice(0)) w.reject(failure);
    };
    worker.on("message", (answer: unknown) => waiting.shift()?.resolve(answer));
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the sha256 thread stopped (exit code ${code})`)));
    const ask = (message: Uint8Array[] | null, transfer: ArrayBuffer[] = []): Promise<unknown> => {
        if (failure) return Promise.reject(failure);
        return new Promise((resolve, reject) => {
            worker.postMessage(message, transfer);
            waiting.push({ resolve, reject });
        });
    };
    return {
        update: async (parts, move = false) => {
            let message = shareable(parts, move);
            try {
                await ask(message.views, message.transfer);
            } catch (e) {
                if (!move || (e as Error).name !== "DataCloneError") throw e;
                message = shareable(parts, false); // a buffer that cannot be moved (a pooled one): copied instead
                await ask(message.views, message.transfer);
            }
        },
        digest: async () => {
            const hex = await ask(null) as string;
            await worker.terminate();
            return hex;
        },
        close: async () => {
            fail(new Error("the sha256 thread was stopped"));
            await worker.terminate();
        },
    };
}

/**
 * A hasher picked later: `update`s before {@link DeferredHasher.choose} wait and are replayed in order on the
 * chosen hasher (the pipeline picks once it has seen the second member's kind); `digest` without a choice picks
 * the main thread.
 */
export interface DeferredHasher extends ArchiveHasher {
    choose(hasher: ArchiveHasher): void;
    readonly chosen: boolean;
}

export function deferredHasher(): DeferredHasher {
    let target: ArchiveHasher | undefined;
    let stopped: Error | undefined;
    const queued: Array<{ parts: readonly Buffer[]; move: boolean; resolve: () => void; reject: (e: Error) => void }> = [];
    const choose = (hasher: ArchiveHasher) => {
        if (target) return;
        target = hasher;
        for (const q of queued.splice(0)) hasher.update(q.parts, q.move).then(q.resolve, q.reject);
    };
    return {
        choose,
        get chosen() { return target !== undefined; },
        update: (parts, move = false) => {
            if (stopped) return Promise.reject(stopped); // a write that completed after a failure: nothing to hash
            return target ? target.update(parts, move) : new Promise<void>((resolve, reject) => queued.push({ parts, move, resolve, reject }));
        },
        digest: () => {
            choose(mainThreadHasher());
            return target!.digest();
        },
        close: async () => {
            stopped ??= new Error("the sha256 was stopped");
            for (const q of queued.splice(0)) q.reject(stopped);
            await target?.close();
        },
    };
}
