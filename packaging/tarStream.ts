/**
 * The uncompressed tar stream of a model directory, cut into chunks of exactly `chunkBytes` (the last
 * one shorter): ustar headers (ustarHeader.ts: the npm `tar` package's bytes, plain ones written in
 * place), file data read straight into pooled chunk buffers, padding, two zero blocks. Small files are
 * read with synchronous calls (one open, read, fstat and close each, no thread-pool round trips: a
 * directory of thousands of small files is bound by per-file overhead); larger files with asynchronous
 * reads, so the main thread hashes meanwhile.
 */
import * as fs from "fs";
import type { ArchiveEntry } from "./archiveEntries";
import { BLOCK, entryHeader, headerBytes, isPlainEntry, writeUstarHeader } from "./ustarHeader";

export { ARCHIVE_MTIME, entryHeader } from "./ustarHeader";
/** Files up to this size are read synchronously (see the file comment). */
export const SYNC_READ_BYTES = 1024 * 1024;
/** Bytes read from a large file at a time (at most; never past the current chunk). */
const READ_BYTES = 4 * 1024 * 1024;

function readAsync(fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    return new Promise((resolve, reject) => fs.read(fd, buf, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))));
}

/** Size of the uncompressed tar stream for these entries. */
export function tarSize(entries: readonly ArchiveEntry[]): number {
    let total = 1024;
    for (const e of entries) total += headerBytes(e) + Math.ceil(e.size / 512) * 512;
    return total;
}

/**
 * A bounded set of reusable chunk buffers (allocated on first use, at most `count`): the reader waits for
 * a free one, so memory stays at `count * chunkBytes` and no chunk is garbage to collect. After `close()`
 * every waiting and later `acquire` fails (a failed build stops its reader).
 */
export class ChunkPool {
    private readonly free: Buffer[] = [];
    private readonly lent = new Set<ArrayBufferLike>();
    private readonly waiting: Array<{ resolve: (b: Buffer) => void; reject: (e: Error) => void }> = [];
    private allocated = 0;
    private closed = false;

    constructor(readonly chunkBytes: number, readonly count: number) {}

    acquire(): Promise<Buffer> {
        if (this.closed) return Promise.reject(new Error("packaging stopped"));
        let buf = this.free.pop();
        if (!buf && this.allocated < this.count) {
            buf = Buffer.allocUnsafeSlow(this.chunkBytes);
            this.allocated++;
        }
        if (buf) {
            this.lent.add(buf.buffer);
            return Promise.resolve(buf);
        }
        return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
    }

    /** Gives back the buffer `chunk` is a view of (a buffer not lent by this pool is ignored). */
    release(chunk: Buffer): void {
        if (!this.lent.delete(chunk.buffer)) return;
        const buf = Buffer.from(chunk.buffer, 0, this.chunkBytes);
        const next = this.waiting.shift();
        if (next) {
            this.lent.add(buf.buffer);
            next.resolve(buf);
        } else this.free.push(buf);
    }

    close(): void {
        this.closed = true;
        for (const w of this.waiting.splice(0)) w.reject(new Error("packaging stopped"));
    }
}

function shrank(entry: ArchiveEntry): Error {
    return new Error(`${entry.abs}: file shrank while packaging (expected ${entry.size} bytes); retry when nothing writes to the model directory`);
}

/**
 * Writes the tar stream of `entries` into chunks taken from `pool`, handing each full chunk (exactly
 * `pool.chunkBytes`) and the last, shorter one to `emit` in order; `emit`'s receiver releases them. A file
 * whose size differs from the listed one fails, naming it. Resolves when the stream is complete.
 */
export async function produceTarChunks(entries: readonly ArchiveEntry[], pool: ChunkPool, emit: (chunk: Buffer) => void): Promise<void> {
    const size = pool.chunkBytes;
    let buf = await pool.acquire();
    let pos = 0;
    const advance = async (n: number): Promise<void> => {
        pos += n;
        if (pos === size) {
            emit(buf);
            await new Promise(setImmediate); // let finished compressions be taken up before reading on (sync reads hold the event loop)
            buf = await pool.acquire();
            pos = 0;
        }
    };
    const put = async (data: Buffer): Promise<void> => {
        for (let off = 0; off < data.length;) {
            const n = Math.min(data.length - off, size - pos);
            data.copy(buf, pos, off, off + n);
            off += n;
            await advance(n);
        }
    };
    const zeros = async (count: number): Promise<void> => {
        while (count > 0) {
            const n = Math.min(count, size - pos);
            buf.fill(0, pos, pos + n);
            count -= n;
            await advance(n);
        }
    };
    for (const entry of entries) {
        if (pos + BLOCK <= size && isPlainEntry(entry)) { // the header written in place (no block to copy)
            writeUstarHeader(buf, pos, entry);
            await advance(BLOCK);
        } else await put(entryHeader(entry));
        if (entry.type !== "file" || entry.size === 0) continue;
        const sync = entry.size <= SYNC_READ_BYTES;
        const fd = fs.openSync(entry.abs, "r");
        try {
            for (let done = 0; done < entry.size;) {
                const want = Math.min(entry.size - done, size - pos, READ_BYTES);
                const got = sync ? fs.readSync(fd, buf, pos, want, done) : await readAsync(fd, buf, pos, want, done);
                if (got === 0) throw shrank(entry);
                done += got;
                await advance(got);
            }
            const now = fs.fstatSync(fd).size;
            if (now !== entry.size) {
                throw new Error(`${entry.abs}: file changed size while packaging (${entry.size} -> ${now} bytes); retry when nothing writes to the model directory`);
            }
        } finally {
            fs.closeSync(fd);
        }
        await zeros((512 - (entry.size % 512)) % 512);
    }
    await zeros(1024);
    if (pos > 0) emit(buf.subarray(0, pos));
    else pool.release(buf);
}
