/**
 * The archive's sha256, over every member's pieces in order. A large archive is hashed on a worker thread
 * (inline source, Node's crypto only; nothing of the project loads there): sha256 runs at about 1.3 GB/s on
 * one core and is the longest sequential step of packing a large model, so the main thread stays free to read,
 * compute CRCs and hand out compression. Pieces that are views of shared chunk buffers (ChunkPool's
 * SharedArrayBuffers: the stored members' data) reach the worker without a copy; the other pieces (zlib's
 * output, block headers) are copied once into a buffer that is transferred. `update` resolves once its pieces
 * are hashed: only then may their chunk be reused.
 */
import * as crypto from "crypto";
import { Worker } from "worker_threads";

export interface ArchiveHasher {
    /** Hashes `parts` after everything given before; resolves once they are hashed (their memory may then be reused). */
    update(parts: readonly Buffer[]): Promise<void>;
    /** Lower-case hex sha256 of everything given; ends the hasher. */
    digest(): Promise<string>;
    /** Stops the worker, if any (after a failure); safe to call more than once. */
    close(): Promise<void>;
}

/** Archives from this many tar bytes on are hashed on a worker thread (its start costs some 30 ms of one core). */
export const HASH_WORKER_FROM = 32 * 1048576;

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
 * `parts` as views the worker can read: views of a SharedArrayBuffer as they are, every other piece copied into
 * one new buffer of its own (transferred, so not copied again), in order.
 */
export function shareable(parts: readonly Buffer[]): { views: Uint8Array[]; transfer: ArrayBuffer[] } {
    const own = parts.filter((p) => !(p.buffer instanceof SharedArrayBuffer));
    const copy = new Uint8Array(own.reduce((n, p) => n + p.length, 0));
    let at = 0;
    const views = parts.map((p) => {
        if (p.buffer instanceof SharedArrayBuffer) return p;
        copy.set(p, at);
        at += p.length;
        return copy.subarray(at - p.length, at);
    });
    return { views, transfer: copy.length > 0 ? [copy.buffer] : [] };
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
            waiting.push({ resolve, reject });
            worker.postMessage(message, transfer);
        });
    };
    return {
        update: async (parts) => {
            const { views, transfer } = shareable(parts);
            await ask(views, transfer);
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
